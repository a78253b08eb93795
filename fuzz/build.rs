//! Generates the codec test messages (`connectengine.test.v1.KitchenSink`) for the message
//! fuzz targets, against `connect-wire` directly.

fn main() {
    println!("cargo:rerun-if-changed=../proto");
    connect_codegen::Config::new()
        .runtime_path("::connect_wire::codegen")
        .compile_protos(&["connectengine/test/v1/kitchen_sink.proto"], &["../proto"])
        .expect("code generation failed");
}
