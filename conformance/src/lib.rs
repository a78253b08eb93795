//! Generated code shared by the conformance harnesses and the codec tests.



include!(concat!(env!("OUT_DIR"), "/_include.rs"));
