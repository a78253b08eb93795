//! Response heads (the client side): incremental parsing into offsets, interim (1xx) responses
//! skipped, and the response body framing of RFC 9112 §6.3.

use std::mem::MaybeUninit;

use http::Method;

use super::head::{self, HeaderIter, HeaderRange, Span};
use super::request::classify_version;
use super::scan::{HeadBytes, HeadScanner, Kind};
use super::{BodyFraming, Http1Error, Limits, MAX_HEADERS_CAP, Status};

/// Incremental response head parser (for clients): the limits, the scan position between calls,
/// and whether interim responses are skipped.
#[derive(Clone, Debug)]
pub struct ResponseParser {
    limits: Limits,
    scan: HeadScanner,
    skip_informational: bool,
    interim: u32,
}

impl ResponseParser {
    /// A parser enforcing `limits` that skips 1xx interim responses.
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            scan: HeadScanner::at(0),
            skip_informational: true,
            interim: 0,
        }
    }

    /// The limits this parser enforces.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether 1xx responses other than 101 are skipped (the default). A client that sent
    /// `Expect: 100-continue` turns this off to see the `100 Continue` as its own head
    /// ([`ResponseHead::is_informational`]) and then parses again for the final response.
    pub fn set_skip_informational(&mut self, skip: bool) {
        self.skip_informational = skip;
    }

    /// Forgets the scan position: the next call starts a new head. `parse` resets itself after
    /// returning `Complete` or an error.
    pub fn reset(&mut self) {
        self.scan = HeadScanner::at(0);
        self.interim = 0;
    }

    /// Parses the response head at the start of `buf` into `head`.
    ///
    /// The same contract as [`RequestParser::parse`](super::RequestParser::parse): `buf` only
    /// grows between calls returning `Partial`; on `Complete(n)` the body starts at `n` and all
    /// offsets are relative to `buf`. With interim responses skipped, `n` also covers the
    /// skipped heads (they count towards the head size limit).
    ///
    /// Obsolete line folding is an error here ([`Http1Error::ObsoleteLineFolding`]); see
    /// [`parse_unfolding`](Self::parse_unfolding) for a client's way.
    pub fn parse(
        &mut self,
        buf: &[u8],
        head: &mut ResponseHead,
    ) -> Result<Status<usize>, Http1Error> {
        let r = self.parse_inner(&mut { buf }, head);
        if !matches!(r, Ok(Status::Partial)) {
            self.reset();
        }
        r
    }

    /// [`parse`](Self::parse) as a user agent must (RFC 9112 §5.2): each obsolete line
    /// fold (a field line continued on the next line, which starts with a space or tab) is
    /// replaced in `buf` by spaces, so the field's value reads as one line. Whitespace
    /// before the first field is still an error.
    pub fn parse_unfolding(
        &mut self,
        buf: &mut [u8],
        head: &mut ResponseHead,
    ) -> Result<Status<usize>, Http1Error> {
        let r = self.parse_inner(&mut { buf }, head);
        if !matches!(r, Ok(Status::Partial)) {
            self.reset();
        }
        r
    }

    fn parse_inner(
        &mut self,
        bytes: &mut impl HeadBytes,
        head: &mut ResponseHead,
    ) -> Result<Status<usize>, Http1Error> {
        loop {
            let Some((start, end)) = self.scan.scan(bytes, &self.limits, Kind::Response)? else {
                return Ok(Status::Partial);
            };
            let buf = bytes.bytes();
            // RFC 9110 §2.5: HTTP/1.2+ is processed as HTTP/1.1 (see the request parser).
            let patched;
            let buf = match super::request::higher_minor_version(
                super::request::first_line(&buf[start..end]),
                Kind::Response,
            ) {
                Some(at) => {
                    let mut copy = buf[..end].to_vec();
                    copy[start + at] = b'1';
                    patched = copy;
                    &patched[..]
                }
                None => buf,
            };
            let bytes = buf.get(start..end).unwrap_or_default();
            let mut slots =
                [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS_CAP];
            let cap = self.limits.max_headers.min(MAX_HEADERS_CAP);
            let mut res = httparse::Response::new(&mut []);
            let slots = slots.get_mut(..cap).unwrap_or_default();
            match httparse::ParserConfig::default()
                .parse_response_with_uninit_headers(&mut res, bytes, slots)
            {
                Ok(httparse::Status::Complete(_)) => {}
                Ok(httparse::Status::Partial) => return Err(Http1Error::InvalidStatusLine),
                Err(e) => return Err(map_error(e, bytes)),
            }
            let (Some(minor), Some(code)) = (res.version, res.code) else {
                return Err(Http1Error::InvalidStatusLine);
            };
            if code < 100 {
                return Err(Http1Error::InvalidStatusLine);
            }
            // RFC 9110 §15.2: interim responses precede the final one; 101 ends HTTP/1.1 on this
            // connection, so it is final.
            if self.skip_informational && (100..200).contains(&code) && code != 101 {
                self.interim += 1;
                self.scan = HeadScanner::at(end);
                continue;
            }
            head.minor = minor;
            head.status = code;
            head.reason = res
                .reason
                .map_or(Span::EMPTY, |r| Span::of(buf, r.as_bytes()));
            let fields = head::record_headers(buf, res.headers, minor, &mut head.headers);
            let len = fields.common_framing(buf, minor)?;
            head.framing = match len {
                Some(n) => BodyFraming::Length(n),
                None if !fields.te.present => BodyFraming::UntilClose,
                // §6.3 item 4: a response whose final coding is not chunked is read until close.
                None if !fields.te.chunked_last => BodyFraming::UntilClose,
                // A coding before chunked (e.g. gzip) that we cannot undo.
                None if fields.te.elements > 1 => {
                    return Err(Http1Error::UnsupportedTransferCoding);
                }
                None => BodyFraming::Chunked,
            };
            head.keep_alive = fields.keep_alive(minor);
            head.head_len = end;
            head.interim = self.interim;
            return Ok(Status::Complete(end));
        }
    }
}

