//! protoc / buf plugin: reads a `CodeGeneratorRequest` on stdin, writes a
//! `CodeGeneratorResponse` on stdout.

use std::io::{Read, Write};

fn main() -> std::io::Result<()> {
    let mut request = Vec::new();
    std::io::stdin().read_to_end(&mut request)?;
    let response = connect_codegen::Config::plugin(&request);
    std::io::stdout().write_all(&response)
}
