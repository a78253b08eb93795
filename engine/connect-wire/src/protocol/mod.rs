//! The protocol seam: what differs between the RPC protocols of the Connect family, behind
//! one interface per role, as connect-go's `protocol.go` puts each protocol behind one.
//!
//! Everything here is independent of the HTTP version: a protocol reads a head through a
//! [`RequestView`] or [`ResponseView`], writes one through a [`FieldSink`] or
//! [`ResponseSink`] (HTTP/1.1 text, or an `http` crate head for hyper and h2), and reads and
//! writes body bytes. How those bytes are framed on a connection ([`Framing`]: chunked, or
//! bare for a length-delimited HTTP/1.1 body and for HTTP/2) is the connection's.
//!
//! | role | piece | what it decides |
//! |---|---|---|
//! | server | [`Protocol::of_request`] | which protocol a request speaks, from its content type |
//! | server | [`negotiate`](crate::server::negotiate) | codec, shape, compressions and timeout, or the refusal |
//! | server | [`Responder`] | a response's head, how its messages are framed, how it ends, and how an error replaces it |
//! | client | [`Requester`] | a request's method, fields and message framing; whether a response head is usable, or the error it means |
//! | client | [`Protocol::unary_error`], [`Protocol::end_stream`] | the error of a unary error body; the status and trailers that end a stream |
//!
//! **Adding a protocol** is a new variant of [`Protocol`], a module beside [`connect`] and
//! [`grpc`] with its rules for both roles, and one arm in each `match` of this module
//! ([`Protocol`], [`Responder`], [`Requester`]) and of
//! [`negotiate`](crate::server::negotiate); gRPC-web came in that way. The drivers write and
//! classify through the seam. What it does not cover yet, which the clients' gRPC-web (and
//! gRPC) will extend:
//!
//! - the client's reading of a unary body:
//!   [`ResponseReader::unary_outcome`](crate::client::ResponseReader::unary_outcome) reads
//!   it bare, as Connect sends it (the server reads an enveloped one with
//!   [`unary_message`](crate::server::unary_message));
//! - the envelope flags of a response stream: [`envelope`](crate::envelope) and
//!   [`StreamReader`](crate::stream::StreamReader) know Connect's end-stream flag
//!   (`0x02`), not gRPC-web's trailer block (`0x80`);
//! - Connect's `trailer-` split of a unary response head
//!   ([`client::response_metadata`](crate::client::response_metadata)).

pub mod connect;
mod fields;
pub mod grpc;
mod shape;
mod verdict;

pub use fields::{FieldSink, Http1Fields, ResponseSink};
pub use shape::Shape;
pub use verdict::Verdict;

use std::time::Duration;

use http::{HeaderMap, Method};

use crate::codec::Codec;
use crate::compression::Compression;
use crate::envelope::FLAG_COMPRESSED;
use crate::error::{ConnectError, EndStream, parse_end_stream};
use crate::stream::{Framing, MessageStart, TooLarge};
use crate::view::{RequestView, ResponseView};

/// A protocol of the Connect family.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// The Connect protocol: unary calls as plain HTTP (POST, or GET for calls without side
    /// effects), streams as envelopes ended by an end-stream message.
    #[default]
    Connect,
    /// gRPC-web: every message enveloped, the status in a trailer block at the end of the
    /// body (or, with no message, in the head), over any HTTP version.
    GrpcWeb,
}

impl Protocol {
    /// The protocol a request speaks, from its content type. Every content type that is not
    /// another protocol's is Connect's, whose negotiation then accepts or refuses it.
    #[must_use]
    pub fn of_request(head: &(impl RequestView + ?Sized)) -> Protocol {
        Self::of_content_type(head.header("content-type"))
    }

    /// The protocol of a request whose `content-type` field is `content_type`
    /// ([`of_request`](Self::of_request) with the field already looked up).
    #[must_use]
    pub fn of_content_type(content_type: Option<&[u8]>) -> Protocol {
        const GRPC_WEB: &[u8] = b"application/grpc-web";
        match content_type {
            Some(ct)
                if ct.len() >= GRPC_WEB.len()
                    && ct[..GRPC_WEB.len()].eq_ignore_ascii_case(GRPC_WEB) =>
            {
                Protocol::GrpcWeb
            }
            _ => Protocol::Connect,
        }
    }

