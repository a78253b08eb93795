//! Body framing: incremental decoders for Content-Length, chunked (RFC 9112 §7.1) and
//! close-delimited bodies, and chunk writers.
//!
//! Every decoder is a byte-driven state machine that never needs to see a byte twice: feed it
//! each newly arrived slice once. [`DecodeBody::decode`] is zero-copy (it returns where the body
//! bytes are in the input); [`DecodeBody::decode_in_place`] compacts the body bytes over the
//! chunk framing so a whole body (or a run of Connect envelopes) ends up contiguous in the read
//! buffer. Neither allocates.

use std::ops::Range;

use super::head::is_tchar;
use super::{BodyFraming, Http1Error, Limits, MAX_CHUNK_EXTENSIONS, MAX_CHUNK_LINE};

/// The result of one [`DecodeBody::decode`] step over an input slice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodySpan {
    /// How many bytes of the input were consumed (framing and data). The decoder never needs
    /// these again; unconsumed bytes must be passed again (with more appended) next time.
    pub consumed: usize,
    /// The body bytes found, as a range of the input within `..consumed` (may be empty).
    pub data: Range<usize>,
    /// The body is complete; bytes after `consumed` belong to the next message.
    pub done: bool,
}

/// The result of [`DecodeBody::decode_in_place`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// How many bytes of the buffer were consumed (framing and data).
    pub consumed: usize,
    /// The body bytes decoded by this call now occupy `buf[..data_len]` (`data_len <= consumed`).
    /// `buf[data_len..consumed]` is garbage; `buf[consumed..]` is untouched.
    pub data_len: usize,
    /// The body is complete; bytes after `consumed` belong to the next message.
    pub done: bool,
}

/// The one interface of all body decoders.
pub trait DecodeBody {
    /// Consumes bytes from the start of `input` (newly arrived, not yet consumed) and returns at
    /// most one contiguous run of body bytes. Call again with the unconsumed rest (plus whatever
    /// arrives later) until [`BodySpan::done`]. Stops right after a run of body bytes, so a
    /// chunked body takes one call per chunk.
    fn decode(&mut self, input: &[u8]) -> Result<BodySpan, Http1Error>;

    /// Whether the whole body has been decoded.
    fn is_done(&self) -> bool;

    /// Body bytes produced so far (framing excluded).
    fn body_len(&self) -> u64;

    /// Call when the connection reached EOF: `Ok` if that ends the body (close-delimited, or
    /// already done), [`Http1Error::IncompleteBody`] if the body was cut short.
    fn finish(&mut self) -> Result<(), Http1Error>;

    /// Decodes as much of `buf` as possible, moving the body bytes to the front of `buf`
    /// (a `memmove` of each chunk's data over the preceding chunk headers; nothing moves for a
    /// Content-Length body). See [`Decoded`] for where things are afterwards.
    ///
    /// Performance choice: compaction keeps the body contiguous in the read buffer so envelopes
    /// can be decoded in place; the cost is one copy of the data of chunked bodies, which the
    /// socket read put into cache anyway.
    fn decode_in_place(&mut self, buf: &mut [u8]) -> Result<Decoded, Http1Error> {
        let mut read = 0;
        let mut write = 0;
        loop {
            let step = self.decode(buf.get(read..).unwrap_or_default())?;
            let len = step.data.len();
            if len > 0 {
                let from = read + step.data.start;
                if from != write {
                    buf.copy_within(from..from + len, write);
                }
                write += len;
            }
            read += step.consumed;
            if step.done || step.consumed == 0 || read >= buf.len() {
                return Ok(Decoded {
                    consumed: read,
                    data_len: write,
                    done: step.done,
                });
            }
        }
    }

    /// Decodes all of `input` it can, appending the body bytes to `out`; returns how many bytes
    /// of `input` were consumed. For callers that keep the body apart from the read buffer.
    /// `out` grows by at most what the decoder's body limit allows.
    fn decode_to_vec(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, Http1Error> {
        let mut read = 0;
        loop {
            let rest = input.get(read..).unwrap_or_default();
            let step = self.decode(rest)?;
            out.extend_from_slice(rest.get(step.data.clone()).unwrap_or_default());
            read += step.consumed;
            if step.done || step.consumed == 0 || read >= input.len() {
                return Ok(read);
            }
        }
    }
}

/// A body of exactly `n` bytes (RFC 9112 §6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentLengthDecoder {
    len: u64,
    remaining: u64,
}

