//! The client side of the Connect protocol, without IO: framing a call's request and
//! deciding what its response is.
//!
//! A driver (the monoio client, the blocking client, a proxy on another runtime) does the
//! socket work and calls these in order:
//!
//! 1. [`write_unary_head`] (+ the body), [`write_get_head`], or [`write_stream_head`] (then
//!    each message with [`crate::stream::begin_message`] / [`crate::stream::finish_message`]
//!    and [`crate::http1::write_last_chunk`] at the end);
//! 2. parse the response head with [`crate::http1::ResponseParser`];
//! 3. [`classify_unary`] or [`classify_stream`]: accept the body, read an error body, or fail
//!    at once with the right code (the HTTP-status table, content type and compression
//!    checks of the spec);
//! 4. [`response_metadata`] splits the head into headers and (unary) `trailer-` trailers;
//! 5. unary bodies: [`unary_error`] for an error body; streams: [`crate::stream::StreamReader`]
//!    reads messages and the end-stream message.

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::Role;
use crate::code::Code;
use crate::codec::{Codec, ContentType, parse_content_type};
use crate::compression::{Codecs, Compression};
use crate::envelope::FLAG_COMPRESSED;
use crate::error::{ConnectError, EndStream, parse_end_stream, parse_error_json};
use crate::fault;
use crate::headers;
use crate::http1::{
    Http1Error, ResponseHead, write_body_framing, write_head_end, write_header, write_request_line,
};
use crate::json::JsonOptions;
use crate::message::{Message, OwnedMessage};
use crate::stream::{Framing, begin_message, finish_message};

/// What every request of a call carries, whatever its shape.
#[derive(Clone, Copy, Debug)]
pub struct RequestSpec<'a> {
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

