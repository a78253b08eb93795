//! Responses over HTTP/1.1: a protocol's [`Responder`] writes the status and fields, this
//! module the framing around them (`content-length` or chunked coding, `connection`, the
//! blank line) and the answers that are plain HTTP.

use http::{HeaderMap, StatusCode};

use crate::error::ConnectError;
use crate::http1::{
    BodyFraming, write_body_framing, write_connection_close, write_head_end, write_header,
    write_last_chunk, write_status_line,
};
use crate::protocol::{Http1Fields, Responder};
use crate::stream::Framing;

/// Width of the `content-length` placeholder of [`open_unary`]: 10 digits (bodies up to
/// 9,999,999,999 bytes), right-aligned after optional whitespace.
const LENGTH_WIDTH: usize = 10;

/// Where [`open_unary`] left the `content-length` value to fill in with
/// [`close_unary`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "the content-length placeholder must be filled in"]
pub struct OpenUnary {
    length_at: usize,
    body_at: usize,
}

/// Writes the head of a response whose whole body follows right after it, and whose length
/// is not known yet: the `content-length` value is a placeholder, padded with leading spaces
/// (optional whitespace before a field value, RFC 9110 §5.6.3). Append the body, then call
/// [`close_unary`]. `compression` is the body's; `close` adds `connection: close`.
pub fn open_unary(
    out: &mut Vec<u8>,
    responder: Responder,
    compression: crate::Compression,
    headers: &HeaderMap,
    trailers: &HeaderMap,
    close: bool,
) -> OpenUnary {
    responder.head(&mut Http1Fields(out), compression, headers, trailers);
    open_length(out, close)
}

fn open_length(out: &mut Vec<u8>, close: bool) -> OpenUnary {
    if close {
        write_connection_close(out);
    }
    out.extend_from_slice(b"content-length:");
    let length_at = out.len();
    out.extend_from_slice(&[b' '; LENGTH_WIDTH]);
    out.extend_from_slice(b"\r\n\r\n");
    OpenUnary {
        length_at,
        body_at: out.len(),
    }
}

/// Fills in the `content-length` of the response opened at `open`, whose body runs to the
/// end of `out`. Nothing may be inserted into or cut from `out` before the body meanwhile
/// (the offsets would be off); if `out` was cut short of the head, nothing is written.
pub fn close_unary(out: &mut [u8], open: OpenUnary) {
    debug_assert!(out.len() >= open.body_at, "the response was cut short");
    let Some(len) = out.len().checked_sub(open.body_at) else {
        return;
    };
    let mut digits = itoa::Buffer::new();
    let d = digits.format(len).as_bytes();
    // Bodies over 10 digits cannot be buffered on the machines we target; keep the field
    // syntactically valid regardless by clamping (the caller bounds message sizes far lower).
    let d = &d[d.len().saturating_sub(LENGTH_WIDTH)..];
    let field = &mut out[open.length_at..open.length_at + LENGTH_WIDTH];
    field[LENGTH_WIDTH - d.len()..].copy_from_slice(d);
}

/// Writes the head of a streaming response, framed by `framing`: chunked, or (for an
/// HTTP/1.0 request) delimited by closing the connection, which the head then says.
pub fn write_stream_head(
    out: &mut Vec<u8>,
    responder: Responder,
    headers: &HeaderMap,
    close: bool,
    framing: Framing,
) {
    responder.head(
        &mut Http1Fields(out),
        responder.compression(),
        headers,
        &HeaderMap::new(),
    );
    match framing {
        Framing::Chunked => {
            write_body_framing(out, BodyFraming::Chunked);
            if close {
                write_connection_close(out);
            }
        }
        Framing::Raw => write_connection_close(out),
    }
    write_head_end(out);
}

/// Ends a streaming response: the protocol's end (`error`, `trailers`), then the last chunk
/// (nothing with [`Framing::Raw`]: closing the connection ends the body).
pub fn write_stream_end(
    out: &mut Vec<u8>,
    responder: Responder,
    framing: Framing,
    error: Option<&ConnectError>,
    trailers: &HeaderMap,
) {
    responder.end(out, framing, error, trailers);
    if framing == Framing::Chunked {
        write_last_chunk(out);
    }
}

/// Writes a whole response that carries `err` in place of the call's (nothing of the call's
/// response was written): the protocol's error head and body, delimited by its length.
pub fn write_error(
    out: &mut Vec<u8>,
    responder: Responder,
    err: &ConnectError,
    headers: &HeaderMap,
    trailers: &HeaderMap,
    close: bool,
) {
    responder.error_head(&mut Http1Fields(out), err, headers, trailers);
    let open = open_length(out, close);
    responder.error_body(out, err, headers, trailers);
    close_unary(out, open);
}

