//! The scratch crate of the codegen corpus test (`scripts/codegen-corpus.sh`): code generated
//! from real-world and adversarial `.proto` files through both front doors, included the way
//! the README tells users to. It must compile without a warning from rustc, clippy
//! (pedantic) and rustdoc; `tests/` round-trips its messages in binary and JSON.
#![warn(missing_docs, rust_2018_idioms)]

/// googleapis-common-protos through the build.rs front door (`Config::compile_protos`).
pub mod googleapis_build_rs {
    include!(concat!(env!("OUT_DIR"), "/googleapis/_include.rs"));
}

/// googleapis-common-protos through protoc and the plugin.
pub mod googleapis_plugin {
    include!(concat!(
        env!("CORPUS_OUT"),
        "/googleapis-plugin/_include.rs"
    ));
}

/// The adversarial corpus (`adversarial/`) through the build.rs front door.
pub mod adversarial_build_rs {
    include!(concat!(env!("OUT_DIR"), "/adversarial/_include.rs"));
}

/// The adversarial corpus through protoc and the plugin.
pub mod adversarial_plugin {
    include!(concat!(
        env!("CORPUS_OUT"),
        "/adversarial-plugin/_include.rs"
    ));
}

/// The `TYPES` of every generated package, per corpus and front door.
pub mod registries {
    include!(concat!(env!("OUT_DIR"), "/registries.rs"));
}
