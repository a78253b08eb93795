//! Binary decoding: a bounds-checked reader over one borrowed buffer.
//!
//! The wire primitives are our own. quick-protobuf's `BytesReader` was the starting point and
//! was replaced after measurement (`PERF.md`, "Wire primitives"): its methods are never
//! inlined across crates (their `#[cfg_attr(std, inline)]` hints name a Cargo feature, not a
//! cfg, so they do not exist), it has no way to tell its position, and its length reads
//! silently truncate to 32 bits — working around that cost a second varint read per field.
//! Our loop decodes varints 1.6× faster. Each nested message gets a decoder over its own
//! sub-slice, so no primitive can read past a message boundary, and a depth budget bounds
//! recursion (100 levels, as in the C++, Go and Java runtimes).

use std::borrow::Cow;
use std::fmt;

use super::unknown::UnknownFields;
use crate::enumeration::Enumeration;

/// Maximum nesting depth of messages (and groups inside unknown fields).
pub const RECURSION_LIMIT: u32 = 100;

/// Memory a decode may spend on message structs, in bytes per input byte (plus
/// [`MEMORY_BASE`]). A sub-message takes two bytes on the wire (`0a 00`) but
/// `size_of::<Msg>()` in memory, so without a budget a repeated field of empty messages
/// would expand the input a hundredfold or more.
pub const MEMORY_FACTOR: usize = 64;

/// Memory every decode may spend on message structs regardless of its input size.
pub const MEMORY_BASE: usize = 16 << 20;

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
    /// The decoded structs would take more memory than the input justifies (see
    /// [`MEMORY_FACTOR`]).
    MemoryLimit,
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
            Self::MemoryLimit => "decoded message would use too much memory for its size",
        })
    }
}

impl std::error::Error for DecodeError {}

/// What one map entry is charged against the memory budget.
const MAP_ENTRY_COST: usize = 64;
/// A message as the decoder meets it nested in another: fields to merge. Every
/// [`Message`](crate::Message) is one (a blanket implementation forwards to the generated
/// `merge_field`), so this module needs nothing from the message traits.
pub trait MergeFields<'a> {
    /// Merges one field whose tag has just been read.
    ///
    /// # Errors
    ///
    /// Whatever the field's decoding fails with.
    fn merge_nested_field(&mut self, tag: u32, d: &mut Decoder<'a>) -> Result<(), DecodeError>;
}

/// Reads one message's fields out of a borrowed buffer.
pub struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Remaining nesting budget.
    depth: u32,
    /// Offset of the tag of the field being decoded (to capture unknown fields).
    field_start: usize,
    /// Bytes of message structs this decode may still create (shared with nested decoders).
    budget: usize,
}

