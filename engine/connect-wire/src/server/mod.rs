//! The server side of the Connect protocol, without IO: the twin of [`client`](crate::client).
//!
//! A driver (the monoio server, a proxy) reads each request of a connection into a
//! [`RequestReader`] (head, body framing, a streaming body's envelopes through a
//! [`BodyCursor`], the rest of a body discarded after the call), and asks [`negotiate`] what
//! the request is: its codec, shape, timeout and compressions, or the refusal (status and
//! Connect error) to answer with, which [`write_refusal`] renders. Request and response
//! bodies use the role-neutral modules
//! ([`unary`](crate::unary), [`get`](crate::get), [`stream`](crate::stream),
//! [`http1`](crate::http1)).

mod negotiate;
mod reader;
mod refuse;

pub use negotiate::{ACCEPT_POST, Negotiated, Reject, Shape, negotiate};
pub use reader::{BodyCursor, Discard, RequestReader};
pub use refuse::{AfterRefusal, write_not_found, write_refusal};