impl ContentLengthDecoder {
    /// A decoder for a body of `len` bytes.
    #[must_use]
    pub const fn new(len: u64) -> Self {
        Self {
            len,
            remaining: len,
        }
    }

    /// Bytes still to come.
    #[must_use]
    pub const fn remaining(&self) -> u64 {
        self.remaining
    }
}

impl DecodeBody for ContentLengthDecoder {
    fn decode(&mut self, input: &[u8]) -> Result<BodySpan, Http1Error> {
        let n = usize::try_from(self.remaining).map_or(input.len(), |r| r.min(input.len()));
        self.remaining -= n as u64;
        Ok(BodySpan {
            consumed: n,
            data: 0..n,
            done: self.remaining == 0,
        })
    }

    fn is_done(&self) -> bool {
        self.remaining == 0
    }

    fn body_len(&self) -> u64 {
        self.len - self.remaining
    }

    fn finish(&mut self) -> Result<(), Http1Error> {
        if self.remaining == 0 {
            Ok(())
        } else {
            Err(Http1Error::IncompleteBody)
        }
    }
}

/// A response body that runs until the connection closes (RFC 9112 §6.3 item 8), bounded by the
/// body size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseDelimitedDecoder {
    len: u64,
    max: u64,
    done: bool,
}

impl CloseDelimitedDecoder {
    /// A decoder accepting at most `max_body_size` bytes.
    #[must_use]
    pub const fn new(max_body_size: u64) -> Self {
        Self {
            len: 0,
            max: max_body_size,
            done: false,
        }
    }
}

impl DecodeBody for CloseDelimitedDecoder {
    fn decode(&mut self, input: &[u8]) -> Result<BodySpan, Http1Error> {
        if self.done {
            return Ok(BodySpan {
                consumed: 0,
                data: 0..0,
                done: true,
            });
        }
        let len = self
            .len
            .checked_add(input.len() as u64)
            .ok_or(Http1Error::BodyTooLarge)?;
        if len > self.max {
            return Err(Http1Error::BodyTooLarge);
        }
        self.len = len;
        Ok(BodySpan {
            consumed: input.len(),
            data: 0..input.len(),
            done: false,
        })
    }

    fn is_done(&self) -> bool {
        self.done
    }

    fn body_len(&self) -> u64 {
        self.len
    }

    fn finish(&mut self) -> Result<(), Http1Error> {
        self.done = true;
        Ok(())
    }
}

/// Where the chunked decoder is (RFC 9112 §7.1):
///
/// ```text
/// chunked-body   = *chunk last-chunk trailer-section CRLF
/// chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
/// last-chunk     = 1*("0") [ chunk-ext ] CRLF
/// chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// In the hex digits of a chunk size.
    Size,
    /// Whitespace after the size: only more whitespace, `;` or CR may follow.
    SizeWs,
    /// Inside chunk extensions (skipped, not interpreted).
    Ext,
    /// CR of the size line seen.
    SizeLf,
    /// Inside chunk data.
    Data,
    /// Expecting the CR after chunk data.
    DataCr,
    /// Expecting the LF after chunk data.
    DataLf,
    /// At the start of a trailer line or of the final empty line.
    TrailerStart,
    /// In a trailer field name.
    TrailerName,
    /// In a trailer field value.
    TrailerValue,
    /// CR of a trailer line seen.
    TrailerLf,
    /// CR of the final empty line seen.
    EndLf,
    /// The body is complete.
    Done,
}