    /// The protocol's name, as connect-go and the conformance suite spell it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Connect => "connect",
            Protocol::GrpcWeb => "grpcweb",
        }
    }

    /// Whether unary calls without side effects may go out as GET requests (Connect only).
    #[must_use]
    pub fn supports_get(self) -> bool {
        match self {
            Protocol::Connect => true,
            Protocol::GrpcWeb => false,
        }
    }

    /// Parses the (decompressed) message that ends a response stream: Connect's end-stream
    /// JSON.
    ///
    /// # Errors
    ///
    /// A message that does not parse, with the code its fault maps to
    /// ([`EndStreamError::code`](crate::error::EndStreamError::code)).
    pub fn end_stream(self, bytes: &[u8]) -> Result<EndStream, ConnectError> {
        match self {
            Protocol::Connect => parse_end_stream(bytes).map_err(ConnectError::from),
            Protocol::GrpcWeb => grpc::end_stream(bytes),
        }
    }

    /// The error of a unary response whose head said it carries an error body, from that
    /// body (decompressed).
    #[must_use]
    pub fn unary_error(self, head: &(impl ResponseView + ?Sized), body: &[u8]) -> ConnectError {
        match self {
            Protocol::Connect => connect::unary_error(head, body),
            // gRPC-web has no error bodies: the status in the head is what there is.
            Protocol::GrpcWeb => connect::status_error(head),
        }
    }
}

/// The server's side of one call's response, for its protocol: a response head, its
/// messages, its end, or an error in place of all of them. Made by
/// [`Negotiated::responder`](crate::server::Negotiated::responder) for an accepted call.
///
/// A response is, in order: [`head`](Self::head); each message between
/// [`begin_message`](Self::begin_message) and [`finish_message`](Self::finish_message);
/// [`end`](Self::end). Or, when nothing of it was sent, [`error_head`](Self::error_head) and
/// [`error_body`](Self::error_body) instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Responder {
    protocol: Protocol,
    shape: Shape,
    codec: Codec,
    compression: Compression,
}

impl Responder {
    /// The responder for a call of `protocol` and `shape`, its messages in `codec`, compressed
    /// with `compression` (the negotiated response compression).
    #[must_use]
    pub fn new(protocol: Protocol, shape: Shape, codec: Codec, compression: Compression) -> Self {
        Responder {
            protocol,
            shape,
            codec,
            compression,
        }
    }

    /// The call's protocol.
    #[must_use]
    pub fn protocol(self) -> Protocol {
        self.protocol
    }

    /// The call's shape.
    #[must_use]
    pub fn shape(self) -> Shape {
        self.shape
    }

    /// The codec of the response messages.
    #[must_use]
    pub fn codec(self) -> Codec {
        self.codec
    }

    /// The response compression negotiated for the call.
    #[must_use]
    pub fn compression(self) -> Compression {
        self.compression
    }

    fn stream(self) -> bool {
        self.shape == Shape::Stream
    }

    /// Writes the head of a response whose messages follow, compressed with `compression`
    /// (the negotiated one, or identity for a message too small to be worth compressing).
    /// `trailers` are the call's trailers when they are already known (unary calls):
    /// protocols that carry them in the head (Connect unary) write them here, the others at
    /// [`end`](Self::end).
    pub fn head(
        self,
        sink: &mut impl ResponseSink,
        compression: Compression,
        headers: &HeaderMap,
        trailers: &HeaderMap,
    ) {
        match self.protocol {
            Protocol::Connect => connect::response_head(
                sink,
                self.stream(),
                self.codec,
                compression,
                headers,
                trailers,
            ),
            Protocol::GrpcWeb => grpc::response_head(sink, self.codec, compression, headers),
        }
    }

    /// Whether each message is enveloped (a Connect unary message is the body itself).
    #[must_use]
    pub fn enveloped(self) -> bool {
        match self.protocol {
            Protocol::Connect => self.stream(),
            Protocol::GrpcWeb => true,
        }
    }

    /// Starts a message: reserves `framing`'s chunk line and, when
    /// [`enveloped`](Self::enveloped), the envelope prefix. Append the encoded message, then
    /// call [`finish_message`](Self::finish_message).
    pub fn begin_message(self, out: &mut Vec<u8>, framing: Framing) -> MessageStart {
        MessageStart::begin(out, framing, self.enveloped())
    }

