//! Generates the Eliza service code (no protoc needed).

fn main() {
    connect_codegen::Config::new()
        .compile_protos(
            &["../../proto/connectrpc/eliza/v1/eliza.proto"],
            &["../../proto"],
        )
        .expect("generate eliza code");
}
