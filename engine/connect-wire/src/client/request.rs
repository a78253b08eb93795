//! The request side of a call: heads for unary POST, GET and streams, and the messages.

use std::time::Duration;

use http::{HeaderMap, Method};

use crate::Role;
use crate::code::Code;
use crate::codec::Codec;
use crate::compression::{Codecs, Compression};
use crate::envelope::FLAG_COMPRESSED;
use crate::error::ConnectError;
use crate::fault;
use crate::headers;
use crate::http1::{write_body_framing, write_head_end, write_header, write_request_line};
use crate::json::JsonOptions;
use crate::message::Message;
use crate::protocol::{Http1Fields, Protocol, Requester, Shape};
use crate::stream::{Framing, begin_message, finish_message};

/// What every request of a call carries, whatever its shape.
#[derive(Clone, Copy, Debug)]
pub struct RequestSpec<'a> {
    /// The call's protocol.
    pub protocol: Protocol,
    /// The `Host` header: the authority of the base URL (`host[:port]`).
    pub host: &'a str,
    /// The request path: the base URL's path prefix (without a trailing `/`) followed by the
    /// procedure path (`/pkg.Service/Method`).
    pub path: &'a str,
    /// The codec of the request and response messages.
    pub codec: Codec,
    /// Compression of the request message(s); identity for none.
    pub compression: Compression,
    /// The compressions the client takes in responses, comma-separated (no `identity`:
    /// always acceptable); empty for none. Usually [`crate::compression::ACCEPT_ENCODING`].
    pub accept: &'a str,
    /// The call's timeout, sent as `connect-timeout-ms` (rounded down to whole milliseconds,
    /// at least 1, at most the 10-digit maximum).
    pub timeout: Option<Duration>,
    /// The call's application headers, sent as they are. Protocol headers among them
    /// (`content-type`, `content-length`, `host`, the `connect-` headers, …) are skipped:
    /// the framing is the client's to write.
    pub headers: &'a HeaderMap,
    /// The client's default headers, sent before the call's; a name the call sets itself
    /// is not sent from here.
    pub default_headers: &'a HeaderMap,
    /// The `user-agent` to send unless `headers` has one.
    pub user_agent: &'a str,
}

/// Why a request head could not be written. Nothing is written then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// The path or host contains bytes that cannot go on a request line or in a header.
    InvalidTarget,
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid request target or host")
    }
}

impl std::error::Error for RequestError {}

impl From<RequestError> for ConnectError {
    fn from(e: RequestError) -> Self {
        ConnectError::new(Code::InvalidArgument, e.to_string())
    }
}

fn write_common(
    out: &mut Vec<u8>,
    method: &Method,
    target: &[u8],
    spec: &RequestSpec<'_>,
) -> Result<(), RequestError> {
    write_request_line(out, method, target).map_err(|_| RequestError::InvalidTarget)?;
    write_header(out, b"host", spec.host.as_bytes()).map_err(|_| RequestError::InvalidTarget)?;
    if !spec.headers.contains_key(http::header::USER_AGENT)
        && !spec.default_headers.contains_key(http::header::USER_AGENT)
        && !spec.user_agent.is_empty()
    {
        // A user agent is ours to choose; one that cannot be a header value is dropped.
        let _ = write_header(out, b"user-agent", spec.user_agent.as_bytes());
    }
    Ok(())
}

fn write_user_headers(out: &mut Vec<u8>, spec: &RequestSpec<'_>) {
    let defaults = spec
        .default_headers
        .iter()
        .filter(|(name, _)| !spec.headers.contains_key(*name));
    for (name, value) in defaults.chain(spec.headers) {
        if headers::is_protocol_header(name.as_str()) {
            continue;
        }
        // `HeaderName` and `HeaderValue` are valid by construction (no CR, LF or NUL).
        let _ = write_header(out, name.as_str().as_bytes(), value.as_bytes());
    }
}