/// Incremental decoder of the chunked transfer coding (RFC 9112 §7.1).
///
/// Strict: sizes are `1*HEXDIG` (no sign, no `0x`, no leading whitespace) fitting a u64; size
/// lines are at most [`MAX_CHUNK_LINE`] bytes; extensions are skipped but may not contain control
/// bytes and add up to at most [`MAX_CHUNK_EXTENSIONS`] bytes per body; data must be followed by
/// CRLF; lines end in CRLF (bare LF rejected); trailer fields must be `token ":" value` lines and
/// fit [`Limits::max_trailer_size`], and are discarded. The body size (data only) is bounded by
/// [`Limits::max_body_size`], checked against each declared chunk size before its data arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkedDecoder {
    state: State,
    /// Chunk size being parsed.
    size: u64,
    /// Bytes of the current size line.
    line_len: usize,
    /// Data bytes left in the current chunk.
    remaining: u64,
    /// Body bytes declared so far (sum of chunk sizes).
    total: u64,
    /// Extension bytes seen in this body.
    ext_total: usize,
    /// Trailer section bytes seen.
    trailer_len: usize,
    max_body: u64,
    max_trailer: usize,
}

impl ChunkedDecoder {
    /// A decoder enforcing `limits.max_body_size` and `limits.max_trailer_size`.
    #[must_use]
    pub const fn new(limits: &Limits) -> Self {
        Self {
            state: State::Size,
            size: 0,
            line_len: 0,
            remaining: 0,
            total: 0,
            ext_total: 0,
            trailer_len: 0,
            max_body: limits.max_body_size,
            max_trailer: limits.max_trailer_size,
        }
    }

    /// One framing byte (any state but `Data` and `Done`).
    #[inline]
    fn byte(&mut self, b: u8) -> Result<(), Http1Error> {
        match self.state {
            State::Size | State::SizeWs | State::Ext => {
                // Counts the CR too: the line without it is at most MAX_CHUNK_LINE bytes.
                self.line_len += 1;
                if self.line_len > MAX_CHUNK_LINE + 1 {
                    return Err(Http1Error::ChunkLineTooLong);
                }
                self.size_line_byte(b)
            }
            State::SizeLf => {
                if b != b'\n' {
                    return Err(Http1Error::InvalidChunkSize);
                }
                self.line_len = 0;
                let size = std::mem::take(&mut self.size);
                if size == 0 {
                    self.state = State::TrailerStart;
                } else {
                    // Check the declared size before any of its data is accepted.
                    self.total = self
                        .total
                        .checked_add(size)
                        .ok_or(Http1Error::BodyTooLarge)?;
                    if self.total > self.max_body {
                        return Err(Http1Error::BodyTooLarge);
                    }
                    self.remaining = size;
                    self.state = State::Data;
                }
                Ok(())
            }
            State::DataCr if b == b'\r' => {
                self.state = State::DataLf;
                Ok(())
            }
            State::DataLf if b == b'\n' => {
                self.state = State::Size;
                Ok(())
            }
            State::DataCr | State::DataLf => Err(Http1Error::InvalidChunkTerminator),
            // The final CRLF is not part of the trailer section size.
            State::TrailerStart if b == b'\r' => {
                self.state = State::EndLf;
                Ok(())
            }
            State::TrailerStart | State::TrailerName | State::TrailerValue | State::TrailerLf => {
                self.trailer_len += 1;
                if self.trailer_len > self.max_trailer {
                    return Err(Http1Error::TrailersTooLarge);
                }
                self.trailer_byte(b)
            }
            State::EndLf if b == b'\n' => {
                self.state = State::Done;
                Ok(())
            }
            State::EndLf => Err(Http1Error::InvalidNewLine),
            // `decode` handles these without calling here.
            State::Data | State::Done => Ok(()),
        }
    }

    fn size_line_byte(&mut self, b: u8) -> Result<(), Http1Error> {
        match (self.state, b) {
            (State::Size, _) if b.is_ascii_hexdigit() => {
                let digit = u64::from(match b {
                    b'0'..=b'9' => b - b'0',
                    _ => (b | 0x20) - b'a' + 10,
                });
                self.size = self
                    .size
                    .checked_mul(16)
                    .and_then(|s| s.checked_add(digit))
                    .ok_or(Http1Error::ChunkSizeOverflow)?;
            }
            // chunk-size = 1*HEXDIG: the first byte of the line must be a digit.
            (State::Size, _) if self.line_len == 1 => return Err(Http1Error::InvalidChunkSize),
            (_, b'\n') => return Err(Http1Error::BareLf),
            (State::Size | State::SizeWs | State::Ext, b'\r') => self.state = State::SizeLf,
            (State::Size | State::SizeWs, b';') => self.state = State::Ext,
            (State::Size | State::SizeWs, b' ' | b'\t') => self.state = State::SizeWs,
            (State::Ext, _) => {
                if b.is_ascii_control() && b != b'\t' {
                    return Err(Http1Error::InvalidChunkExtension);
                }
                self.ext_total += 1;
                if self.ext_total > MAX_CHUNK_EXTENSIONS {
                    return Err(Http1Error::ChunkExtensionsTooLarge);
                }
            }
            _ => return Err(Http1Error::InvalidChunkSize),
        }
        Ok(())
    }

