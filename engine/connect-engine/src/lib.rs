//! # connect-engine
//!
//! Connect RPC over HTTP/1.1 on monoio (thread-per-core, io_uring with an epoll fallback).
//! This crate is what applications depend on; the protocol itself lives in [`connect_wire`],
//! re-exported here so generated code needs only this crate.

pub use connect_wire::*;
