//! # connect-wire
//!
//! The sans-IO core of connect-engine: everything about the Connect protocol that does not
//! touch a socket. It builds and is tested without any async runtime, so proxies on any
//! runtime can embed it; `connect-engine` is a monoio driver over it.
//!
//! ## Architecture
//!
//! | layer | module | what it does |
//! |---|---|---|
//! | messages | [`message`], [`proto`], [`json`], [`wkt`] | generated borrowed messages (`Foo<'a>`) and their binary and proto3 JSON codecs |
//! | service model | [`service`] | procedures, stream kinds, idempotency — emitted by `connect-codegen` |
//! | errors | [`code`], [`error`], [`fault`] | the 16 Connect codes and their HTTP tables; [`ConnectError`] (code, message, details, metadata) and its error / end-stream JSON; one mapping of every lower-layer failure to a Connect error, per [`Role`] |
//! | framing | [`envelope`], [`compression`] | zero-copy streaming envelope decoder and in-place encoder; negotiation and bounded decompression (limit enforced by construction) with per-core reusable codec state |
//! | protocols | [`protocol`] | the seam between the protocols of the Connect family: which one a request speaks, and per protocol what a response's head, messages and end carry and how an error replaces them; the sinks a head is written into (HTTP/1.1 text, `http` heads) |
//! | Connect rules | [`codec`], [`headers`], [`server`], [`client`], [`get`], [`stream`] | content types and codecs; protocol headers and timeouts; the server's request negotiation and refusals (415/405/404, unknown compression, bad version) and HTTP/1.1 response framing; the client's request framing and response classification (status table, content type and compression checks, `trailer-` metadata); GET and streaming bodies for both roles |
//! | HTTP/1.1 | [`http1`] | sans-IO request/response head parsing into offsets, body framing (content-length, chunked), head and chunk writing |
//!
//! Data flows from an input buffer to a borrowed message without copying strings or bytes:
//! binary decoding slices the buffer, JSON decoding unescapes strings in place (simd-json)
//! and slices it. Encoding sizes a message once ([`proto::SizeCache`]) and writes it into
//! one reserved vector.
//!
//! ## Features
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `gzip` | yes | gzip compression (libdeflater) |
//! | `br` | no | brotli compression |
//! | `zstd` | no | zstd compression |
//! | `deflate` | no | deflate compression (zlib format, libdeflater) |
//! | `snappy` | no | snappy compression (framing format, the `snap` crate) |
//!
//! Applications that serve or call Connect RPCs depend on `connect-engine`, which re-exports
//! this crate as `connect_engine::wire` and has the user's guide; this crate is for code that
//! drives the protocol itself.
#![doc = include_str!("../doc/embedding.md")]

pub mod client;
pub mod code;
pub mod codec;
pub mod codegen;
pub mod compression;
pub mod enumeration;
pub mod envelope;
pub mod error;
pub mod fault;
pub mod get;
pub mod headers;
pub mod http1;
pub mod json;
pub mod message;
pub mod proto;
pub mod protocol;
pub mod server;
pub mod service;
pub mod stream;
pub mod view;
pub mod wkt;

/// Which side of a call a piece of code plays. Most of this crate serves both; where the
/// rules differ (which end-stream messages are allowed, which code a fault gets), it asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The server: reads requests, writes responses. A request stream ends after its last
    /// message; an end-stream message in it is a protocol error.
    Server,
    /// The client: writes requests, reads responses. A response stream ends with the
    /// end-stream message, nothing after it.
    Client,
}

pub use code::Code;
pub use codec::Codec;
pub use codec::OwnedMessage;
pub use compression::Compression;
pub use enumeration::Enumeration;
pub use error::ConnectError;
pub use json::{JsonError, JsonOptions, TypeRegistry};
pub use message::{Discarded, Message, MessageType, RawMessage};
pub use proto::DecodeError;
