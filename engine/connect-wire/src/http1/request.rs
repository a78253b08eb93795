//! Request heads (the server side): incremental parsing into offsets, and everything a server
//! decides from a head before reading the body.

use std::mem::MaybeUninit;

use http::Method;

use super::head::{self, FieldSummary, HeaderIter, HeaderRange, Span};
use super::scan::{HeadScanner, Kind};
use super::{BodyFraming, Http1Error, Limits, MAX_HEADERS_CAP, Status};

/// Incremental request head parser: the limits plus the scan position between calls.
///
/// One per connection, reused for every request on it. [`RequestParser::parse`] returns
/// [`Status::Partial`] until the head is complete; the scan position is kept so every byte is
/// scanned once, and httparse runs once per head.
#[derive(Clone, Debug)]
pub struct RequestParser {
    limits: Limits,
    scan: HeadScanner,
}

impl RequestParser {
    /// A parser enforcing `limits`.
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            scan: HeadScanner::at(0),
        }
    }

    /// The limits this parser enforces.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Forgets the scan position: the next call starts a new head. Needed only when abandoning a
    /// partial head; `parse` resets itself after returning `Complete` or an error.
    pub fn reset(&mut self) {
        self.scan = HeadScanner::at(0);
    }

    /// Parses the request head at the start of `buf` into `head`.
    ///
    /// `buf` holds everything received of this head so far (and possibly body bytes or further
    /// pipelined requests after it); between calls returning [`Status::Partial`] it may only
    /// grow at the end. On [`Status::Complete`]`(n)` the head is `buf[..n]`, the body starts at
    /// `n`, and every offset in `head` is relative to `buf`. On error the connection's framing
    /// is lost: answer with [`Http1Error::status`] and close. `head`'s contents are unspecified
    /// after an error or `Partial`.
    ///
    /// Steady state does not allocate: `head` keeps its header vector's capacity, and `GET` /
    /// `POST` (every standard method, every extension method up to 15 bytes) are stored inline
    /// in [`http::Method`].
    pub fn parse(
        &mut self,
        buf: &[u8],
        head: &mut RequestHead,
    ) -> Result<Status<usize>, Http1Error> {
        let r = self.parse_inner(buf, head);
        if r.is_err() {
            self.reset();
        }
        r
    }

    fn parse_inner(
        &mut self,
        buf: &[u8],
        head: &mut RequestHead,
    ) -> Result<Status<usize>, Http1Error> {
        let Some((start, end)) = self.scan.scan(&mut { buf }, &self.limits, Kind::Request)? else {
            return Ok(Status::Partial);
        };
        // RFC 9110 §2.5: a higher minor version of HTTP/1 is processed as HTTP/1.1. httparse
        // knows only 1.0 and 1.1, so it reads a copy of the head that says 1.1 (rare: no
        // client sends 1.2+ today); offsets into the copy are offsets into `buf`.
        let patched;
        let buf = match higher_minor_version(first_line(&buf[start..end]), Kind::Request) {
            Some(at) => {
                let mut copy = buf[..end].to_vec();
                copy[start + at] = b'1';
                patched = copy;
                &patched[..]
            }
            None => buf,
        };
        let bytes = buf.get(start..end).unwrap_or_default();

        // Uninitialised slots cost nothing to create; the scanner already checked that the field
        // count fits, so httparse's TooManyHeaders cannot fire.
        let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS_CAP];
        let cap = self.limits.max_headers.min(MAX_HEADERS_CAP);
        let mut req = httparse::Request::new(&mut []);
        match req.parse_with_uninit_headers(bytes, slots.get_mut(..cap).unwrap_or_default()) {
            Ok(httparse::Status::Complete(_)) => {}
            // The scanner found the empty line that ends the head, so httparse cannot want more.
            Ok(httparse::Status::Partial) => return Err(Http1Error::InvalidRequestLine),
            Err(e) => return Err(map_error(e, bytes)),
        }
        let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
            return Err(Http1Error::InvalidRequestLine);
        };

        head.minor = minor;
        head.method =
            Method::from_bytes(method.as_bytes()).map_err(|_| Http1Error::InvalidRequestLine)?;
        if target.len() > self.limits.max_uri_len {
            return Err(Http1Error::UriTooLong);
        }
        head.target = Span::of(buf, target.as_bytes());
        head.classify_target(target.as_bytes())?;

        let fields = head::record_headers(buf, req.headers, minor, &mut head.headers);
        // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without Host and to any
        // request with more than one Host field line.
        if fields.host_count > 1 {
            return Err(Http1Error::DuplicateHost);
        }
        if minor >= 1 && fields.host_count == 0 {
            return Err(Http1Error::MissingHost);
        }
        head.framing = request_framing(&fields, buf, minor)?;
        head.keep_alive = fields.keep_alive(minor);
        head.expect_continue = fields.expect_continue;
        head.head_len = end;
        Ok(Status::Complete(end))
    }
}

