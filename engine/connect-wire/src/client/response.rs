//! The response side of a call: what a response head means (accept, read an error body,
//! fail with a code), its metadata, and decoding its messages.

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::Role;
use crate::codec::Codec;
use crate::codec::OwnedMessage;
use crate::compression::{Codecs, Compression};
use crate::error::{ConnectError, EndStream};
use crate::fault;
use crate::headers;
use crate::http1::ResponseHead;
use crate::json::JsonOptions;
use crate::protocol::Protocol;
pub use crate::protocol::Verdict;
pub use crate::protocol::connect::{classify_stream, classify_unary, status_error, unary_error};
use crate::view::ResponseView;

/// Decodes a response message from `payload` (decompressed first into `scratch` when
/// `compression` is not identity), bounded by `limit` bytes after decompression, and takes
/// ownership of it.
pub fn decode_response<M: OwnedMessage>(
    codec: Codec,
    compression: Compression,
    payload: &mut [u8],
    scratch: &mut Vec<u8>,
    codecs: &mut Codecs,
    limit: usize,
    json: &JsonOptions,
) -> Result<M, ConnectError> {
    let bytes: &mut [u8] = if compression == Compression::Identity {
        if payload.len() > limit {
            return Err(fault::message_too_large(Role::Client, limit));
        }
        payload
    } else {
        scratch.clear();
        codecs
            .decompress(compression, payload, scratch, limit)
            .map_err(|e| fault::decompress(Role::Client, e))?;
        scratch
    };
    M::decode_owned(codec, bytes, json).map_err(|e| fault::decode(Role::Client, &e))
}

/// Parses the message that ends a response stream of `protocol` (decompressed first when
/// `compressed`): Connect's end-stream message.
pub fn decode_end_stream(
    protocol: Protocol,
    payload: &[u8],
    compression: Option<Compression>,
    scratch: &mut Vec<u8>,
    codecs: &mut Codecs,
    limit: usize,
) -> Result<EndStream, ConnectError> {
    let bytes = match compression {
        None | Some(Compression::Identity) => payload,
        Some(c) => {
            scratch.clear();
            codecs
                .decompress(c, payload, scratch, limit)
                .map_err(|e| fault::decompress(Role::Client, e))?;
            scratch
        }
    };
    protocol.end_stream(bytes)
}

/// The error of a unary error response from its body as received (compressed with
/// `compression`; decompressed into `scratch`, bounded by `limit`). A body that will not
/// decompress is ignored: the status says what happened.
#[must_use]
pub fn error_response(
    protocol: Protocol,
    head: &(impl ResponseView + ?Sized),
    body: &[u8],
    compression: Compression,
    scratch: &mut Vec<u8>,
    codecs: &mut Codecs,
    limit: usize,
) -> ConnectError {
    if compression == Compression::Identity {
        return protocol.unary_error(head, body);
    }
    scratch.clear();
    match codecs.decompress(compression, body, scratch, limit) {
        Ok(()) => protocol.unary_error(head, scratch),
        Err(_) => status_error(head),
    }
}

/// The application metadata of a response head: every header except the protocol's own
/// (framing, content type, `connect-`, `grpc-` and encoding headers, with or without the
/// `trailer-` prefix). For unary responses
/// (`unary`), `trailer-<name>` headers are the trailers (prefix removed); stream trailers
/// come in the end-stream message instead. Headers that are not valid `http` values are
/// skipped.
#[must_use]
pub fn response_metadata(head: &ResponseHead, buf: &[u8], unary: bool) -> (HeaderMap, HeaderMap) {
    let mut headers = HeaderMap::new();
    let mut trailers = HeaderMap::new();
    for (name, value) in head.headers(buf) {
        // Protocol headers are skipped before anything is copied: a response with only
        // those allocates nothing here.
        let (map, name) = match strip_prefix_ignore_case(name, headers::TRAILER_PREFIX) {
            Some(trailer) if unary => (&mut trailers, trailer),
            _ => (&mut headers, name),
        };
        // A `trailer-content-type` or `trailer-grpc-status` is no more metadata than the
        // field itself.
        if headers::is_protocol_header(name) {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            let _ = map.try_append(n, v);
        }
    }
    (headers, trailers)
}