    /// trailer-section = *( field-line CRLF ); field-line = field-name ":" OWS field-value OWS.
    fn trailer_byte(&mut self, b: u8) -> Result<(), Http1Error> {
        self.state = match (self.state, b) {
            (_, b'\n') if self.state != State::TrailerLf => return Err(Http1Error::BareLf),
            (State::TrailerStart | State::TrailerName, _) if is_tchar(b) => State::TrailerName,
            (State::TrailerName, b':') => State::TrailerValue,
            (State::TrailerValue, b'\r') => State::TrailerLf,
            (State::TrailerValue, _) if !b.is_ascii_control() || b == b'\t' => State::TrailerValue,
            (State::TrailerLf, b'\n') => State::TrailerStart,
            _ => return Err(Http1Error::InvalidTrailer),
        };
        Ok(())
    }
}

impl DecodeBody for ChunkedDecoder {
    fn decode(&mut self, input: &[u8]) -> Result<BodySpan, Http1Error> {
        let mut i = 0;
        while let Some(&b) = input.get(i) {
            match self.state {
                State::Data => {
                    let avail = input.len() - i;
                    let n = usize::try_from(self.remaining).map_or(avail, |r| r.min(avail));
                    self.remaining -= n as u64;
                    if self.remaining == 0 {
                        self.state = State::DataCr;
                    }
                    return Ok(BodySpan {
                        consumed: i + n,
                        data: i..i + n,
                        done: false,
                    });
                }
                State::Done => break,
                _ => {
                    self.byte(b)?;
                    i += 1;
                }
            }
        }
        Ok(BodySpan {
            consumed: i,
            data: i..i,
            done: self.state == State::Done,
        })
    }

    fn is_done(&self) -> bool {
        self.state == State::Done
    }

    fn body_len(&self) -> u64 {
        self.total - self.remaining
    }

    fn finish(&mut self) -> Result<(), Http1Error> {
        if self.state == State::Done {
            Ok(())
        } else {
            Err(Http1Error::IncompleteBody)
        }
    }
}

/// The decoder for a [`BodyFraming`], behind one type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyDecoder {
    /// Content-Length (also for bodiless messages: length 0, done at once).
    Length(ContentLengthDecoder),
    /// Chunked transfer coding.
    Chunked(ChunkedDecoder),
    /// Until the connection closes (responses only).
    UntilClose(CloseDelimitedDecoder),
}

impl BodyDecoder {
    /// The decoder for `framing`. A Content-Length above `limits.max_body_size` is refused at
    /// once with [`Http1Error::BodyTooLarge`] (413), before any body byte is read.
    pub fn new(framing: BodyFraming, limits: &Limits) -> Result<Self, Http1Error> {
        Ok(match framing {
            BodyFraming::Length(n) if n > limits.max_body_size => {
                return Err(Http1Error::BodyTooLarge);
            }
            BodyFraming::Length(n) => Self::Length(ContentLengthDecoder::new(n)),
            BodyFraming::Chunked => Self::Chunked(ChunkedDecoder::new(limits)),
            BodyFraming::UntilClose => {
                Self::UntilClose(CloseDelimitedDecoder::new(limits.max_body_size))
            }
        })
    }

    /// Body bytes known to be still coming (Content-Length framing), so that a driver can
    /// size its buffer once instead of growing it read by read. `None` when the framing
    /// does not say.
    #[must_use]
    pub const fn known_remaining(&self) -> Option<u64> {
        match self {
            Self::Length(d) => Some(d.remaining()),
            Self::Chunked(_) | Self::UntilClose(_) => None,
        }
    }

