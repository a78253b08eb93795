//! The Connect protocol's client side: what a request's head carries, and what a response
//! head means.

use std::time::Duration;

use crate::code::Code;
use crate::codec::{Codec, ContentType, parse_content_type};
use crate::compression::Compression;
use crate::error::{ConnectError, read_error_json};
use crate::headers;
use crate::protocol::fields::{FieldSink, is_plain_value};
use crate::protocol::shape::Shape;
use crate::protocol::verdict::{Verdict, wrong_content_type};
use crate::view::ResponseView;

/// The `connect-timeout-ms` value for `timeout`: whole milliseconds, at least 1 (a timeout
/// under a millisecond is still a timeout), at most the spec's 10 digits.
#[must_use]
pub fn timeout_millis(timeout: Duration) -> u64 {
    (timeout.as_millis().clamp(1, 9_999_999_999)) as u64
}

/// The protocol fields of a request head: the content type (not for GET, whose codec is in
/// the query), the protocol version, the compression of the body (`compression`, identity
/// for none) and the ones the client accepts (`accept`, comma-separated; empty for none),
/// and the timeout.
pub(crate) fn request_fields(
    sink: &mut impl FieldSink,
    shape: Shape,
    codec: Codec,
    compression: Compression,
    accept: &str,
    timeout: Option<Duration>,
) {
    let (encoding, accept_encoding) = match shape {
        Shape::Unary => {
            sink.field(b"content-type", codec.unary_content_type().as_bytes());
            (headers::CONTENT_ENCODING, headers::ACCEPT_ENCODING)
        }
        Shape::Get => ("", headers::ACCEPT_ENCODING),
        Shape::Stream => {
            sink.field(b"content-type", codec.stream_content_type().as_bytes());
            (
                headers::STREAM_CONTENT_ENCODING,
                headers::STREAM_ACCEPT_ENCODING,
            )
        }
    };
    sink.field(
        headers::PROTOCOL_VERSION.as_bytes(),
        headers::PROTOCOL_VERSION_1.as_bytes(),
    );
    if compression != Compression::Identity && !encoding.is_empty() {
        sink.field(encoding.as_bytes(), compression.name().as_bytes());
    }
    // The accept list is the caller's: one that could not be a field value is left out.
    if !accept.is_empty() && is_plain_value(accept) {
        sink.field(accept_encoding.as_bytes(), accept.as_bytes());
    }
    if let Some(t) = timeout {
        let mut digits = itoa::Buffer::new();
        sink.field(
            headers::TIMEOUT.as_bytes(),
            digits.format(timeout_millis(t)).as_bytes(),
        );
    }
}

fn header_str<'h>(head: &'h (impl ResponseView + ?Sized), name: &str) -> Option<&'h str> {
    head.header(name)
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(str::trim)
}

/// The compression a response names in `header`, if the client can decode it.
pub(crate) fn response_compression(
    head: &(impl ResponseView + ?Sized),
    header: &str,
) -> Result<Compression, ConnectError> {
    match header_str(head, header) {
        None | Some("") => Ok(Compression::Identity),
        Some(name) => Compression::from_name(name).ok_or_else(|| {
            ConnectError::new(
                Code::Internal,
                format!(
                    "unknown response compression {name:?}: accepted encodings are {}",
                    accepted_list()
                ),
            )
        }),
    }
}

fn accepted_list() -> String {
    let list = crate::compression::ACCEPT_ENCODING;
    if list.is_empty() {
        "identity".to_owned()
    } else {
        format!("{list},identity")
    }
}

/// The code and message for a response status with no usable Connect error: the spec's
/// HTTP-to-code table; the message is the status line's code and reason.
#[must_use]
pub fn status_error(head: &(impl ResponseView + ?Sized)) -> ConnectError {
    let status = head.status();
    let reason = String::from_utf8_lossy(head.reason());
    let mut err = ConnectError::new(
        Code::from_http_status(status),
        format!("HTTP status {status} {reason}")
            .trim_end()
            .to_owned(),
    );
    err.set_from_wire(true);
    err
}