impl Default for RequestParser {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

/// RFC 9112 §6.3 for requests: chunked if Transfer-Encoding ends in `chunked`, else
/// Content-Length, else no body. Everything ambiguous is an error.
fn request_framing(f: &FieldSummary, buf: &[u8], minor: u8) -> Result<BodyFraming, Http1Error> {
    if let Some(len) = f.common_framing(buf, minor)? {
        return Ok(BodyFraming::Length(len));
    }
    if !f.te.present {
        // §6.3 item 7: no Content-Length and no Transfer-Encoding → length 0.
        return Ok(BodyFraming::Length(0));
    }
    // §6.3 item 4: a request whose final coding is not chunked → 400 and close.
    if !f.te.chunked_last {
        return Err(Http1Error::ChunkedNotLast);
    }
    // §6.1: a coding we do not implement (anything before the final chunked) → 501.
    if f.te.elements > 1 {
        return Err(Http1Error::UnsupportedTransferCoding);
    }
    Ok(BodyFraming::Chunked)
}

/// Maps an httparse error to ours, looking at the start line to tell a well-formed but
/// unsupported version (505) from garbage (400).
fn map_error(e: httparse::Error, head: &[u8]) -> Http1Error {
    match e {
        httparse::Error::Version | httparse::Error::NewLine => {
            let line = first_line(head);
            let version = line.rsplit(|&b| b == b' ').next().unwrap_or_default();
            match classify_version(version) {
                Some(err) => err,
                None if e == httparse::Error::Version => Http1Error::InvalidVersion,
                None => Http1Error::InvalidNewLine,
            }
        }
        httparse::Error::Token => Http1Error::InvalidRequestLine,
        httparse::Error::HeaderName => Http1Error::InvalidHeaderName,
        httparse::Error::HeaderValue => Http1Error::InvalidHeaderValue,
        httparse::Error::Status => Http1Error::InvalidStatusLine,
        httparse::Error::TooManyHeaders => Http1Error::TooManyHeaders,
    }
}

/// The start line of a head (without CRLF).
pub(crate) fn first_line(head: &[u8]) -> &[u8] {
    let end = head
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(head.len());
    head.get(..end).unwrap_or_default()
}

/// Where the minor digit of an `HTTP/1.2` … `HTTP/1.9` version sits in `line` (a request's
/// last token, a response's first), if that is the line's version.
pub(crate) fn higher_minor_version(line: &[u8], kind: Kind) -> Option<usize> {
    let at = match kind {
        Kind::Request => line.len().checked_sub(8)?,
        Kind::Response => 0,
    };
    let v = line.get(at..at + 8)?;
    let boundary_ok = match kind {
        Kind::Request => at > 0 && line[at - 1] == b' ',
        Kind::Response => line.get(8) == Some(&b' '),
    };
    (boundary_ok && v.starts_with(b"HTTP/1.") && (b'2'..=b'9').contains(&v[7])).then_some(at + 7)
}

/// `None` for HTTP/1.0 and HTTP/1.1; [`Http1Error::UnsupportedVersion`] for another well-formed
/// `HTTP/DIGIT+.DIGIT+` (RFC 9110 §2.5); [`Http1Error::InvalidVersion`] otherwise.
pub(crate) fn classify_version(v: &[u8]) -> Option<Http1Error> {
    if v == b"HTTP/1.0" || v == b"HTTP/1.1" {
        return None;
    }
    let Some(num) = v.strip_prefix(b"HTTP/") else {
        return Some(Http1Error::InvalidVersion);
    };
    let mut parts = num.splitn(2, |&b| b == b'.');
    let (Some(major), Some(minor)) = (parts.next(), parts.next()) else {
        return Some(Http1Error::InvalidVersion);
    };
    let digits = |s: &[u8]| !s.is_empty() && s.len() <= 3 && s.iter().all(u8::is_ascii_digit);
    if digits(major) && digits(minor) {
        Some(Http1Error::UnsupportedVersion)
    } else {
        Some(Http1Error::InvalidVersion)
    }
}

/// The four forms of request-target (RFC 9112 §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TargetForm {
    /// `/path?query` — what clients send to origin servers.
    #[default]
    Origin,
    /// `http://host/path?query` — sent to proxies; servers must accept it too (§3.2.2).
    Absolute,
    /// `host:port` — CONNECT only.
    Authority,
    /// `*` — OPTIONS only.
    Asterisk,
}

