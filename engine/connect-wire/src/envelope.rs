//! Connect streaming envelopes: a 5-byte prefix (1 flags byte, 4-byte big-endian payload
//! length) followed by the payload.
//!
//! Flags: [`FLAG_COMPRESSED`] (`0x01`, the payload is compressed with the stream's
//! `Connect-Content-Encoding`) and [`FLAG_END_STREAM`] (`0x02`, the payload is the end-stream
//! JSON). Any other bit is an error.
//!
//! * Decoding is sans-IO and zero-copy: [`EnvelopeDecoder::decode`] looks at the bytes
//!   received so far and either returns a [`Frame`] whose payload is a range of those bytes,
//!   or says how many more bytes it needs. The declared length is checked against the
//!   decoder's maximum as soon as the prefix is complete, before any payload is awaited or
//!   buffered, so a 4 GiB length fails at once. At end of input,
//!   [`EnvelopeDecoder::check_eof`] tells a clean end from a truncated envelope.
//! * Encoding writes straight into the output buffer: [`begin`] reserves the prefix, the
//!   message is encoded after it, and [`finish`] patches the prefix. [`write()`] does both for
//!   a ready payload; [`prefix`] builds a prefix for vectored writes.

use std::fmt;
use std::ops::Range;

use crate::code::Code;

/// Length of the envelope prefix.
pub const PREFIX_LEN: usize = 5;
/// Flag: the payload is compressed.
pub const FLAG_COMPRESSED: u8 = 0x01;
/// Flag: the payload is the end-stream message.
pub const FLAG_END_STREAM: u8 = 0x02;
/// Every defined flag.
const KNOWN_FLAGS: u8 = FLAG_COMPRESSED | FLAG_END_STREAM;

/// Why an envelope could not be decoded or encoded. Small and `Copy`: no allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnvelopeError {
    /// The declared (or, when encoding, actual) payload length exceeds the maximum.
    TooLarge {
        /// The payload length.
        len: u64,
        /// The maximum in force.
        max: u64,
    },
    /// The flags byte has a bit other than `0x01` and `0x02` set.
    BadFlags(u8),
    /// The input ended inside an envelope.
    Truncated {
        /// Bytes of the envelope that had arrived.
        have: usize,
        /// Bytes the complete envelope needs (5 when the prefix itself was cut).
        need: u64,
    },
}

impl EnvelopeError {
    /// The code a server reports for a request stream: `resource_exhausted` when too large,
    /// `internal` for bad flags (a protocol error), `invalid_argument` when truncated.
    #[must_use]
    pub const fn server_code(self) -> Code {
        match self {
            Self::TooLarge { .. } => Code::ResourceExhausted,
            Self::BadFlags(_) => Code::Internal,
            Self::Truncated { .. } => Code::InvalidArgument,
        }
    }

    /// The code a client reports for a response stream: `resource_exhausted` when too
    /// large, otherwise `internal`.
    #[must_use]
    pub const fn client_code(self) -> Code {
        match self {
            Self::TooLarge { .. } => Code::ResourceExhausted,
            Self::BadFlags(_) | Self::Truncated { .. } => Code::Internal,
        }
    }
}

impl fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooLarge { len, max } => {
                write!(f, "message size {len} exceeds the maximum of {max} bytes")
            }
            Self::BadFlags(flags) => {
                write!(f, "protocol error: invalid envelope flags {flags:#04x}")
            }
            Self::Truncated { have, need } => write!(
                f,
                "protocol error: incomplete envelope: {have} of {need} bytes before end of stream"
            ),
        }
    }
}

impl std::error::Error for EnvelopeError {}

/// One decoded envelope. Ranges are relative to the slice given to
/// [`EnvelopeDecoder::decode`], which starts with the prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The flags byte (only `0x01` and `0x02` bits can be set).
    pub flags: u8,
    /// Where the payload is.
    pub payload: Range<usize>,
}

impl Frame {
    /// Whether the payload is compressed.
    #[must_use]
    pub fn is_compressed(&self) -> bool {
        self.flags & FLAG_COMPRESSED != 0
    }

    /// Whether this is the end-stream message.
    #[must_use]
    pub fn is_end_stream(&self) -> bool {
        self.flags & FLAG_END_STREAM != 0
    }

    /// The payload length.
    #[must_use]
    pub fn len(&self) -> usize {
        self.payload.len()
    }

    /// Whether the payload is empty (an empty message, still a message).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.payload.is_empty()
    }

    /// How many bytes of the input the envelope occupies (prefix and payload): advance the
    /// input by this much to decode the next one.
    #[must_use]
    pub fn consumed(&self) -> usize {
        self.payload.end
    }

    /// The payload within `buf`, the slice the frame was decoded from. Empty if `buf` is
    /// too short (it never is when `buf` is that slice).
    #[must_use]
    pub fn payload_of<'b>(&self, buf: &'b [u8]) -> &'b [u8] {
        buf.get(self.payload.clone()).unwrap_or_default()
    }
}

/// The result of one decoding step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A complete envelope at the start of the input.
    Frame(Frame),
    /// The input holds only the start of an envelope (possibly nothing).
    Incomplete {
        /// At least this many more bytes are needed; exact once the prefix is complete.
        needed: usize,
    },
}

/// Decodes envelopes from the start of a byte slice, with a maximum payload length.
///
/// Stateless apart from the maximum: call [`decode`](Self::decode) on the unconsumed input,
/// advance by [`Frame::consumed`] after each frame, and wait for
/// [`Decoded::Incomplete::needed`] more bytes otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvelopeDecoder {
    max_len: u32,
}

