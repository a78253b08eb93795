//! Unary responses: the message is the body; trailers travel as `trailer-` headers; errors
//! are a JSON body with the code's HTTP status.

use http::HeaderMap;

use crate::codec::Codec;
use crate::compression::Compression;
use crate::error::{ConnectError, write_error_json};
use crate::headers::TRAILER_PREFIX;
use http::StatusCode;

use crate::http1::{
    BodyFraming, write_body_framing, write_connection_close, write_head_end, write_header,
    write_status_line,
};

/// Writes `name: value\r\n` for every entry of `map`, each name prefixed with `prefix`.
///
/// Protocol headers (`content-length`, `transfer-encoding`, `connection`, `content-type`, the
/// Connect headers, …) are skipped: the framing is ours to write, and a handler echoing such a
/// header would otherwise corrupt it.
pub fn write_metadata(out: &mut Vec<u8>, map: &HeaderMap, prefix: &str) {
    for (name, value) in map {
        if crate::headers::is_protocol_header(name.as_str()) {
            continue;
        }
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// Writes `HTTP/1.1 <status> <reason>\r\n` ([`write_status_line`]; a status outside
/// 100–999 is written as 500).
pub fn write_status(out: &mut Vec<u8>, status: u16) {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    write_status_line(out, status);
}

/// Writes `content-length: n\r\n`, `connection: close\r\n` when closing, and the blank line.
pub fn finish_head(out: &mut Vec<u8>, body_len: usize, close: bool) {
    write_body_framing(out, BodyFraming::Length(body_len as u64));
    if close {
        write_connection_close(out);
    }
    write_head_end(out);
}

/// The status line and fields of a successful unary response, up to the framing fields.
fn write_success_fields(
    out: &mut Vec<u8>,
    codec: Codec,
    compression: Compression,
    headers: &HeaderMap,
    trailers: &HeaderMap,
) {
    write_status_line(out, StatusCode::OK);
    out.extend_from_slice(b"content-type: ");
    out.extend_from_slice(codec.unary_content_type().as_bytes());
    out.extend_from_slice(b"\r\n");
    if compression != Compression::Identity {
        out.extend_from_slice(b"content-encoding: ");
        out.extend_from_slice(compression.name().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    write_metadata(out, headers, "");
    write_metadata(out, trailers, TRAILER_PREFIX);
}

/// Writes the head of a successful unary response whose body (`body_len` bytes, already
/// compressed with `compression`) follows.
pub fn write_success_head(
    out: &mut Vec<u8>,
    codec: Codec,
    compression: Compression,
    headers: &HeaderMap,
    trailers: &HeaderMap,
    body_len: usize,
    close: bool,
) {
    write_success_fields(out, codec, compression, headers, trailers);
    finish_head(out, body_len, close);
}

/// Width of the content-length placeholder of [`write_success_head_open`]: 10 digits
/// (bodies up to 9,999,999,999 bytes), right-aligned after optional whitespace.
const CL_WIDTH: usize = 10;

/// Like [`write_success_head`] for a body not yet written: the `content-length` value is a
/// placeholder to fill with [`patch_content_length`] once the body (appended right after the
/// head) is encoded. Returns the placeholder's offset. The value is padded with leading
/// spaces, which RFC 9110 §5.6.3 allows as optional whitespace before a field value.
pub fn write_success_head_open(
    out: &mut Vec<u8>,
    codec: Codec,
    compression: Compression,
    headers: &HeaderMap,
    trailers: &HeaderMap,
    close: bool,
) -> usize {
    write_success_fields(out, codec, compression, headers, trailers);
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"content-length:");
    let at = out.len();
    out.extend_from_slice(&[b' '; CL_WIDTH]);
    out.extend_from_slice(b"\r\n\r\n");
    at
}

/// Fills the placeholder written by [`write_success_head_open`] with `len`.
pub fn patch_content_length(out: &mut [u8], at: usize, len: usize) {
    let mut digits = itoa::Buffer::new();
    let d = digits.format(len).as_bytes();
    let field = &mut out[at..at + CL_WIDTH];
    // Bodies over 10 digits cannot be buffered on the machines we target; keep the field
    // syntactically valid regardless by clamping (the caller bounds message sizes far lower).
    let d = &d[d.len().saturating_sub(CL_WIDTH)..];
    field[CL_WIDTH - d.len()..].copy_from_slice(d);
}

/// Writes a whole unary error response: the code's status, the handler's headers and
/// trailers and the error's metadata as headers, and the error JSON body.
pub fn write_error_response(
    out: &mut Vec<u8>,
    err: &ConnectError,
    headers: &HeaderMap,
    trailers: &HeaderMap,
    close: bool,
) {
    write_status(out, err.code().http_status());
    out.extend_from_slice(b"content-type: application/json\r\n");
    write_metadata(out, headers, "");
    write_metadata(out, err.metadata(), "");
    write_metadata(out, trailers, TRAILER_PREFIX);
    // The body length is known only once written: write it after a placeholder-free head by
    // rendering the JSON first into the tail of `out`, then moving it.
    let head_end = out.len();
    write_error_json(err, out);
    let body_len = out.len() - head_end;
    let mut tail = Vec::with_capacity(64);
    finish_head(&mut tail, body_len, close);
    out.splice(head_end..head_end, tail);
}

/// Writes a plain HTTP error (no Connect body) with one optional extra header.
pub fn write_http_error(out: &mut Vec<u8>, status: u16, header: Option<(&str, &str)>, close: bool) {
    write_status(out, status);
    if let Some((name, value)) = header {
        // Our own static names and values: always valid.
        let _ = write_header(out, name.as_bytes(), value.as_bytes());
    }
    finish_head(out, 0, close);
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;
    use crate::code::Code;

    #[test]
    fn success_head() {
        let mut headers = HeaderMap::new();
        headers.insert("x-a", HeaderValue::from_static("1"));
        let mut trailers = HeaderMap::new();
        trailers.append("x-t", HeaderValue::from_static("2"));
        trailers.append("x-t", HeaderValue::from_static("3"));
        let mut out = Vec::new();
        write_success_head(
            &mut out,
            Codec::Proto,
            Compression::Gzip,
            &headers,
            &trailers,
            7,
            false,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 200 OK\r\ncontent-type: application/proto\r\ncontent-encoding: gzip\r\n\
             x-a: 1\r\ntrailer-x-t: 2\r\ntrailer-x-t: 3\r\ncontent-length: 7\r\n\r\n"
        );
    }

    #[test]
    fn error_response() {
        let err = ConnectError::new(Code::NotFound, "nope");
        let mut out = Vec::new();
        write_error_response(&mut out, &err, &HeaderMap::new(), &HeaderMap::new(), true);
        let text = String::from_utf8(out).unwrap();
        let body = r#"{"code":"not_found","message":"nope"}"#;
        assert_eq!(
            text,
            format!(
                "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
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