/// A parsed request head: offsets into the buffer it was parsed from, plus the decisions a
/// server needs (body framing, keep-alive, `Expect: 100-continue`).
///
/// Reuse one per connection: parsing clears the header vector but keeps its capacity, so steady
/// state does not allocate. Accessors that return bytes take the buffer that was parsed (or any
/// buffer with the same bytes at the same offsets, e.g. the head split off as `Bytes`); given a
/// different, shorter buffer they return empty values, never panic.
#[derive(Clone, Debug)]
pub struct RequestHead {
    method: Method,
    minor: u8,
    target: Span,
    form: TargetForm,
    path: Span,
    query: Option<Span>,
    headers: Vec<HeaderRange>,
    head_len: usize,
    framing: BodyFraming,
    keep_alive: bool,
    expect_continue: bool,
}

impl Default for RequestHead {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestHead {
    /// An empty head with room for 16 header fields.
    #[must_use]
    pub fn new() -> Self {
        Self {
            method: Method::GET,
            minor: 1,
            target: Span::EMPTY,
            form: TargetForm::Origin,
            path: Span::EMPTY,
            query: None,
            headers: Vec::with_capacity(16),
            head_len: 0,
            framing: BodyFraming::Length(0),
            keep_alive: true,
            expect_continue: false,
        }
    }

    /// The request method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The minor HTTP version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    #[must_use]
    pub fn version_minor(&self) -> u8 {
        self.minor
    }

