//! What request and response heads share: offsets into the caller's buffer, header storage and
//! lookup, and the one pass over the fields that collects everything framing depends on.

use std::ops::Range;

use super::Http1Error;

/// A byte range `start..end` of the buffer a head was parsed from.
///
/// `u32` offsets keep [`HeaderRange`] at 16 bytes (heads are bounded by
/// [`Limits::max_head_size`](super::Limits::max_head_size), which is clamped to `u32::MAX`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    start: u32,
    end: u32,
}

impl Span {
    /// The empty span at offset 0.
    pub const EMPTY: Self = Self { start: 0, end: 0 };

    /// A span from offsets; `None` if `start > end` or an offset does not fit in `u32`.
    #[must_use]
    pub fn new(start: usize, end: usize) -> Option<Self> {
        if start > end {
            return None;
        }
        Some(Self {
            start: u32::try_from(start).ok()?,
            end: u32::try_from(end).ok()?,
        })
    }

    /// First offset.
    #[must_use]
    pub const fn start(self) -> usize {
        self.start as usize
    }

    /// One past the last offset.
    #[must_use]
    pub const fn end(self) -> usize {
        self.end as usize
    }

    /// Length in bytes.
    #[must_use]
    pub const fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span is empty.
    #[must_use]
    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// As a `Range<usize>`.
    #[must_use]
    pub const fn range(self) -> Range<usize> {
        self.start()..self.end()
    }

    /// The bytes of `buf` this span covers; empty if `buf` is too short (a different buffer than
    /// the one parsed — never a panic).
    #[must_use]
    pub fn get(self, buf: &[u8]) -> &[u8] {
        buf.get(self.range()).unwrap_or_default()
    }

    /// The span of `part`, which must be a sub-slice of `base`; [`Span::EMPTY`] if it is not
    /// (httparse returns a static `""` for a reason phrase with obs-text, for instance).
    pub(crate) fn of(base: &[u8], part: &[u8]) -> Self {
        let Some(start) = part.as_ptr().addr().checked_sub(base.as_ptr().addr()) else {
            return Self::EMPTY;
        };
        match start.checked_add(part.len()) {
            Some(end) if end <= base.len() => Self::new(start, end).unwrap_or(Self::EMPTY),
            _ => Self::EMPTY,
        }
    }

    /// A sub-span `from..to` relative to this span's start (clamped to it).
    pub(crate) fn sub(self, from: usize, to: usize) -> Self {
        let to = to.min(self.len());
        let from = from.min(to);
        // Both fit: they are at most `len`, which fits in u32.
        Self {
            start: self.start + from as u32,
            end: self.start + to as u32,
        }
    }
}

/// Where one header field's name and value are in the parsed buffer. The value is trimmed of
/// surrounding whitespace (RFC 9112 §5.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct HeaderRange {
    /// The field name.
    pub name: Span,
    /// The field value.
    pub value: Span,
}

/// Iterator over `(name, value)` of header fields, in order, repeated names included.
#[derive(Clone, Debug)]
pub struct HeaderIter<'a, 'b> {
    pub(crate) headers: std::slice::Iter<'a, HeaderRange>,
    pub(crate) buf: &'b [u8],
}

impl<'b> Iterator for HeaderIter<'_, 'b> {
    type Item = (&'b str, &'b [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let h = self.headers.next()?;
        Some((name_str(h.name.get(self.buf)), h.value.get(self.buf)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.headers.size_hint()
    }
}

impl ExactSizeIterator for HeaderIter<'_, '_> {}

/// A header name as `&str`. httparse only accepts token characters (ASCII) in names, so this
/// never fails on a parsed name; on a foreign buffer it degrades to `""`.
fn name_str(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap_or_default()
}

/// First value of the header `name` (ASCII case-insensitive).
pub(crate) fn find<'b>(headers: &[HeaderRange], buf: &'b [u8], name: &str) -> Option<&'b [u8]> {
    headers
        .iter()
        .find(|h| name_eq(h.name.get(buf), name))
        .map(|h| h.value.get(buf))
}

