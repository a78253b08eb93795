//! The server side of the Connect protocol, without IO: the twin of [`client`](crate::client).
//!
//! A driver (the monoio server, a proxy) reads each request of a connection into a
//! [`RequestReader`] (head, body framing, a streaming body's envelopes through a
//! [`BodyCursor`], the rest of a body discarded after the call), and asks [`negotiate`] what
//! the request is: its codec, shape, timeout and compressions, or the refusal (status and
//! Connect error) to answer with, which [`write_refusal`] renders. The call's
//! [`Responder`](crate::protocol::Responder) says what its protocol's response carries;
//! [`open_unary`], [`write_stream_head`], [`write_stream_end`] and [`write_error`] frame it
//! for HTTP/1.1. Request bodies use the role-neutral modules ([`get`](crate::get),
//! [`stream`](crate::stream), [`http1`](crate::http1)).

mod enveloped;
mod negotiate;
mod reader;
mod refuse;
mod respond;

pub use crate::protocol::Shape;
pub use enveloped::unary_message;
pub use negotiate::{ACCEPT_POST, Negotiated, Reject, negotiate};
pub use reader::{BodyCursor, Discard, RequestReader};
pub use refuse::{write_not_found, write_refusal};
pub use respond::{
    OpenUnary, close_unary, open_unary, write_error, write_http_error, write_stream_end,
    write_stream_head,
};