    /// Completes the message begun at `start`, whose bytes run to the end of `out`,
    /// `compressed` or not. On [`TooLarge`] (over an envelope's 4 GiB) the message is cut.
    pub fn finish_message(
        self,
        out: &mut Vec<u8>,
        start: MessageStart,
        compressed: bool,
    ) -> Result<(), TooLarge> {
        let flags = if compressed { FLAG_COMPRESSED } else { 0 };
        start.finish(out, flags)
    }

    /// Ends the body after its last message: `error` (a stream's, after its messages) and
    /// `trailers`, as the protocol carries them in the body; `framing` frames what is
    /// written for the connection. Nothing for a Connect unary response.
    pub fn end(
        self,
        out: &mut Vec<u8>,
        framing: Framing,
        error: Option<&ConnectError>,
        trailers: &HeaderMap,
    ) {
        match self.protocol {
            Protocol::Connect => connect::end(out, self.stream(), framing, error, trailers),
            Protocol::GrpcWeb => grpc::end(out, framing, error, trailers),
        }
    }

    /// Writes the head of a response that carries `err` in place of the call's messages
    /// (nothing of the response was sent): `headers` are the handler's or interceptors',
    /// `trailers` the call's.
    pub fn error_head(
        self,
        sink: &mut impl ResponseSink,
        err: &ConnectError,
        headers: &HeaderMap,
        trailers: &HeaderMap,
    ) {
        match self.protocol {
            Protocol::Connect => {
                connect::error_head(sink, self.stream(), self.codec, err, headers, trailers);
            }
            Protocol::GrpcWeb => grpc::error_head(sink, self.codec, err, headers, trailers),
        }
    }

    /// Appends the whole body of the response whose head [`error_head`](Self::error_head)
    /// wrote, unframed (its length is known: the connection sends it as one piece); the
    /// same `headers` and `trailers`.
    pub fn error_body(
        self,
        out: &mut Vec<u8>,
        err: &ConnectError,
        headers: &HeaderMap,
        trailers: &HeaderMap,
    ) {
        match self.protocol {
            Protocol::Connect => connect::error_body(out, self.stream(), err, trailers),
            Protocol::GrpcWeb => grpc::error_body(out, err, headers, trailers),
        }
    }
}

/// The client's side of one call, for its protocol: what its request head carries, how its
/// messages are framed, and what a response head (or a unary error body) means. The twin of
/// [`Responder`]; [`RequestWriter`](crate::client::RequestWriter),
/// [`UnaryCall`](crate::client::UnaryCall) and [`StreamCall`](crate::client::StreamCall)
/// use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requester {
    protocol: Protocol,
    shape: Shape,
    codec: Codec,
}

impl Requester {
    /// The requester of a call of `protocol` and `shape`, its messages in `codec`.
    #[must_use]
    pub fn new(protocol: Protocol, shape: Shape, codec: Codec) -> Self {
        Requester {
            protocol,
            shape,
            codec,
        }
    }

    /// The call's protocol.
    #[must_use]
    pub fn protocol(self) -> Protocol {
        self.protocol
    }

    /// The call's shape.
    #[must_use]
    pub fn shape(self) -> Shape {
        self.shape
    }

    /// The codec of the call's messages.
    #[must_use]
    pub fn codec(self) -> Codec {
        self.codec
    }

    /// The request's HTTP method.
    #[must_use]
    pub fn method(self) -> Method {
        if self.shape == Shape::Get {
            Method::GET
        } else {
            Method::POST
        }
    }

    /// Whether each request message is enveloped (a Connect unary message is the body).
    #[must_use]
    pub fn enveloped(self) -> bool {
        match self.protocol {
            Protocol::Connect => self.shape == Shape::Stream,
            Protocol::GrpcWeb => true,
        }
    }

    /// Writes the protocol's fields of the request head: content type, protocol version,
    /// the body's `compression` (identity for none), the compressions the client accepts in
    /// the response (`accept`, comma-separated, without identity; empty for none) and the
    /// call's `timeout`.
    pub fn request_fields(
        self,
        sink: &mut impl FieldSink,
        compression: Compression,
        accept: &str,
        timeout: Option<Duration>,
    ) {
        match self.protocol {
            Protocol::Connect => {
                connect::request_fields(sink, self.shape, self.codec, compression, accept, timeout);
            }
            Protocol::GrpcWeb => {
                grpc::request_fields(sink, self.codec, compression, accept, timeout);
            }
        }
    }

