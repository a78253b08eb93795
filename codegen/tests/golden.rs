//! Golden-file tests: generated code is checked in and must match the generator's output.
//!
//! `UPDATE_GOLDEN=1 cargo test -p connect-codegen --test golden` rewrites the files.

use std::path::{Path, PathBuf};

use connect_codegen::{Config, GeneratedFile};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn compile(protos: &[&str], includes: &[PathBuf]) -> prost_types::FileDescriptorSet {
    let mut c = protox::Compiler::new(includes).unwrap();
    c.include_source_info(true).include_imports(true);
    for p in protos {
        c.open_file(p).unwrap();
    }
    c.file_descriptor_set()
}

fn check(files: &[GeneratedFile], dir: &Path) {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for f in files {
        let path = dir.join(&f.name);
        if update {
            std::fs::write(&path, &f.content).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
        assert!(
            want == f.content,
            "{} drifted from the generator's output; run UPDATE_GOLDEN=1 cargo test -p connect-codegen --test golden",
            path.display()
        );
    }
}

/// Every well-known type file bundled with protox (`compiler/plugin.proto` is not one: it is
/// the protoc plugin protocol, package `google.protobuf.compiler`, generated like any user
/// package when imported).
const WKT: &[&str] = &[
    "google/protobuf/any.proto",
    "google/protobuf/api.proto",
    "google/protobuf/descriptor.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/empty.proto",
    "google/protobuf/field_mask.proto",
    "google/protobuf/source_context.proto",
    "google/protobuf/struct.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/type.proto",
    "google/protobuf/wrappers.proto",
];

fn wkt_config() -> Config {
    Config::new()
        .runtime_path("crate::codegen")
        .generate_well_known_types()
}

#[test]
fn well_known_types_are_up_to_date() {
    let set = compile(WKT, &[]);
    let names: Vec<String> = WKT.iter().map(|s| (*s).to_owned()).collect();
    let files = wkt_config().generate(&set, &names).unwrap();
    assert_eq!(files.len(), 1);
    check(&files, &root().join("engine/connect-wire/src/wkt"));
}

#[test]
fn eliza_is_up_to_date() {
    let set = compile(
        &["connectrpc/eliza/v1/eliza.proto"],
        &[root().join("proto")],
    );
    let files = Config::new()
        .generate(&set, &["connectrpc/eliza/v1/eliza.proto".to_owned()])
        .unwrap();
    check(&files, &root().join("codegen/tests/golden"));
}

#[test]
fn output_is_deterministic() {
    let set = compile(WKT, &[]);
    let names: Vec<String> = WKT.iter().map(|s| (*s).to_owned()).collect();
    let a = wkt_config().generate(&set, &names).unwrap();
    for _ in 0..3 {
        // Reordering the input files must not change the output either.
        let mut reversed = names.clone();
        reversed.reverse();
        let b = wkt_config().generate(&set, &reversed).unwrap();
        assert_eq!(a, b);
    }
}

#[test]
fn plugin_and_library_agree() {
    use prost::Message as _;
    let set = compile(
        &["connectrpc/eliza/v1/eliza.proto"],
        &[root().join("proto")],
    );
    let name = "connectrpc/eliza/v1/eliza.proto".to_owned();
    let lib = Config::new()
        .generate(&set, std::slice::from_ref(&name))
        .unwrap();
    let req = prost_types::compiler::CodeGeneratorRequest {
        file_to_generate: vec![name],
        proto_file: set.file.clone(),
        ..Default::default()
    };
    let resp = prost_types::compiler::CodeGeneratorResponse::decode(&*Config::plugin(
        &req.encode_to_vec(),
    ))
    .unwrap();
    assert_eq!(resp.error, None);
    for f in &lib {
        let got = resp
            .file
            .iter()
            .find(|g| g.name() == f.name)
            .expect("file in plugin output");
        assert_eq!(got.content(), f.content);
    }
    assert!(resp.file.iter().any(|g| g.name() == "_include.rs"));
}

#[test]
fn plugin_binary_answers_a_request_on_stdin() {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    use prost::Message as _;
    let set = compile(
        &["connectrpc/eliza/v1/eliza.proto"],
        &[root().join("proto")],
    );
    let req = prost_types::compiler::CodeGeneratorRequest {
        file_to_generate: vec!["connectrpc/eliza/v1/eliza.proto".to_owned()],
        parameter: Some("runtime=::connect_engine::codegen".to_owned()),
        proto_file: set.file.clone(),
        ..Default::default()
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_protoc-gen-connect-engine"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&req.encode_to_vec())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let resp = prost_types::compiler::CodeGeneratorResponse::decode(&*out.stdout).unwrap();
    assert_eq!(resp.error, None);
    let names: Vec<_> = resp.file.iter().map(|f| f.name().to_owned()).collect();
    assert_eq!(names, ["connectrpc.eliza.v1.rs", "_include.rs"]);
    let want = std::fs::read_to_string(root().join("codegen/tests/golden/connectrpc.eliza.v1.rs"))
        .unwrap();
    assert_eq!(resp.file[0].content(), want);

    // An unknown parameter is reported as an error, not a crash.
    let bad = prost_types::compiler::CodeGeneratorRequest {
        parameter: Some("nonsense".to_owned()),
        ..req
    };
    let mut child = Command::new(env!("CARGO_BIN_EXE_protoc-gen-connect-engine"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&bad.encode_to_vec())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let resp = prost_types::compiler::CodeGeneratorResponse::decode(&*out.stdout).unwrap();
    assert!(resp.error.unwrap().contains("nonsense"));
}

/// The files [`Config::compile_protos`] writes for `protos` (searched in `include`), sorted by
/// name.
fn compile_protos(protos: &[&str], include: &Path) -> Vec<GeneratedFile> {
    let out = std::env::temp_dir().join(format!(
        "connect-codegen-golden-{}-{}",
        std::process::id(),
        protos[0].replace('/', "_")
    ));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    Config::new()
        .out_dir(&out)
        .compile_protos(protos, &[include])
        .unwrap();
    let mut files: Vec<GeneratedFile> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            GeneratedFile {
                name: path.file_name().unwrap().to_str().unwrap().to_owned(),
                content: std::fs::read_to_string(&path).unwrap(),
            }
        })
        .collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    std::fs::remove_dir_all(&out).unwrap();
    files
}

/// The hello service of `examples/hello`, as connect-engine's guide includes it in its
/// doctests (`engine/connect-engine/guide/hello`: doctests have no build script).
#[test]
fn guide_hello_is_up_to_date() {
    let files = compile_protos(
        &["hello/v1/hello.proto"],
        &root().join("examples/hello/proto"),
    );
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["_include.rs", "hello.v1.rs"]);
    let dir = root().join("engine/connect-engine/guide/hello");
    std::fs::create_dir_all(&dir).unwrap();
    check(&files, &dir);
}