/// All values of the header `name` (ASCII case-insensitive), in order.
pub(crate) fn find_all<'a, 'b>(
    headers: &'a [HeaderRange],
    buf: &'b [u8],
    name: &'a str,
) -> impl Iterator<Item = &'b [u8]> + 'a
where
    'b: 'a,
{
    headers
        .iter()
        .filter(move |h| name_eq(h.name.get(buf), name))
        .map(move |h| h.value.get(buf))
}

#[inline]
fn name_eq(have: &[u8], want: &str) -> bool {
    // Length first: most lookups are decided without touching the bytes.
    have.len() == want.len() && have.eq_ignore_ascii_case(want.as_bytes())
}

/// Optional whitespace (RFC 9110 §5.6.3).
#[inline]
fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `s` without leading and trailing OWS.
pub(crate) fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_ows(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_ows(b)).map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or_default()
}

/// The non-empty, OWS-trimmed elements of a comma list (RFC 9110 §5.6.1: empty elements are
/// ignored). Quoted strings are not special-cased: none of the fields parsed here use them
/// (except inside transfer-coding parameters, which make the element unsupported anyway).
pub(crate) fn list_elements(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b',')
        .map(trim_ows)
        .filter(|e| !e.is_empty())
}

/// RFC 9110 §5.6.2 token character.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A Content-Length value: `1*DIGIT` into a u64 (RFC 9110 §8.6). No sign, no list, no
/// whitespace inside.
pub(crate) fn parse_content_length(v: &[u8]) -> Result<u64, Http1Error> {
    let v = trim_ows(v);
    if v.is_empty() {
        return Err(Http1Error::InvalidContentLength);
    }
    let mut n: u64 = 0;
    for &b in v {
        if !b.is_ascii_digit() {
            return Err(Http1Error::InvalidContentLength);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(Http1Error::InvalidContentLength)?;
    }
    Ok(n)
}

/// What the framing- and connection-relevant fields of a head say. Built in the same pass that
/// records the header offsets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FieldSummary {
    pub(crate) host_count: u32,
    pub(crate) content_length_count: u32,
    /// The value of the first Content-Length field, unparsed.
    pub(crate) content_length: Span,
    pub(crate) te: TransferEncoding,
    pub(crate) conn_close: bool,
    pub(crate) conn_keep_alive: bool,
    pub(crate) expect_continue: bool,
}

/// The Transfer-Encoding list, all fields combined (RFC 9110 §5.3), reduced to what the framing
/// decision needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TransferEncoding {
    /// Any Transfer-Encoding field was present (even an empty one).
    pub(crate) present: bool,
    /// Number of non-empty list elements.
    pub(crate) elements: u32,
    /// Number of `chunked` elements.
    pub(crate) chunked: u32,
    /// The last element is `chunked`.
    pub(crate) chunked_last: bool,
    /// An element is malformed: not a token, or `chunked` with parameters.
    pub(crate) malformed: bool,
}

impl TransferEncoding {
    fn add_field(&mut self, v: &[u8]) {
        self.present = true;
        for e in list_elements(v) {
            self.elements += 1;
            // transfer-coding = token *( OWS ";" OWS transfer-parameter ) (RFC 9112 §7).
            let (name, has_params) = match e.iter().position(|&b| b == b';') {
                Some(i) => (trim_ows(e.get(..i).unwrap_or_default()), true),
                None => (e, false),
            };
            if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
                self.malformed = true;
            }
            let is_chunked = name.eq_ignore_ascii_case(b"chunked");
            if is_chunked {
                self.chunked += 1;
                // `chunked` has no parameters (RFC 9112 §7.1).
                self.malformed |= has_params;
            }
            self.chunked_last = is_chunked;
        }
    }
}

