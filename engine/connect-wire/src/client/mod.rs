//! The client side of the RPC protocols, without IO: framing a call's request and deciding
//! what its response is. What differs between protocols is the call's
//! [`Requester`](crate::protocol::Requester) (its request fields, message framing, response
//! classification and end of stream); this module is the HTTP/1.1 client around it.
//!
//! A driver (the monoio client, the blocking client, a proxy) does the socket work and calls
//! these in order:
//!
//! 1. [`RequestWriter`] (or [`write_unary_head`] (+ the body), [`write_get_head`],
//!    [`write_stream_head`], then each message with [`crate::stream::begin_message`] /
//!    [`crate::stream::finish_message`] and [`crate::http1::write_last_chunk`] at the end);
//! 2. parse the response head with [`crate::http1::ResponseParser`];
//! 3. [`Requester::classify`](crate::protocol::Requester::classify) (for Connect:
//!    [`classify_unary`] or [`classify_stream`]): accept the body, read an error body, or
//!    fail at once with the right code (the HTTP-status table, content type and compression
//!    checks of the spec);
//! 4. [`response_metadata`] splits the head into headers and (unary) `trailer-` trailers;
//! 5. unary bodies: [`decode_response`] or [`error_response`]; streams:
//!    [`crate::stream::StreamReader`] reads messages, and [`decode_end_stream`] the message
//!    that ends them.
//!
//! [`ResponseReader`] holds a response as it arrives (head, then body) in one buffer: the
//! driver reads into it and asks what it has.
//!
//! Drivers need not sequence these steps themselves: [`UnaryCall`] (a unary call's response),
//! [`StreamCall`] (a streaming call's request and response head) and [`StreamBody`] (its
//! messages) do it, and say what they need next ([`Need`], [`StreamStep`]): the driver's
//! loop reads when asked and adds its timers, cancellation and connection pooling.

mod call;
mod reader;
mod request;
mod response;
mod stream_body;
mod stream_call;

pub use crate::protocol::connect::timeout_millis;
pub use call::{Need, UnaryCall, UnaryOutput, Waiting, with_metadata};
pub use reader::{Decoding, ResponseReader, StreamEvent};
pub use request::{
    RequestError, RequestSpec, RequestWriter, Scratch, write_get_head, write_stream_head,
    write_unary_head,
};
pub use response::{
    Verdict, classify_stream, classify_unary, decode_end_stream, decode_response, error_response,
    response_metadata, status_error, unary_error,
};
pub use stream_body::{StreamBody, StreamStep};
pub use stream_call::{STREAM_BATCH, StreamCall};
