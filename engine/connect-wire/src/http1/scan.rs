//! Finding the end of a head incrementally, before httparse sees it.
//!
//! httparse re-parses from byte 0 on every call, so calling it after each read would make a head
//! that trickles in byte by byte cost O(n²). The scanner remembers where it stopped and only
//! looks at new bytes; httparse runs once, on a complete head. While scanning lines it also
//! enforces what httparse does not: CRLF only (no bare LF), no line starting with whitespace
//! inside the field section (obs-fold), the head size and field count limits.

use super::{Http1Error, Limits, MAX_HEADERS_CAP};

/// Which start line the head has; decides the error for an over-long first line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Request,
    Response,
}

/// The buffer a head is scanned in: read-only (obs-fold is an error), or writable, where an
/// obs-fold in a response head is replaced by spaces in place (RFC 9112 §5.2: a user agent
/// that receives one "MUST replace each received obs-fold with one or more SP octets prior
/// to interpreting the field value").
pub(crate) trait HeadBytes {
    /// The bytes.
    fn bytes(&self) -> &[u8];
    /// Replaces the line break at `crlf` (a CRLF) with two spaces; `false` if the buffer
    /// is read-only.
    fn unfold(&mut self, crlf: usize) -> bool;
}

impl HeadBytes for &[u8] {
    fn bytes(&self) -> &[u8] {
        self
    }

    fn unfold(&mut self, _: usize) -> bool {
        false
    }
}

impl HeadBytes for &mut [u8] {
    fn bytes(&self) -> &[u8] {
        self
    }

    fn unfold(&mut self, crlf: usize) -> bool {
        match self.get_mut(crlf..crlf + 2) {
            Some(pair) => {
                pair.copy_from_slice(b"  ");
                true
            }
            None => false,
        }
    }
}

/// Scan position between calls. All offsets are into the caller's buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct HeadScanner {
    /// Where this head's bytes begin (non-zero for a response after skipped 1xx heads).
    origin: usize,
    /// Offset of the first byte of the start line (after skipped empty lines).
    start: usize,
    /// Offset of the first byte of the line being scanned.
    line_start: usize,
    /// Bytes before this offset have been scanned.
    pos: usize,
    /// The start line has been seen.
    seen_start_line: bool,
    /// Field lines seen so far.
    fields: usize,
}

impl HeadScanner {
    /// A scanner for a head beginning at `origin`.
    pub(crate) fn at(origin: usize) -> Self {
        Self {
            origin,
            start: origin,
            line_start: origin,
            pos: origin,
            ..Self::default()
        }
    }

    /// Scans the bytes of `buf` not seen yet. Returns the head as `(start, end)` once its final
    /// empty line is in; `end` is one past that line's LF. Sizes are measured from offset 0 of
    /// `buf`, so skipped empty lines and interim heads count towards the limit.
    pub(crate) fn scan(
        &mut self,
        bytes: &mut impl HeadBytes,
        limits: &Limits,
        kind: Kind,
    ) -> Result<Option<(usize, usize)>, Http1Error> {
        let buf = bytes.bytes();
        if buf.len() < self.pos {
            // Not the buffer we scanned before (the caller broke the append-only contract):
            // start over rather than trust stale offsets.
            *self = Self::at(self.origin.min(buf.len()));
        }
        let max_head = limits.max_head_size.min(u32::MAX as usize);
        let max_fields = limits.max_headers.min(MAX_HEADERS_CAP);
        loop {
            let buf = bytes.bytes();
            let rest = buf.get(self.pos..).unwrap_or_default();
            let Some(i) = find_lf(rest) else {
                self.pos = buf.len();
                // Fail fast on a start line that cannot become a request (e.g. a TLS
                // ClientHello sent to a plain-text port) instead of waiting for a CRLF.
                if kind == Kind::Request && !self.seen_start_line {
                    check_method_prefix(buf.get(self.line_start..).unwrap_or_default())?;
                }
                // Any LF still to come would end the head beyond the limit: fail now, so a read
                // buffer of `max_head_size` bytes never waits for more.
                if buf.len() >= max_head {
                    return Err(self.too_large(kind));
                }
                return Ok(None);
            };
            let lf = self.pos + i;
            if kind == Kind::Request && !self.seen_start_line {
                check_method_prefix(buf.get(self.line_start..lf).unwrap_or_default())?;
            }
            if lf >= max_head {
                return Err(self.too_large(kind));
            }
            // RFC 9112 §2.2: lines end in CRLF. A bare LF is rejected, not tolerated.
            if lf == self.line_start || buf.get(lf - 1) != Some(&b'\r') {
                return Err(Http1Error::BareLf);
            }
            let content_len = lf - 1 - self.line_start;
            if content_len == 0 {
                if self.seen_start_line {
                    let head = (self.start, lf + 1);
                    *self = Self::at(0);
                    return Ok(Some(head));
                }
                // RFC 9112 §2.2: empty lines before the start line are ignored.
                self.start = lf + 1;
            } else if self.seen_start_line {
                // RFC 9112 §5.2 (obs-fold) and §2.2 (whitespace between the start line and the
                // first field): a field line must not start with whitespace. A response head
                // in a writable buffer has its folds replaced by spaces instead: the line
                // joins the field before it.
                if matches!(buf.get(self.line_start), Some(b' ' | b'\t')) {
                    let folded = kind == Kind::Response
                        && self.fields > 0
                        && bytes.unfold(self.line_start - 2);
                    if !folded {
                        return Err(Http1Error::ObsoleteLineFolding);
                    }
                    self.line_start = lf + 1;
                    self.pos = lf + 1;
                    continue;
                }
                self.fields += 1;
                if self.fields > max_fields {
                    return Err(Http1Error::TooManyHeaders);
                }
            } else {
                self.seen_start_line = true;
            }
            self.line_start = lf + 1;
            self.pos = lf + 1;
        }
    }