fn strip_prefix_ignore_case<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Code;
    use crate::http1::{Limits, ResponseParser, Status};

    fn parse(raw: &str) -> (ResponseHead, Vec<u8>) {
        let buf = raw.replace('\n', "\r\n").into_bytes();
        let mut head = ResponseHead::new();
        let mut p = ResponseParser::new(Limits::default());
        let Ok(Status::Complete(_)) = p.parse(&buf, &mut head) else {
            panic!("bad test head {raw}");
        };
        (head, buf)
    }

    fn code_of(v: &Verdict) -> Option<Code> {
        match v {
            Verdict::Fail(e) => Some(e.code()),
            _ => None,
        }
    }

    #[test]
    fn unary_classification() {
        let ok = parse("HTTP/1.1 200 OK\ncontent-type: application/proto\ncontent-length: 0\n\n");
        assert_eq!(
            classify_unary(&ok.0.view(&ok.1), Codec::Proto),
            Verdict::Accept(Compression::Identity)
        );
        assert_eq!(
            code_of(&classify_unary(&ok.0.view(&ok.1), Codec::Json)),
            Some(Code::Internal)
        );
        let json = parse(
            "HTTP/1.1 200 OK\ncontent-type: application/json; charset=utf-8\ncontent-encoding: gzip\n\n",
        );
        assert_eq!(
            classify_unary(&json.0.view(&json.1), Codec::Json),
            Verdict::Accept(Compression::Gzip)
        );
        for (bad, code) in [
            (
                "HTTP/1.1 200 OK\ncontent-type: image/jpeg\n\n",
                Code::Unknown,
            ),
            ("HTTP/1.1 200 OK\n\n", Code::Unknown),
            (
                "HTTP/1.1 200 OK\ncontent-type: text/application/proto\n\n",
                Code::Unknown,
            ),
            // Connect's prefix, the wrong shape or codec (connect-go says the same).
            (
                "HTTP/1.1 200 OK\ncontent-type: application/connect+proto\n\n",
                Code::Internal,
            ),
            (
                "HTTP/1.1 200 OK\ncontent-type: Application/XML\n\n",
                Code::Internal,
            ),
        ] {
            let r = parse(bad);
            assert_eq!(
                code_of(&classify_unary(&r.0.view(&r.1), Codec::Proto)),
                Some(code),
                "{bad}"
            );
        }
        let foo =
            parse("HTTP/1.1 200 OK\ncontent-type: application/proto\ncontent-encoding: foo\n\n");
        assert_eq!(
            code_of(&classify_unary(&foo.0.view(&foo.1), Codec::Proto)),
            Some(Code::Internal)
        );
        // Errors: JSON bodies are read, anything else maps the status.
        let err = parse(
            "HTTP/1.1 404 Not Found\ncontent-type: application/json\ncontent-encoding: gzip\n\n",
        );
        assert_eq!(
            classify_unary(&err.0.view(&err.1), Codec::Proto),
            Verdict::ErrorBody(Compression::Gzip)
        );
        for (status, code) in [
            (400, Code::Internal),
            (401, Code::Unauthenticated),
            (403, Code::PermissionDenied),
            (404, Code::Unimplemented),
            (429, Code::Unavailable),
            (502, Code::Unavailable),
            (503, Code::Unavailable),
            (504, Code::Unavailable),
            (409, Code::Unknown),
            (412, Code::Unknown),
            (418, Code::Unknown),
            (505, Code::Unknown),
            (800, Code::Unknown),
            (999, Code::Unknown),
        ] {
            let r = parse(&format!(
                "HTTP/1.1 {status} Whatever\ncontent-type: application/proto\n\n"
            ));
            assert_eq!(
                code_of(&classify_unary(&r.0.view(&r.1), Codec::Proto)),
                Some(code),
                "{status}"
            );
            let r = parse(&format!(
                "HTTP/1.1 {status} Whatever\ncontent-type: application/connect+proto\n\n"
            ));
            assert_eq!(
                code_of(&classify_stream(&r.0.view(&r.1), Codec::Proto)),
                Some(code),
                "{status}"
            );
        }
    }

    #[test]
    fn unary_error_bodies() {
        let (head, buf) =
            parse("HTTP/1.1 429 Too Many Requests\ncontent-type: application/json\n\n");
        let e = unary_error(&head.view(&buf), br#"{"code":"aborted","message":"m"}"#);
        assert_eq!((e.code(), e.message()), (Code::Aborted, "m"));
        assert!(e.is_from_wire());
        // A missing or unknown code takes the status's, keeping the message.
        let e = unary_error(&head.view(&buf), br#"{"message":"m"}"#);
        assert_eq!((e.code(), e.message()), (Code::Unavailable, "m"));
        let e = unary_error(&head.view(&buf), br#"{"code":"nope","message":"m"}"#);
        assert_eq!(e.code(), Code::Unavailable);
        // Not JSON: the status line.
        let e = unary_error(&head.view(&buf), b"<html>oops</html>");
        assert_eq!(
            (e.code(), e.message()),
            (Code::Unavailable, "HTTP status 429 Too Many Requests")
        );
        let e = unary_error(&head.view(&buf), b"");
        assert_eq!(e.code(), Code::Unavailable);
        // JSON-looking but not JSON: the status line, not an empty message.
        let e = unary_error(&head.view(&buf), b"{\"code\": ");
        assert_eq!(
            (e.code(), e.message()),
            (Code::Unavailable, "HTTP status 429 Too Many Requests")
        );
    }

    #[test]
    fn unary_error_bodies_with_invalid_utf8_keep_code_and_message() {
        let (head, buf) = parse("HTTP/1.1 400 Bad Request\ncontent-type: application/json\n\n");
        let e = unary_error(
            &head.view(&buf),
            b"{\"code\":\"invalid_argument\",\"message\":\"bad \xff\xfe end\"}",
        );
        assert_eq!(
            (e.code(), e.message()),
            (Code::InvalidArgument, "bad \u{fffd}\u{fffd} end")
        );
        assert!(e.is_from_wire());
    }

    #[test]
    fn http_parts_classify_as_an_http1_head_does() {
        // What hyper or h2 hands over: no HTTP/1.1 bytes behind the head.
        let parts = |status: u16, fields: &[(&str, &str)]| {
            let mut b = http::Response::builder().status(status);
            for (k, v) in fields {
                b = b.header(*k, *v);
            }
            b.body(()).unwrap().into_parts().0
        };
        let ok = parts(
            200,
            &[
                ("content-type", "application/json"),
                ("content-encoding", "gzip"),
            ],
        );
        assert_eq!(
            classify_unary(&ok, Codec::Json),
            Verdict::Accept(Compression::Gzip)
        );
        let http1 = parse("HTTP/1.1 200 OK\ncontent-type: application/connect+proto\n\n");
        let h2 = parts(200, &[("content-type", "application/connect+proto")]);
        assert_eq!(
            classify_unary(&h2, Codec::Proto),
            classify_unary(&http1.0.view(&http1.1), Codec::Proto)
        );
        // No reason phrase on the wire: the status's standard one.
        let e = unary_error(&parts(503, &[]), b"not json");
        assert_eq!(e.code(), Code::Unavailable);
        assert_eq!(e.message(), "HTTP status 503 Service Unavailable");
    }

    #[test]
    fn stream_classification() {
        let ok = parse(
            "HTTP/1.1 200 OK\ncontent-type: application/connect+json\nconnect-content-encoding: gzip\n\n",
        );
        assert_eq!(
            classify_stream(&ok.0.view(&ok.1), Codec::Json),
            Verdict::Accept(Compression::Gzip)
        );
        assert_eq!(
            code_of(&classify_stream(&ok.0.view(&ok.1), Codec::Proto)),
            Some(Code::Internal)
        );
        let unary = parse("HTTP/1.1 200 OK\ncontent-type: application/json\n\n");
        assert_eq!(
            code_of(&classify_stream(&unary.0.view(&unary.1), Codec::Json)),
            Some(Code::Unknown)
        );
        let xml = parse("HTTP/1.1 200 OK\ncontent-type: application/connect+xml\n\n");
        assert_eq!(
            code_of(&classify_stream(&xml.0.view(&xml.1), Codec::Proto)),
            Some(Code::Internal)
        );
        let foo = parse(
            "HTTP/1.1 200 OK\ncontent-type: application/connect+proto\nconnect-content-encoding: foo\n\n",
        );
        assert_eq!(
            code_of(&classify_stream(&foo.0.view(&foo.1), Codec::Proto)),
            Some(Code::Internal)
        );
    }

    #[test]
    fn metadata_split() {
        let (head, buf) = parse(
            "HTTP/1.1 200 OK\ncontent-type: application/proto\ncontent-length: 0\nx-h: 1\nTrailer-X-T: 2\ntrailer-x-t: 3\nx-h: 4\n\n",
        );
        let (h, t) = response_metadata(&head, &buf, true);
        assert_eq!(h.get_all("x-h").iter().collect::<Vec<_>>(), ["1", "4"]);
        assert!(!h.contains_key("content-type") && !h.contains_key("content-length"));
        assert_eq!(t.get_all("x-t").iter().collect::<Vec<_>>(), ["2", "3"]);
        let (h, t) = response_metadata(&head, &buf, false);
        assert!(h.contains_key("trailer-x-t"));
        assert!(t.is_empty());
    }

    #[test]
    fn protocol_fields_are_not_metadata_with_or_without_the_trailer_prefix() {
        let (head, buf) = parse(
            "HTTP/1.1 200 OK\ncontent-type: application/proto\ncontent-length: 0\n\
             grpc-status: 5\ntrailer-grpc-status: 5\ntrailer-Content-Type: x\n\
             trailer-grpc-message: m\ntrailer-x-ok: 1\n\n",
        );
        let (h, t) = response_metadata(&head, &buf, true);
        assert!(h.is_empty(), "{h:?}");
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t["x-ok"], "1");
    }
}
