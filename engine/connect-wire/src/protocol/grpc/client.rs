//! gRPC-web's client side: what a request's head carries, what a response head means, and
//! the trailer block that ends a response.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};

use super::{
    ACCEPT_ENCODING, ENCODING, MESSAGE, STATUS, STATUS_DETAILS, TIMEOUT, parse_web_trailers,
    read_status, web_content_type, write_timeout,
};
use crate::code::Code;
use crate::codec::Codec;
use crate::compression::Compression;
use crate::error::{ConnectError, EndStream};
use crate::protocol::connect::{response_compression, status_error};
use crate::protocol::fields::{FieldSink, is_plain_value};
use crate::protocol::verdict::{Verdict, wrong_content_type};
use crate::view::ResponseView;

/// Most fields a trailer block may hold.
const MAX_TRAILER_FIELDS: usize = 100;

/// The protocol fields of a gRPC-web request head.
pub(crate) fn request_fields(
    sink: &mut impl FieldSink,
    codec: Codec,
    compression: Compression,
    accept: &str,
    timeout: Option<Duration>,
) {
    sink.field(b"content-type", web_content_type(codec).as_bytes());
    sink.field(b"x-grpc-web", b"1");
    if compression != Compression::Identity {
        sink.field(ENCODING.as_bytes(), compression.name().as_bytes());
    }
    // The accept list is the caller's: one that could not be a field value is left out.
    if !accept.is_empty() && is_plain_value(accept) {
        sink.field(ACCEPT_ENCODING.as_bytes(), accept.as_bytes());
    }
    if let Some(t) = timeout {
        let mut digits = itoa::Buffer::new();
        let (n, unit) = write_timeout(t, &mut digits);
        let mut value = [0u8; 9];
        value[..n.len()].copy_from_slice(n.as_bytes());
        value[n.len()] = unit;
        sink.field(TIMEOUT.as_bytes(), &value[..=n.len()]);
    }
}

/// What a gRPC-web response head means: anything but 200 fails with the status's code; the
/// content type must be gRPC-web's for `codec` (`application/grpc-web` alone is proto); the
/// `grpc-encoding` one the client decodes. A head with `grpc-status` is trailers-only: the
/// call ends with that status (an error fails it; success is a body with no message).
pub(crate) fn classify(head: &(impl ResponseView + ?Sized), codec: Codec) -> Verdict {
    if head.status() != 200 {
        return Verdict::Fail(status_error(head));
    }
    let content_type = head.header("content-type").unwrap_or_default();
    let expected = web_content_type(codec);
    let same = content_type.eq_ignore_ascii_case(expected.as_bytes())
        || (codec == Codec::Proto && content_type.eq_ignore_ascii_case(b"application/grpc-web"));
    if !same {
        return wrong_content_type(content_type, b"application/grpc-web", expected);
    }
    if head.header(STATUS).is_some() {
        let mut status = HeaderMap::new();
        for name in [STATUS, MESSAGE, STATUS_DETAILS] {
            if let Some(v) = head
                .header(name)
                .and_then(|v| HeaderValue::from_bytes(v).ok())
            {
                status.insert(name, v);
            }
        }
        match read_status(&status) {
            Ok(None) => {}
            Ok(Some(err)) | Err(err) => return Verdict::Fail(err),
        }
    }
    match response_compression(head, ENCODING) {
        Ok(c) => Verdict::Accept(c),
        Err(e) => Verdict::Fail(e),
    }
}

/// Reads the trailer block that ends a gRPC-web response (the payload of its `0x80`
/// envelope): the status, and the trailers without the status fields.
///
/// # Errors
///
/// A block that does not parse, or without a valid status: `internal` or `unknown`
/// ([`read_status`]).
pub(crate) fn end_stream(block: &[u8]) -> Result<EndStream, ConnectError> {
    let mut metadata = parse_web_trailers(block, MAX_TRAILER_FIELDS).map_err(|_| {
        ConnectError::new(Code::Internal, "protocol error: invalid gRPC-web trailers")
    })?;
    let error = read_status(&metadata)?;
    for name in [STATUS, MESSAGE, STATUS_DETAILS] {
        metadata.remove(name);
    }
    Ok(EndStream { error, metadata })
}
