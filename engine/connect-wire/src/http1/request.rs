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
        let Some((start, end)) = self.scan.scan(buf, &self.limits, Kind::Request)? else {
            return Ok(Status::Partial);
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
    /// body. Only meaningful when [`has_body`](Self::has_body).
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
