//! Generated code shared by the conformance harnesses and the codec tests, and the
//! Connect conformance service ([`connect_service`]).

include!(concat!(env!("OUT_DIR"), "/_include.rs"));

pub mod connect_service;
