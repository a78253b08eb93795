//! gRPC-web's server side (and, later, gRPC's, which differs only in where the status goes):
//! what a response carries.
//!
//! - The head: status 200, the content type, `grpc-accept-encoding`, `grpc-encoding`, the
//!   handler's headers.
//! - Every message enveloped, unary calls included.
//! - The end: gRPC-web's trailer block (the status and the trailers) in an envelope flagged
//!   `0x80`.
//! - An error in place of the call's response (a unary call's, or a refusal): "trailers-only",
//!   the status in the head and no body, unless the handler set headers, which then go in
//!   the head and the status in the trailer block (as connect-go does). A stream that fails
//!   before its first message still sends a head and a trailer block (connect-go answers
//!   trailers-only there; both are valid gRPC-web).

use http::{HeaderMap, StatusCode};

use super::{ACCEPT_ENCODING, ENCODING, FLAG_TRAILERS, write_status, write_web_trailers};
use crate::codec::Codec;
use crate::compression::{self, Compression};
use crate::error::ConnectError;
use crate::protocol::fields::ResponseSink;
use crate::stream::{Framing, MessageStart};

/// The content type of gRPC-web messages in `codec`.
#[must_use]
pub fn web_content_type(codec: Codec) -> &'static str {
    match codec {
        Codec::Proto => "application/grpc-web+proto",
        Codec::Json => "application/grpc-web+json",
    }
}

/// The head of a response whose messages follow.
pub(crate) fn response_head(
    sink: &mut impl ResponseSink,
    codec: Codec,
    compression: Compression,
    headers: &HeaderMap,
) {
    sink.status(StatusCode::OK);
    sink.field(b"content-type", web_content_type(codec).as_bytes());
    if !compression::ACCEPT_ENCODING.is_empty() {
        sink.field(
            ACCEPT_ENCODING.as_bytes(),
            compression::ACCEPT_ENCODING.as_bytes(),
        );
    }
    if compression != Compression::Identity {
        sink.field(ENCODING.as_bytes(), compression.name().as_bytes());
    }
    sink.metadata(headers, b"");
}

/// Ends a body: the trailer block in an envelope flagged `0x80`, framed by `framing`.
pub(crate) fn end(
    out: &mut Vec<u8>,
    framing: Framing,
    error: Option<&ConnectError>,
    trailers: &HeaderMap,
) {
    let start = MessageStart::begin(out, framing, true);
    write_web_trailers(out, error, trailers);
    // A trailer block is small; it can never exceed an envelope.
    let _ = start.finish(out, FLAG_TRAILERS);
}

/// The head of an error response in place of the call's: trailers-only when there are no
/// `headers` (the status and the trailers in the head), else an ordinary head.
pub(crate) fn error_head(
    sink: &mut impl ResponseSink,
    codec: Codec,
    err: &ConnectError,
    headers: &HeaderMap,
    trailers: &HeaderMap,
) {
    response_head(sink, codec, Compression::Identity, headers);
    if headers.is_empty() {
        write_status(sink, Some(err), trailers);
    }
}

/// The body of an error response: nothing for trailers-only, else the trailer block.
pub(crate) fn error_body(
    out: &mut Vec<u8>,
    err: &ConnectError,
    headers: &HeaderMap,
    trailers: &HeaderMap,
) {
    if !headers.is_empty() {
        end(out, Framing::Raw, Some(err), trailers);
    }
}
