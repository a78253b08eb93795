//! # connect-engine
//!
//! Connect RPC over HTTP/1.1: a thread-per-core server on monoio (io_uring with an epoll
//! fallback) that also serves gRPC-web on the same port, an async client on the same
//! runtime, and a blocking client on `std::net`, all with TLS (rustls). This crate is what
//! applications depend on; the protocol itself lives in [`connect_wire`] (sans-IO,
//! re-exported as [`wire`]), so generated code needs only this crate.
//!
//! ## Architecture
//!
//! | layer | where | what |
//! |---|---|---|
//! | runtime | [`runtime`] | one monoio runtime per thread; io_uring (`COOP_TASKRUN` + `SINGLE_ISSUER`) or epoll |
//! | server | [`server`] | `SO_REUSEPORT` listener per thread, connection loop, timeouts, limits, graceful shutdown, panic isolation |
//! | server calls | [`codegen::server::Call`] and friends | unary / client / server / bidi calls over borrowed buffers (what generated service adapters use) |
//! | async client | [`client`] | per-thread keep-alive pool, deadlines, cancellation, interceptors, [`client::Connector`]s |
//! | blocking client | [`blocking`] | the same calls over `std::net` + rustls, `Send + Sync`, cancellation from any thread |
//! | transport | [`transport`] | TCP / TLS / Unix streams split into halves that refuse IO after an interruption |
//! | protocol | [`connect_wire`] | HTTP/1.1 framing, the protocol seam ([`wire::protocol`]) with Connect's rules for both roles, envelopes, codecs, compression, errors |
//!
//! The three drivers (server, async client, blocking client) are thin: everything that
//! does no IO — framing requests and responses, classifying a response, assembling one as it
//! arrives ([`wire::client::ResponseReader`]), reading envelopes
//! ([`wire::stream::StreamReader`]), mapping failures to codes ([`wire::fault`]) — is in
//! `connect-wire` and tested there once. What differs between protocols sits behind one
//! seam, [`wire::protocol`]: per call, a [`wire::protocol::Responder`] (server) or
//! [`wire::protocol::Requester`] (client) says what the call's protocol puts in a head, how
//! it frames messages, how a stream ends and what a response means, and writes heads
//! through a sink (HTTP/1.1 text here; an `http` head for hyper or h2). A new protocol is a
//! module beside `wire::protocol::connect` and an arm in each of the seam's `match`es; the
//! drivers do not change. A client call is IO-free too: a
//! [`wire::client::UnaryCall`], or a [`wire::client::StreamCall`] then a
//! [`wire::client::StreamBody`], says what it needs next (a read, or that it is done), and
//! each client is a short loop that adds the socket, deadlines, cancellation and pooling
//! (`client/asynchronous.rs`, `blocking/mod.rs`). A new client driver (another runtime) is
//! such a loop. The server reads each
//! request of a connection into a [`wire::server::RequestReader`] (head, body framing,
//! pipelined bytes; a stream's envelopes through its [`wire::server::BodyCursor`]); the
//! server's own code (`server/busy_conn.rs`, `server/call/`) is the reading and writing
//! around it, within the deadlines.
//!
//! A unary request flows socket → connection read buffer (head parsed into offsets, body
//! decoded in place) → borrowed request message → handler → response encoded straight into
//! the connection's write buffer → socket. Buffers are pooled per thread; a unary proto call
//! allocates nothing in steady state on the server, and only the owned response on the client.
//!
//! A server connection's task holds only what an idle connection needs (its transport halves,
//! a 1 KiB idle buffer and the idle wait: about 3.4 KB of RSS per idle connection); the busy
//! part (calls, the per-call state, their futures) runs in a slot of a per-thread pool taken
//! for one turn of requests, so memory follows the requests in flight, not the open
//! connections.
//!
//! ## Features
//!
//! | feature | default | enables |
//! |---|---|---|
//! | `runtime` | yes | monoio: [`server`], the async [`client::Client`], [`runtime`], [`transport`] |
//! | `blocking` | yes | the [`blocking`] client (no async runtime) |
//! | `gzip` | yes | gzip (libdeflater) |
//! | `br` | no | brotli |
//! | `zstd` | no | zstd |
//! | `deflate` | no | deflate (zlib format) |
//! | `snappy` | no | snappy (framing format) |
//!
//! A program that only makes blocking calls depends on
//! `connect-engine = { version = "…", default-features = false, features = ["blocking", "gzip"] }`
//! and builds no async runtime at all.

// With neither driver feature on, the client's shared pieces have no user.
#![cfg_attr(
    not(any(feature = "runtime", feature = "blocking")),
    allow(dead_code, unused_imports)
)]

pub use connect_wire as wire;
pub use connect_wire::error::ErrorDetail;
pub use connect_wire::{
    Code, Codec, Compression, ConnectError, DecodeError, Discarded, Enumeration, JsonError,
    JsonOptions, Message, MessageType, OwnedMessage, RawMessage, Role, TypeRegistry, wkt,
};

#[cfg(feature = "blocking")]
pub mod blocking;
mod buffers;
pub mod client;
mod codecs;
pub mod guide;
mod probe;
#[cfg(feature = "runtime")]
pub mod runtime;
#[cfg(feature = "runtime")]
pub mod server;
#[cfg(feature = "runtime")]
mod tls;
#[cfg(feature = "runtime")]
pub mod transport;

/// Everything generated code refers to: the wire runtime at the top, the server types under
/// `server`, the client types under `client`.
pub mod codegen {
    pub use connect_wire::codegen::*;

    /// Server types generated service traits and adapters use.
    #[cfg(feature = "runtime")]
    pub mod server {
        pub use crate::server::call::{
            Call, ClientStreamReply, RunHandler, UnaryReply, WithDeadline, run_handler,
            with_deadline,
        };
        pub use crate::server::{Request, RequestStream, Response, ResponseStream, Service};
    }

    /// Blocking client types generated blocking clients use.
    #[cfg(feature = "blocking")]
    pub mod blocking {
        pub use crate::blocking::{BlockingClient, BlockingStream};
    }

    /// Client types generated clients use.
    pub mod client {
        pub use crate::client::{CallOptions, UnaryOutput};
        #[cfg(feature = "runtime")]
        pub use crate::client::{Client, Connector, DefaultConnector, StreamOutput};
    }
}