/// Classifies a unary response (POST or GET) to a request sent with `codec`.
///
/// * 200: the content type must be `application/<codec>` (a JSON charset parameter is
///   fine): one that is not `application/` at all gives `unknown`, another one (another
///   codec, a streaming type) `internal`, as connect-go has it; then the compression must be
///   one the client decodes (else `internal`).
/// * other statuses: an `application/json` body is the Connect error ([`Verdict::ErrorBody`]),
///   anything else gives the status's code from the spec's table.
#[must_use]
pub fn classify_unary(head: &(impl ResponseView + ?Sized), codec: Codec) -> Verdict {
    let content_type = head.header("content-type");
    let parsed = content_type.and_then(parse_content_type);
    if head.status() != 200 {
        if parsed != Some(ContentType::Unary(Codec::Json)) {
            return Verdict::Fail(status_error(head));
        }
        return match response_compression(head, headers::CONTENT_ENCODING) {
            Ok(c) => Verdict::ErrorBody(c),
            // An error body we cannot decompress: the status still says what happened.
            Err(_) => Verdict::Fail(status_error(head)),
        };
    }
    accept_success(head, codec, false, headers::CONTENT_ENCODING)
}

/// Classifies a streaming response to a request sent with `codec`: the status must be 200
/// (else the status's code), the content type `application/connect+<codec>` (not
/// `application/connect+` at all: `unknown`; another one: `internal`), and the
/// `connect-content-encoding` one the client decodes (else `internal`).
#[must_use]
pub fn classify_stream(head: &(impl ResponseView + ?Sized), codec: Codec) -> Verdict {
    if head.status() != 200 {
        return Verdict::Fail(status_error(head));
    }
    accept_success(head, codec, true, headers::STREAM_CONTENT_ENCODING)
}

/// The checks of a successful response: its content type names `codec` in the call's
/// shape (a type without the shape's prefix, `application/` or `application/connect+`, is
/// `unknown`; another one with it `internal`), and `encoding_header` names a compression
/// the client decodes.
fn accept_success(
    head: &(impl ResponseView + ?Sized),
    codec: Codec,
    stream: bool,
    encoding_header: &str,
) -> Verdict {
    let content_type = head.header("content-type");
    let expected = if stream {
        codec.stream_content_type()
    } else {
        codec.unary_content_type()
    };
    let got = match content_type.and_then(parse_content_type) {
        Some(ContentType::Unary(c)) if !stream => Some(c),
        Some(ContentType::Stream(c)) if stream => Some(c),
        _ => None,
    };
    match got {
        Some(c) if c == codec => {}
        Some(other) => {
            let other = if stream {
                other.stream_content_type()
            } else {
                other.unary_content_type()
            };
            return Verdict::Fail(ConnectError::new(
                Code::Internal,
                format!("invalid content-type {other:?}: expected {expected:?}"),
            ));
        }
        None => {
            let raw = content_type.unwrap_or_default();
            let prefix: &[u8] = if stream {
                b"application/connect+"
            } else {
                b"application/"
            };
            // Not even the shape's prefix: maybe not a Connect server at all.
            return wrong_content_type(raw, prefix, expected);
        }
    }
    match response_compression(head, encoding_header) {
        Ok(c) => Verdict::Accept(c),
        Err(e) => Verdict::Fail(e),
    }
}

/// The error of a unary error response from its (decompressed) body: the Connect error
/// JSON (invalid UTF-8 in it replaced, see
/// [`parse_error_json`](crate::error::parse_error_json)), with the status's code where the
/// body has none; a body that is not a JSON object gives the status's code with the status
/// line as the message.
#[must_use]
pub fn unary_error(head: &(impl ResponseView + ?Sized), body: &[u8]) -> ConnectError {
    read_error_json(body, Code::from_http_status(head.status()))
        .unwrap_or_else(|| status_error(head))
}
