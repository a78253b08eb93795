//! # connect-codegen
//!
//! Generates Rust code for connect-engine from `.proto` files: per message a struct that
//! borrows strings and bytes from the input buffer (`Foo<'a>`), with binary and canonical
//! proto3 JSON codecs; per enum an open newtype; per service its model (procedure paths,
//! stream kinds, idempotency), an async server trait with its router adapter, an async
//! client and a blocking client, each with a high-level (`say(&req)`) and a low-level
//! (`call_say(&req, options)`) method per RPC.
//!
//! Which parts are generated follows connect-engine's features: a crate that depends on
//! connect-engine with only the `blocking` feature (no monoio) turns the async parts off with
//! `Config::new().server(false).client(false)`.
//!
//! ## Using it from build.rs
//!
//! The crate that serves or calls the service depends on connect-engine, and builds with
//! connect-codegen:
//!
//! ```toml
//! [dependencies]
//! connect-engine = "0.1"
//!
//! [build-dependencies]
//! connect-codegen = "0.1"
//! ```
//!
//! `build.rs` names the `.proto` files and the directories imports are searched in (the
//! `google/protobuf/*.proto` files come with the compiler). [`Config::compile_protos`]
//! compiles them in-process with [protox](https://docs.rs/protox), so there is no `protoc`
//! to install, and writes one file per protobuf package plus `_include.rs` into `OUT_DIR`,
//! with `cargo:rerun-if-changed` lines for every file it read:
//!
//! ```no_run
//! // build.rs
//! fn main() {
//!     connect_codegen::Config::new()
//!         .compile_protos(&["proto/hello/v1/hello.proto"], &["proto"])
//!         .expect("generate the hello.v1 code");
//! }
//! ```
//!
//! The crate includes `_include.rs`, the module tree of the packages (`hello.v1` becomes
//! `hello::v1`), wherever it wants them:
//!
//! ```ignore
//! // src/lib.rs
//! include!(concat!(env!("OUT_DIR"), "/_include.rs"));
//! ```
//!
//! What comes out, for a package with messages `GreetRequest` and `GreetResponse` and a
//! service `GreetService` (here written to a directory of our choosing rather than
//! `OUT_DIR`):
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::env::temp_dir().join(format!("connect-codegen-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(dir.join("proto/hello/v1"))?;
//! # std::fs::write(dir.join("proto/hello/v1/hello.proto"), r#"
//! #     syntax = "proto3";
//! #     package hello.v1;
//! #     message GreetRequest { string name = 1; }
//! #     message GreetResponse { string greeting = 1; }
//! #     service GreetService {
//! #       rpc Greet(GreetRequest) returns (GreetResponse) { option idempotency_level = NO_SIDE_EFFECTS; }
//! #       rpc GreetInLanguages(GreetRequest) returns (stream GreetResponse);
//! #     }
//! # "#)?;
//! # let (proto, out) = (dir.join("proto"), dir.join("out"));
//! # std::fs::create_dir_all(&out)?;
//! connect_codegen::Config::new()
//!     .out_dir(&out)
//!     .compile_protos(&[proto.join("hello/v1/hello.proto")], &[&proto])?;
//!
//! let include = std::fs::read_to_string(out.join("_include.rs"))?;
//! assert!(include.contains("pub mod hello {") && include.contains(r#"include!("hello.v1.rs");"#));
//! let code = std::fs::read_to_string(out.join("hello.v1.rs"))?;
//! for item in [
//!     "pub struct GreetRequest<'a>",          // messages borrow their strings and bytes
//!     "pub name: __rt::Cow<'a, str>",
//!     "pub trait GreetService",               // the server trait
//!     "pub struct GreetServiceServer<S>",     // its router adapter
//!     "pub struct GreetServiceClient<",       // the async client
//!     "pub struct GreetServiceBlockingClient", // the blocking client
//!     "pub mod greet_service",                // the model: paths, stream kinds, idempotency
//!     "pub const TYPES",                      // for the `Any` type registry
//! ] {
//!     assert!(code.contains(item), "{item}");
//! }
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok(())
//! # }
//! ```
//!
//! | generated | what |
//! |---|---|
//! | per message `Foo<'a>` | a struct with public fields: scalars, `Cow<'a, str>` / `Cow<'a, [u8]>` borrowing the input, `Option<T>` for fields with presence, `Option<Box<T>>` for recursive ones, `Vec<T>`, `BTreeMap<K, V>`, an enum per oneof, and the unknown fields; it implements connect-engine's `Message` (binary and canonical proto3 JSON) |
//! | per enum | an open newtype over `i32` with a constant per value (unknown numbers survive a round trip), implementing `Enumeration` |
//! | per service `Foo` | the trait `Foo` (one async method per RPC, by stream kind), `FooServer<S>` (adds an implementation to a `Router`), `FooClient` (async) and `FooBlockingClient`, each with `rpc(&req)` and `call_rpc(&req, CallOptions)`, and the module `foo` with the `SERVICE` and per-method `MethodDescriptor`s |
//! | per package | `TYPES`, the package's messages for the `Any` type registry |
//!
//! connect-engine's guide (`connect_engine::guide`) goes on from here: implementing,
//! serving and calling the service.
//!
//! ## Options
//!
//! | [`Config`] method | effect |
//! |---|---|
//! | [`server(false)`](Config::server), [`client(false)`](Config::client), [`blocking_client(false)`](Config::blocking_client) | leave out the server traits, the async clients or the blocking clients; a crate depending on connect-engine with only its `blocking` feature (no monoio) turns the first two off |
//! | [`runtime_path`](Config::runtime_path) | where generated code finds the runtime (default `::connect_engine::codegen`); `::connect_wire::codegen` for code on the sans-IO crate alone, with the server and the clients off |
//! | [`extern_path`](Config::extern_path) | take a package's types from existing Rust code instead of generating them (e.g. a package shared by several crates) |
//! | [`generate_well_known_types`](Config::generate_well_known_types) | generate `google.protobuf` too, instead of using the runtime's `wkt` module |
//! | [`out_dir`](Config::out_dir) | write somewhere else than `OUT_DIR` |
//!
//! [`Config::generate`] is the same generator over a `FileDescriptorSet` built some other
//! way (by protoc, buf or protox), returning the files instead of writing them.
//!
//! ## Two front doors, one generator
//!
//! * **build.rs** — [`Config::compile_protos`], above.
//! * **protoc / buf plugin** — the `protoc-gen-connect-engine` binary (`cargo install
//!   connect-codegen` puts it on the `PATH`) reads a `CodeGeneratorRequest` on stdin and
//!   answers with the same files: `protoc --connect-engine_out=gen hello.proto`. Its
//!   parameters are the options above: `runtime=<path>`, `extern=<package>=<path>`, `wkt`,
//!   `no_server`, `no_client`, `no_blocking_client` (comma-separated, e.g.
//!   `--connect-engine_opt=no_server,no_client`).
//!
//! ## Architecture
//!
//! `FileDescriptorSet` → [`model`](crate) (names, paths, presence, boxing of recursive
//! fields) → `generate` (tokens with `quote`) → prettyplease. Generated code reaches the runtime
//! only through one alias, `__rt`, bound to [`Config::runtime_path`].
//!
//! ## Names
//!
//! Messages and enums become UpperCamel types, fields and package segments snake_case,
//! enum values SCREAMING_SNAKE constants. A name is first escaped (`self` → `self_`, a
//! leading digit → `_1`, other keywords raw: `r#type`), then told apart from every name
//! already taken in its scope by appending `_`: so `message Self` and `message Self_` become
//! `Self_` and `Self__`, rpcs `self` and `Self` the methods `self_` and `self__`, package
//! `t.Option` the module `t::option` (a oneof enum named like a type of its module gets a
//! `Oneof` suffix first: `oneof a_b` and `oneof aB` are `AB` and `ABOneof`). Names that generated code uses unqualified (`Option`,
//! `Box`, `Vec`, `Result`, …) get a `Message` suffix as types, and primitive type names
//! (`str`, `u8`, …), `__rt` and the enclosing module's own name are never used as modules.
//! Each package is one file, `{package}.rs` (`_.rs` without a package); a name that another
//! package's file, `_include.rs`, or another file differing only in case already has gets
//! `.2`, `.3`, … before `.rs` (a package segment cannot be a number).
//!
//! ## Comments and lints
//!
//! Proto comments become doc comments rendered as text: line breaks are kept, Markdown
//! syntax is escaped except `code spans`, bare URLs become autolinks, and indented or
//! fenced blocks become `text` code blocks (never doctests). Generated code compiles without
//! warnings under rustc, clippy (pedantic included) and rustdoc whatever the protos say:
//! included files cannot carry inner attributes, so the few lints that depend on a proto's
//! names or size alone (`doc_markdown`, `too_many_lines`, `struct_field_names`,
//! `struct_excessive_bools`, `enum_variant_names`, `large_enum_variant`,
//! `upper_case_acronyms`, `wrong_self_convention`, `missing_errors_doc`) are allowed on the
//! items concerned; type parameters of generated impls are named unlike the package's types.
//! `scripts/codegen-corpus.sh` checks this on googleapis' protos and an adversarial corpus.
//!
//! ## JSON names
//!
//! On input a key that is one field's JSON name and another's proto name belongs to the
//! former (as in protoc's runtimes). Two fields with the same JSON name, custom or derived,
//! are refused by both front doors with an error naming both fields and the name (protoc
//! 3.21 accepts a `json_name` equal to another field's), since no JSON could tell them
//! apart; a message with a field whose JSON name is `@type` cannot be written inside an
//! `Any` (an error, not a lost field).
// The build.rs example shows the file as a user writes it, `fn main` included.
#![allow(clippy::needless_doctest_main)]

mod generate;
mod model;
mod names;

use std::fmt;
use std::path::{Path, PathBuf};

use prost::Message as _;
use prost_types::FileDescriptorSet;
use prost_types::compiler::code_generator_response::{Feature, File};
use prost_types::compiler::{CodeGeneratorRequest, CodeGeneratorResponse};

/// A generation error.
#[derive(Debug)]
pub struct Error(String);

impl Error {
    fn new(msg: impl Into<String>) -> Self {
        Error(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// One generated file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name, e.g. `connectrpc.eliza.v1.rs`.
    pub name: String,
    /// Rust source.
    pub content: String,
}

/// Generator settings.
#[derive(Clone, Debug)]
pub struct Config {
    runtime_path: String,
    extern_paths: Vec<(String, String)>,
    out_dir: Option<PathBuf>,
    server: bool,
    client: bool,
    blocking_client: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

impl Config {
    /// Defaults: runtime `::connect_engine::codegen`; `google.protobuf` types come from the
    /// runtime's well-known types.
    #[must_use]
    pub fn new() -> Self {
        Config {
            runtime_path: "::connect_engine::codegen".to_owned(),
            extern_paths: vec![("google.protobuf".to_owned(), "__rt::wkt".to_owned())],
            out_dir: None,
            server: true,
            client: true,
            blocking_client: true,
        }
    }

    /// The path generated code uses for the runtime (e.g. `::connect_wire::codegen` for code
    /// that should depend on the sans-IO crate only).
    #[must_use]
    pub fn runtime_path(mut self, path: &str) -> Self {
        path.clone_into(&mut self.runtime_path);
        self
    }

    /// Uses existing Rust types for a whole protobuf package instead of generating them.
    /// `rust_path` may start with `__rt` (the runtime alias).
    #[must_use]
    pub fn extern_path(mut self, proto_package: &str, rust_path: &str) -> Self {
        self.extern_paths.retain(|(p, _)| p != proto_package);
        self.extern_paths
            .push((proto_package.to_owned(), rust_path.to_owned()));
        self
    }

    /// Whether to generate server traits for services (default: yes). Turn off when the
    /// runtime path is `connect_wire`, which has no server.
    #[must_use]
    pub fn server(mut self, enabled: bool) -> Self {
        self.server = enabled;
        self
    }

    /// Whether to generate async clients for services (default: yes). Turn off when the
    /// runtime path is `connect_wire`, which has no client.
    #[must_use]
    pub fn client(mut self, enabled: bool) -> Self {
        self.client = enabled;
        self
    }

    /// Whether to generate blocking clients for services (default: yes; they need
    /// connect-engine's `blocking` feature, on by default).
    #[must_use]
    pub fn blocking_client(mut self, enabled: bool) -> Self {
        self.blocking_client = enabled;
        self
    }

    /// Generates `google.protobuf` types too, instead of taking them from the runtime.
    #[must_use]
    pub fn generate_well_known_types(mut self) -> Self {
        self.extern_paths.retain(|(p, _)| p != "google.protobuf");
        self
    }

    /// Where [`compile_protos`](Self::compile_protos) writes (default: `$OUT_DIR`).
    #[must_use]
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Compiles `protos` (searched in `includes`) with protox and writes the generated files
    /// and `_include.rs` to the output directory. Emits `cargo:rerun-if-changed` lines.
    pub fn compile_protos(
        &self,
        protos: &[impl AsRef<Path>],
        includes: &[impl AsRef<Path>],
    ) -> Result<(), Error> {
        let mut resolver = protox::file::ChainFileResolver::new();
        for include in includes {
            resolver.add(protox::file::IncludeFileResolver::new(
                include.as_ref().to_owned(),
            ));
        }
        resolver.add(protox::file::GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(PreparedFiles(resolver));
        compiler.include_source_info(true).include_imports(true);
        for p in protos {
            compiler
                .open_file(p.as_ref())
                .map_err(|e| Error::new(format!("{e:?}")))?;
        }
        let fds = compiler.file_descriptor_set();
        // The named files and everything they import, except packages mapped to existing
        // Rust types.
        let requested: Vec<String> = fds
            .file
            .iter()
            .filter(|f| !self.extern_paths.iter().any(|(p, _)| f.package() == p))
            .map(|f| f.name().to_owned())
            .collect();
        // Rerun when any compiled file changes: the named ones and their imports, resolved
        // against the include paths (a name relative to an include path is not a file path).
        for name in &requested {
            let found = includes
                .iter()
                .map(|i| i.as_ref().join(name))
                .find(|p| p.exists());
            if let Some(path) = found {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
        for p in protos {
            if p.as_ref().exists() {
                println!("cargo:rerun-if-changed={}", p.as_ref().display());
            }
        }
        let (files, include) = self.generate_all(&fds, &requested)?;
        let out = match &self.out_dir {
            Some(d) => d.clone(),
            None => PathBuf::from(
                std::env::var_os("OUT_DIR").ok_or_else(|| Error::new("OUT_DIR is not set"))?,
            ),
        };
        for f in files.iter().chain(std::iter::once(&include)) {
            let path = out.join(&f.name);
            // Only rewrite changed files so that cargo does not rebuild needlessly.
            if std::fs::read_to_string(&path).ok().as_deref() != Some(f.content.as_str()) {
                std::fs::write(&path, &f.content)
                    .map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
            }
        }
        Ok(())
    }

    /// Generates one file per protobuf package for the files named in `files_to_generate`
    /// (their dependencies must be in `set`).
    pub fn generate(
        &self,
        set: &FileDescriptorSet,
        files_to_generate: &[String],
    ) -> Result<Vec<GeneratedFile>, Error> {
        Ok(self.generate_all(set, files_to_generate)?.0)
    }

    /// The package files and `_include.rs`.
    fn generate_all(
        &self,
        set: &FileDescriptorSet,
        files_to_generate: &[String],
    ) -> Result<(Vec<GeneratedFile>, GeneratedFile), Error> {
        let model = model::Model::new(set, files_to_generate)?;
        let files = model
            .packages
            .iter()
            .map(|p| GeneratedFile {
                name: p.file_name.clone(),
                content: generate::package_file(&model, self, p),
            })
            .collect();
        Ok((files, include_file(&model)))
    }

    /// Answers a protoc plugin request (parameters: `runtime=<path>`, `extern=<pkg>=<path>`,
    /// `wkt` to generate google.protobuf types, `no_server` / `no_client` / `no_blocking_client` to
    /// leave out server traits, async clients or blocking clients).
    #[must_use]
    pub fn plugin(request: &[u8]) -> Vec<u8> {
        let response = match CodeGeneratorRequest::decode(request) {
            Ok(req) => Self::answer(&req),
            Err(e) => CodeGeneratorResponse {
                error: Some(format!("bad request: {e}")),
                ..Default::default()
            },
        };
        response.encode_to_vec()
    }

    fn answer(req: &CodeGeneratorRequest) -> CodeGeneratorResponse {
        let mut config = Config::new();
        for param in req.parameter().split(',').filter(|p| !p.is_empty()) {
            if let Some(rt) = param.strip_prefix("runtime=") {
                config = config.runtime_path(rt);
            } else if let Some(ext) = param.strip_prefix("extern=") {
                if let Some((pkg, path)) = ext.split_once('=') {
                    config = config.extern_path(pkg, path);
                }
            } else if param == "no_server" {
                config = config.server(false);
            } else if param == "no_client" {
                config = config.client(false);
            } else if param == "no_blocking_client" {
                config = config.blocking_client(false);
            } else if param == "wkt" {
                config = config.generate_well_known_types();
            } else {
                return CodeGeneratorResponse {
                    error: Some(format!("unknown parameter {param}")),
                    ..Default::default()
                };
            }
        }
        let set = FileDescriptorSet {
            file: req.proto_file.clone(),
        };
        match config.generate_all(&set, &req.file_to_generate) {
            Ok((files, include)) => CodeGeneratorResponse {
                supported_features: Some(Feature::Proto3Optional as u64),
                file: files
                    .into_iter()
                    .chain(std::iter::once(include))
                    .map(|f| File {
                        name: Some(f.name),
                        content: Some(f.content),
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            },
            Err(e) => CodeGeneratorResponse {
                error: Some(e.to_string()),
                ..Default::default()
            },
        }
    }
}

/// The module `_include.rs` puts the package without a name in (re-exported from there).
const ROOT_PACKAGE_MODULE: &str = "__root_package";

/// `_include.rs`: the package module tree, each leaf including its file (paths relative to
/// `_include.rs`, so it works from `OUT_DIR` and from a plugin's output directory).
fn include_file(model: &model::Model) -> GeneratedFile {
    #[derive(Default)]
    struct Node {
        /// By module name: the dotted package name and the node.
        children: std::collections::BTreeMap<String, (String, Node)>,
        file: Option<String>,
    }
    fn allows(pad: &str, out: &mut String) {
        use std::fmt::Write as _;
        let _ = writeln!(out, "{pad}#[allow(");
        let mut line = String::new();
        for (lint, _) in generate::ALLOWED_LINTS {
            if !line.is_empty() && pad.len() + 4 + line.len() + 1 + lint.len() + 1 > 100 {
                let _ = writeln!(out, "{pad}    {line}");
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(lint);
            line.push(',');
        }
        let _ = writeln!(out, "{pad}    {line}");
        let _ = writeln!(out, "{pad})]");
    }
    fn render(node: &Node, indent: usize, out: &mut String) {
        use std::fmt::Write as _;
        let pad = "    ".repeat(indent);
        if let Some(f) = &node.file {
            if indent == 0 {
                // The package without a name: its own module, for the lints, re-exported.
                let _ = writeln!(out, "/// The protobuf files without a `package`.");
                allows("", out);
                let _ = writeln!(out, "mod {ROOT_PACKAGE_MODULE} {{");
                let _ = writeln!(out, "    include!(\"{f}\");");
                let _ = writeln!(out, "}}");
                let _ = writeln!(out, "pub use {ROOT_PACKAGE_MODULE}::*;");
            } else {
                let _ = writeln!(out, "{pad}include!(\"{f}\");");
            }
        }
        for (i, (module, (full, child))) in node.children.iter().enumerate() {
            if i > 0 || node.file.is_some() {
                let _ = writeln!(out);
            }
            let _ = writeln!(out, "{pad}/// Protobuf package `{full}`.");
            if child.file.is_some() {
                allows(&pad, out);
            }
            let _ = writeln!(out, "{pad}pub mod {} {{", names::ident(module));
            render(child, indent + 1, out);
            let _ = writeln!(out, "{pad}}}");
        }
    }
    let mut root = Node::default();
    for p in &model.packages {
        let modules = model
            .package_modules
            .get(&p.name)
            .cloned()
            .unwrap_or_default();
        let segments: Vec<&str> = p.name.split('.').filter(|s| !s.is_empty()).collect();
        let mut node = &mut root;
        for (i, module) in modules.iter().enumerate() {
            let full = segments[..=i.min(segments.len().saturating_sub(1))].join(".");
            node = &mut node
                .children
                .entry(module.clone())
                .or_insert_with(|| (full, Node::default()))
                .1;
        }
        node.file = Some(p.file_name.clone());
    }
    let mut content = String::from(
        "// Generated by connect-codegen: the module tree of the generated packages.\n//\n\
         // Each package's module allows the lints that generated code trips by design:\n",
    );
    for (lint, why) in generate::ALLOWED_LINTS {
        use std::fmt::Write as _;
        let _ = writeln!(content, "// - `{lint}`: {why}.");
    }
    content.push('\n');
    render(&root, 0, &mut content);
    GeneratedFile {
        name: "_include.rs".to_owned(),
        content,
    }
}

/// The files protox compiles, as protoc would see them.
///
/// - A file two of whose fields have the same JSON name is refused before protox checks it
///   ([`model::check_file_json_names`]): protox refuses it too, but names neither field
///   (`a field with JSON name '' is already defined` when the second name is derived).
/// - protox names the synthetic oneof of `optional T bar` `_bar` even when the message
///   declares a oneof (or field) of that name, and then refuses the file as defining `_bar`
///   twice; protoc prepends `X` until the name is free (`X_bar`). The synthetic oneofs of
///   such files are renamed before protox checks them.
struct PreparedFiles(protox::file::ChainFileResolver);

impl protox::file::FileResolver for PreparedFiles {
    fn resolve_path(&self, path: &Path) -> Option<String> {
        self.0.resolve_path(path)
    }

    fn open_file(&self, name: &str) -> Result<protox::file::File, protox::Error> {
        let file = self.0.open_file(name)?;
        model::check_file_json_names(file.file_descriptor_proto())
            .map_err(|e| protox::Error::new(Refusal(format!("{name}: {e}"))))?;
        let mut descriptor = file.file_descriptor_proto().clone();
        let mut changed = false;
        for m in &mut descriptor.message_type {
            changed |= rename_synthetic_oneofs(m);
        }
        // Only a file that needed it loses its source text (used in protox's error reports).
        Ok(if changed {
            protox::file::File::from_file_descriptor_proto(descriptor)
        } else {
            file
        })
    }
}

/// A refusal of [`PreparedFiles`], passed through protox. Its `Debug` is its text:
/// [`Config::compile_protos`] shows protox's errors with `{:?}` (which, for protox's own,
/// adds where in the file they are).
struct Refusal(String);

impl fmt::Debug for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// protoc's naming of synthetic oneofs in `m` and its nested messages; whether a name changed.
fn rename_synthetic_oneofs(m: &mut prost_types::DescriptorProto) -> bool {
    let mut changed = false;
    for n in &mut m.nested_type {
        changed |= rename_synthetic_oneofs(n);
    }
    let synthetic: Vec<(usize, String)> = m
        .field
        .iter()
        .filter(|f| f.proto3_optional())
        .filter_map(|f| Some((usize::try_from(f.oneof_index?).ok()?, f.name().to_owned())))
        .collect();
    let mut names: std::collections::HashSet<String> =
        m.field.iter().map(|f| f.name().to_owned()).collect();
    names.extend(
        m.oneof_decl
            .iter()
            .enumerate()
            .filter(|(i, _)| !synthetic.iter().any(|(s, _)| s == i))
            .map(|(_, o)| o.name().to_owned()),
    );
    for (index, field) in synthetic {
        let mut name = if field.starts_with('_') {
            field
        } else {
            format!("_{field}")
        };
        while names.contains(&name) {
            name.insert(0, 'X');
        }
        names.insert(name.clone());
        if let Some(o) = m.oneof_decl.get_mut(index)
            && o.name() != name
        {
            o.name = Some(name);
            changed = true;
        }
    }
    changed
}
