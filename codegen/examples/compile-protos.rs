//! The build.rs front door from the command line: compiles `.proto` files with
//! [`Config::compile_protos`](connect_codegen::Config::compile_protos) into a directory.
//!
//! ```sh
//! cargo run -p connect-codegen --example compile-protos -- OUT_DIR INCLUDE_DIR FILE.proto...
//! ```
//!
//! Exits with status 1 and the generator's error on stderr when generation fails
//! (`scripts/codegen-corpus.sh` checks the refused files of the adversarial corpus this way).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, include, protos @ ..] = args.as_slice() else {
        eprintln!("usage: compile-protos OUT_DIR INCLUDE_DIR FILE.proto...");
        std::process::exit(2);
    };
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("{out}: {e}");
        std::process::exit(1);
    }
    let result = connect_codegen::Config::new()
        .out_dir(out)
        .compile_protos(protos, &[include]);
    if let Err(e) = result {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
