//! The server side of the Connect protocol: deciding what a request is (or why it is
//! refused) from its head alone.
//!
//! [`negotiate`] checks, in the order the conformance suite expects: the HTTP method, the
//! content type (before the protocol version header, so `image/jpeg` without a version is
//! a 415), the protocol version, the timeout, and the request compression; then it picks the
//! response compression.

use std::borrow::Cow;
use std::time::Duration;

use http::Method;

use crate::code::Code;
use crate::codec::{Codec, ContentType, parse_content_type};
use crate::compression::{ACCEPT_ENCODING, Compression};
use crate::get::{self, GetError};
use crate::headers;
use crate::protocol::{Protocol, Responder, Shape, grpc};
use crate::service::MethodDescriptor;
use crate::view::RequestView;

/// What was negotiated for an accepted request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The request's protocol.
    pub protocol: Protocol,
    /// How the message(s) travel.
    pub shape: Shape,
    /// The codec of requests and responses.
    pub codec: Codec,
    /// Compression of the request message(s).
    pub request_compression: Compression,
    /// Compression to use for the response message(s).
    pub response_compression: Compression,
    /// The client's timeout, if it sent one.
    pub timeout: Option<Duration>,
}

impl Negotiated {
    /// Whether a unary request's message is enveloped (gRPC-web; Connect's is the body):
    /// find it with [`unary_message`](super::unary_message).
    #[must_use]
    pub fn unary_enveloped(&self) -> bool {
        match self.protocol {
            Protocol::Connect => false,
            Protocol::GrpcWeb => true,
        }
    }

    /// The [`Responder`] that writes this call's response.
    #[must_use]
    pub fn responder(&self) -> Responder {
        Responder::new(
            self.protocol,
            self.shape,
            self.codec,
            self.response_compression,
        )
    }
}

/// Why a request is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reject {
    /// A plain HTTP error response (no Connect error body), with one extra header.
    Http {
        /// The status code.
        status: u16,
        /// An extra header, e.g. `Allow` or `Accept-Post`.
        header: Option<(&'static str, &'static str)>,
    },
    /// An RPC error, answered as the protocol answers errors in the shape of the call
    /// (Connect unary: error JSON with the code's HTTP status; Connect streams: status 200
    /// and an end-stream message).
    Rpc {
        /// The request's protocol.
        protocol: Protocol,
        /// The shape to answer in.
        shape: Shape,
        /// The codec the request named (for a stream's content type).
        codec: Codec,
        /// The code.
        code: Code,
        /// The message.
        message: Cow<'static, str>,
    },
}

/// The `Accept-Post` value listing the content types a Connect server takes.
pub const ACCEPT_POST: &str =
    "application/json, application/proto, application/connect+json, application/connect+proto";

fn header_str<'h>(head: &'h (impl RequestView + ?Sized), name: &str) -> Option<&'h str> {
    head.header(name).and_then(|v| std::str::from_utf8(v).ok())
}

/// The request compression named in the field `name`: identity when absent or empty; the
/// name (lossy, for the error) when it is not an available algorithm, UTF-8 or not.
fn request_compression(
    head: &(impl RequestView + ?Sized),
    name: &str,
) -> Result<Compression, String> {
    let Some(raw) = head.header(name) else {
        return Ok(Compression::Identity);
    };
    let Ok(value) = std::str::from_utf8(raw) else {
        return Err(String::from_utf8_lossy(raw).into_owned());
    };
    match value.trim() {
        "" => Ok(Compression::Identity),
        v => Compression::from_name(v).ok_or_else(|| v.to_owned()),
    }
}

fn unknown_compression(protocol: Protocol, shape: Shape, codec: Codec, name: &str) -> Reject {
    let supported = if ACCEPT_ENCODING.is_empty() {
        "identity".to_owned()
    } else {
        format!("{ACCEPT_ENCODING},identity")
    };
    Reject::Rpc {
        protocol,
        shape,
        codec,
        code: Code::Unimplemented,
        message: format!("unknown compression {name:?}: supported encodings are {supported}")
            .into(),
    }
}

