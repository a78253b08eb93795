//! The Connect protocol's server side: what a response carries, per call shape.

use http::{HeaderMap, StatusCode};

use crate::codec::Codec;
use crate::compression::Compression;
use crate::envelope::FLAG_END_STREAM;
use crate::error::{ConnectError, write_end_stream, write_error_json};
use crate::headers::{STREAM_CONTENT_ENCODING, TRAILER_PREFIX};
use crate::protocol::fields::ResponseSink;
use crate::stream::{Framing, begin_message, finish_message};

const CONTENT_TYPE: &[u8] = b"content-type";

/// The head of a response whose message(s) follow. A unary head also carries `trailers`.
pub(crate) fn response_head(
    sink: &mut impl ResponseSink,
    stream: bool,
    codec: Codec,
    compression: Compression,
    headers: &HeaderMap,
    trailers: &HeaderMap,
) {
    sink.status(StatusCode::OK);
    if stream {
        sink.field(CONTENT_TYPE, codec.stream_content_type().as_bytes());
        if compression != Compression::Identity {
            sink.field(
                STREAM_CONTENT_ENCODING.as_bytes(),
                compression.name().as_bytes(),
            );
        }
        sink.metadata(headers, b"");
    } else {
        sink.field(CONTENT_TYPE, codec.unary_content_type().as_bytes());
        if compression != Compression::Identity {
            sink.field(b"content-encoding", compression.name().as_bytes());
        }
        sink.metadata(headers, b"");
        sink.metadata(trailers, TRAILER_PREFIX.as_bytes());
    }
}

/// Ends a body after its last message: a stream's end-stream message (framed for the
/// connection by `framing`); nothing for unary, whose trailers went in the head.
pub(crate) fn end(
    out: &mut Vec<u8>,
    stream: bool,
    framing: Framing,
    error: Option<&ConnectError>,
    trailers: &HeaderMap,
) {
    if !stream {
        return;
    }
    let start = begin_message(out, framing);
    write_end_stream(error, trailers, out);
    // The end-stream JSON is small; it can never exceed the envelope limit.
    let _ = finish_message(out, start, FLAG_END_STREAM);
}

/// The head of an error response sent in place of the call's. Unary: the code's status,
/// JSON, and the handler's headers, the error's metadata and `trailer-` trailers. Streams:
/// an ordinary stream head; the error follows in the end-stream message.
pub(crate) fn error_head(
    sink: &mut impl ResponseSink,
    stream: bool,
    codec: Codec,
    err: &ConnectError,
    headers: &HeaderMap,
    trailers: &HeaderMap,
) {
    if stream {
        response_head(sink, true, codec, Compression::Identity, headers, trailers);
        return;
    }
    let status =
        StatusCode::from_u16(err.code().http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    sink.status(status);
    sink.field(CONTENT_TYPE, b"application/json");
    sink.metadata(headers, b"");
    sink.metadata(err.metadata(), b"");
    sink.metadata(trailers, TRAILER_PREFIX.as_bytes());
}

/// The whole body of an error response: the error JSON (unary), or an end-stream message
/// alone, not framed for the connection (streams).
pub(crate) fn error_body(
    out: &mut Vec<u8>,
    stream: bool,
    err: &ConnectError,
    trailers: &HeaderMap,
) {
    if stream {
        end(out, true, Framing::Raw, Some(err), trailers);
    } else {
        write_error_json(err, out);
    }
}