    /// Whether the body ends only when the connection closes.
    #[must_use]
    pub const fn ends_at_close(&self) -> bool {
        matches!(self, Self::UntilClose(_))
    }
}

impl DecodeBody for BodyDecoder {
    fn decode(&mut self, input: &[u8]) -> Result<BodySpan, Http1Error> {
        match self {
            Self::Length(d) => d.decode(input),
            Self::Chunked(d) => d.decode(input),
            Self::UntilClose(d) => d.decode(input),
        }
    }

    fn is_done(&self) -> bool {
        match self {
            Self::Length(d) => d.is_done(),
            Self::Chunked(d) => d.is_done(),
            Self::UntilClose(d) => d.is_done(),
        }
    }

    fn body_len(&self) -> u64 {
        match self {
            Self::Length(d) => d.body_len(),
            Self::Chunked(d) => d.body_len(),
            Self::UntilClose(d) => d.body_len(),
        }
    }

    fn finish(&mut self) -> Result<(), Http1Error> {
        match self {
            Self::Length(d) => d.finish(),
            Self::Chunked(d) => d.finish(),
            Self::UntilClose(d) => d.finish(),
        }
    }
}

/// Decodes the raw bytes of a read buffer in place, for drivers that keep a body where it
/// arrived: `buf[..data_end]` is what precedes (a head, decoded body bytes), `buf[data_end..]`
/// raw bytes not yet through `decoder` (the rest of the body, maybe a pipelined message
/// after it). The body bytes found move down to `data_end`, which advances past them; the
/// bytes after the body (if it ended) follow right after. Returns whether anything was
/// consumed. The same layout serves server requests and client responses.
pub fn decode_buffered(
    buf: &mut Vec<u8>,
    decoder: &mut BodyDecoder,
    data_end: &mut usize,
) -> Result<bool, Http1Error> {
    if decoder.is_done() || *data_end >= buf.len() {
        return Ok(false);
    }
    let d = decoder.decode_in_place(&mut buf[*data_end..])?;
    let raw_start = *data_end + d.consumed;
    let new_end = *data_end + d.data_len;
    if raw_start != new_end {
        buf.copy_within(raw_start.., new_end);
        buf.truncate(buf.len() - (raw_start - new_end));
    }
    *data_end = new_end;
    Ok(d.consumed > 0)
}

/// A chunk-size line (`<hex>\r\n`) on the stack, for vectored writes that send chunk data from
/// its own buffer: `[header.as_bytes(), data, b"\r\n"]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkHeader {
    buf: [u8; 18],
    start: u8,
}

impl ChunkHeader {
    /// The size line for a chunk of `len` bytes. `len` 0 gives `0\r\n`, the start of the last
    /// chunk; use [`write_last_chunk`] for that instead.
    #[must_use]
    pub fn new(len: u64) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 18];
        buf[16] = b'\r';
        buf[17] = b'\n';
        let mut i = 16;
        let mut n = len;
        loop {
            i -= 1;
            buf[i] = HEX[(n & 0xf) as usize];
            n >>= 4;
            if n == 0 {
                break;
            }
        }
        Self {
            buf,
            start: i as u8,
        }
    }

    /// The bytes of the line, CRLF included.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(usize::from(self.start)..).unwrap_or_default()
    }
}

/// Appends the size line of a chunk of `len` bytes (`len` must not be 0: that is the last chunk).
pub fn write_chunk_header(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(ChunkHeader::new(len as u64).as_bytes());
}

/// Appends the CRLF that follows chunk data.
pub fn write_chunk_end(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\r\n");
}

/// Appends one whole chunk (size line, data, CRLF); nothing for empty `data`, which would
/// otherwise end the body.
pub fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    out.reserve(data.len() + 20);
    write_chunk_header(out, data.len());
    out.extend_from_slice(data);
    write_chunk_end(out);
}