impl EnvelopeDecoder {
    /// A decoder rejecting payloads longer than `max_len` bytes (values above `u32::MAX`,
    /// the most a prefix can declare, mean no limit).
    #[must_use]
    pub const fn new(max_len: usize) -> Self {
        let max_len = if max_len > u32::MAX as usize {
            u32::MAX
        } else {
            max_len as u32
        };
        EnvelopeDecoder { max_len }
    }

    /// The maximum payload length.
    #[must_use]
    pub const fn max_len(&self) -> usize {
        self.max_len as usize
    }

    /// Decodes the envelope at the start of `buf`. Fails on bad flags or a declared length
    /// above the maximum as soon as the 5-byte prefix is there.
    pub fn decode(&self, buf: &[u8]) -> Result<Decoded, EnvelopeError> {
        let Some(prefix) = buf.first_chunk::<PREFIX_LEN>() else {
            return Ok(Decoded::Incomplete {
                needed: PREFIX_LEN - buf.len(),
            });
        };
        let flags = prefix[0];
        if flags & !KNOWN_FLAGS != 0 {
            return Err(EnvelopeError::BadFlags(flags));
        }
        let len = u32::from_be_bytes([prefix[1], prefix[2], prefix[3], prefix[4]]);
        if len > self.max_len {
            return Err(EnvelopeError::TooLarge {
                len: u64::from(len),
                max: u64::from(self.max_len),
            });
        }
        // Saturating: on 32-bit targets 5 + a 4 GiB length overflows `usize`.
        let end = PREFIX_LEN.saturating_add(len as usize);
        if buf.len() < end {
            return Ok(Decoded::Incomplete {
                needed: end - buf.len(),
            });
        }
        Ok(Decoded::Frame(Frame {
            flags,
            payload: PREFIX_LEN..end,
        }))
    }

    /// At end of input, with `rest` the unconsumed bytes: `Ok` when empty, otherwise the
    /// error for the envelope they start (truncated, or bad flags / too large when the
    /// prefix already says so).
    pub fn check_eof(&self, rest: &[u8]) -> Result<(), EnvelopeError> {
        if rest.is_empty() {
            return Ok(());
        }
        match self.decode(rest)? {
            // A whole envelope is not a truncation; the caller should have consumed it.
            Decoded::Frame(_) => Ok(()),
            Decoded::Incomplete { needed } => Err(EnvelopeError::Truncated {
                have: rest.len(),
                need: rest.len() as u64 + needed as u64,
            }),
        }
    }
}

/// The prefix of an envelope with `flags` and a payload of `len` bytes.
#[must_use]
pub fn prefix(flags: u8, len: u32) -> [u8; PREFIX_LEN] {
    let l = len.to_be_bytes();
    [flags, l[0], l[1], l[2], l[3]]
}

/// Marks where an envelope begun with [`begin`] starts in the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "pass it to `finish` once the payload is written"]
pub struct EnvelopeStart(usize);

impl EnvelopeStart {
    /// The offset of the prefix in the output.
    #[must_use]
    pub fn offset(self) -> usize {
        self.0
    }
}

/// Starts an envelope: appends a placeholder prefix to `out`. Write the payload after it,
/// then call [`finish`].
pub fn begin(out: &mut Vec<u8>) -> EnvelopeStart {
    let start = out.len();
    out.extend_from_slice(&[0; PREFIX_LEN]);
    EnvelopeStart(start)
}

/// Completes an envelope begun with [`begin`]: everything written to `out` after the prefix
/// is the payload. Fails (leaving `out` as is) when the payload exceeds `u32::MAX` bytes.
///
/// # Panics
///
/// If `out` was truncated below the end of the prefix since [`begin`].
pub fn finish(out: &mut [u8], start: EnvelopeStart, flags: u8) -> Result<(), EnvelopeError> {
    let payload_start = start.0 + PREFIX_LEN;
    assert!(
        out.len() >= payload_start,
        "envelope output truncated below its prefix"
    );
    let len = out.len() - payload_start;
    let len32 = u32::try_from(len).map_err(|_| EnvelopeError::TooLarge {
        len: len as u64,
        max: u64::from(u32::MAX),
    })?;
    out[start.0..payload_start].copy_from_slice(&prefix(flags, len32));
    Ok(())
}

/// Appends a whole envelope (prefix and `payload`) to `out`. Fails (appending nothing) when
/// the payload exceeds `u32::MAX` bytes.
pub fn write(out: &mut Vec<u8>, flags: u8, payload: &[u8]) -> Result<(), EnvelopeError> {
    let len = u32::try_from(payload.len()).map_err(|_| EnvelopeError::TooLarge {
        len: payload.len() as u64,
        max: u64::from(u32::MAX),
    })?;
    out.reserve(PREFIX_LEN + payload.len());
    out.extend_from_slice(&prefix(flags, len));
    out.extend_from_slice(payload);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_layout() {
        assert_eq!(prefix(FLAG_END_STREAM, 0x0102_0304), [2, 1, 2, 3, 4]);
    }

    #[test]
    fn begin_finish() {
        let mut out = b"xx".to_vec();
        let start = begin(&mut out);
        out.extend_from_slice(b"hello");
        finish(&mut out, start, FLAG_COMPRESSED).unwrap();
        assert_eq!(out, b"xx\x01\x00\x00\x00\x05hello");
    }
}
