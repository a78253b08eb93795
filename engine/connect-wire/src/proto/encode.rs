//! Binary encoding: sizes computed once, then bytes written into a reserved vector.
//!
//! Encoding is two passes over the message. [`Message::compute_size`] walks the tree once
//! and records the size of every nested message in a [`SizeCache`] (pre-order); the write
//! pass reads those sizes back in the same order, so no size is ever recomputed — the
//! O(n·depth) cost of quick-protobuf's `get_size` at every nesting level is gone.
//!
//! The writer is our own. quick-protobuf's `Writer` measured the same speed (`PERF.md`, "Wire
//! primitives": within 6 %), but it reports a `Result` for every byte written to a vector
//! that cannot fail and knows nothing of the size cache; ours is infallible and writes into
//! capacity reserved once for the whole message.
//!
//! [`Message::compute_size`]: crate::Message::compute_size

use crate::enumeration::Enumeration;
/// A message as the encoder meets it nested in another: a size to compute, fields to write.
/// Every [`Message`](crate::Message) is one (a blanket implementation forwards to the
/// generated `compute_size` and `write_to`), so this module needs nothing from the message
/// traits.
pub trait EncodeFields {
    /// The encoded size, recording nested sizes in `sizes`.
    fn nested_size(&self, sizes: &mut SizeCache) -> usize;

    /// Writes the fields (no length prefix), with sizes from
    /// [`nested_size`](Self::nested_size).
    fn write_nested(&self, e: &mut Encoder<'_>);
}

/// Sizes of nested messages in pre-order, filled by `compute_size`, read by `write_to`.
#[derive(Debug, Default)]
pub struct SizeCache {
    sizes: Vec<usize>,
}

impl SizeCache {
    /// An empty cache.
    #[must_use]
    pub const fn new() -> Self {
        SizeCache { sizes: Vec::new() }
    }

    /// Forgets all sizes, keeping the allocation.
    pub fn clear(&mut self) {
        self.sizes.clear();
    }

    /// Size of a nested message field's payload, recording it for the write pass.
    #[inline]
    pub fn message<M: EncodeFields + ?Sized>(&mut self, m: &M) -> usize {
        let slot = self.sizes.len();
        self.sizes.push(0);
        let len = m.nested_size(self);
        self.sizes[slot] = len;
        len
    }
}

/// Writes fields into a vector whose capacity was reserved from the computed size.
pub struct Encoder<'b> {
    out: &'b mut Vec<u8>,
    sizes: &'b SizeCache,
    next: usize,
}

impl<'b> Encoder<'b> {
    /// An encoder appending to `out`, reading nested sizes from `sizes`.
    pub fn new(out: &'b mut Vec<u8>, sizes: &'b SizeCache) -> Self {
        Encoder {
            out,
            sizes,
            next: 0,
        }
    }