/// Decides how to serve a request for `method` from its head, whatever HTTP version carried
/// it (an HTTP/1.1 head: [`RequestHead::view`](crate::http1::RequestHead::view)).
pub fn negotiate(
    head: &(impl RequestView + ?Sized),
    method: &MethodDescriptor,
) -> Result<Negotiated, Reject> {
    let content_type = head.header("content-type");
    match Protocol::of_content_type(content_type) {
        Protocol::Connect => negotiate_connect(head, content_type, method),
        Protocol::GrpcWeb => negotiate_grpc_web(head, content_type, method),
    }
}

/// The gRPC-web content type's codec: `application/grpc-web` (proto), `+proto`, `+json`.
fn grpc_web_codec(content_type: &[u8]) -> Option<Codec> {
    let ct = content_type.trim_ascii();
    let rest = ct
        .get(..20)
        .filter(|p| p.eq_ignore_ascii_case(b"application/grpc-web"))
        .map(|_| &ct[20..])?;
    if rest.is_empty() || rest.eq_ignore_ascii_case(b"+proto") {
        Some(Codec::Proto)
    } else if rest.eq_ignore_ascii_case(b"+json") {
        Some(Codec::Json)
    } else {
        None
    }
}

/// gRPC-web's negotiation: a POST of a gRPC-web content type (else 405 or 415), then the
/// timeout (`grpc-timeout`, `invalid_argument` when malformed) and the request compression
/// (`grpc-encoding`, `unimplemented` when unknown); the response compression from
/// `grpc-accept-encoding`.
fn negotiate_grpc_web(
    head: &(impl RequestView + ?Sized),
    content_type: Option<&[u8]>,
    method: &MethodDescriptor,
) -> Result<Negotiated, Reject> {
    if *head.method() != Method::POST {
        return Err(Reject::Http {
            status: 405,
            header: Some(("allow", "POST")),
        });
    }
    let Some(codec) = content_type.and_then(grpc_web_codec) else {
        return Err(Reject::Http {
            status: 415,
            header: Some(("accept-post", ACCEPT_POST)),
        });
    };
    let shape = if method.kind == crate::service::StreamKind::Unary {
        Shape::Unary
    } else {
        Shape::Stream
    };
    let timeout = match head.header(grpc::TIMEOUT).filter(|v| !v.is_empty()) {
        Some(v) => Some(grpc::parse_timeout(v).map_err(|_| Reject::Rpc {
            protocol: Protocol::GrpcWeb,
            shape,
            codec,
            code: Code::InvalidArgument,
            message: Cow::Borrowed("invalid grpc-timeout"),
        })?),
        None => None,
    };
    let request_compression = request_compression(head, grpc::ENCODING)
        .map_err(|name| unknown_compression(Protocol::GrpcWeb, shape, codec, &name))?;
    Ok(Negotiated {
        protocol: Protocol::GrpcWeb,
        shape,
        codec,
        request_compression,
        response_compression: Compression::negotiate_response(
            request_compression,
            header_str(head, grpc::ACCEPT_ENCODING),
        ),
        timeout,
    })
}