impl FieldSummary {
    /// Classifies one field. Only a handful of names matter, so dispatch on length first.
    pub(crate) fn add(&mut self, name: &[u8], value: &[u8], value_span: Span, minor: u8) {
        match name.len() {
            4 if name.eq_ignore_ascii_case(b"host") => self.host_count += 1,
            // RFC 9110 §10.1.1: 100-continue is ignored in HTTP/1.0 requests.
            6 if name.eq_ignore_ascii_case(b"expect") && minor >= 1 => {
                self.expect_continue |=
                    list_elements(value).any(|e| e.eq_ignore_ascii_case(b"100-continue"));
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for t in list_elements(value) {
                    if t.eq_ignore_ascii_case(b"close") {
                        self.conn_close = true;
                    } else if t.eq_ignore_ascii_case(b"keep-alive") {
                        self.conn_keep_alive = true;
                    }
                }
            }
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                self.content_length_count += 1;
                if self.content_length_count == 1 {
                    self.content_length = value_span;
                }
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => self.te.add_field(value),
            _ => {}
        }
    }

    /// Persistence (RFC 9112 §9.3): HTTP/1.1 persists unless `Connection: close`; HTTP/1.0 only
    /// with `Connection: keep-alive` (and no `close`).
    pub(crate) fn keep_alive(&self, minor: u8) -> bool {
        !self.conn_close && (minor >= 1 || self.conn_keep_alive)
    }

    /// The framing checks both roles share (RFC 9112 §6.1–§6.3), before the role-specific
    /// decision: TE in HTTP/1.0, TE with CL, malformed TE, repeated or invalid CL.
    /// Returns the Content-Length if there is one and no Transfer-Encoding.
    pub(crate) fn common_framing(&self, buf: &[u8], minor: u8) -> Result<Option<u64>, Http1Error> {
        if self.te.present {
            if minor == 0 {
                return Err(Http1Error::TransferEncodingHttp10);
            }
            if self.content_length_count > 0 {
                return Err(Http1Error::ContentLengthWithTransferEncoding);
            }
            if self.te.malformed || self.te.elements == 0 || self.te.chunked > 1 {
                return Err(Http1Error::InvalidTransferEncoding);
            }
            return Ok(None);
        }
        match self.content_length_count {
            0 => Ok(None),
            1 => parse_content_length(self.content_length.get(buf)).map(Some),
            _ => Err(Http1Error::DuplicateContentLength),
        }
    }
}

/// Records httparse's headers as offsets into `base` and summarises them, clearing `out` first
/// (its capacity is kept: steady state does not allocate).
pub(crate) fn record_headers(
    base: &[u8],
    parsed: &[httparse::Header<'_>],
    minor: u8,
    out: &mut Vec<HeaderRange>,
) -> FieldSummary {
    out.clear();
    out.reserve(parsed.len());
    let mut summary = FieldSummary::default();
    for h in parsed {
        let name = Span::of(base, h.name.as_bytes());
        let value = Span::of(base, h.value);
        out.push(HeaderRange { name, value });
        summary.add(h.name.as_bytes(), h.value, value, minor);
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length_values() {
        assert_eq!(parse_content_length(b"0"), Ok(0));
        assert_eq!(parse_content_length(b" 42 "), Ok(42));
        assert_eq!(parse_content_length(b"007"), Ok(7));
        assert_eq!(parse_content_length(b"18446744073709551615"), Ok(u64::MAX));
        for bad in [
            &b""[..],
            b" ",
            b"+1",
            b"-1",
            b"1 2",
            b"1,1",
            b"0x10",
            b"18446744073709551616",
            b"99999999999999999999999",
            b"1.0",
        ] {
            assert_eq!(
                parse_content_length(bad),
                Err(Http1Error::InvalidContentLength),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn spans() {
        let buf = b"hello world";
        let s = Span::of(buf, &buf[6..]);
        assert_eq!(s.range(), 6..11);
        assert_eq!(s.get(buf), b"world");
        assert_eq!(s.get(b"short"), b"");
        assert_eq!(Span::of(buf, b"elsewhere"), Span::EMPTY);
        assert_eq!(s.sub(1, 3).get(buf), b"or");
        assert_eq!(s.sub(4, 99).get(buf), b"d");
        assert_eq!(Span::new(2, 1), None);
    }

    #[test]
    fn lists() {
        let v: Vec<&[u8]> = list_elements(b" a ,, b\t,c ,").collect();
        assert_eq!(v, [&b"a"[..], b"b", b"c"]);
        assert_eq!(trim_ows(b" \t "), b"");
    }
}