    /// Writes a varint.
    #[inline]
    pub fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.out.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.out.push(v as u8);
    }

    /// Writes a length prefix.
    #[inline]
    pub fn len_prefix(&mut self, len: usize) {
        self.varint(len as u64);
    }

    /// Writes a tag (field number and wire type, pre-combined by the generator).
    #[inline]
    pub fn tag(&mut self, tag: u32) {
        self.varint(u64::from(tag));
    }

    /// Writes an `int32` (negative values take 10 bytes, as the spec requires).
    #[inline]
    pub fn int32(&mut self, v: i32) {
        self.varint(i64::from(v) as u64);
    }
    /// Writes an `int64`.
    #[inline]
    pub fn int64(&mut self, v: i64) {
        self.varint(v as u64);
    }
    /// Writes a `uint32`.
    #[inline]
    pub fn uint32(&mut self, v: u32) {
        self.varint(u64::from(v));
    }
    /// Writes a `uint64`.
    #[inline]
    pub fn uint64(&mut self, v: u64) {
        self.varint(v);
    }
    /// Writes a zigzag `sint32`.
    #[inline]
    pub fn sint32(&mut self, v: i32) {
        self.varint(u64::from(((v << 1) ^ (v >> 31)) as u32));
    }
    /// Writes a zigzag `sint64`.
    #[inline]
    pub fn sint64(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }
    /// Writes a `bool`.
    #[inline]
    pub fn bool(&mut self, v: bool) {
        self.out.push(u8::from(v));
    }
    /// Writes an enum number.
    #[inline]
    pub fn enumeration<E: Enumeration>(&mut self, v: E) {
        self.int32(v.number());
    }
    /// Writes a `fixed32`.
    #[inline]
    pub fn fixed32(&mut self, v: u32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    /// Writes a `fixed64`.
    #[inline]
    pub fn fixed64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    /// Writes an `sfixed32`.
    #[inline]
    pub fn sfixed32(&mut self, v: i32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    /// Writes an `sfixed64`.
    #[inline]
    pub fn sfixed64(&mut self, v: i64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    /// Writes a `float`.
    #[inline]
    pub fn float(&mut self, v: f32) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    /// Writes a `double`.
    #[inline]
    pub fn double(&mut self, v: f64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }
    /// Writes length-prefixed bytes.
    #[inline]
    pub fn bytes(&mut self, v: &[u8]) {
        self.varint(v.len() as u64);
        self.out.extend_from_slice(v);
    }
    /// Writes a length-prefixed string.
    #[inline]
    pub fn string(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }
    /// Writes raw bytes (unknown fields).
    #[inline]
    pub fn raw(&mut self, v: &[u8]) {
        self.out.extend_from_slice(v);
    }

    /// Writes a nested message with its length prefix, taking the size recorded by
    /// [`SizeCache::message`].
    #[inline]
    pub fn message<M: EncodeFields + ?Sized>(&mut self, m: &M) {
        let len = self.next_size();
        self.varint(len as u64);
        m.write_nested(self);
    }

    /// The next recorded size, without consuming it (a map entry's length depends on the
    /// size of its message value, which [`message`](Self::message) then consumes).
    #[inline]
    #[must_use]
    pub fn peek_size(&self) -> usize {
        self.sizes.sizes.get(self.next).copied().unwrap_or(0)
    }

    /// The next size recorded by [`SizeCache::message`] (also used for map entries and
    /// packed fields, which the generator sizes with [`SizeCache::reserve`]).
    #[inline]
    pub fn next_size(&mut self) -> usize {
        let len = self.sizes.sizes.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        len
    }
}

impl SizeCache {
    /// Records a size computed by generated code (map entries, packed fields) in pre-order.
    /// Returns a slot to fill with [`SizeCache::set`] once the contents are sized.
    #[inline]
    pub fn reserve(&mut self) -> usize {
        self.sizes.push(0);
        self.sizes.len() - 1
    }

    /// Fills a slot from [`SizeCache::reserve`].
    #[inline]
    pub fn set(&mut self, slot: usize, len: usize) {
        self.sizes[slot] = len;
    }
}

/// Encoded size of a varint.
#[inline]
#[must_use]
pub const fn varint_len(v: u64) -> usize {
    // 1 byte per 7 bits, at least one byte.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Encoded size of an `int32` (sign-extended to 64 bits).
#[inline]
#[must_use]
pub const fn int32_len(v: i32) -> usize {
    varint_len(v as i64 as u64)
}

/// Encoded size of an `int64`.
#[inline]
#[must_use]
pub const fn int64_len(v: i64) -> usize {
    varint_len(v as u64)
}

/// Encoded size of a `uint32`.
#[inline]
#[must_use]
pub const fn uint32_len(v: u32) -> usize {
    varint_len(v as u64)
}

/// Encoded size of a `uint64`.
#[inline]
#[must_use]
pub const fn uint64_len(v: u64) -> usize {
    varint_len(v)
}

/// Encoded size of a zigzag `sint32`.
#[inline]
#[must_use]
pub const fn sint32_len(v: i32) -> usize {
    varint_len(((v << 1) ^ (v >> 31)) as u32 as u64)
}

/// Encoded size of a zigzag `sint64`.
#[inline]
#[must_use]
pub const fn sint64_len(v: i64) -> usize {
    varint_len(((v << 1) ^ (v >> 63)) as u64)
}

/// Encoded size of a length-delimited value of `len` bytes (prefix included, tag excluded).
#[inline]
#[must_use]
pub const fn len_delimited_len(len: usize) -> usize {
    varint_len(len as u64) + len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_len_matches_encoding() {
        let cache = SizeCache::new();
        for v in [
            0u64,
            1,
            127,
            128,
            16383,
            16384,
            u64::from(u32::MAX),
            u64::MAX,
            1 << 63,
        ] {
            let mut out = Vec::new();
            Encoder::new(&mut out, &cache).varint(v);
            assert_eq!(out.len(), varint_len(v), "value {v}");
        }
    }

    #[test]
    fn negative_int32_takes_ten_bytes() {
        let cache = SizeCache::new();
        let mut out = Vec::new();
        Encoder::new(&mut out, &cache).int32(-1);
        assert_eq!(
            out,
            [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
        assert_eq!(int32_len(-1), 10);
    }

    #[test]
    fn zigzag_matches_spec_table() {
        // Table from the protobuf encoding guide.
        let cache = SizeCache::new();
        for (v, want) in [
            (0i64, 0u64),
            (-1, 1),
            (1, 2),
            (-2, 3),
            (i64::from(i32::MAX), 0xffff_fffe),
        ] {
            let mut out = Vec::new();
            let mut e = Encoder::new(&mut out, &cache);
            e.sint64(v);
            let mut want_out = Vec::new();
            Encoder::new(&mut want_out, &cache).varint(want);
            assert_eq!(out, want_out, "sint64 {v}");
            assert_eq!(sint64_len(v), want_out.len());
        }
    }
}