    /// The request-target as sent (path and query, or another form).
    #[must_use]
    pub fn target<'b>(&self, buf: &'b [u8]) -> &'b str {
        as_str(self.target.get(buf))
    }

    /// Where the request-target is in the buffer.
    #[must_use]
    pub fn target_span(&self) -> Span {
        self.target
    }

    /// Which form the request-target has.
    #[must_use]
    pub fn target_form(&self) -> TargetForm {
        self.form
    }

    /// The path, not percent-decoded: for origin-form the target up to `?`; for absolute-form
    /// the part after the authority (`/` if empty); `*` for asterisk-form; empty for
    /// authority-form.
    #[must_use]
    pub fn path<'b>(&self, buf: &'b [u8]) -> &'b str {
        if self.path.is_empty() && self.form == TargetForm::Absolute {
            return "/";
        }
        as_str(self.path.get(buf))
    }

    /// Where the path is in the buffer (empty for an absolute-form target without a path).
    #[must_use]
    pub fn path_span(&self) -> Span {
        self.path
    }

    /// The query (after `?`, not decoded), if the target has one.
    #[must_use]
    pub fn query<'b>(&self, buf: &'b [u8]) -> Option<&'b str> {
        self.query.map(|q| as_str(q.get(buf)))
    }

    /// Where the query is in the buffer.
    #[must_use]
    pub fn query_span(&self) -> Option<Span> {
        self.query
    }

    /// The first value of header `name` (ASCII case-insensitive), trimmed.
    #[must_use]
    pub fn header<'b>(&self, buf: &'b [u8], name: &str) -> Option<&'b [u8]> {
        head::find(&self.headers, buf, name)
    }

    /// Every value of header `name` (ASCII case-insensitive), in order.
    pub fn header_all<'a, 'b: 'a>(
        &'a self,
        buf: &'b [u8],
        name: &'a str,
    ) -> impl Iterator<Item = &'b [u8]> + 'a {
        head::find_all(&self.headers, buf, name)
    }

    /// All header fields in order, repeated names included.
    #[must_use]
    pub fn headers<'a, 'b>(&'a self, buf: &'b [u8]) -> HeaderIter<'a, 'b> {
        HeaderIter {
            headers: self.headers.iter(),
            buf,
        }
    }

    /// The header fields as offsets.
    #[must_use]
    pub fn header_ranges(&self) -> &[HeaderRange] {
        &self.headers
    }

    /// Length of the head in bytes, including any skipped leading empty lines: the body starts at
    /// this offset.
    #[must_use]
    pub fn head_len(&self) -> usize {
        self.head_len
    }

    /// How the body is delimited: [`BodyFraming::Length`] (0 when the request has no body) or
    /// [`BodyFraming::Chunked`]; never `UntilClose` for a request.
    #[must_use]
    pub fn body_framing(&self) -> BodyFraming {
        self.framing
    }

    /// Whether the request has a body to read (chunked, or a non-zero Content-Length).
    #[must_use]
    pub fn has_body(&self) -> bool {
        self.framing != BodyFraming::Length(0)
    }

    /// Whether the client asked to keep the connection open afterwards (RFC 9112 §9.3):
    /// HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    /// A server also closes after errors and after a body it did not read completely.
    #[must_use]
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// Whether the client sent `Expect: 100-continue` in an HTTP/1.1 request (RFC 9110
    /// §10.1.1) and waits for `HTTP/1.1 100 Continue` (or a final status) before sending the
    /// body ([`CONTINUE_RESPONSE`](super::CONTINUE_RESPONSE)). Only meaningful when
    /// [`has_body`](Self::has_body). Other expectations are ignored (RFC 9110 §10.1.1 allows 417).
    #[must_use]
    pub fn expect_continue(&self) -> bool {
        self.expect_continue
    }

    /// Splits the target into form, path and query (RFC 9112 §3.2).
    fn classify_target(&mut self, t: &[u8]) -> Result<(), Http1Error> {
        // A fragment is not part of any request-target form (§3.2); httparse lets `#` through.
        if t.contains(&b'#') {
            return Err(Http1Error::InvalidTarget);
        }
        let is_connect = self.method == Method::CONNECT;
        let (form, path_from) = if t == b"*" {
            if self.method != Method::OPTIONS {
                return Err(Http1Error::InvalidTarget);
            }
            (TargetForm::Asterisk, None)
        } else if t.first() == Some(&b'/') && !is_connect {
            (TargetForm::Origin, Some(0))
        } else if is_connect {
            // authority-form = uri-host ":" port (§3.2.3).
            if t.iter().any(|&b| matches!(b, b'/' | b'?' | b'@')) || !t.contains(&b':') {
                return Err(Http1Error::InvalidTarget);
            }
            (TargetForm::Authority, None)
        } else if let Some(after) = scheme_end(t) {
            // absolute-form (§3.2.2): the path starts at the first '/' or '?' after the authority.
            let auth_len = t
                .get(after..)
                .unwrap_or_default()
                .iter()
                .position(|&b| b == b'/' || b == b'?')
                .unwrap_or(t.len() - after);
            (TargetForm::Absolute, Some(after + auth_len))
        } else {
            return Err(Http1Error::InvalidTarget);
        };
        self.form = form;
        match path_from {
            None => {
                self.path = if form == TargetForm::Asterisk {
                    self.target
                } else {
                    Span::EMPTY
                };
                self.query = None;
            }
            Some(from) => {
                let rest = t.get(from..).unwrap_or_default();
                if let Some(q) = rest.iter().position(|&b| b == b'?') {
                    self.path = self.target.sub(from, from + q);
                    self.query = Some(self.target.sub(from + q + 1, t.len()));
                } else {
                    self.path = self.target.sub(from, t.len());
                    self.query = None;
                }
            }
        }
        Ok(())
    }
}

/// If `t` starts with `scheme "://"` (RFC 3986 §3.1), the offset just past `://`.
fn scheme_end(t: &[u8]) -> Option<usize> {
    let colon = t.iter().position(|&b| b == b':')?;
    let scheme = t.get(..colon)?;
    let first_alpha = scheme.first().is_some_and(u8::is_ascii_alphabetic);
    let valid = scheme
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if first_alpha && valid && t.get(colon + 1..colon + 3) == Some(b"//") {
        Some(colon + 3)
    } else {
        None
    }
}