/// Connect's negotiation (see the module's documentation for its order).
fn negotiate_connect(
    head: &(impl RequestView + ?Sized),
    content_type: Option<&[u8]>,
    method: &MethodDescriptor,
) -> Result<Negotiated, Reject> {
    let streaming = method.kind != crate::service::StreamKind::Unary;
    let allow: &'static str = if method.allows_get() {
        "GET, POST"
    } else {
        "POST"
    };
    let (shape, codec_hint) = match *head.method() {
        Method::POST => match content_type.and_then(parse_content_type) {
            Some(ContentType::Unary(c)) if !streaming => (Shape::Unary, c),
            Some(ContentType::Stream(c)) if streaming => (Shape::Stream, c),
            _ => {
                return Err(Reject::Http {
                    status: 415,
                    header: Some(("accept-post", ACCEPT_POST)),
                });
            }
        },
        // Errors in GET calls are unary-shaped: their codec does not matter.
        Method::GET if method.allows_get() => (Shape::Get, Codec::Proto),
        _ => {
            return Err(Reject::Http {
                status: 405,
                header: Some(("allow", allow)),
            });
        }
    };
    let connect_error = |code, message: &'static str| Reject::Rpc {
        protocol: Protocol::Connect,
        shape,
        codec: codec_hint,
        code,
        message: Cow::Borrowed(message),
    };

    if let Some(v) = head.header(headers::PROTOCOL_VERSION)
        && v != headers::PROTOCOL_VERSION_1.as_bytes()
    {
        return Err(connect_error(
            Code::InvalidArgument,
            "connect-protocol-version must be 1",
        ));
    }
    let timeout = match head.header(headers::TIMEOUT) {
        Some(v) => Some(
            headers::parse_timeout(v)
                .map_err(|_| connect_error(Code::InvalidArgument, "invalid connect-timeout-ms"))?,
        ),
        None => None,
    };

    let (codec, request_compression, accept) = match shape {
        Shape::Get => {
            let query = head.query().unwrap_or("");
            let params = get::parse_query(query).map_err(|e| match e {
                GetError::MissingEncoding | GetError::UnknownEncoding => Reject::Http {
                    status: 415,
                    header: Some(("accept-post", ACCEPT_POST)),
                },
                GetError::UnknownCompression => {
                    let name = get::query_pairs(query)
                        .find(|(k, _)| k == "compression")
                        .map(|(_, v)| v.into_owned());
                    unknown_compression(
                        Protocol::Connect,
                        shape,
                        codec_hint,
                        name.as_deref().unwrap_or(""),
                    )
                }
                other => Reject::Rpc {
                    protocol: Protocol::Connect,
                    shape,
                    codec: codec_hint,
                    code: Code::InvalidArgument,
                    message: other.to_string().into(),
                },
            })?;
            (
                params.codec,
                params.compression,
                header_str(head, headers::ACCEPT_ENCODING),
            )
        }
        Shape::Unary | Shape::Stream => {
            // A POST: its content type named the codec.
            let codec = codec_hint;
            let (enc, acc) = if shape == Shape::Unary {
                (headers::CONTENT_ENCODING, headers::ACCEPT_ENCODING)
            } else {
                (
                    headers::STREAM_CONTENT_ENCODING,
                    headers::STREAM_ACCEPT_ENCODING,
                )
            };
            let compression = request_compression(head, enc)
                .map_err(|name| unknown_compression(Protocol::Connect, shape, codec, &name))?;
            (codec, compression, header_str(head, acc))
        }
    };
    Ok(Negotiated {
        protocol: Protocol::Connect,
        shape,
        codec,
        request_compression,
        response_compression: Compression::negotiate_response(request_compression, accept),
        timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::{Limits, RequestHead, RequestParser, Status};
    use crate::service::{Idempotency, StreamKind};

    const UNARY: MethodDescriptor = MethodDescriptor {
        name: "Unary",
        path: "/s.S/Unary",
        input_type: "s.Req",
        output_type: "s.Resp",
        kind: StreamKind::Unary,
        idempotency: Idempotency::Unknown,
    };
    const GET_OK: MethodDescriptor = MethodDescriptor {
        idempotency: Idempotency::NoSideEffects,
        ..UNARY
    };
    const STREAM: MethodDescriptor = MethodDescriptor {
        kind: StreamKind::ServerStream,
        ..UNARY
    };

    fn run(raw: &str, m: &MethodDescriptor) -> Result<Negotiated, Reject> {
        let mut p = RequestParser::new(Limits::default());
        let mut head = RequestHead::new();
        let buf = raw.replace('\n', "\r\n");
        let Ok(Status::Complete(_)) = p.parse(buf.as_bytes(), &mut head) else {
            panic!("bad test head {raw}")
        };
        negotiate(&head.view(buf.as_bytes()), m)
    }

    fn post(headers: &str) -> String {
        format!("POST /s.S/Unary HTTP/1.1\nhost: x\ncontent-length: 0\n{headers}\n")
    }

    #[test]
    fn http_parts_negotiate_as_an_http1_head_does() {
        // What hyper or h2 hands over: no HTTP/1.1 bytes behind the head.
        let (parts, ()) = http::Request::post("/s.S/Stream")
            .header("content-type", "application/connect+json")
            .header("connect-content-encoding", "gzip")
            .header("connect-accept-encoding", "gzip")
            .header("connect-timeout-ms", "250")
            .body(())
            .unwrap()
            .into_parts();
        let from_parts = negotiate(&parts, &STREAM);
        let from_http1 = run(
            "POST /s.S/Stream HTTP/1.1\nhost: x\ncontent-type: application/connect+json\n\
             connect-content-encoding: gzip\nconnect-accept-encoding: gzip\n\
             connect-timeout-ms: 250\ntransfer-encoding: chunked\n\n",
            &STREAM,
        );
        assert_eq!(from_parts, from_http1);
        let neg = from_parts.unwrap();
        assert_eq!((neg.shape, neg.codec), (Shape::Stream, Codec::Json));
        assert_eq!(neg.timeout, Some(Duration::from_millis(250)));
    }

    #[test]
    fn accepts_unary_post() {
        let n = run(&post("content-type: application/proto\nconnect-protocol-version: 1\nconnect-timeout-ms: 250\n"), &UNARY).unwrap();
        assert_eq!(n.shape, Shape::Unary);
        assert_eq!(n.codec, Codec::Proto);
        assert_eq!(n.timeout, Some(Duration::from_millis(250)));
        assert_eq!(n.request_compression, Compression::Identity);
    }

    #[test]
    fn negotiates_compression() {
        let n = run(
            &post("content-type: application/json\ncontent-encoding: gzip\n"),
            &UNARY,
        )
        .unwrap();
        assert_eq!(
            (n.request_compression, n.response_compression),
            (Compression::Gzip, Compression::Gzip)
        );
        let n = run(
            &post("content-type: application/json\naccept-encoding: foo, gzip\n"),
            &UNARY,
        )
        .unwrap();
        assert_eq!(
            (n.request_compression, n.response_compression),
            (Compression::Identity, Compression::Gzip)
        );
    }

    #[test]
    fn refusals_in_spec_order() {
        let r415 = Reject::Http {
            status: 415,
            header: Some(("accept-post", ACCEPT_POST)),
        };
        // Content type is checked before the protocol version.
        assert_eq!(
            run(&post("content-type: image/jpeg\n"), &UNARY),
            Err(r415.clone())
        );
        assert_eq!(
            run(
                &post("content-type: application/foo\nconnect-protocol-version: 1\n"),
                &UNARY
            ),
            Err(r415.clone())
        );
        // A stream content type for a unary method and vice versa.
        assert_eq!(
            run(&post("content-type: application/connect+proto\n"), &UNARY),
            Err(r415.clone())
        );
        assert_eq!(
            run(&post("content-type: application/proto\n"), &STREAM),
            Err(r415)
        );
        let del = "DELETE /s.S/Unary HTTP/1.1\nhost: x\ncontent-type: application/proto\n\n";
        assert_eq!(
            run(del, &UNARY),
            Err(Reject::Http {
                status: 405,
                header: Some(("allow", "POST"))
            })
        );
        let get = "GET /s.S/Unary?encoding=proto&message= HTTP/1.1\nhost: x\n\n";
        assert_eq!(
            run(get, &UNARY),
            Err(Reject::Http {
                status: 405,
                header: Some(("allow", "POST"))
            })
        );
        let Err(Reject::Rpc {
            protocol: Protocol::Connect,
            code,
            message,
            ..
        }) = run(
            &post("content-type: application/proto\ncontent-encoding: foo\n"),
            &UNARY,
        )
        else {
            panic!()
        };
        assert_eq!(code, Code::Unimplemented);
        assert!(message.contains("\"foo\""), "{message}");
        let Err(Reject::Rpc {
            protocol: Protocol::Connect,
            code,
            ..
        }) = run(
            &post("content-type: application/proto\nconnect-protocol-version: 2\n"),
            &UNARY,
        )
        else {
            panic!()
        };
        assert_eq!(code, Code::InvalidArgument);
        let Err(Reject::Rpc {
            protocol: Protocol::Connect,
            code,
            ..
        }) = run(
            &post("content-type: application/proto\nconnect-timeout-ms: 12345678901\n"),
            &UNARY,
        )
        else {
            panic!()
        };
        assert_eq!(code, Code::InvalidArgument);
    }

    #[test]
    fn get_requests() {
        let get = "GET /s.S/Unary?encoding=json&message=%7B%7D&connect=v1 HTTP/1.1\nhost: x\naccept-encoding: gzip\n\n";
        let n = run(get, &GET_OK).unwrap();
        assert_eq!(
            (n.shape, n.codec, n.response_compression),
            (Shape::Get, Codec::Json, Compression::Gzip)
        );
        let get = "GET /s.S/Unary?message=x HTTP/1.1\nhost: x\n\n";
        assert!(matches!(
            run(get, &GET_OK),
            Err(Reject::Http { status: 415, .. })
        ));
    }

    #[test]
    fn stream_encoding_headers() {
        let raw = "POST /s.S/Unary HTTP/1.1\nhost: x\ntransfer-encoding: chunked\ncontent-type: application/connect+json\nconnect-content-encoding: gzip\nconnect-accept-encoding: gzip\n\n";
        let n = run(raw, &STREAM).unwrap();
        assert_eq!(
            (n.shape, n.codec, n.request_compression),
            (Shape::Stream, Codec::Json, Compression::Gzip)
        );
    }

    #[test]
    fn grpc_web_requests_negotiate_from_their_grpc_fields() {
        let neg = run(
            "POST /s.S/Stream HTTP/1.1\nhost: x\ncontent-type: application/grpc-web+json\n\
             grpc-timeout: 250m\ngrpc-encoding: gzip\ngrpc-accept-encoding: gzip\n\
             content-length: 0\n\n",
            &STREAM,
        )
        .unwrap();
        assert_eq!(
            neg,
            Negotiated {
                protocol: Protocol::GrpcWeb,
                shape: Shape::Stream,
                codec: Codec::Json,
                request_compression: Compression::Gzip,
                response_compression: Compression::Gzip,
                timeout: Some(Duration::from_millis(250)),
            }
        );
        assert!(neg.unary_enveloped());
        let bare = run(&post("content-type: Application/GRPC-Web\n"), &UNARY).unwrap();
        assert_eq!(
            (bare.protocol, bare.shape, bare.codec),
            (Protocol::GrpcWeb, Shape::Unary, Codec::Proto)
        );
        assert_eq!(bare.timeout, None);
        let empty = run(
            &post("content-type: application/grpc-web\ngrpc-timeout: \n"),
            &UNARY,
        )
        .unwrap();
        assert_eq!(empty.timeout, None, "an empty grpc-timeout is no timeout");
    }

    #[test]
    fn grpc_web_refusals() {
        let get = run(
            "GET /s.S/Unary HTTP/1.1\nhost: x\ncontent-type: application/grpc-web\n\n",
            &GET_OK,
        );
        assert!(
            matches!(get, Err(Reject::Http { status: 405, .. })),
            "{get:?}"
        );
        for ct in ["application/grpc-web+xml", "application/grpc-web-text"] {
            let r = run(&post(&format!("content-type: {ct}\n")), &UNARY);
            assert!(
                matches!(r, Err(Reject::Http { status: 415, .. })),
                "{ct}: {r:?}"
            );
        }
        let r = run(
            &post("content-type: application/grpc-web\ngrpc-timeout: 123456789S\n"),
            &UNARY,
        );
        assert!(
            matches!(
                r,
                Err(Reject::Rpc {
                    protocol: Protocol::GrpcWeb,
                    code: Code::InvalidArgument,
                    ..
                })
            ),
            "{r:?}"
        );
        let r = run(
            &post("content-type: application/grpc-web\ngrpc-encoding: lz4\n"),
            &UNARY,
        );
        assert!(
            matches!(
                r,
                Err(Reject::Rpc {
                    protocol: Protocol::GrpcWeb,
                    code: Code::Unimplemented,
                    ..
                })
            ),
            "{r:?}"
        );
    }

    #[test]
    fn an_encoding_that_is_not_utf8_is_unknown() {
        for (ct, field) in [
            ("application/proto", "content-encoding"),
            ("application/grpc-web", "grpc-encoding"),
        ] {
            let (parts, ()) = http::Request::post("/s.S/Unary")
                .header("content-type", ct)
                .header(field, http::HeaderValue::from_bytes(b"\xff\xfe").unwrap())
                .body(())
                .unwrap()
                .into_parts();
            let r = negotiate(&parts, &UNARY);
            assert!(
                matches!(
                    r,
                    Err(Reject::Rpc {
                        code: Code::Unimplemented,
                        ..
                    })
                ),
                "{ct}: {r:?}"
            );
        }
    }
}
