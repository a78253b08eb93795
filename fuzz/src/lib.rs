//! Code shared by the fuzz targets: the generated codec test messages
//! (`connectengine::test::v1::KitchenSink` and the types it uses).

#![allow(missing_docs, clippy::all, clippy::pedantic)]

include!(concat!(env!("OUT_DIR"), "/_include.rs"));