/// Bytes httparse validated as UTF-8 (targets) or ASCII (names); `""` on a foreign buffer.
fn as_str(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::Status;

    fn parse(input: &[u8]) -> Result<RequestHead, Http1Error> {
        parse_with(input, Limits::default())
    }

    fn parse_with(input: &[u8], limits: Limits) -> Result<RequestHead, Http1Error> {
        let mut p = RequestParser::new(limits);
        let mut head = RequestHead::new();
        match p.parse(input, &mut head)? {
            Status::Complete(n) => {
                assert_eq!(n, head.head_len());
                Ok(head)
            }
            Status::Partial => panic!("partial: {:?}", String::from_utf8_lossy(input)),
        }
    }

    #[test]
    fn valid_heads() {
        use BodyFraming::{Chunked, Length};
        struct Case {
            input: &'static [u8],
            method: &'static str,
            minor: u8,
            path: &'static str,
            query: Option<&'static str>,
            framing: BodyFraming,
            keep_alive: bool,
            expect: bool,
        }
        let case = |input, method, minor, path, query, framing, keep_alive, expect| Case {
            input,
            method,
            minor,
            path,
            query,
            framing,
            keep_alive,
            expect,
        };
        let cases = [
            case(&b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"[..], "GET", 1, "/", None, Length(0), true, false),
            case(
                b"POST /pkg.Svc/M?x=1&y HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
                "POST",
                1,
                "/pkg.Svc/M",
                Some("x=1&y"),
                Length(5),
                true,
                false,
            ),
            case(b"GET /?q HTTP/1.1\r\nHost: a\r\n\r\n", "GET", 1, "/", Some("q"), Length(0), true, false),
            case(b"GET /a? HTTP/1.1\r\nHost: a\r\n\r\n", "GET", 1, "/a", Some(""), Length(0), true, false),
            case(b"GET /a HTTP/1.0\r\n\r\n", "GET", 0, "/a", None, Length(0), false, false),
            case(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET", 0, "/a", None, Length(0), true, false),
            case(
                b"GET /a HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
                "GET",
                0,
                "/a",
                None,
                Length(0),
                false,
                false,
            ),
            case(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", "GET", 1, "/", None, Length(0), false, false),
            case(
                b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nConnection: CLOSE\r\n\r\n",
                "GET",
                1,
                "/",
                None,
                Length(0),
                false,
                false,
            ),
            case(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", "POST", 1, "/", None, Chunked, true, false),
            case(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  CHUNKED \r\n\r\n", "POST", 1, "/", None, Chunked, true, false),
            case(b"POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: , chunked,\r\n\r\n", "POST", 1, "/", None, Chunked, true, false),
            case(
                b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\nTransfer-Encoding: chunked\r\n\r\n",
                "POST",
                1,
                "/",
                None,
                Chunked,
                true,
                false,
            ),
            case(
                b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n",
                "POST",
                1,
                "/",
                None,
                Length(3),
                true,
                true,
            ),
            case(b"POST / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n", "POST", 0, "/", None, Length(3), false, false),
            case(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n", "POST", 1, "/", None, Length(7), true, false),
            case(b"GET http://h.example/p?q HTTP/1.1\r\nHost: h.example\r\n\r\n", "GET", 1, "/p", Some("q"), Length(0), true, false),
            case(b"GET http://h.example HTTP/1.1\r\nHost: h.example\r\n\r\n", "GET", 1, "/", None, Length(0), true, false),
            case(b"GET https://h.example:8443?x HTTP/1.1\r\nHost: h\r\n\r\n", "GET", 1, "/", Some("x"), Length(0), true, false),
            case(b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", "OPTIONS", 1, "*", None, Length(0), true, false),
            case(b"CONNECT h.example:443 HTTP/1.1\r\nHost: h.example:443\r\n\r\n", "CONNECT", 1, "", None, Length(0), true, false),
            case(b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET", 1, "/", None, Length(0), true, false),
            case(b"PURGE /x HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Sp:   \r\n\r\n", "PURGE", 1, "/x", None, Length(0), true, false),
            case(b"DELETE /x HTTP/1.1\r\nHost:\r\n\r\n", "DELETE", 1, "/x", None, Length(0), true, false),
        ];
        for c in cases {
            let name = String::from_utf8_lossy(c.input).into_owned();
            let head = parse(c.input).unwrap_or_else(|e| panic!("{name:?}: {e:?}"));
            assert_eq!(head.method().as_str(), c.method, "{name:?}");
            assert_eq!(head.version_minor(), c.minor, "{name:?}");
            assert_eq!(head.path(c.input), c.path, "{name:?}");
            assert_eq!(head.query(c.input), c.query, "{name:?}");
            assert_eq!(head.body_framing(), c.framing, "{name:?}");
            assert_eq!(head.keep_alive(), c.keep_alive, "{name:?}");
            assert_eq!(head.expect_continue(), c.expect, "{name:?}");
            assert!(
                c.input[head.head_len() - 4..head.head_len()] == *b"\r\n\r\n",
                "{name:?}"
            );
        }
    }

    #[test]
    fn invalid_heads() {
        use Http1Error as E;
        let cases: &[(&[u8], Http1Error)] = &[
            // Line endings and folding.
            (b"GET / HTTP/1.1\nHost: a\n\n", E::BareLf),
            (b"GET / HTTP/1.1\r\nHost: a\n\r\n", E::BareLf),
            (b"GET / HTTP/1.1\r\nHost: a\r\n\n", E::BareLf),
            (b"\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", E::BareLf),
            (b"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", E::ObsoleteLineFolding),
            (b"GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", E::ObsoleteLineFolding),
            (b"GET / HTTP/1.1\r\n Host: a\r\n\r\n", E::ObsoleteLineFolding),
            (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", E::InvalidHeaderValue),
            (b"GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", E::InvalidNewLine),
            // Versions.
            (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", E::UnsupportedVersion),
            (b"GET / HTTP/0.9\r\nHost: a\r\n\r\n", E::UnsupportedVersion),
            (b"GET / HTTP/1.10\r\nHost: a\r\n\r\n", E::UnsupportedVersion),
            (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", E::UnsupportedVersion),
            (b"GET / HTTP/3\r\nHost: a\r\n\r\n", E::InvalidVersion),
            (b"GET / http/1.1\r\nHost: a\r\n\r\n", E::InvalidVersion),
            (b"GET / HTTP/1.1x\r\nHost: a\r\n\r\n", E::InvalidVersion),
            (b"GET / FOO/1.1\r\nHost: a\r\n\r\n", E::InvalidVersion),
            (b"GET /\r\n\r\n", E::InvalidRequestLine),
            // Request line.
            (b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", E::InvalidRequestLine),
            (b"G@T / HTTP/1.1\r\nHost: a\r\n\r\n", E::InvalidRequestLine),
            (b" GET / HTTP/1.1\r\nHost: a\r\n\r\n", E::InvalidRequestLine),
            (b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", E::InvalidVersion),
            (b"GET a HTTP/1.1\r\nHost: a\r\n\r\n", E::InvalidTarget),
            (b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", E::InvalidTarget),
            (b"GET /#frag HTTP/1.1\r\nHost: a\r\n\r\n", E::InvalidTarget),
            (b"CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", E::InvalidTarget),
            (b"CONNECT h.example HTTP/1.1\r\nHost: a\r\n\r\n", E::InvalidTarget),
            (b"GET 1http://x/ HTTP/1.1\r\nHost: a\r\n\r\n", E::InvalidTarget),
            // Host.
            (b"GET / HTTP/1.1\r\n\r\n", E::MissingHost),
            (b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", E::DuplicateHost),
            (b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", E::DuplicateHost),
            // Field syntax.
            (b"GET / HTTP/1.1\r\nHost : a\r\n\r\n", E::InvalidHeaderName),
            (b"GET / HTTP/1.1\r\nHost: a\r\nX Y: b\r\n\r\n", E::InvalidHeaderName),
            (b"GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", E::InvalidHeaderName),
            (b"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", E::InvalidHeaderName),
            (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n", E::InvalidHeaderValue),
            (b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fb\r\n\r\n", E::InvalidHeaderValue),
            // Content-Length (RFC 9110 §8.6, RFC 9112 §6.3).
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", E::DuplicateContentLength),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", E::InvalidContentLength),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", E::InvalidContentLength),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", E::InvalidContentLength),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", E::InvalidContentLength),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1a\r\n\r\n", E::InvalidContentLength),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", E::InvalidContentLength),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", E::InvalidContentLength),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", E::InvalidContentLength),
            // Transfer-Encoding (RFC 9112 §6.1, §6.3).
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", E::ContentLengthWithTransferEncoding),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", E::ContentLengthWithTransferEncoding),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", E::UnsupportedTransferCoding),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", E::UnsupportedTransferCoding),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", E::ChunkedNotLast),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", E::ChunkedNotLast),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", E::ChunkedNotLast),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", E::ChunkedNotLast),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunkedx\r\n\r\n", E::ChunkedNotLast),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", E::InvalidTransferEncoding),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", E::InvalidTransferEncoding),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", E::InvalidTransferEncoding),
            (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", E::InvalidTransferEncoding),
            (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", E::TransferEncodingHttp10),
        ];
        for (input, want) in cases {
            let got = parse(input).map(|h| h.body_framing());
            assert_eq!(got, Err(*want), "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn statuses_of_framing_errors() {
        let status = |input: &[u8]| parse(input).unwrap_err().status().as_u16();
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            501
        );
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"),
            400
        );
        assert_eq!(status(b"GET / HTTP/2.0\r\n\r\n"), 505);
        assert_eq!(status(b"GET / HTTP/1.1\r\n\r\n"), 400);
    }

    #[test]
    fn limits() {
        // Head size: 431, as soon as max_head_size bytes arrived without the end of the head.
        let mut big = b"GET / HTTP/1.1\r\nHost: a\r\nX: ".to_vec();
        big.resize(20_000, b'a');
        big.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse(&big).unwrap_err(), Http1Error::HeadTooLarge);
        let mut p = RequestParser::default();
        let mut h = RequestHead::new();
        assert_eq!(p.parse(&big[..16 * 1024 - 1], &mut h), Ok(Status::Partial));
        assert_eq!(
            p.parse(&big[..16 * 1024], &mut h),
            Err(Http1Error::HeadTooLarge)
        );

        // Exactly at the limit is accepted; one more byte is not.
        let limits = Limits {
            max_head_size: 64,
            ..Limits::default()
        };
        let mut exact = b"GET / HTTP/1.1\r\nHost: a\r\nX: ".to_vec();
        exact.resize(60, b'a');
        exact.extend_from_slice(b"\r\n\r\n");
        assert_eq!(exact.len(), 64);
        assert!(parse_with(&exact, limits).is_ok());
        exact.insert(30, b'a');
        assert_eq!(
            parse_with(&exact, limits).unwrap_err(),
            Http1Error::HeadTooLarge
        );

        // Header count: 100 fields pass, 101 do not.
        let mut many = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
        for i in 0..99 {
            many.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        let mut ok = many.clone();
        ok.extend_from_slice(b"\r\n");
        assert_eq!(parse(&ok).unwrap().header_ranges().len(), 100);
        many.extend_from_slice(b"X-last: v\r\n\r\n");
        assert_eq!(parse(&many).unwrap_err(), Http1Error::TooManyHeaders);
        assert_eq!(Http1Error::TooManyHeaders.status().as_u16(), 431);

        // URI length: 414, also when the request line alone exceeds the head limit.
        let mut uri = b"GET /".to_vec();
        uri.resize(9000, b'a');
        uri.extend_from_slice(b" HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(parse(&uri).unwrap_err(), Http1Error::UriTooLong);
        let mut uri = b"GET /".to_vec();
        uri.resize(20_000, b'a');
        assert_eq!(parse(&uri).unwrap_err(), Http1Error::UriTooLong);
        let limits = Limits {
            max_uri_len: 4,
            ..Limits::default()
        };
        assert!(parse_with(b"GET /abc HTTP/1.1\r\nHost: a\r\n\r\n", limits).is_ok());
        assert_eq!(
            parse_with(b"GET /abcd HTTP/1.1\r\nHost: a\r\n\r\n", limits).unwrap_err(),
            Http1Error::UriTooLong
        );

        // Configured header limits above the cap are clamped, not trusted.
        let limits = Limits {
            max_headers: 100_000,
            ..Limits::default()
        };
        let mut many = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
        for _ in 0..MAX_HEADERS_CAP {
            many.extend_from_slice(b"X: v\r\n");
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(
            parse_with(&many, limits).unwrap_err(),
            Http1Error::TooManyHeaders
        );
    }

    #[test]
    fn header_access() {
        let buf: &[u8] = b"POST /p HTTP/1.1\r\nHost: example\r\nX-Multi: 1\r\nContent-Type:application/proto \r\nx-multi:  2\r\nX-Empty:\r\n\r\n";
        let head = parse(buf).unwrap();
        assert_eq!(
            head.header(buf, "content-type"),
            Some(&b"application/proto"[..])
        );
        assert_eq!(head.header(buf, "HOST"), Some(&b"example"[..]));
        assert_eq!(head.header(buf, "x-empty"), Some(&b""[..]));
        assert_eq!(head.header(buf, "missing"), None);
        assert_eq!(
            head.header_all(buf, "X-MULTI").collect::<Vec<_>>(),
            [&b"1"[..], b"2"]
        );
        let all: Vec<(&str, &[u8])> = head.headers(buf).collect();
        assert_eq!(
            all,
            [
                ("Host", &b"example"[..]),
                ("X-Multi", b"1"),
                ("Content-Type", b"application/proto"),
                ("x-multi", b"2"),
                ("X-Empty", b""),
            ]
        );
        assert_eq!(head.headers(buf).len(), 5);
        assert_eq!(head.target(buf), "/p");
        assert_eq!(head.target_form(), TargetForm::Origin);
        // Reading with a wrong (shorter) buffer degrades to empty values, never panics.
        assert_eq!(head.header(b"short", "host"), None);
        assert_eq!(head.path(b""), "");
    }

    #[test]
    fn offsets_survive_splitting_the_buffer() {
        let buf = b"GET /x?y HTTP/1.1\r\nHost: h\r\n\r\nNEXT".to_vec();
        let mut p = RequestParser::default();
        let mut head = RequestHead::new();
        let Ok(Status::Complete(n)) = p.parse(&buf, &mut head) else {
            panic!()
        };
        let mut bytes = bytes::BytesMut::from(&buf[..]);
        let head_bytes = bytes.split_to(n).freeze();
        assert_eq!(head.path(&head_bytes), "/x");
        assert_eq!(head.query(&head_bytes), Some("y"));
        assert_eq!(&bytes[..], b"NEXT");
    }

    #[test]
    fn reuse_keeps_capacity() {
        let a: &[u8] = b"GET /a HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
        let b: &[u8] = b"POST /b HTTP/1.1\r\nHost: b\r\nContent-Length: 1\r\n\r\nx";
        let mut p = RequestParser::default();
        let mut head = RequestHead::new();
        let cap = head.headers.capacity();
        for _ in 0..3 {
            assert!(p.parse(a, &mut head).unwrap().is_complete());
            assert_eq!(head.header_ranges().len(), 3);
            assert_eq!(head.path(a), "/a");
            assert!(p.parse(b, &mut head).unwrap().is_complete());
            assert_eq!(head.header_ranges().len(), 2);
            assert_eq!(head.body_framing(), BodyFraming::Length(1));
        }
        assert_eq!(head.headers.capacity(), cap);
    }

    #[test]
    fn parser_recovers_from_a_foreign_buffer() {
        let mut p = RequestParser::default();
        let mut head = RequestHead::new();
        assert_eq!(
            p.parse(b"GET / HTTP/1.1\r\nHost: aaaaaaaaaa", &mut head),
            Ok(Status::Partial)
        );
        // Contract broken (shorter buffer): the parser starts over instead of misreading.
        let r = p.parse(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", &mut head);
        assert_eq!(r, Ok(Status::Complete(27)));
    }

    #[test]
    fn versions() {
        assert_eq!(classify_version(b"HTTP/1.1"), None);
        assert_eq!(classify_version(b"HTTP/1.0"), None);
        assert_eq!(
            classify_version(b"HTTP/2"),
            Some(Http1Error::InvalidVersion)
        );
        assert_eq!(
            classify_version(b"HTTP/2.0"),
            Some(Http1Error::UnsupportedVersion)
        );
        assert_eq!(
            classify_version(b"HTTP/.1"),
            Some(Http1Error::InvalidVersion)
        );
        assert_eq!(classify_version(b""), Some(Http1Error::InvalidVersion));
    }

    /// RFC 9110 §2.5: HTTP/1.2 … 1.9 are processed as 1.1; HTTP/2.0 and 1.10 are not HTTP/1.1.
    #[test]
    fn higher_minor_versions_are_http_1_1() {
        let mut p = RequestParser::default();
        let mut head = RequestHead::new();
        for v in ["1.2", "1.9"] {
            let raw =
                format!("POST /a?b HTTP/{v}\r\nHost: x\r\nContent-Length: 2\r\nX-Y: z\r\n\r\nhi");
            let r = p.parse(raw.as_bytes(), &mut head);
            assert_eq!(r, Ok(Status::Complete(raw.len() - 2)), "{v}");
            assert_eq!(head.version_minor(), 1);
            assert_eq!(head.path(raw.as_bytes()), "/a");
            assert_eq!(head.header(raw.as_bytes(), "x-y"), Some(&b"z"[..]));
            assert_eq!(head.body_framing(), BodyFraming::Length(2));
            assert!(head.keep_alive());
        }
        // Still required: Host, as for 1.1.
        assert_eq!(
            p.parse(b"GET / HTTP/1.2\r\n\r\n", &mut head),
            Err(Http1Error::MissingHost)
        );
        for bad in ["HTTP/2.0", "HTTP/1.10", "HTTP/1.a", "HTTP/3.1"] {
            let raw = format!("GET / {bad}\r\nHost: x\r\n\r\n");
            let r = p.parse(raw.as_bytes(), &mut head);
            assert!(r.is_err(), "{bad}: {r:?}");
        }
        assert_eq!(higher_minor_version(b"GET /HTTP/1.2", Kind::Request), None);
        assert_eq!(
            higher_minor_version(b"HTTP/1.2 200 OK", Kind::Response),
            Some(7)
        );
        assert_eq!(higher_minor_version(b"HTTP/1.23 200", Kind::Response), None);
    }
}