    /// What a response `head` means for the call: accept its body, read its error body, or
    /// fail with the right code.
    #[must_use]
    pub fn classify(self, head: &(impl ResponseView + ?Sized)) -> Verdict {
        match (self.protocol, self.shape) {
            (Protocol::Connect, Shape::Stream) => connect::classify_stream(head, self.codec),
            (Protocol::Connect, _) => connect::classify_unary(head, self.codec),
            (Protocol::GrpcWeb, _) => grpc::classify(head, self.codec),
        }
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;
    use crate::code::Code;

    /// The fields of HTTP/1.1 text (no status or request line), as pairs.
    fn text_fields(text: &[u8]) -> Vec<(String, String)> {
        String::from_utf8(text.to_vec())
            .unwrap()
            .split("\r\n")
            .filter(|line| !line.is_empty() && !line.starts_with("HTTP/1.1 "))
            .map(|line| {
                let (n, v) = line.split_once(": ").unwrap();
                (n.to_owned(), v.to_owned())
            })
            .collect()
    }

    fn map_fields(map: &HeaderMap) -> Vec<(String, String)> {
        map.iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect()
    }

    #[test]
    fn request_fields_are_the_same_as_text_and_in_a_header_map() {
        let timeout = Some(Duration::from_millis(1500));
        for (shape, expected) in [
            (
                Shape::Unary,
                &[
                    ("content-type", "application/proto"),
                    ("connect-protocol-version", "1"),
                    ("content-encoding", "gzip"),
                    ("accept-encoding", "gzip,br"),
                    ("connect-timeout-ms", "1500"),
                ][..],
            ),
            (
                Shape::Get,
                &[
                    ("connect-protocol-version", "1"),
                    ("accept-encoding", "gzip,br"),
                    ("connect-timeout-ms", "1500"),
                ][..],
            ),
            (
                Shape::Stream,
                &[
                    ("content-type", "application/connect+proto"),
                    ("connect-protocol-version", "1"),
                    ("connect-content-encoding", "gzip"),
                    ("connect-accept-encoding", "gzip,br"),
                    ("connect-timeout-ms", "1500"),
                ][..],
            ),
        ] {
            let r = Requester::new(Protocol::Connect, shape, Codec::Proto);
            let mut text = Vec::new();
            r.request_fields(
                &mut Http1Fields(&mut text),
                Compression::Gzip,
                "gzip,br",
                timeout,
            );
            let mut map = HeaderMap::new();
            r.request_fields(&mut map, Compression::Gzip, "gzip,br", timeout);
            let expected: Vec<(String, String)> = expected
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect();
            assert_eq!(text_fields(&text), expected, "{shape:?}");
            assert_eq!(map_fields(&map), expected, "{shape:?}");
        }
    }

    #[test]
    fn an_identity_request_names_no_encoding_and_a_get_is_a_get() {
        let r = Requester::new(Protocol::Connect, Shape::Unary, Codec::Json);
        let mut map = HeaderMap::new();
        r.request_fields(&mut map, Compression::Identity, "", None);
        assert_eq!(
            map_fields(&map),
            [
                ("content-type".to_owned(), "application/json".to_owned()),
                ("connect-protocol-version".to_owned(), "1".to_owned()),
            ]
        );
        assert_eq!(r.method(), Method::POST);
        assert!(!r.enveloped());
        let get = Requester::new(Protocol::Connect, Shape::Get, Codec::Json);
        assert_eq!(get.method(), Method::GET);
        assert!(Requester::new(Protocol::Connect, Shape::Stream, Codec::Json).enveloped());
    }

    #[test]
    fn response_heads_are_the_same_as_text_and_in_http_parts() {
        let mut headers = HeaderMap::new();
        headers.insert("x-h", HeaderValue::from_static("1"));
        let mut trailers = HeaderMap::new();
        trailers.insert("x-t", HeaderValue::from_static("2"));
        let mut err = ConnectError::new(Code::Unavailable, "later");
        err.metadata_mut()
            .insert("x-e", HeaderValue::from_static("3"));
        for shape in [Shape::Unary, Shape::Get, Shape::Stream] {
            let r = Responder::new(Protocol::Connect, shape, Codec::Proto, Compression::Gzip);
            let mut text = Vec::new();
            r.head(
                &mut Http1Fields(&mut text),
                Compression::Gzip,
                &headers,
                &trailers,
            );
            let (mut parts, ()) = http::Response::new(()).into_parts();
            r.head(&mut parts, Compression::Gzip, &headers, &trailers);
            assert!(text.starts_with(b"HTTP/1.1 200 OK\r\n"));
            assert_eq!(parts.status, http::StatusCode::OK);
            assert_eq!(text_fields(&text), map_fields(&parts.headers), "{shape:?}");

            let mut text = Vec::new();
            r.error_head(&mut Http1Fields(&mut text), &err, &headers, &trailers);
            let (mut parts, ()) = http::Response::new(()).into_parts();
            r.error_head(&mut parts, &err, &headers, &trailers);
            assert_eq!(text_fields(&text), map_fields(&parts.headers), "{shape:?}");
            let status = if shape == Shape::Stream { 200 } else { 503 };
            assert_eq!(parts.status.as_u16(), status, "{shape:?}");
            let fields = map_fields(&parts.headers);
            // A unary error carries the error's metadata and the trailers in its head; a
            // stream carries both in its end-stream message.
            let in_head = |name: &str| fields.iter().any(|(n, _)| n == name);
            assert_eq!(in_head("x-e"), shape != Shape::Stream, "{shape:?}");
            assert_eq!(in_head("trailer-x-t"), shape != Shape::Stream, "{shape:?}");
            assert!(in_head("x-h"));
        }
    }

    #[test]
    fn a_responder_frames_messages_as_its_shape_says() {
        let unary = Responder::new(
            Protocol::Connect,
            Shape::Unary,
            Codec::Proto,
            Compression::Identity,
        );
        let stream = Responder::new(
            Protocol::Connect,
            Shape::Stream,
            Codec::Proto,
            Compression::Identity,
        );
        for (r, expected) in [(unary, &b"abc"[..]), (stream, b"\x01\0\0\0\x03abc")] {
            let mut out = Vec::new();
            let start = r.begin_message(&mut out, Framing::Raw);
            out.extend_from_slice(b"abc");
            r.finish_message(&mut out, start, true).unwrap();
            assert_eq!(out, expected);
        }
        let mut end = Vec::new();
        unary.end(&mut end, Framing::Raw, None, &HeaderMap::new());
        assert!(end.is_empty(), "Connect unary trailers are in the head");
        stream.end(&mut end, Framing::Raw, None, &HeaderMap::new());
        assert_eq!(end, b"\x02\0\0\0\x02{}");
        let parsed = Protocol::Connect.end_stream(&end[5..]).unwrap();
        assert!(parsed.error.is_none());
        assert!(Protocol::Connect.end_stream(b"[").is_err());
    }

    fn grpc_web(shape: Shape) -> Responder {
        Responder::new(Protocol::GrpcWeb, shape, Codec::Proto, Compression::Gzip)
    }

    #[test]
    fn grpc_web_responses_envelope_every_message_and_end_in_a_trailer_block() {
        let mut headers = HeaderMap::new();
        headers.insert("x-h", HeaderValue::from_static("1"));
        let mut trailers = HeaderMap::new();
        trailers.insert("x-t", HeaderValue::from_static("2"));
        for shape in [Shape::Unary, Shape::Stream] {
            let r = grpc_web(shape);
            assert!(r.enveloped());
            let (mut parts, ()) = http::Response::new(()).into_parts();
            r.head(&mut parts, Compression::Gzip, &headers, &trailers);
            let fields = map_fields(&parts.headers);
            assert_eq!(
                fields[0],
                ("content-type".into(), "application/grpc-web+proto".into())
            );
            assert!(fields.contains(&("grpc-encoding".into(), "gzip".into())));
            assert!(fields.contains(&("x-h".into(), "1".into())));
            assert!(!fields.iter().any(|(n, _)| n.contains("x-t")), "{fields:?}");

            let mut body = Vec::new();
            let start = r.begin_message(&mut body, Framing::Raw);
            body.extend_from_slice(b"abc");
            r.finish_message(&mut body, start, false).unwrap();
            let end_at = body.len();
            r.end(&mut body, Framing::Raw, None, &trailers);
            assert_eq!(&body[..end_at], b"\0\0\0\0\x03abc");
            assert_eq!(body[end_at], grpc::FLAG_TRAILERS);
            let block = &body[end_at + 5..];
            assert_eq!(block, b"grpc-status: 0\r\nx-t: 2\r\n");
            let end = Protocol::GrpcWeb.end_stream(block).unwrap();
            assert!(end.error.is_none());
            assert_eq!(end.metadata["x-t"], "2");
        }
    }

    #[test]
    fn a_grpc_web_error_is_trailers_only_unless_there_are_headers() {
        let err = ConnectError::new(Code::NotFound, "gone");
        let mut trailers = HeaderMap::new();
        trailers.insert("x-t", HeaderValue::from_static("2"));
        let r = grpc_web(Shape::Unary);
        let (mut parts, ()) = http::Response::new(()).into_parts();
        r.error_head(&mut parts, &err, &HeaderMap::new(), &trailers);
        assert_eq!(parts.status, http::StatusCode::OK);
        assert_eq!(parts.headers["grpc-status"], "5");
        assert_eq!(parts.headers["grpc-message"], "gone");
        assert_eq!(parts.headers["x-t"], "2");
        let mut body = Vec::new();
        r.error_body(&mut body, &err, &HeaderMap::new(), &trailers);
        assert!(body.is_empty());
        // Trailers-only, read back by a client.
        assert_eq!(
            Requester::new(Protocol::GrpcWeb, Shape::Unary, Codec::Proto).classify(&parts),
            Verdict::Fail({
                let mut e = ConnectError::new(Code::NotFound, "gone");
                e.set_from_wire(true);
                e
            })
        );

        let mut headers = HeaderMap::new();
        headers.insert("x-h", HeaderValue::from_static("1"));
        let (mut parts, ()) = http::Response::new(()).into_parts();
        r.error_head(&mut parts, &err, &headers, &trailers);
        assert!(!parts.headers.contains_key("grpc-status"));
        assert_eq!(parts.headers["x-h"], "1");
        r.error_body(&mut body, &err, &headers, &trailers);
        assert_eq!(body[0], grpc::FLAG_TRAILERS);
        let end = grpc::end_stream(&body[5..]).unwrap();
        assert_eq!(end.error.map(|e| e.code()), Some(Code::NotFound));
        assert_eq!(end.metadata["x-t"], "2");
    }

    #[test]
    fn grpc_web_request_fields() {
        let r = Requester::new(Protocol::GrpcWeb, Shape::Unary, Codec::Json);
        let mut map = HeaderMap::new();
        r.request_fields(
            &mut map,
            Compression::Gzip,
            "gzip,br",
            Some(Duration::from_millis(1500)),
        );
        assert_eq!(
            map_fields(&map),
            [
                (
                    "content-type".to_owned(),
                    "application/grpc-web+json".to_owned()
                ),
                ("x-grpc-web".to_owned(), "1".to_owned()),
                ("grpc-encoding".to_owned(), "gzip".to_owned()),
                ("grpc-accept-encoding".to_owned(), "gzip,br".to_owned()),
                ("grpc-timeout".to_owned(), "1500000u".to_owned()),
            ]
        );
        assert_eq!(r.method(), Method::POST);
        assert!(r.enveloped());
        assert!(!Protocol::GrpcWeb.supports_get());
    }

    #[test]
    fn grpc_web_response_heads_classify() {
        let r = Requester::new(Protocol::GrpcWeb, Shape::Stream, Codec::Proto);
        let head = |status: u16, fields: &[(&str, &str)]| {
            let mut b = http::Response::builder().status(status);
            for (n, v) in fields {
                b = b.header(*n, *v);
            }
            b.body(()).unwrap().into_parts().0
        };
        let ok = head(
            200,
            &[
                ("content-type", "application/grpc-web"),
                ("grpc-encoding", "gzip"),
            ],
        );
        assert_eq!(r.classify(&ok), Verdict::Accept(Compression::Gzip));
        let code = |h: &http::response::Parts| match r.classify(h) {
            Verdict::Fail(e) => Some(e.code()),
            _ => None,
        };
        assert_eq!(code(&head(503, &[])), Some(Code::Unavailable));
        assert_eq!(
            code(&head(200, &[("content-type", "application/grpc-web+json")])),
            Some(Code::Internal)
        );
        assert_eq!(
            code(&head(200, &[("content-type", "text/html")])),
            Some(Code::Unknown)
        );
        assert_eq!(
            code(&head(
                200,
                &[
                    ("content-type", "application/grpc-web+proto"),
                    ("grpc-encoding", "lz4")
                ]
            )),
            Some(Code::Internal)
        );
        let success_only = head(
            200,
            &[
                ("content-type", "application/grpc-web+proto"),
                ("grpc-status", "0"),
            ],
        );
        assert_eq!(
            r.classify(&success_only),
            Verdict::Accept(Compression::Identity)
        );
    }
}