/// Writes a plain HTTP answer without a body, with one optional extra field (`allow`,
/// `accept-post`). A status outside 100–999 is written as 500.
pub fn write_http_error(out: &mut Vec<u8>, status: u16, header: Option<(&str, &str)>, close: bool) {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    write_status_line(out, status);
    if let Some((name, value)) = header {
        // Our own static names and values: always valid.
        let _ = write_header(out, name.as_bytes(), value.as_bytes());
    }
    write_body_framing(out, BodyFraming::Length(0));
    if close {
        write_connection_close(out);
    }
    write_head_end(out);
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;
    use crate::code::Code;
    use crate::codec::Codec;
    use crate::compression::Compression;
    use crate::protocol::{Protocol, Shape};

    fn responder(shape: Shape, compression: Compression) -> Responder {
        Responder::new(Protocol::Connect, shape, Codec::Proto, compression)
    }

    fn text(out: Vec<u8>) -> String {
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_unary_response_carries_its_trailers_in_the_head_and_its_length() {
        let mut headers = HeaderMap::new();
        headers.insert("x-a", HeaderValue::from_static("1"));
        let mut trailers = HeaderMap::new();
        trailers.append("x-t", HeaderValue::from_static("2"));
        trailers.append("x-t", HeaderValue::from_static("3"));
        let r = responder(Shape::Unary, Compression::Gzip);
        let mut out = Vec::new();
        let open = open_unary(&mut out, r, Compression::Gzip, &headers, &trailers, false);
        let start = r.begin_message(&mut out, Framing::Raw);
        out.extend_from_slice(b"1234567");
        r.finish_message(&mut out, start, true).unwrap();
        r.end(&mut out, Framing::Raw, None, &trailers);
        close_unary(&mut out, open);
        assert_eq!(
            text(out),
            "HTTP/1.1 200 OK\r\ncontent-type: application/proto\r\ncontent-encoding: gzip\r\n\
             x-a: 1\r\ntrailer-x-t: 2\r\ntrailer-x-t: 3\r\ncontent-length:         7\r\n\r\n\
             1234567"
        );
    }

    #[test]
    fn a_unary_error_is_json_under_the_codes_status() {
        let err = ConnectError::new(Code::NotFound, "nope");
        let mut out = Vec::new();
        let r = responder(Shape::Unary, Compression::Gzip);
        write_error(
            &mut out,
            r,
            &err,
            &HeaderMap::new(),
            &HeaderMap::new(),
            true,
        );
        let body = r#"{"code":"not_found","message":"nope"}"#;
        assert_eq!(
            text(out),
            format!(
                "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\nconnection: close\r\n\
                 content-length:{:>10}\r\n\r\n{body}",
                body.len()
            )
        );
    }

    #[test]
    fn a_stream_error_is_a_stream_head_and_an_end_stream_message_of_known_length() {
        let err = ConnectError::new(Code::Internal, "boom");
        let mut trailers = HeaderMap::new();
        trailers.insert("x-t", HeaderValue::from_static("1"));
        let mut out = Vec::new();
        let r = Responder::new(
            Protocol::Connect,
            Shape::Stream,
            Codec::Json,
            Compression::Gzip,
        );
        write_error(&mut out, r, &err, &HeaderMap::new(), &trailers, false);
        let json = br#"{"error":{"code":"internal","message":"boom"},"metadata":{"x-t":["1"]}}"#;
        let mut expected = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/connect+json\r\n\
             content-length:{:>10}\r\n\r\n",
            json.len() + 5
        )
        .into_bytes();
        expected.push(2);
        expected.extend_from_slice(&u32::try_from(json.len()).unwrap().to_be_bytes());
        expected.extend_from_slice(json);
        assert_eq!(text(out), text(expected));
    }

    #[test]
    fn a_stream_is_a_chunked_head_chunked_envelopes_and_the_end_stream_message() {
        let r = responder(Shape::Stream, Compression::Identity);
        let mut out = Vec::new();
        write_stream_head(&mut out, r, &HeaderMap::new(), true, Framing::Chunked);
        let start = r.begin_message(&mut out, Framing::Chunked);
        out.extend_from_slice(b"hi");
        r.finish_message(&mut out, start, false).unwrap();
        write_stream_end(&mut out, r, Framing::Chunked, None, &HeaderMap::new());
        assert_eq!(
            text(out),
            "HTTP/1.1 200 OK\r\ncontent-type: application/connect+proto\r\n\
             transfer-encoding: chunked\r\nconnection: close\r\n\r\n\
             00000007\r\n\0\0\0\0\x02hi\r\n00000007\r\n\x02\0\0\0\x02{}\r\n0\r\n\r\n"
        );
    }

    #[test]
    fn a_stream_to_http_1_0_is_bare_envelopes_until_the_close() {
        let r = responder(Shape::Stream, Compression::Zstd);
        let mut out = Vec::new();
        write_stream_head(&mut out, r, &HeaderMap::new(), false, Framing::Raw);
        let start = r.begin_message(&mut out, Framing::Raw);
        out.extend_from_slice(b"hi");
        r.finish_message(&mut out, start, true).unwrap();
        write_stream_end(&mut out, r, Framing::Raw, None, &HeaderMap::new());
        assert_eq!(
            text(out),
            "HTTP/1.1 200 OK\r\ncontent-type: application/connect+proto\r\n\
             connect-content-encoding: zstd\r\nconnection: close\r\n\r\n\
             \x01\0\0\0\x02hi\x02\0\0\0\x02{}"
        );
    }

    #[test]
    fn http_error() {
        let mut out = Vec::new();
        write_http_error(&mut out, 405, Some(("allow", "POST")), false);
        assert_eq!(
            out,
            b"HTTP/1.1 405 Method Not Allowed\r\nallow: POST\r\ncontent-length: 0\r\n\r\n"
        );
    }
}