/// Appends the last chunk and an empty trailer section: `0\r\n\r\n`.
pub fn write_last_chunk(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0\r\n\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` fed in pieces cut at `cuts`, the way a server loop would: unconsumed
    /// bytes stay in the buffer and new bytes are appended. Returns (body, bytes left over).
    fn run(
        mut d: impl DecodeBody,
        input: &[u8],
        cuts: &[usize],
    ) -> Result<(Vec<u8>, Vec<u8>), Http1Error> {
        let mut body = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        let mut fed = 0;
        for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
            pending.extend_from_slice(&input[fed..cut]);
            fed = cut;
            let n = d.decode_to_vec(&pending, &mut body)?;
            pending.drain(..n);
            if d.is_done() {
                break;
            }
        }
        pending.extend_from_slice(&input[fed..]);
        d.finish()?;
        Ok((body, pending))
    }

    fn chunked() -> ChunkedDecoder {
        ChunkedDecoder::new(&Limits::default())
    }

    #[test]
    fn chunked_valid() {
        let cases: &[(&[u8], &[u8], &[u8])] = &[
            (b"0\r\n\r\n", b"", b""),
            (b"5\r\nhello\r\n0\r\n\r\n", b"hello", b""),
            (
                b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT",
                b"hello world",
                b"NEXT",
            ),
            (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789", b""),
            (b"a\r\n0123456789\r\n000\r\n\r\n", b"0123456789", b""),
            (b"0005\r\nhello\r\n0\r\n\r\n", b"hello", b""),
            (b"5;ext=1\r\nhello\r\n0;last\r\n\r\n", b"hello", b""),
            (b"5 ;ext=\"q v\"\r\nhello\r\n0\r\n\r\n", b"hello", b""),
            (b"5\t\r\nhello\r\n0\r\n\r\n", b"hello", b""),
            (
                b"5\r\nhello\r\n0\r\nTrailer: x\r\nOther:\r\n\r\n",
                b"hello",
                b"",
            ),
            (b"5\r\nhe\r\no\r\n0\r\n\r\n", b"he\r\no", b""),
        ];
        for (input, body, rest) in cases {
            let name = String::from_utf8_lossy(input).into_owned();
            assert_eq!(
                run(chunked(), input, &[]),
                Ok((body.to_vec(), rest.to_vec())),
                "{name:?}"
            );
        }
        // Largest size that fits in u64 (with leading zeros); refused only by the body limit.
        let mut d = ChunkedDecoder::new(&Limits {
            max_body_size: u64::MAX,
            ..Limits::default()
        });
        assert!(d.decode(b"0000ffffffffffffffff\r\nabc").is_ok());
        assert_eq!(d.body_len(), 3);
    }

    #[test]
    fn chunked_invalid() {
        use Http1Error as E;
        let cases: &[(&[u8], Http1Error)] = &[
            (b"\r\n", E::InvalidChunkSize),
            (b"x\r\n", E::InvalidChunkSize),
            (b" 5\r\nhello\r\n0\r\n\r\n", E::InvalidChunkSize),
            (b"-5\r\nhello\r\n0\r\n\r\n", E::InvalidChunkSize),
            (b"+5\r\nhello\r\n0\r\n\r\n", E::InvalidChunkSize),
            (b"0x5\r\nhello\r\n0\r\n\r\n", E::InvalidChunkSize),
            (b"5 5\r\nhello\r\n0\r\n\r\n", E::InvalidChunkSize),
            (b"5\rx\nhello\r\n0\r\n\r\n", E::InvalidChunkSize),
            (b"5\nhello\r\n0\r\n\r\n", E::BareLf),
            (b"5;a\nhello\r\n0\r\n\r\n", E::BareLf),
            (b"5;a\x00b\r\nhello\r\n0\r\n\r\n", E::InvalidChunkExtension),
            (b"5;a\x7fb\r\nhello\r\n0\r\n\r\n", E::InvalidChunkExtension),
            (b"10000000000000000\r\n", E::ChunkSizeOverflow),
            (b"5\r\nhelloX\r\n0\r\n\r\n", E::InvalidChunkTerminator),
            (b"5\r\nhello\rX0\r\n\r\n", E::InvalidChunkTerminator),
            (b"5\r\nhello\n0\r\n\r\n", E::InvalidChunkTerminator),
            (b"5\r\nhello\r\n0\r\n\n", E::BareLf),
            (b"5\r\nhello\r\n0\r\nX: y\n\r\n", E::BareLf),
            (b"5\r\nhello\r\n0\r\n X: y\r\n\r\n", E::InvalidTrailer),
            (b"5\r\nhello\r\n0\r\nX y\r\n\r\n", E::InvalidTrailer),
            (b"5\r\nhello\r\n0\r\nNoColon\r\n\r\n", E::InvalidTrailer),
            (b"5\r\nhello\r\n0\r\nX: a\x00\r\n\r\n", E::InvalidTrailer),
            (b"5\r\nhello\r\n0\r\nX: a\rb\r\n\r\n", E::InvalidTrailer),
            (b"5\r\nhello\r\n0\r\n\rX", E::InvalidNewLine),
            (b"5\r\nhel", E::IncompleteBody),
            (b"5\r\nhello\r\n", E::IncompleteBody),
            (b"5\r\nhello\r\n0\r\n", E::IncompleteBody),
            (b"", E::IncompleteBody),
        ];
        for (input, want) in cases {
            let got = run(chunked(), input, &[]);
            assert_eq!(got, Err(*want), "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn chunked_every_split_point() {
        let input: &[u8] =
            b"5;e=1\r\nhello\r\n1\r\n \r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\nNEXT";
        let want = (b"hello 0123456789abcdef".to_vec(), b"NEXT".to_vec());
        for i in 0..=input.len() {
            assert_eq!(
                run(chunked(), input, &[i]),
                Ok(want.clone()),
                "split at {i}"
            );
            for j in i..=input.len() {
                assert_eq!(
                    run(chunked(), input, &[i, j]),
                    Ok(want.clone()),
                    "split at {i}, {j}"
                );
            }
        }
        let bytewise: Vec<usize> = (0..input.len()).collect();
        assert_eq!(run(chunked(), input, &bytewise), Ok(want));
    }

    #[test]
    fn chunked_limits() {
        let limits = Limits {
            max_body_size: 10,
            max_trailer_size: 8,
            ..Limits::default()
        };
        let d = || ChunkedDecoder::new(&limits);
        assert!(run(d(), b"a\r\n0123456789\r\n0\r\n\r\n", &[]).is_ok());
        // The declared size is checked before any of its data arrives.
        let mut dd = d();
        assert_eq!(
            dd.decode(b"5\r\nhello\r\n6\r\n"),
            Ok(BodySpan {
                consumed: 8,
                data: 3..8,
                done: false
            })
        );
        assert_eq!(dd.decode(b"\r\n6\r\n"), Err(Http1Error::BodyTooLarge));
        assert_eq!(Http1Error::BodyTooLarge.status().as_u16(), 413);
        // Trailers: 8 bytes incl. the CRLF of each line fit; 9 do not.
        assert!(run(d(), b"0\r\nX: 123\r\n\r\n", &[]).is_ok());
        assert_eq!(
            run(d(), b"0\r\nX: 1234\r\n\r\n", &[]),
            Err(Http1Error::TrailersTooLarge)
        );
        // Zero trailer budget still accepts an empty trailer section.
        let zero = Limits {
            max_trailer_size: 0,
            ..Limits::default()
        };
        assert!(run(ChunkedDecoder::new(&zero), b"0\r\n\r\n", &[]).is_ok());
        // Size line length.
        let mut long = b"5;".to_vec();
        long.resize(MAX_CHUNK_LINE, b'x');
        long.extend_from_slice(b"\r\nhello\r\n0\r\n\r\n");
        assert!(run(chunked(), &long, &[]).is_ok());
        long.insert(3, b'x');
        assert_eq!(
            run(chunked(), &long, &[]),
            Err(Http1Error::ChunkLineTooLong)
        );
        let mut zeros = vec![b'0'; MAX_CHUNK_LINE + 1];
        zeros.extend_from_slice(b"\r\n\r\n");
        assert_eq!(
            run(chunked(), &zeros, &[]),
            Err(Http1Error::ChunkLineTooLong)
        );
        // Extensions over the whole body.
        let mut many = Vec::new();
        for _ in 0..=MAX_CHUNK_EXTENSIONS / 500 {
            many.extend_from_slice(b"1;");
            many.extend_from_slice(&[b'e'; 500]);
            many.extend_from_slice(b"\r\nx\r\n");
        }
        many.extend_from_slice(b"0\r\n\r\n");
        assert_eq!(
            run(chunked(), &many, &[]),
            Err(Http1Error::ChunkExtensionsTooLarge)
        );
    }

    #[test]
    fn content_length() {
        assert_eq!(
            run(ContentLengthDecoder::new(5), b"helloNEXT", &[2]),
            Ok((b"hello".to_vec(), b"NEXT".to_vec()))
        );
        assert_eq!(
            run(ContentLengthDecoder::new(0), b"NEXT", &[]),
            Ok((vec![], b"NEXT".to_vec()))
        );
        assert_eq!(
            run(ContentLengthDecoder::new(5), b"hel", &[1]),
            Err(Http1Error::IncompleteBody)
        );
        let mut d = ContentLengthDecoder::new(u64::MAX);
        assert_eq!(d.decode(b"abc").unwrap().consumed, 3);
        assert_eq!(d.remaining(), u64::MAX - 3);
        assert_eq!(
            BodyDecoder::new(
                BodyFraming::Length(11),
                &Limits {
                    max_body_size: 10,
                    ..Limits::default()
                }
            ),
            Err(Http1Error::BodyTooLarge)
        );
    }

    #[test]
    fn close_delimited() {
        let limits = Limits {
            max_body_size: 6,
            ..Limits::default()
        };
        let d = || BodyDecoder::new(BodyFraming::UntilClose, &limits).unwrap();
        assert_eq!(
            run(d(), b"abcdef", &[1, 3]),
            Ok((b"abcdef".to_vec(), vec![]))
        );
        assert_eq!(run(d(), b"abcdefg", &[3]), Err(Http1Error::BodyTooLarge));
    }

    #[test]
    fn in_place_compaction() {
        let mut buf = b"3\r\nabc\r\n2;x\r\nde\r\n0\r\n\r\nNEXT".to_vec();
        let mut d = ChunkedDecoder::new(&Limits::default());
        let r = d.decode_in_place(&mut buf).unwrap();
        assert_eq!(
            r,
            Decoded {
                consumed: buf.len() - 4,
                data_len: 5,
                done: true
            }
        );
        assert_eq!(&buf[..5], b"abcde");
        assert_eq!(&buf[r.consumed..], b"NEXT");

        // Partial input: data so far compacted, the partial size line consumed into the state.
        let mut buf = b"3\r\nabc\r\n1".to_vec();
        let mut d = ChunkedDecoder::new(&Limits::default());
        let r = d.decode_in_place(&mut buf).unwrap();
        assert_eq!(
            r,
            Decoded {
                consumed: 9,
                data_len: 3,
                done: false
            }
        );
        assert_eq!(&buf[..3], b"abc");
        let mut more = b"0\r\n0123456789abcdef\r\n0\r\n\r\n".to_vec();
        let r = d.decode_in_place(&mut more).unwrap();
        assert_eq!(
            r,
            Decoded {
                consumed: more.len(),
                data_len: 16,
                done: true
            }
        );
        assert_eq!(&more[..16], b"0123456789abcdef");

        // Content-Length: nothing moves.
        let mut buf = b"helloNEXT".to_vec();
        let r = ContentLengthDecoder::new(5)
            .decode_in_place(&mut buf)
            .unwrap();
        assert_eq!(
            r,
            Decoded {
                consumed: 5,
                data_len: 5,
                done: true
            }
        );
    }

    #[test]
    fn chunk_writers() {
        for (len, line) in [
            (1_u64, &b"1\r\n"[..]),
            (15, b"f\r\n"),
            (16, b"10\r\n"),
            (0xabc, b"abc\r\n"),
            (u64::MAX, b"ffffffffffffffff\r\n"),
            (0, b"0\r\n"),
        ] {
            assert_eq!(ChunkHeader::new(len).as_bytes(), line);
        }
        let mut out = Vec::new();
        write_chunk(&mut out, b"hello");
        write_chunk(&mut out, b"");
        write_chunk_header(&mut out, 2);
        out.extend_from_slice(b"ab");
        write_chunk_end(&mut out);
        write_last_chunk(&mut out);
        assert_eq!(out, b"5\r\nhello\r\n2\r\nab\r\n0\r\n\r\n");
        assert_eq!(run(chunked(), &out, &[]), Ok((b"helloab".to_vec(), vec![])));
    }
}