/// The `connect-timeout-ms` value for `timeout`: whole milliseconds, at least 1 (a timeout
/// under a millisecond is still a timeout), at most the spec's 10 digits.
#[must_use]
pub fn timeout_millis(timeout: Duration) -> u64 {
    (timeout.as_millis().clamp(1, 9_999_999_999)) as u64
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

fn write_timeout(out: &mut Vec<u8>, timeout: Option<Duration>) {
    if let Some(t) = timeout {
        let mut digits = itoa::Buffer::new();
        let _ = write_header(
            out,
            headers::TIMEOUT.as_bytes(),
            digits.format(timeout_millis(t)).as_bytes(),
        );
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
        out.extend_from_slice(b"content-type: ");
        out.extend_from_slice(spec.codec.unary_content_type().as_bytes());
        out.extend_from_slice(b"\r\nconnect-protocol-version: 1\r\n");
        if compressed && spec.compression != Compression::Identity {
            out.extend_from_slice(b"content-encoding: ");
            out.extend_from_slice(spec.compression.name().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !spec.accept.is_empty() {
            let _ = write_header(out, b"accept-encoding", spec.accept.as_bytes());
        }
        write_timeout(out, spec.timeout);
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
        out.extend_from_slice(b"connect-protocol-version: 1\r\n");
        if !spec.accept.is_empty() {
            let _ = write_header(out, b"accept-encoding", spec.accept.as_bytes());
        }
        write_timeout(out, spec.timeout);
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
        out.extend_from_slice(b"content-type: ");
        out.extend_from_slice(spec.codec.stream_content_type().as_bytes());
        out.extend_from_slice(b"\r\nconnect-protocol-version: 1\r\n");
        if spec.compression != Compression::Identity {
            out.extend_from_slice(headers::STREAM_CONTENT_ENCODING.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(spec.compression.name().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !spec.accept.is_empty() {
            let _ = write_header(
                out,
                headers::STREAM_ACCEPT_ENCODING.as_bytes(),
                spec.accept.as_bytes(),
            );
        }
        write_timeout(out, spec.timeout);
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
                finish_message(out, start, flags).map_err(|_| {
                    ConnectError::new(
                        Code::ResourceExhausted,
                        "request message too large for an envelope",
                    )
                })
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

/// Parses an end-stream message (decompressed first when `compressed`).
pub fn decode_end_stream(
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
    parse_end_stream(bytes).map_err(ConnectError::from)
}

/// What to do with a response, decided from its head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A successful response: its body is the message (unary) or the envelopes (stream), the
    /// message(s) compressed with this algorithm.
    Accept(Compression),
    /// A unary error response whose body is (probably) the Connect error JSON, compressed
    /// with this algorithm: read the body (bounded) and hand it to [`unary_error`].
    ErrorBody(Compression),
    /// The call failed; the body is not needed (read and discard it to reuse the connection,
    /// or close).
    Fail(ConnectError),
}

fn header_str<'b>(head: &ResponseHead, buf: &'b [u8], name: &str) -> Option<&'b str> {
    head.header(buf, name)
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(str::trim)
}

/// The compression a response names in `header`, if the client can decode it.
fn response_compression(
    head: &ResponseHead,
    buf: &[u8],
    header: &str,
) -> Result<Compression, ConnectError> {
    match header_str(head, buf, header) {
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
pub fn status_error(head: &ResponseHead, buf: &[u8]) -> ConnectError {
    let status = head.status();
    let reason = String::from_utf8_lossy(head.reason(buf));
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
///   fine): one that is not a Connect unary type at all gives `unknown`, another codec
///   `internal`; then the compression must be one the client decodes (else `internal`).
/// * other statuses: an `application/json` body is the Connect error ([`Verdict::ErrorBody`]),
///   anything else gives the status's code from the spec's table.
#[must_use]
pub fn classify_unary(head: &ResponseHead, buf: &[u8], codec: Codec) -> Verdict {
    let content_type = head.header(buf, "content-type");
    let parsed = content_type.and_then(parse_content_type);
    if head.status() != 200 {
        if parsed != Some(ContentType::Unary(Codec::Json)) {
            return Verdict::Fail(status_error(head, buf));
        }
        return match response_compression(head, buf, headers::CONTENT_ENCODING) {
            Ok(c) => Verdict::ErrorBody(c),
            // An error body we cannot decompress: the status still says what happened.
            Err(_) => Verdict::Fail(status_error(head, buf)),
        };
    }
    match parsed {
        Some(ContentType::Unary(c)) if c == codec => {}
        Some(ContentType::Unary(other)) => {
            return Verdict::Fail(ConnectError::new(
                Code::Internal,
                format!(
                    "invalid content-type {:?}: expected {:?}",
                    other.unary_content_type(),
                    codec.unary_content_type()
                ),
            ));
        }
        _ => {
            return Verdict::Fail(ConnectError::new(
                Code::Unknown,
                format!(
                    "invalid content-type {:?}: expected {:?}",
                    String::from_utf8_lossy(content_type.unwrap_or_default()),
                    codec.unary_content_type()
                ),
            ));
        }
    }
    match response_compression(head, buf, headers::CONTENT_ENCODING) {
        Ok(c) => Verdict::Accept(c),
        Err(e) => Verdict::Fail(e),
    }
}

/// Classifies a streaming response to a request sent with `codec`: the status must be 200
/// (else the status's code), the content type `application/connect+<codec>` (not a Connect
/// stream type at all: `unknown`; another codec: `internal`), and the
/// `connect-content-encoding` one the client decodes (else `internal`).
#[must_use]
pub fn classify_stream(head: &ResponseHead, buf: &[u8], codec: Codec) -> Verdict {
    if head.status() != 200 {
        return Verdict::Fail(status_error(head, buf));
    }
    let content_type = head.header(buf, "content-type");
    match content_type.and_then(parse_content_type) {
        Some(ContentType::Stream(c)) if c == codec => {}
        Some(ContentType::Stream(other)) => {
            return Verdict::Fail(ConnectError::new(
                Code::Internal,
                format!(
                    "invalid content-type {:?}: expected {:?}",
                    other.stream_content_type(),
                    codec.stream_content_type()
                ),
            ));
        }
        _ => {
            return Verdict::Fail(ConnectError::new(
                Code::Unknown,
                format!(
                    "invalid content-type {:?}: expected {:?}",
                    String::from_utf8_lossy(content_type.unwrap_or_default()),
                    codec.stream_content_type()
                ),
            ));
        }
    }
    match response_compression(head, buf, headers::STREAM_CONTENT_ENCODING) {
        Ok(c) => Verdict::Accept(c),
        Err(e) => Verdict::Fail(e),
    }
}

/// The error of a unary error response from its (decompressed) body: the Connect error
/// JSON, with the status's code where the body has none (or is not JSON; the message is
/// then the status line's).
#[must_use]
pub fn unary_error(head: &ResponseHead, buf: &[u8], body: &[u8]) -> ConnectError {
    let err = parse_error_json(body, Some(head.status()));
    if err.message().is_empty() && err.details().is_empty() && !looks_like_json_object(body) {
        return status_error(head, buf);
    }
    err
}

/// The error of a unary error response from its body as received (compressed with
/// `compression`; decompressed into `scratch`, bounded by `limit`). A body that will not
/// decompress is ignored: the status says what happened.
#[must_use]
pub fn error_response(
    head: &ResponseHead,
    buf: &[u8],
    body: &[u8],
    compression: Compression,
    scratch: &mut Vec<u8>,
    codecs: &mut Codecs,
    limit: usize,
) -> ConnectError {
    if compression == Compression::Identity {
        return unary_error(head, buf, body);
    }
    scratch.clear();
    match codecs.decompress(compression, body, scratch, limit) {
        Ok(()) => unary_error(head, buf, scratch),
        Err(_) => status_error(head, buf),
    }
}

fn looks_like_json_object(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'{')
}

/// The application metadata of a response head: every header except the protocol's own
/// (framing, content type, `connect-` and encoding headers). For unary responses
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
            _ if headers::is_protocol_header(name) => continue,
            _ => (&mut headers, name),
        };
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

/// Why reading a response failed at the HTTP/1.1 layer, as the client reports it:
/// `resource_exhausted` for limits, `unavailable` for a connection that broke or closed
/// early, `internal` for a malformed response.
#[must_use]
pub fn http_error(e: Http1Error) -> ConnectError {
    let code = match e {
        Http1Error::BodyTooLarge | Http1Error::HeadTooLarge | Http1Error::TooManyHeaders => {
            Code::ResourceExhausted
        }
        Http1Error::IncompleteBody => Code::Unavailable,
        _ => Code::Internal,
    };
    ConnectError::new(code, format!("response: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::{Limits, ResponseParser, Status};

    static NO_HEADERS: std::sync::LazyLock<HeaderMap> = std::sync::LazyLock::new(HeaderMap::new);

    fn spec(headers: &HeaderMap) -> RequestSpec<'_> {
        RequestSpec {
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
            classify_unary(&ok.0, &ok.1, Codec::Proto),
            Verdict::Accept(Compression::Identity)
        );
        assert_eq!(
            code_of(&classify_unary(&ok.0, &ok.1, Codec::Json)),
            Some(Code::Internal)
        );
        let json = parse(
            "HTTP/1.1 200 OK\ncontent-type: application/json; charset=utf-8\ncontent-encoding: gzip\n\n",
        );
        assert_eq!(
            classify_unary(&json.0, &json.1, Codec::Json),
            Verdict::Accept(Compression::Gzip)
        );
        for bad in [
            "HTTP/1.1 200 OK\ncontent-type: image/jpeg\n\n",
            "HTTP/1.1 200 OK\n\n",
            "HTTP/1.1 200 OK\ncontent-type: application/connect+proto\n\n",
        ] {
            let r = parse(bad);
            assert_eq!(
                code_of(&classify_unary(&r.0, &r.1, Codec::Proto)),
                Some(Code::Unknown),
                "{bad}"
            );
        }
        let foo =
            parse("HTTP/1.1 200 OK\ncontent-type: application/proto\ncontent-encoding: foo\n\n");
        assert_eq!(
            code_of(&classify_unary(&foo.0, &foo.1, Codec::Proto)),
            Some(Code::Internal)
        );
        // Errors: JSON bodies are read, anything else maps the status.
        let err = parse(
            "HTTP/1.1 404 Not Found\ncontent-type: application/json\ncontent-encoding: gzip\n\n",
        );
        assert_eq!(
            classify_unary(&err.0, &err.1, Codec::Proto),
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
                code_of(&classify_unary(&r.0, &r.1, Codec::Proto)),
                Some(code),
                "{status}"
            );
            let r = parse(&format!(
                "HTTP/1.1 {status} Whatever\ncontent-type: application/connect+proto\n\n"
            ));
            assert_eq!(
                code_of(&classify_stream(&r.0, &r.1, Codec::Proto)),
                Some(code),
                "{status}"
            );
        }
    }

    #[test]
    fn unary_error_bodies() {
        let (head, buf) =
            parse("HTTP/1.1 429 Too Many Requests\ncontent-type: application/json\n\n");
        let e = unary_error(&head, &buf, br#"{"code":"aborted","message":"m"}"#);
        assert_eq!((e.code(), e.message()), (Code::Aborted, "m"));
        assert!(e.is_from_wire());
        // A missing or unknown code takes the status's, keeping the message.
        let e = unary_error(&head, &buf, br#"{"message":"m"}"#);
        assert_eq!((e.code(), e.message()), (Code::Unavailable, "m"));
        let e = unary_error(&head, &buf, br#"{"code":"nope","message":"m"}"#);
        assert_eq!(e.code(), Code::Unavailable);
        // Not JSON: the status line.
        let e = unary_error(&head, &buf, b"<html>oops</html>");
        assert_eq!(
            (e.code(), e.message()),
            (Code::Unavailable, "HTTP status 429 Too Many Requests")
        );
        let e = unary_error(&head, &buf, b"");
        assert_eq!(e.code(), Code::Unavailable);
    }

    #[test]
    fn stream_classification() {
        let ok = parse(
            "HTTP/1.1 200 OK\ncontent-type: application/connect+json\nconnect-content-encoding: gzip\n\n",
        );
        assert_eq!(
            classify_stream(&ok.0, &ok.1, Codec::Json),
            Verdict::Accept(Compression::Gzip)
        );
        assert_eq!(
            code_of(&classify_stream(&ok.0, &ok.1, Codec::Proto)),
            Some(Code::Internal)
        );
        let unary = parse("HTTP/1.1 200 OK\ncontent-type: application/json\n\n");
        assert_eq!(
            code_of(&classify_stream(&unary.0, &unary.1, Codec::Json)),
            Some(Code::Unknown)
        );
        let foo = parse(
            "HTTP/1.1 200 OK\ncontent-type: application/connect+proto\nconnect-content-encoding: foo\n\n",
        );
        assert_eq!(
            code_of(&classify_stream(&foo.0, &foo.1, Codec::Proto)),
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
}
