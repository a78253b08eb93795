//! Code shared by the fuzz targets: the generated codec test messages
//! (`connectengine::test::v1::KitchenSink` and the types it uses), a byte cursor that turns
//! fuzzer input into generation choices ([`Input`]), and the bodies of the structure-aware
//! targets that several target files share ([`decompress`]).

pub mod decompress;
pub mod input;

pub use input::Input;

#[allow(missing_docs, clippy::all, clippy::pedantic)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/_include.rs"));
}

pub use generated::*;