impl<'a> Decoder<'a> {
    /// A decoder over a whole top-level message.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        let budget = buf
            .len()
            .saturating_mul(MEMORY_FACTOR)
            .saturating_add(MEMORY_BASE);
        Self::with_depth(buf, RECURSION_LIMIT, budget)
    }

    fn with_depth(buf: &'a [u8], depth: u32, budget: usize) -> Self {
        Decoder {
            buf,
            pos: 0,
            depth,
            field_start: 0,
            budget,
        }
    }

    /// Accounts for `bytes` of structs about to be created.
    #[inline]
    fn charge(&mut self, bytes: usize) -> Result<(), DecodeError> {
        self.budget = self
            .budget
            .checked_sub(bytes)
            .ok_or(DecodeError::MemoryLimit)?;
        Ok(())
    }

    /// Whether every byte of this message has been read.
    #[inline]
    #[must_use]
    pub fn is_eof(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Reads a varint. One-byte varints (most tags and small values) take the inlined fast
    /// path.
    #[inline]
    fn varint(&mut self) -> Result<u64, DecodeError> {
        match self.buf.get(self.pos) {
            Some(&b) if b < 0x80 => {
                self.pos += 1;
                Ok(u64::from(b))
            }
            Some(_) => self.varint_slow(),
            None => Err(DecodeError::Truncated),
        }
    }

    /// Multi-byte varints: up to 10 bytes; bits beyond 64 are ignored, as protobuf-C++ does.
    fn varint_slow(&mut self) -> Result<u64, DecodeError> {
        let bytes = self.buf.get(self.pos..).unwrap_or_default();
        let mut v = 0u64;
        for (i, &b) in bytes.iter().take(10).enumerate() {
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.pos += i + 1;
                return Ok(v);
            }
        }
        if bytes.len() < 10 {
            Err(DecodeError::Truncated)
        } else {
            Err(DecodeError::BadVarint)
        }
    }

    /// Reads `N` bytes.
    #[inline]
    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let bytes = self
            .buf
            .get(self.pos..)
            .and_then(|rest| rest.first_chunk::<N>())
            .ok_or(DecodeError::Truncated)?;
        self.pos += N;
        Ok(*bytes)
    }

    /// Reads all fields into `m`.
    pub fn merge_message<M: MergeFields<'a>>(&mut self, m: &mut M) -> Result<(), DecodeError> {
        while !self.is_eof() {
            self.field_start = self.pos;
            let tag = self.tag()?;
            m.merge_nested_field(tag, self)?;
        }
        Ok(())
    }

    /// Reads a tag: a varint that fits 32 bits, with a non-zero field number.
    #[inline]
    fn tag(&mut self) -> Result<u32, DecodeError> {
        let tag = u32::try_from(self.varint()?).map_err(|_| DecodeError::BadTag)?;
        if tag >> 3 == 0 {
            return Err(DecodeError::BadTag);
        }
        Ok(tag)
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
        Ok(self.varint()? as i32)
    }
    /// Reads a varint as `int64`.
    #[inline]
    pub fn int64(&mut self) -> Result<i64, DecodeError> {
        Ok(self.varint()? as i64)
    }
    /// Reads a varint as `uint32`.
    #[inline]
    pub fn uint32(&mut self) -> Result<u32, DecodeError> {
        Ok(self.varint()? as u32)
    }
    /// Reads a varint as `uint64`.
    #[inline]
    pub fn uint64(&mut self) -> Result<u64, DecodeError> {
        self.varint()
    }
    /// Reads a zigzag varint as `sint32`.
    #[inline]
    pub fn sint32(&mut self) -> Result<i32, DecodeError> {
        let n = self.varint()? as u32;
        Ok(((n >> 1) as i32) ^ -((n & 1) as i32))
    }
    /// Reads a zigzag varint as `sint64`.
    #[inline]
    pub fn sint64(&mut self) -> Result<i64, DecodeError> {
        let n = self.varint()?;
        Ok(((n >> 1) as i64) ^ -((n & 1) as i64))
    }
    /// Reads a varint as `bool` (any non-zero 64-bit value is true).
    #[inline]
    pub fn bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.varint()? != 0)
    }
    /// Reads an enum number.
    #[inline]
    pub fn enumeration<E: Enumeration>(&mut self) -> Result<E, DecodeError> {
        Ok(E::from_number(self.int32()?))
    }
    /// Reads a `fixed32`.
    #[inline]
    pub fn fixed32(&mut self) -> Result<u32, DecodeError> {
        self.fixed().map(u32::from_le_bytes)
    }
    /// Reads a `fixed64`.
    #[inline]
    pub fn fixed64(&mut self) -> Result<u64, DecodeError> {
        self.fixed().map(u64::from_le_bytes)
    }
    /// Reads an `sfixed32`.
    #[inline]
    pub fn sfixed32(&mut self) -> Result<i32, DecodeError> {
        self.fixed().map(i32::from_le_bytes)
    }
    /// Reads an `sfixed64`.
    #[inline]
    pub fn sfixed64(&mut self) -> Result<i64, DecodeError> {
        self.fixed().map(i64::from_le_bytes)
    }
    /// Reads a `float`.
    #[inline]
    pub fn float(&mut self) -> Result<f32, DecodeError> {
        self.fixed().map(f32::from_le_bytes)
    }
    /// Reads a `double`.
    #[inline]
    pub fn double(&mut self) -> Result<f64, DecodeError> {
        self.fixed().map(f64::from_le_bytes)
    }

    /// Reads a length-delimited payload, borrowed from the input.
    #[inline]
    pub fn raw_bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.varint()?;
        let start = self.pos;
        let bytes = usize::try_from(len)
            .ok()
            .and_then(|l| self.buf.get(start..start.checked_add(l)?))
            .ok_or(DecodeError::BadLength)?;
        self.pos = start + bytes.len();
        Ok(bytes)
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
    pub fn message<M: MergeFields<'a>>(&mut self, m: &mut M) -> Result<(), DecodeError> {
        self.charge(std::mem::size_of::<M>())?;
        let mut sub = self.nested()?;
        let r = sub.merge_message(m);
        self.budget = sub.budget;
        r
    }

    /// Reads a length-delimited payload and returns a decoder over it, one level deeper,
    /// holding this decoder's memory budget (hand it back with `self.budget = sub.budget`).
    fn nested(&mut self) -> Result<Decoder<'a>, DecodeError> {
        if self.depth == 0 {
            return Err(DecodeError::RecursionLimit);
        }
        let payload = self.raw_bytes()?;
        Ok(Decoder::with_depth(payload, self.depth - 1, self.budget))
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
        } else {
            // One value per byte without the continuation bit.
            out.reserve(payload.iter().filter(|&&b| b < 0x80).count());
        }
        // Scalars only: nothing to charge.
        let mut sub = Decoder::with_depth(payload, self.depth, 0);
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
        // A map node holds the key, the value and links; values that are messages are also
        // charged by `message`.
        self.charge(MAP_ENTRY_COST)?;
        let mut sub = self.nested()?;
        while !sub.is_eof() {
            sub.field_start = sub.pos;
            let tag = sub.tag()?;
            if !entry(tag, &mut sub)? {
                sub.skip_field(tag)?;
            }
        }
        self.budget = sub.budget;
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
        unknown.push_from(self.buf, start, self.pos);
        Ok(())
    }

    /// Skips the value of a field whose tag was just read.
    pub fn skip_field(&mut self, tag: u32) -> Result<(), DecodeError> {
        match tag & 7 {
            WIRE_VARINT => {
                self.varint()?;
            }
            WIRE_FIXED64 => {
                self.fixed::<8>()?;
            }
            WIRE_FIXED32 => {
                self.fixed::<4>()?;
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
            if self.is_eof() {
                return Err(DecodeError::Truncated);
            }
            let tag = self.tag()?;
            match tag & 7 {
                WIRE_END_GROUP if tag >> 3 == field => return Ok(()),
                WIRE_END_GROUP => return Err(DecodeError::UnbalancedGroup),
                WIRE_START_GROUP => self.skip_group(tag >> 3, depth - 1)?,
                _ => self.skip_field(tag)?,
            }
        }
    }
}
