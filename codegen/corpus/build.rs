//! The build.rs front door, as a user writes it: `Config::compile_protos` over every `.proto`
//! of each corpus. Also lists every generated package's `TYPES` (from the `_include.rs`
//! module trees of both front doors) for the round-trip tests.
//!
//! Environment (set by `scripts/codegen-corpus.sh`):
//! - `CORPUS_GOOGLEAPIS`: the unpacked googleapis-common-protos wheel (its `.proto` files);
//! - `CORPUS_OUT`: where the script wrote the plugin front door's output
//!   (`<corpus>-plugin/`) and protoc's descriptor sets (`<corpus>.pb`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    println!("cargo:rerun-if-env-changed=CORPUS_GOOGLEAPIS");
    println!("cargo:rerun-if-env-changed=CORPUS_OUT");
    let googleapis = PathBuf::from(
        std::env::var_os("CORPUS_GOOGLEAPIS")
            .expect("CORPUS_GOOGLEAPIS (run scripts/codegen-corpus.sh)"),
    );
    let corpus_out = PathBuf::from(
        std::env::var_os("CORPUS_OUT").expect("CORPUS_OUT (run scripts/codegen-corpus.sh)"),
    );
    println!("cargo:rustc-env=CORPUS_OUT={}", corpus_out.display());

    let mut registries = String::new();
    for (corpus, root) in [
        ("googleapis", googleapis),
        ("adversarial", manifest.join("adversarial")),
    ] {
        let protos = protos_under(&root);
        assert!(
            !protos.is_empty(),
            "no .proto files under {}",
            root.display()
        );
        let dir = out.join(corpus);
        std::fs::create_dir_all(&dir).unwrap();
        connect_codegen::Config::new()
            .out_dir(&dir)
            .compile_protos(&protos, &[&root])
            .unwrap_or_else(|e| panic!("{corpus}: {e}"));
        for (door, tree) in [
            ("build_rs", dir.join("_include.rs")),
            (
                "plugin",
                corpus_out.join(format!("{corpus}-plugin/_include.rs")),
            ),
        ] {
            let module = format!("{corpus}_{door}");
            let paths = package_modules(&tree);
            let _ = writeln!(
                registries,
                "/// Every generated package's `TYPES`: {corpus}, `{door}` front door.\n\
                 pub const {}: &[&[::connect_engine::codegen::TypeEntry]] = &[",
                module.to_uppercase()
            );
            for p in paths {
                let sep = if p.is_empty() { "" } else { "::" };
                let _ = writeln!(registries, "    crate::{module}{sep}{p}::TYPES,");
            }
            registries.push_str("];\n");
        }
    }
    std::fs::write(out.join("registries.rs"), registries).unwrap();
}

/// Every `.proto` file under `root`, relative to it, sorted.
fn protos_under(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "proto") {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// The module path of each `include!` in a generated `_include.rs` (`""` for the root).
fn package_modules(tree: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(tree)
        .unwrap_or_else(|e| panic!("{}: {e} (run scripts/codegen-corpus.sh)", tree.display()));
    println!("cargo:rerun-if-changed={}", tree.display());
    let mut stack: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line
            .strip_prefix("pub mod ")
            .and_then(|l| l.strip_suffix(" {"))
        {
            stack.push(name.to_owned());
        } else if line == "}" {
            stack.pop();
        } else if line.starts_with("include!(") {
            out.push(stack.join("::"));
        }
    }
    out
}
