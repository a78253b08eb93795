//! Binary decoding: a bounds-checked reader over one borrowed buffer.
//!
//! Scalar primitives come from quick-protobuf's `BytesReader`. Each nested message gets a
//! reader over its own sub-slice, so no primitive can read past a message boundary, and a
//! depth budget bounds recursion (100 levels, as in the C++, Go and Java runtimes).

use std::borrow::Cow;
use std::fmt;

use quick_protobuf::BytesReader;

use super::unknown::UnknownFields;
use crate::message::{Enumeration, Message};

/// Maximum nesting depth of messages (and groups inside unknown fields).
pub const RECURSION_LIMIT: u32 = 100;

/// Wire type of varint fields.
pub const WIRE_VARINT: u32 = 0;
/// Wire type of 64-bit fields.
pub const WIRE_FIXED64: u32 = 1;
/// Wire type of length-delimited fields.
pub const WIRE_LEN: u32 = 2;
/// Wire type of a group start.
pub const WIRE_START_GROUP: u32 = 3;
/// Wire type of a group end.
pub const WIRE_END_GROUP: u32 = 4;
/// Wire type of 32-bit fields.
pub const WIRE_FIXED32: u32 = 5;

/// Why a binary message could not be decoded. Small and `Copy`: no allocation on error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended inside a field.
    Truncated,
    /// A varint was longer than 10 bytes.
    BadVarint,
    /// A tag had field number 0 or a wire type that does not exist.
    BadTag,
    /// A known field arrived with a wire type its type cannot have.
    WrongWireType,
    /// A `string` field was not valid UTF-8.
    InvalidUtf8,
    /// Messages were nested deeper than [`RECURSION_LIMIT`].
    RecursionLimit,
    /// A group end tag did not match its start.
    UnbalancedGroup,
    /// A length prefix does not fit the remaining input.
    BadLength,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Truncated => "input ended inside a field",
            Self::BadVarint => "malformed varint",
            Self::BadTag => "invalid field tag",
            Self::WrongWireType => "field has the wrong wire type",
            Self::InvalidUtf8 => "string field is not valid UTF-8",
            Self::RecursionLimit => "message nesting exceeds the recursion limit",
            Self::UnbalancedGroup => "unbalanced group",
            Self::BadLength => "length prefix exceeds the input",
        })
    }
}

impl std::error::Error for DecodeError {}

impl From<quick_protobuf::Error> for DecodeError {
    fn from(e: quick_protobuf::Error) -> Self {
        match e {
            quick_protobuf::Error::Varint => Self::BadVarint,
            quick_protobuf::Error::Utf8(_) => Self::InvalidUtf8,
            quick_protobuf::Error::UnknownWireType(_) | quick_protobuf::Error::Deprecated(_) => {
                Self::BadTag
            }
            _ => Self::Truncated,
        }
    }
}

/// Reads one message's fields out of a borrowed buffer.
pub struct Decoder<'a> {
    buf: &'a [u8],
    r: BytesReader,
    /// Remaining nesting budget.
    depth: u32,
    /// Offset of the tag of the field being decoded (to capture unknown fields).
    field_start: usize,
}

