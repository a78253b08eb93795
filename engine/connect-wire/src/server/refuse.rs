//! The answers to requests refused from their head alone, before any body is read.

use http::HeaderMap;

use super::negotiate::{Reject, Shape};
use crate::compression::Compression;
use crate::error::ConnectError;
use crate::stream::{Framing, write_end, write_stream_head};
use crate::unary::{write_error_response, write_http_error};

/// What the connection must do after a refusal was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterRefusal {
    /// It may carry the next request (once the refused request's body is drained).
    KeepOpen,
    /// It must close: the answer's length is delimited by the close (a streaming answer to
    /// an HTTP/1.0 request).
    Close,
}

/// Appends the answer to a request whose path names no procedure: `404` with no body.
pub fn write_not_found(out: &mut Vec<u8>, close: bool) {
    write_http_error(out, 404, None, close);
}

/// Appends the answer to a request `reject`ed by [`negotiate`](super::negotiate): a plain
/// HTTP error, a unary Connect error body, or (streams) a `200` whose only envelope is the
/// end-stream message with the error. `minor_version` is the request's HTTP/1.x minor
/// version (streams answer HTTP/1.0 unchunked, delimited by the close). `close` says the
/// connection closes after this answer (it is then marked `connection: close`).
#[must_use = "a stream refusal to an HTTP/1.0 request must close the connection"]
pub fn write_refusal(
    out: &mut Vec<u8>,
    reject: Reject,
    minor_version: u8,
    close: bool,
) -> AfterRefusal {
    match reject {
        Reject::Http { status, header } => {
            write_http_error(out, status, header, close);
            after(close)
        }
        Reject::Connect {
            shape,
            codec,
            code,
            message,
        } => {
            let err = ConnectError::new(code, message);
            if shape != Shape::Stream {
                write_error_response(out, &err, &HeaderMap::new(), &HeaderMap::new(), close);
                return after(close);
            }
            let framing = Framing::for_minor_version(minor_version);
            let close = close || framing == Framing::Raw;
            let none = HeaderMap::new();
            write_stream_head(out, codec, Compression::Identity, &none, close, framing);
            write_end(out, framing, Some(&err), &none);
            after(close)
        }
    }
}

fn after(close: bool) -> AfterRefusal {
    if close {
        AfterRefusal::Close
    } else {
        AfterRefusal::KeepOpen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;
    use crate::codec::Codec;

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
        assert_eq!(
            write_refusal(&mut out, reject, 1, false),
            AfterRefusal::KeepOpen
        );
        let t = text(&out);
        assert!(t.starts_with("HTTP/1.1 415 "), "{t}");
        assert!(t.contains("accept-post: application/proto\r\n"), "{t}");
        assert!(t.contains("content-length: 0\r\n"), "{t}");
        assert!(!t.contains("connection: close"), "{t}");
    }

    #[test]
    fn unary_refusals_are_error_json_with_the_codes_status() {
        let mut out = Vec::new();
        let reject = Reject::Connect {
            shape: Shape::Unary,
            codec: Codec::Json,
            code: Code::InvalidArgument,
            message: "bad timeout".into(),
        };
        assert_eq!(
            write_refusal(&mut out, reject, 1, true),
            AfterRefusal::Close
        );
        let t = text(&out);
        assert!(t.starts_with("HTTP/1.1 400 "), "{t}");
        assert!(t.contains("connection: close\r\n"), "{t}");
        assert!(
            t.ends_with(r#"{"code":"invalid_argument","message":"bad timeout"}"#),
            "{t}"
        );
    }

    #[test]
    fn stream_refusals_end_the_stream_and_close_on_http_1_0() {
        let reject = Reject::Connect {
            shape: Shape::Stream,
            codec: Codec::Proto,
            code: Code::Unimplemented,
            message: "no".into(),
        };
        let mut chunked = Vec::new();
        assert_eq!(
            write_refusal(&mut chunked, reject.clone(), 1, false),
            AfterRefusal::KeepOpen
        );
        let t = text(&chunked);
        assert!(t.starts_with("HTTP/1.1 200 "), "{t}");
        assert!(
            t.contains("content-type: application/connect+proto\r\n"),
            "{t}"
        );
        assert!(t.contains("transfer-encoding: chunked\r\n"), "{t}");
        assert!(t.contains(r#""code":"unimplemented""#), "{t}");
        assert!(t.ends_with("0\r\n\r\n"), "{t}");
        let mut raw = Vec::new();
        assert_eq!(
            write_refusal(&mut raw, reject, 0, false),
            AfterRefusal::Close
        );
        let t = text(&raw);
        assert!(t.contains("connection: close\r\n"), "{t}");
        assert!(!t.contains("transfer-encoding"), "{t}");
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
