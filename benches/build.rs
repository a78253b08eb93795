//! Generates the bench messages three times from `proto/bench.proto`:
//!
//! * ours, with connect-codegen, into `$OUT_DIR/connect/`;
//! * the binary peer, with prost-build (fed by protox, no `protoc` needed), into `$OUT_DIR/peer/`;
//! * the JSON peer, with pbjson-build (serde impls on the prost types), also into `$OUT_DIR/peer/`.
//!
//! Maps are `BTreeMap` on both sides (prost defaults to `HashMap`), so both hold the same data
//! structure and write map entries in the same order, which lets the setup step compare the
//! JSON output byte for byte.

use std::path::PathBuf;

use prost::Message as _;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let include = dir.join("proto");
    let proto = include.join("bench.proto");
    println!("cargo:rerun-if-changed={}", proto.display());

    let ours = out.join("connect");
    let peer = out.join("peer");
    std::fs::create_dir_all(&ours).expect("create OUT_DIR/connect");
    std::fs::create_dir_all(&peer).expect("create OUT_DIR/peer");

    connect_codegen::Config::new()
        .out_dir(&ours)
        .compile_protos(&[&proto], &[&include])
        .expect("connect-codegen failed");

    // The end-to-end benchmark's echo service (`perf-server`).
    let echo = include.join("echo.proto");
    println!("cargo:rerun-if-changed={}", echo.display());
    let echo_out = out.join("echo");
    std::fs::create_dir_all(&echo_out).expect("create OUT_DIR/echo");
    connect_codegen::Config::new()
        .out_dir(&echo_out)
        .compile_protos(&[&echo], &[&include])
        .expect("connect-codegen failed (echo)");

    let fds = protox::compile([&proto], [&include]).expect("protox failed");
    let descriptors = fds.encode_to_vec();
    prost_build::Config::new()
        .out_dir(&peer)
        .btree_map(["."])
        .compile_fds(fds)
        .expect("prost-build failed");
    pbjson_build::Builder::new()
        .out_dir(&peer)
        .register_descriptors(&descriptors)
        .expect("pbjson descriptors")
        .btree_map(["."])
        .build(&[".connectengine.bench.v1"])
        .expect("pbjson-build failed");
}