/// A few files of the adversarial corpus (`codegen/corpus/adversarial`, compiled and
/// round-tripped by `scripts/codegen-corpus.sh`) through the build.rs front door: names
/// that collide once they are Rust names, comments rendered as text, package layouts
/// (file names and the `_include.rs` module tree), and oneof members of one encoded size
/// (merged size arms).
#[test]
fn adversarial_files_are_up_to_date() {
    let corpus = root().join("codegen/corpus/adversarial");
    let files = compile_protos(
        &[
            "adv/collisions.proto",
            "adv/comments.proto",
            "adv/layout/nopackage.proto",
            "adv/same_arms.proto",
            "adv/synthetic.proto",
        ],
        &corpus,
    );
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    // No two packages write one file, nor one that differs only in case, nor `_include.rs`.
    assert_eq!(
        names,
        [
            "_.2.rs",
            "_.rs",
            "_include.2.rs",
            "_include.rs",
            "adversarial.collisions.rs",
            "adversarial.comments.rs",
            "adversarial.layout.A.rs",
            "adversarial.layout.a.2.rs",
            "adversarial.same_arms.rs",
            "adversarial.synthetic.rs",
        ]
    );
    let dir = root().join("codegen/tests/golden/adversarial");
    std::fs::create_dir_all(&dir).unwrap();
    check(&files, &dir);
}