/// Writes the head of a unary POST whose body (`body_len` bytes, compressed with
/// `spec.compression` unless `compressed` is false) follows.
pub fn write_unary_head(
    out: &mut Vec<u8>,
    spec: &RequestSpec<'_>,
    body_len: usize,
    compressed: bool,
) -> Result<(), RequestError> {
    let mark = out.len();
    let r = (|| {
        write_common(out, &Method::POST, spec.path.as_bytes(), spec)?;
        let compression = if compressed {
            spec.compression
        } else {
            Compression::Identity
        };
        Requester::new(spec.protocol, Shape::Unary, spec.codec).request_fields(
            &mut Http1Fields(out),
            compression,
            spec.accept,
            spec.timeout,
        );
        write_user_headers(out, spec);
        write_body_framing(out, crate::http1::BodyFraming::Length(body_len as u64));
        write_head_end(out);
        Ok(())
    })();
    if r.is_err() {
        out.truncate(mark);
    }
    r
}

/// Writes a whole unary GET request (no body) for `message`, its encoding (compressed with
/// `spec.compression` when `compressed`). `query` is scratch space for the query string.
pub fn write_get_head(
    out: &mut Vec<u8>,
    spec: &RequestSpec<'_>,
    message: &[u8],
    compressed: bool,
    query: &mut String,
) -> Result<(), RequestError> {
    let compression = if compressed {
        spec.compression
    } else {
        Compression::Identity
    };
    query.clear();
    query.push_str(spec.path);
    query.push('?');
    crate::get::write_query(query, spec.codec, compression, message);
    let mark = out.len();
    let r = (|| {
        write_common(out, &Method::GET, query.as_bytes(), spec)?;
        Requester::new(spec.protocol, Shape::Get, spec.codec).request_fields(
            &mut Http1Fields(out),
            compression,
            spec.accept,
            spec.timeout,
        );
        write_user_headers(out, spec);
        write_head_end(out);
        Ok(())
    })();
    if r.is_err() {
        out.truncate(mark);
    }
    r
}

/// Writes the head of a streaming request; the body is chunked: one chunk per envelope, then
/// the last chunk. Connect sends no end-stream message and no trailers from the client.
pub fn write_stream_head(out: &mut Vec<u8>, spec: &RequestSpec<'_>) -> Result<(), RequestError> {
    let mark = out.len();
    let r = (|| {
        write_common(out, &Method::POST, spec.path.as_bytes(), spec)?;
        Requester::new(spec.protocol, Shape::Stream, spec.codec).request_fields(
            &mut Http1Fields(out),
            spec.compression,
            spec.accept,
            spec.timeout,
        );
        write_user_headers(out, spec);
        write_body_framing(out, crate::http1::BodyFraming::Chunked);
        write_head_end(out);
        Ok(())
    })();
    if r.is_err() {
        out.truncate(mark);
    }
    r
}

fn too_large() -> ConnectError {
    ConnectError::new(
        Code::ResourceExhausted,
        "request message too large for an envelope",
    )
}

/// Working buffers of a request writer, reused call after call.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The encoded (and maybe compressed) message.
    pub body: Vec<u8>,
    /// The uncompressed encoding, when compressing.
    pub plain: Vec<u8>,
    /// A GET request's target.
    pub query: String,
}

/// Writes the requests of calls: a [`RequestSpec`] plus how messages are encoded.
#[derive(Clone, Copy, Debug)]
pub struct RequestWriter<'a> {
    /// What every request carries.
    pub spec: RequestSpec<'a>,
    /// JSON codec options.
    pub json: &'a JsonOptions,
    /// Messages smaller than this are sent uncompressed.
    pub compress_min: usize,
}

