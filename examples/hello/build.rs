//! Generates the `hello.v1` code from `proto/hello/v1/hello.proto` into `OUT_DIR` (no protoc
//! needed).

fn main() {
    connect_codegen::Config::new()
        .compile_protos(&["proto/hello/v1/hello.proto"], &["proto"])
        .expect("generate the hello.v1 code");
}