impl Default for ResponseParser {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

fn map_error(e: httparse::Error, head: &[u8]) -> Http1Error {
    match e {
        httparse::Error::Version => {
            let line = super::request::first_line(head);
            let version = line.split(|&b| b == b' ').next().unwrap_or_default();
            classify_version(version).unwrap_or(Http1Error::InvalidVersion)
        }
        httparse::Error::Status | httparse::Error::Token => Http1Error::InvalidStatusLine,
        httparse::Error::NewLine => Http1Error::InvalidNewLine,
        httparse::Error::HeaderName => Http1Error::InvalidHeaderName,
        httparse::Error::HeaderValue => Http1Error::InvalidHeaderValue,
        httparse::Error::TooManyHeaders => Http1Error::TooManyHeaders,
    }
}

/// A parsed response head: offsets into the buffer it was parsed from plus the framing and
/// persistence facts a client needs. Reuse one per connection (no allocation in steady state).
#[derive(Clone, Debug)]
pub struct ResponseHead {
    minor: u8,
    status: u16,
    reason: Span,
    headers: Vec<HeaderRange>,
    head_len: usize,
    framing: BodyFraming,
    keep_alive: bool,
    interim: u32,
}

impl Default for ResponseHead {
    fn default() -> Self {
        Self::new()
    }
}

impl ResponseHead {
    /// An empty head. Allocates nothing until a parse records header fields; the field
    /// vector keeps its capacity when the head is reused.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            minor: 1,
            status: 200,
            reason: Span::EMPTY,
            headers: Vec::new(),
            head_len: 0,
            framing: BodyFraming::Length(0),
            keep_alive: true,
            interim: 0,
        }
    }

    /// The status code (100–999).
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether this is a 1xx interim response (only returned with interim skipping off, or 101).
    #[must_use]
    pub fn is_informational(&self) -> bool {
        (100..200).contains(&self.status)
    }

    /// The minor HTTP version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    #[must_use]
    pub fn version_minor(&self) -> u8 {
        self.minor
    }

    /// The reason phrase (empty if absent or if it contains obs-text).
    #[must_use]
    pub fn reason<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        self.reason.get(buf)
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

    /// Length of the head in bytes, including skipped interim responses: the body starts here.
    #[must_use]
    pub fn head_len(&self) -> usize {
        self.head_len
    }

    /// How many 1xx interim responses were skipped before this one.
    #[must_use]
    pub fn interim_responses(&self) -> u32 {
        self.interim
    }

    /// How the body is delimited, given the method of the request this answers (RFC 9112 §6.3):
    /// none for HEAD, for 1xx / 204 / 304, and for a 2xx to CONNECT; otherwise chunked,
    /// Content-Length, or until the connection closes.
    #[must_use]
    pub fn body_framing(&self, request_method: &Method) -> BodyFraming {
        if self.has_no_body(request_method) {
            BodyFraming::Length(0)
        } else {
            self.framing
        }
    }

    /// Whether the connection can carry another request after this response's body: the server
    /// did not ask to close (RFC 9112 §9.3), the body is not delimited by close, and the
    /// connection was not switched (101, CONNECT 2xx).
    #[must_use]
    pub fn keep_alive(&self, request_method: &Method) -> bool {
        if self.status == 101
            || (*request_method == Method::CONNECT && (200..300).contains(&self.status))
        {
            return false;
        }
        self.keep_alive && self.body_framing(request_method) != BodyFraming::UntilClose
    }

    fn has_no_body(&self, request_method: &Method) -> bool {
        *request_method == Method::HEAD
            || (100..200).contains(&self.status)
            || self.status == 204
            || self.status == 304
            || (*request_method == Method::CONNECT && (200..300).contains(&self.status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &[u8]) -> Result<ResponseHead, Http1Error> {
        let mut p = ResponseParser::default();
        let mut head = ResponseHead::new();
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
        use BodyFraming::{Chunked, Length, UntilClose};
        let get = Method::GET;
        let cases: &[(&[u8], &Method, u16, BodyFraming, bool)] = &[
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                &get,
                200,
                Length(5),
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                &get,
                200,
                Chunked,
                true,
            ),
            (b"HTTP/1.1 200 OK\r\n\r\n", &get, 200, UntilClose, false),
            (
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                &get,
                200,
                Length(0),
                false,
            ),
            (
                b"HTTP/1.2 200 OK\r\nContent-Length: 1\r\n\r\n",
                &get,
                200,
                Length(1),
                true,
            ),
            (
                b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n",
                &get,
                200,
                Length(1),
                false,
            ),
            (
                b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n",
                &get,
                200,
                Length(1),
                true,
            ),
            (
                b"HTTP/1.1 204 No Content\r\n\r\n",
                &get,
                204,
                Length(0),
                true,
            ),
            (
                b"HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n",
                &get,
                304,
                Length(0),
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n",
                &Method::HEAD,
                200,
                Length(0),
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                &Method::HEAD,
                200,
                Length(0),
                true,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                &get,
                200,
                UntilClose,
                false,
            ),
            (
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
                &get,
                101,
                Length(0),
                false,
            ),
            (
                b"HTTP/1.1 200 Connection established\r\n\r\n",
                &Method::CONNECT,
                200,
                Length(0),
                false,
            ),
            (
                b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
                &get,
                200,
                Length(0),
                true,
            ),
            (
                b"HTTP/1.1 999 Whatever\r\nContent-Length: 0\r\n\r\n",
                &get,
                999,
                Length(0),
                true,
            ),
            (
                b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                &get,
                200,
                Length(0),
                true,
            ),
        ];
        for (input, method, status, framing, keep_alive) in cases {
            let name = String::from_utf8_lossy(input).into_owned();
            let head = parse(input).unwrap_or_else(|e| panic!("{name:?}: {e:?}"));
            assert_eq!(head.status(), *status, "{name:?}");
            assert_eq!(head.body_framing(method), *framing, "{name:?}");
            assert_eq!(head.keep_alive(method), *keep_alive, "{name:?}");
        }
    }

    #[test]
    fn interim_responses_are_skipped() {
        let buf: &[u8] =
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n\
            HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno";
        let head = parse(buf).unwrap();
        assert_eq!(head.status(), 404);
        assert_eq!(head.reason(buf), b"Not Found");
        assert_eq!(head.interim_responses(), 2);
        assert_eq!(&buf[head.head_len()..], b"no");
        assert_eq!(head.header(buf, "link"), None);
        assert_eq!(head.header(buf, "content-length"), Some(&b"2"[..]));

        // Byte by byte, the skipped heads are not rescanned and the result is the same.
        let mut p = ResponseParser::default();
        let mut h = ResponseHead::new();
        for end in 0..buf.len() {
            match p.parse(&buf[..end], &mut h).unwrap() {
                Status::Partial => assert!(end < head.head_len(), "{end}"),
                Status::Complete(n) => {
                    assert_eq!((end, n), (head.head_len(), head.head_len()));
                    assert_eq!(h.status(), 404);
                    assert_eq!(h.interim_responses(), 2);
                    break;
                }
            }
        }

        // With skipping off, the 100 comes back on its own; the caller then parses the rest.
        let mut p = ResponseParser::default();
        p.set_skip_informational(false);
        let mut h = ResponseHead::new();
        let Ok(Status::Complete(n)) = p.parse(buf, &mut h) else {
            panic!()
        };
        assert_eq!(h.status(), 100);
        assert!(h.is_informational());
        assert_eq!(h.body_framing(&Method::POST), BodyFraming::Length(0));
        let rest = &buf[n..];
        let Ok(Status::Complete(_)) = p.parse(rest, &mut h) else {
            panic!()
        };
        assert_eq!(h.status(), 103);
    }

    #[test]
    fn folded_fields_are_unfolded_in_a_writable_buffer() {
        let head = b"HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\n\tthree\r\nX-B: b\r\n\r\n";
        for split in 0..=head.len() {
            let mut p = ResponseParser::default();
            let mut h = ResponseHead::new();
            let mut buf = head[..split].to_vec();
            if split < head.len() {
                assert_eq!(p.parse_unfolding(&mut buf, &mut h), Ok(Status::Partial));
                buf.extend_from_slice(&head[split..]);
            }
            assert_eq!(
                p.parse_unfolding(&mut buf, &mut h),
                Ok(Status::Complete(head.len())),
                "{split}"
            );
            assert_eq!(h.header(&buf, "x-a"), Some(&b"one   two  \tthree"[..]));
            assert_eq!(h.header(&buf, "x-b"), Some(&b"b"[..]));
            assert_eq!(h.header_ranges().len(), 2);
        }
        // Whitespace before the first field is not a fold: still refused.
        let mut buf = b"HTTP/1.1 200 OK\r\n X: a\r\n\r\n".to_vec();
        assert_eq!(
            ResponseParser::default().parse_unfolding(&mut buf, &mut ResponseHead::new()),
            Err(Http1Error::ObsoleteLineFolding)
        );
        // A fold does not count as a field.
        let limits = Limits {
            max_headers: 1,
            ..Limits::default()
        };
        let mut buf = b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n c\r\n\r\n".to_vec();
        assert!(matches!(
            ResponseParser::new(limits).parse_unfolding(&mut buf, &mut ResponseHead::new()),
            Ok(Status::Complete(_))
        ));
    }

    #[test]
    fn invalid_heads() {
        use Http1Error as E;
        let cases: &[(&[u8], Http1Error)] = &[
            (b"HTTP/1.1 20 OK\r\n\r\n", E::InvalidStatusLine),
            (b"HTTP/1.1 2000 OK\r\n\r\n", E::InvalidStatusLine),
            (b"HTTP/1.1 099 Low\r\n\r\n", E::InvalidStatusLine),
            (b"HTTP/1.1 abc OK\r\n\r\n", E::InvalidStatusLine),
            (b"HTTP/1.1 200 O\x01K\r\n\r\n", E::InvalidStatusLine),
            (b"HTTP/2.0 200 OK\r\n\r\n", E::UnsupportedVersion),
            (b"HTTP/2 200 OK\r\n\r\n", E::InvalidVersion),
            (b"ICY 200 OK\r\n\r\n", E::InvalidVersion),
            (b"HTTP/1.1 200 OK\nContent-Length: 0\n\n", E::BareLf),
            (
                b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
                E::ObsoleteLineFolding,
            ),
            (b"HTTP/1.1 200 OK\r\nX : a\r\n\r\n", E::InvalidHeaderName),
            (b"HTTP/1.1 200 OK\r\nX: a\0\r\n\r\n", E::InvalidHeaderValue),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
                E::DuplicateContentLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1,1\r\n\r\n",
                E::InvalidContentLength,
            ),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                E::ContentLengthWithTransferEncoding,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                E::UnsupportedTransferCoding,
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
                E::InvalidTransferEncoding,
            ),
            (
                b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                E::TransferEncodingHttp10,
            ),
        ];
        for (input, want) in cases {
            let got = parse(input).map(|h| h.status());
            assert_eq!(got, Err(*want), "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn reason_with_obs_text_is_empty_not_garbage() {
        let buf: &[u8] = b"HTTP/1.1 200 \xc3\xa9t\xe9\r\nContent-Length: 0\r\n\r\n";
        let head = parse(buf).unwrap();
        assert_eq!(head.reason(buf), b"");
        let buf: &[u8] = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(parse(buf).unwrap().reason(buf), b"Internal Server Error");
    }

    #[test]
    fn interim_heads_count_towards_the_head_limit() {
        let mut buf = Vec::new();
        while buf.len() < 20_000 {
            buf.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        assert_eq!(parse(&buf).unwrap_err(), Http1Error::HeadTooLarge);
    }
}