impl RequestWriter<'_> {
    /// Appends the encoding of `message` to `out`, compressed with the spec's compression
    /// when it is at least `compress_min` bytes; returns whether it was compressed.
    pub fn encode<'m, M: Message<'m>>(
        &self,
        out: &mut Vec<u8>,
        plain: &mut Vec<u8>,
        codecs: &mut Codecs,
        message: &M,
    ) -> Result<bool, ConnectError> {
        let (codec, compression) = (self.spec.codec, self.spec.compression);
        let start = out.len();
        if compression == Compression::Identity {
            return match codec.encode(message, out, self.json) {
                Ok(()) => Ok(false),
                Err(e) => {
                    out.truncate(start);
                    Err(fault::encode(Role::Client, &e))
                }
            };
        }
        plain.clear();
        codec
            .encode(message, plain, self.json)
            .map_err(|e| fault::encode(Role::Client, &e))?;
        if plain.len() < self.compress_min {
            out.extend_from_slice(plain);
            return Ok(false);
        }
        codecs
            .compress(compression, plain, out)
            .map_err(|e| fault::compress(Role::Client, e))?;
        Ok(true)
    }

    /// Appends a whole unary request for `message`: a POST with the message as its body,
    /// or (with `get`) a GET with the message in the query.
    pub fn unary<'m, M: Message<'m>>(
        &self,
        out: &mut Vec<u8>,
        scratch: &mut Scratch,
        codecs: &mut Codecs,
        message: &M,
        get: bool,
    ) -> Result<(), ConnectError> {
        // The body is encoded first (its length goes in the head), then copied after the
        // head: one copy instead of a second sizing pass over the message.
        scratch.body.clear();
        let compressed = self.encode(&mut scratch.body, &mut scratch.plain, codecs, message)?;
        if get {
            write_get_head(
                out,
                &self.spec,
                &scratch.body,
                compressed,
                &mut scratch.query,
            )?;
        } else {
            write_unary_head(out, &self.spec, scratch.body.len(), compressed)?;
            out.extend_from_slice(&scratch.body);
        }
        Ok(())
    }

    /// Appends the head of a streaming request (chunked body).
    pub fn stream_head(&self, out: &mut Vec<u8>) -> Result<(), ConnectError> {
        write_stream_head(out, &self.spec).map_err(ConnectError::from)
    }

    /// Appends one message of a streaming request: its chunk and envelope (flagged
    /// compressed when it is).
    pub fn stream_message<'m, M: Message<'m>>(
        &self,
        out: &mut Vec<u8>,
        scratch: &mut Scratch,
        codecs: &mut Codecs,
        message: &M,
    ) -> Result<(), ConnectError> {
        let start = begin_message(out, Framing::Chunked);
        match self.encode(out, &mut scratch.plain, codecs, message) {
            Ok(compressed) => {
                let flags = if compressed { FLAG_COMPRESSED } else { 0 };
                finish_message(out, start, flags).map_err(|_| too_large())
            }
            Err(e) => {
                out.truncate(start.offset());
                Err(e)
            }
        }
    }

    /// Appends the end of a streaming request body (the last chunk; Connect clients send
    /// no end-stream message and no trailers).
    pub fn end_stream(&self, out: &mut Vec<u8>) {
        crate::http1::write_last_chunk(out);
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    static NO_HEADERS: std::sync::LazyLock<HeaderMap> = std::sync::LazyLock::new(HeaderMap::new);

    fn spec(headers: &HeaderMap) -> RequestSpec<'_> {
        RequestSpec {
            protocol: Protocol::Connect,
            default_headers: &NO_HEADERS,
            host: "example.com:8080",
            path: "/api/pkg.Svc/Method",
            codec: Codec::Proto,
            compression: Compression::Identity,
            accept: "gzip",
            timeout: Some(Duration::from_micros(1500)),
            headers,
            user_agent: "connect-engine/0.1",
        }
    }

    #[test]
    fn unary_head() {
        let mut h = HeaderMap::new();
        h.append("x-a", HeaderValue::from_static("1"));
        h.append("x-a", HeaderValue::from_static("2"));
        h.append("content-type", HeaderValue::from_static("text/plain"));
        let mut out = Vec::new();
        write_unary_head(&mut out, &spec(&h), 12, true).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "POST /api/pkg.Svc/Method HTTP/1.1\r\nhost: example.com:8080\r\nuser-agent: connect-engine/0.1\r\n\
             content-type: application/proto\r\nconnect-protocol-version: 1\r\naccept-encoding: gzip\r\n\
             connect-timeout-ms: 1\r\nx-a: 1\r\nx-a: 2\r\ncontent-length: 12\r\n\r\n"
        );
        h.insert("user-agent", HeaderValue::from_static("mine"));
        let mut s = spec(&h);
        s.compression = Compression::Gzip;
        s.timeout = Some(Duration::from_secs(u64::MAX / 4));
        let mut out = Vec::new();
        write_unary_head(&mut out, &s, 0, true).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("content-encoding: gzip\r\n"), "{text}");
        assert!(
            text.contains("connect-timeout-ms: 9999999999\r\n"),
            "{text}"
        );
        assert!(text.contains("user-agent: mine\r\n") && !text.contains("connect-engine/0.1"));
        // Default headers go first, unless the call sets the same name.
        let mut defaults = HeaderMap::new();
        defaults.insert("x-d", HeaderValue::from_static("d"));
        defaults.insert("x-a", HeaderValue::from_static("default"));
        let mut s2 = s;
        s2.default_headers = &defaults;
        let mut out = Vec::new();
        write_unary_head(&mut out, &s2, 0, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("x-d: d\r\nx-a: 1\r\nx-a: 2\r\n") && !text.contains("default"),
            "{text}"
        );
        // Sent uncompressed (e.g. below a size threshold): no content-encoding.
        let mut out = Vec::new();
        write_unary_head(&mut out, &s, 0, false).unwrap();
        assert!(!String::from_utf8(out).unwrap().contains("content-encoding"));
    }

    #[test]
    fn bad_targets_write_nothing() {
        let h = HeaderMap::new();
        let mut s = spec(&h);
        s.path = "/a b";
        let mut out = b"keep".to_vec();
        assert_eq!(
            write_unary_head(&mut out, &s, 0, false),
            Err(RequestError::InvalidTarget)
        );
        assert_eq!(
            write_stream_head(&mut out, &s),
            Err(RequestError::InvalidTarget)
        );
        s.path = "/ok";
        s.host = "evil\r\nx: y";
        assert_eq!(
            write_get_head(&mut out, &s, b"", false, &mut String::new()),
            Err(RequestError::InvalidTarget)
        );
        assert_eq!(out, b"keep");
    }

    #[test]
    fn get_and_stream_heads() {
        let h = HeaderMap::new();
        let mut s = spec(&h);
        s.timeout = None;
        s.compression = Compression::Gzip;
        let mut out = Vec::new();
        let mut q = String::new();
        write_get_head(&mut out, &s, b"\x0a\x01x", false, &mut q).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "GET /api/pkg.Svc/Method?connect=v1&encoding=proto&base64=1&message=CgF4 HTTP/1.1\r\n\
             host: example.com:8080\r\nuser-agent: connect-engine/0.1\r\nconnect-protocol-version: 1\r\n\
             accept-encoding: gzip\r\n\r\n"
        );
        let mut out = Vec::new();
        write_get_head(&mut out, &s, b"zz", true, &mut q).unwrap();
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains("&compression=gzip&message=eno ")
        );
        s.codec = Codec::Json;
        let mut out = Vec::new();
        write_stream_head(&mut out, &s).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "POST /api/pkg.Svc/Method HTTP/1.1\r\nhost: example.com:8080\r\nuser-agent: connect-engine/0.1\r\n\
             content-type: application/connect+json\r\nconnect-protocol-version: 1\r\n\
             connect-content-encoding: gzip\r\nconnect-accept-encoding: gzip\r\n\
             transfer-encoding: chunked\r\n\r\n"
        );
    }
}