impl<'a> Decoder<'a> {
    /// A decoder over a whole top-level message.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_depth(buf, RECURSION_LIMIT)
    }

    fn with_depth(buf: &'a [u8], depth: u32) -> Self {
        Decoder {
            buf,
            r: BytesReader::from_bytes(buf),
            depth,
            field_start: 0,
        }
    }

    #[inline]
    fn pos(&self) -> usize {
        self.buf.len() - self.r.len()
    }

    /// Whether every byte of this message has been read.
    #[inline]
    #[must_use]
    pub fn is_eof(&self) -> bool {
        self.r.is_eof()
    }

    /// Reads all fields into `m`.
    pub fn merge_message<M: Message<'a>>(&mut self, m: &mut M) -> Result<(), DecodeError> {
        while !self.r.is_eof() {
            self.field_start = self.pos();
            let tag = self.r.read_varint32(self.buf)?;
            if tag >> 3 == 0 {
                return Err(DecodeError::BadTag);
            }
            m.merge_field(tag, self)?;
        }
        Ok(())
    }

    /// Checks the wire type of a known field.
    #[inline]
    pub fn expect(tag: u32, wire: u32) -> Result<(), DecodeError> {
        if tag & 7 == wire {
            Ok(())
        } else {
            Err(DecodeError::WrongWireType)
        }
    }

    /// Reads a varint as `int32` (truncating, as protobuf does).
    #[inline]
    pub fn int32(&mut self) -> Result<i32, DecodeError> {
        Ok(self.r.read_varint64(self.buf)? as i32)
    }
    /// Reads a varint as `int64`.
    #[inline]
    pub fn int64(&mut self) -> Result<i64, DecodeError> {
        Ok(self.r.read_varint64(self.buf)? as i64)
    }
    /// Reads a varint as `uint32`.
    #[inline]
    pub fn uint32(&mut self) -> Result<u32, DecodeError> {
        Ok(self.r.read_varint64(self.buf)? as u32)
    }
    /// Reads a varint as `uint64`.
    #[inline]
    pub fn uint64(&mut self) -> Result<u64, DecodeError> {
        Ok(self.r.read_varint64(self.buf)?)
    }
    /// Reads a zigzag varint as `sint32`.
    #[inline]
    pub fn sint32(&mut self) -> Result<i32, DecodeError> {
        let n = self.r.read_varint64(self.buf)? as u32;
        Ok(((n >> 1) as i32) ^ -((n & 1) as i32))
    }
    /// Reads a zigzag varint as `sint64`.
    #[inline]
    pub fn sint64(&mut self) -> Result<i64, DecodeError> {
        let n = self.r.read_varint64(self.buf)?;
        Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
    }
    /// Reads a varint as `bool` (any non-zero 64-bit value is true).
    #[inline]
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.r.read_varint64(self.buf)? != 0)
    }
    /// Reads an enum number.
    #[inline]
    pub fn enumeration<E: Enumeration>(&mut self) -> Result<E, DecodeError> {
        Ok(E::from_number(self.int32()?))
    }
    /// Reads a `fixed32`.
    #[inline]
    pub fn fixed32(&mut self) -> Result<u32, DecodeError> {
        Ok(self.r.read_fixed32(self.buf)?)
    }
    /// Reads a `fixed64`.
    #[inline]
    pub fn fixed64(&mut self) -> Result<u64, DecodeError> {
        Ok(self.r.read_fixed64(self.buf)?)
    }
    /// Reads an `sfixed32`.
    #[inline]
    pub fn sfixed32(&mut self) -> Result<i32, DecodeError> {
        Ok(self.r.read_sfixed32(self.buf)?)
    }
    /// Reads an `sfixed64`.
    #[inline]
    pub fn sfixed64(&mut self) -> Result<i64, DecodeError> {
        Ok(self.r.read_sfixed64(self.buf)?)
    }
    /// Reads a `float`.
    #[inline]
    pub fn float(&mut self) -> Result<f32, DecodeError> {
        Ok(self.r.read_float(self.buf)?)
    }
    /// Reads a `double`.
    #[inline]
    pub fn double(&mut self) -> Result<f64, DecodeError> {
        Ok(self.r.read_double(self.buf)?)
    }

    /// Reads a length-delimited payload, borrowed from the input.
    #[inline]
    pub fn raw_bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        // `BytesReader::read_bytes` reads the length as a 32-bit varint and silently drops
        // higher bits, so a probe reads it as 64 bits first; `read_unknown` then advances
        // past the payload with its own bounds check.
        let mut probe = self.r.clone();
        let len = probe.read_varint64(self.buf)?;
        let start = self.buf.len() - probe.len();
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| start.checked_add(l))
            .filter(|&e| e <= self.buf.len())
            .ok_or(DecodeError::BadLength)?;
        self.r.read_unknown(self.buf, WIRE_LEN)?;
        Ok(&self.buf[start..end])
    }

    /// Reads `bytes`, borrowed from the input.
    #[inline]
    pub fn bytes(&mut self) -> Result<Cow<'a, [u8]>, DecodeError> {
        self.raw_bytes().map(Cow::Borrowed)
    }

    /// Reads a UTF-8 checked `string`, borrowed from the input.
    #[inline]
    pub fn string(&mut self) -> Result<Cow<'a, str>, DecodeError> {
        let b = self.raw_bytes()?;
        std::str::from_utf8(b)
            .map(Cow::Borrowed)
            .map_err(|_| DecodeError::InvalidUtf8)
    }

    /// Merges a length-delimited nested message into `m`.
    pub fn message<M: Message<'a>>(&mut self, m: &mut M) -> Result<(), DecodeError> {
        let mut sub = self.nested()?;
        sub.merge_message(m)
    }

    /// Reads a length-delimited payload and returns a decoder over it, one level deeper.
    fn nested(&mut self) -> Result<Decoder<'a>, DecodeError> {
        if self.depth == 0 {
            return Err(DecodeError::RecursionLimit);
        }
        let payload = self.raw_bytes()?;
        Ok(Decoder::with_depth(payload, self.depth - 1))
    }

    /// Reads a packed run of scalars (a length-delimited field) into `out`.
    ///
    /// `width` is the fixed width of each value (4 or 8), or 0 for varints.
    pub fn packed<T>(
        &mut self,
        out: &mut Vec<T>,
        width: usize,
        mut read: impl FnMut(&mut Decoder<'a>) -> Result<T, DecodeError>,
    ) -> Result<(), DecodeError> {
        let payload = self.raw_bytes()?;
        if width != 0 {
            if payload.len() % width != 0 {
                return Err(DecodeError::Truncated);
            }
            out.reserve(payload.len() / width);
        }
        let mut sub = Decoder::with_depth(payload, self.depth);
        while !sub.is_eof() {
            out.push(read(&mut sub)?);
        }
        Ok(())
    }

    /// Reads a map entry (a nested message with `key = 1`, `value = 2`).
    ///
    /// `entry` is called for each field of the entry with its tag; unknown entry fields are
    /// skipped.
    pub fn map_entry(
        &mut self,
        mut entry: impl FnMut(u32, &mut Decoder<'a>) -> Result<bool, DecodeError>,
    ) -> Result<(), DecodeError> {
        let mut sub = self.nested()?;
        while !sub.is_eof() {
            sub.field_start = sub.pos();
            let tag = sub.r.read_varint32(sub.buf)?;
            if tag >> 3 == 0 {
                return Err(DecodeError::BadTag);
            }
            if !entry(tag, &mut sub)? {
                sub.skip_field(tag)?;
            }
        }
        Ok(())
    }

    /// Skips the field whose tag was just read and records it in `unknown`.
    pub fn unknown(
        &mut self,
        tag: u32,
        unknown: &mut UnknownFields<'a>,
    ) -> Result<(), DecodeError> {
        let start = self.field_start;
        self.skip_field(tag)?;
        unknown.push_from(self.buf, start, self.pos());
        Ok(())
    }

    /// Skips the value of a field whose tag was just read.
    pub fn skip_field(&mut self, tag: u32) -> Result<(), DecodeError> {
        match tag & 7 {
            WIRE_VARINT => {
                self.r.read_varint64(self.buf)?;
            }
            WIRE_FIXED64 => {
                self.r.read_fixed64(self.buf)?;
            }
            WIRE_FIXED32 => {
                self.r.read_fixed32(self.buf)?;
            }
            WIRE_LEN => {
                self.raw_bytes()?;
            }
            WIRE_START_GROUP => self.skip_group(tag >> 3, self.depth)?,
            _ => return Err(DecodeError::BadTag),
        }
        Ok(())
    }

    fn skip_group(&mut self, field: u32, depth: u32) -> Result<(), DecodeError> {
        if depth == 0 {
            return Err(DecodeError::RecursionLimit);
        }
        loop {
            if self.r.is_eof() {
                return Err(DecodeError::Truncated);
            }
            let tag = self.r.read_varint32(self.buf)?;
            if tag >> 3 == 0 {
                return Err(DecodeError::BadTag);
            }
            match tag & 7 {
                WIRE_END_GROUP if tag >> 3 == field => return Ok(()),
                WIRE_END_GROUP => return Err(DecodeError::UnbalancedGroup),
                WIRE_START_GROUP => self.skip_group(tag >> 3, depth - 1)?,
                _ => self.skip_field(tag)?,
            }
        }
    }
}
