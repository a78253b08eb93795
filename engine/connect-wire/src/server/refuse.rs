//! The answers to requests refused from their head alone, before any body is read.

use http::HeaderMap;

use super::negotiate::Reject;
use super::respond::{write_error, write_http_error};
use crate::compression::Compression;
use crate::error::ConnectError;
use crate::protocol::Responder;

/// Appends the answer to a request whose path names no procedure: `404` with no body.
pub fn write_not_found(out: &mut Vec<u8>, close: bool) {
    write_http_error(out, 404, None, close);
}

/// Appends the answer to a request `reject`ed by [`negotiate`](super::negotiate): a plain
/// HTTP error, or the error response of the request's protocol and shape (for Connect: a
/// unary error body, or a `200` whose only envelope is the end-stream message with the
/// error), delimited by its length. `close` says the connection closes after this answer
/// (it is then marked `connection: close`).
pub fn write_refusal(out: &mut Vec<u8>, reject: Reject, close: bool) {
    match reject {
        Reject::Http { status, header } => write_http_error(out, status, header, close),
        Reject::Rpc {
            protocol,
            shape,
            codec,
            code,
            message,
        } => {
            let responder = Responder::new(protocol, shape, codec, Compression::Identity);
            let err = ConnectError::new(code, message);
            let none = HeaderMap::new();
            write_error(out, responder, &err, &none, &none, close);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;
    use crate::codec::Codec;
    use crate::protocol::{Protocol, Shape};

    fn text(out: &[u8]) -> String {
        String::from_utf8_lossy(out).into_owned()
    }

    #[test]
    fn plain_http_refusals_carry_their_header() {
        let mut out = Vec::new();
        let reject = Reject::Http {
            status: 415,
            header: Some(("accept-post", "application/proto")),
        };
        write_refusal(&mut out, reject, false);
        let t = text(&out);
        assert!(t.starts_with("HTTP/1.1 415 "), "{t}");
        assert!(t.contains("accept-post: application/proto\r\n"), "{t}");
        assert!(t.contains("content-length: 0\r\n"), "{t}");
        assert!(!t.contains("connection: close"), "{t}");
    }

    #[test]
    fn unary_refusals_are_error_json_with_the_codes_status() {
        let mut out = Vec::new();
        let reject = Reject::Rpc {
            protocol: Protocol::Connect,
            shape: Shape::Unary,
            codec: Codec::Json,
            code: Code::InvalidArgument,
            message: "bad timeout".into(),
        };
        write_refusal(&mut out, reject, true);
        let t = text(&out);
        assert!(t.starts_with("HTTP/1.1 400 "), "{t}");
        assert!(t.contains("connection: close\r\n"), "{t}");
        assert!(
            t.ends_with(r#"{"code":"invalid_argument","message":"bad timeout"}"#),
            "{t}"
        );
    }

    #[test]
    fn stream_refusals_end_the_stream_in_a_body_of_known_length() {
        let reject = Reject::Rpc {
            protocol: Protocol::Connect,
            shape: Shape::Stream,
            codec: Codec::Proto,
            code: Code::Unimplemented,
            message: "no".into(),
        };
        let mut out = Vec::new();
        write_refusal(&mut out, reject, false);
        let t = text(&out);
        assert!(t.starts_with("HTTP/1.1 200 "), "{t}");
        assert!(
            t.contains("content-type: application/connect+proto\r\n"),
            "{t}"
        );
        let json = r#"{"error":{"code":"unimplemented","message":"no"}}"#;
        assert!(
            t.contains(&format!("content-length:{:>10}\r\n", json.len() + 5)),
            "{t}"
        );
        assert!(!t.contains("transfer-encoding"), "{t}");
        assert!(!t.contains("connection: close"), "{t}");
        assert!(t.ends_with(json), "{t}");
    }

    #[test]
    fn not_found_is_an_empty_404() {
        let mut out = Vec::new();
        write_not_found(&mut out, false);
        let t = text(&out);
        assert!(t.starts_with("HTTP/1.1 404 "), "{t}");
        assert!(t.ends_with("content-length: 0\r\n\r\n"), "{t}");
    }
}
