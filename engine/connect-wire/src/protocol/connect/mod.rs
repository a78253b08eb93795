//! The Connect protocol (<https://connectrpc.com/docs/protocol>), both roles: the rules
//! [`Responder`](super::Responder) and [`Requester`](super::Requester) follow for a call
//! that speaks Connect.
//!
//! - Unary: the message is the whole body, bare (or, for a GET, in the query); trailers
//!   travel in the head as `trailer-` fields; an error is a JSON body under the code's HTTP
//!   status.
//! - Streams: status 200, one envelope per message, and an end-stream message (JSON, flagged
//!   `0x02`) carrying the error and the trailers.

mod client;
mod server;

pub use client::{classify_stream, classify_unary, status_error, timeout_millis, unary_error};
pub(crate) use client::{request_fields, response_compression};
pub(crate) use server::{end, error_body, error_head, response_head};