    fn too_large(&self, kind: Kind) -> Http1Error {
        if kind == Kind::Request && !self.seen_start_line {
            // The request line alone does not fit: that is the target (RFC 9112 §3).
            Http1Error::UriTooLong
        } else {
            Http1Error::HeadTooLarge
        }
    }
}

/// Longest method token accepted. RFC 9110 sets no limit; the longest registered method is
/// `UPDATEREDIRECTREF` with 17 bytes, and the bound keeps this check O(1) per read.
const MAX_METHOD: usize = 32;

/// Checks the start of an incomplete request line: up to the first space it must be a method
/// token (RFC 9110 §9.1: `method = token`) of at most [`MAX_METHOD`] bytes. A lone leading CR
/// may begin an empty line.
fn check_method_prefix(line: &[u8]) -> Result<(), Http1Error> {
    for (i, &b) in line.iter().enumerate().take(MAX_METHOD + 1) {
        if i == MAX_METHOD {
            return Err(Http1Error::InvalidRequestLine);
        }
        if b == b' ' && i > 0 {
            return Ok(());
        }
        if !(super::head::is_tchar(b) || (b == b'\r' && i == 0 && line.len() == 1)) {
            return Err(Http1Error::InvalidRequestLine);
        }
    }
    Ok(())
}

/// Position of the first `\n` in `s`, eight bytes at a time (SWAR; no unsafe, no memchr
/// dependency). Performance choice: heads are scanned once, so this is most of the scan cost.
pub(crate) fn find_lf(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const LFS: u64 = ONES * b'\n' as u64;
    let (words, tail) = s.as_chunks::<8>();
    for (n, w) in words.iter().enumerate() {
        let x = u64::from_le_bytes(*w) ^ LFS;
        // Non-zero iff some byte of x is zero, i.e. some byte of w is '\n'.
        if x.wrapping_sub(ONES) & !x & HIGHS != 0 {
            return w.iter().position(|&b| b == b'\n').map(|i| n * 8 + i);
        }
    }
    tail.iter()
        .position(|&b| b == b'\n')
        .map(|i| words.len() * 8 + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_lf_matches_naive() {
        let mut s = vec![b'a'; 40];
        assert_eq!(find_lf(&s), None);
        for i in 0..40 {
            s.fill(b'a');
            s[i] = b'\n';
            assert_eq!(find_lf(&s), Some(i));
            s[39] = b'\n';
            assert_eq!(find_lf(&s), Some(i));
            assert_eq!(find_lf(&s[..i]), None);
        }
        // Bytes that trip naive SWAR variants.
        let s = [0x0b, 0x8a, 0x0a];
        assert_eq!(find_lf(&s), Some(2));
        let s = [0x8a_u8; 16];
        assert_eq!(find_lf(&s), None);
    }

    #[test]
    fn garbage_start_lines_fail_before_a_line_end() {
        let limits = Limits::default();
        for bad in [&b"\x16\x03\x01\x00"[..], b"GE\x00", b" GET"] {
            let mut s = HeadScanner::at(0);
            assert_eq!(
                s.scan(&mut &bad[..], &limits, Kind::Request),
                Err(Http1Error::InvalidRequestLine),
                "{bad:?}"
            );
        }
        for fine in [&b"GET"[..], b"POST /x", b"\r", b"\r\nGE"] {
            let mut s = HeadScanner::at(0);
            assert_eq!(
                s.scan(&mut &fine[..], &limits, Kind::Request),
                Ok(None),
                "{fine:?}"
            );
        }
    }

    #[test]
    fn scanner_resumes() {
        let limits = Limits::default();
        let mut s = HeadScanner::at(0);
        let msg = b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nrest";
        for end in 0..msg.len() {
            let r = s.scan(&mut &msg[..end], &limits, Kind::Request).unwrap();
            if end < 29 {
                assert_eq!(r, None, "{end}");
            } else {
                assert_eq!(r, Some((2, 29)));
                break;
            }
        }
    }
}
