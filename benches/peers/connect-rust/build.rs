//! Generates the buffa messages and connectrpc service code of benches/proto/echo.proto.
//!
//! The descriptor set comes from `buf build` (run by scripts/build-peers.sh), named by the
//! `ECHO_DESCRIPTOR_SET` environment variable or, by default, at
//! `<repo>/.cache/peers/echo.binpb`; connectrpc-build would otherwise need `protoc`.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=ECHO_DESCRIPTOR_SET");
    let set = std::env::var_os("ECHO_DESCRIPTOR_SET").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../.cache/peers/echo.binpb"),
        PathBuf::from,
    );
    if !set.exists() {
        panic!(
            "descriptor set {} not found: run scripts/build-peers.sh (or set ECHO_DESCRIPTOR_SET)",
            set.display()
        );
    }
    connectrpc_build::Config::new()
        .descriptor_set(&set)
        .files(&["echo.proto"])
        .include_file("_connectrpc.rs")
        .compile()
        .expect("connectrpc-build");
}
