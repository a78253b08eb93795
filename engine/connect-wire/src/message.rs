//! The traits every generated message and enum implements.
//!
//! A generated message `Foo<'a>` borrows its strings and bytes from the buffer it was decoded
//! from (`Cow<'a, str>` / `Cow<'a, [u8]>`); users can build owned values with `Cow::Owned` and
//! turn a borrowed message into a `Foo<'static>` with [`Message::into_owned`].

use std::cell::RefCell;
use std::fmt;

use crate::json::{
    JsonDecoder, JsonError, JsonErrorKind, JsonOptions, JsonValue, JsonWriter, MergeJson,
};
use crate::proto::{DecodeError, Decoder, EncodeFields, Encoder, MergeFields, SizeCache};

/// A protobuf message with binary and canonical proto3 JSON codecs.
///
/// The required methods are written by the code generator; users call the provided ones
/// ([`decode`](Message::decode), [`encode`](Message::encode),
/// [`decode_json`](Message::decode_json), [`encode_json`](Message::encode_json)).
pub trait Message<'a>: Default + Clone + PartialEq + fmt::Debug + 'a {
    /// The fully-qualified protobuf name, e.g. `connectrpc.eliza.v1.SayRequest`.
    const FULL_NAME: &'static str;

    /// Whether [`compute_size`](Message::compute_size) records sizes (the message has message
    /// fields, maps of messages or packed varint fields). Generated code sets it to `false`
    /// when not, which lets encoding skip the thread-local size cache.
    const USES_SIZE_CACHE: bool = true;

    /// The same message type with every borrow replaced by an owned value.
    type Owned: Message<'static>;

    /// Turns every borrowed string and byte slice into an owned one.
    fn into_owned(self) -> Self::Owned;

    /// Merges one field whose tag (field number and wire type) has just been read.
    ///
    /// Unknown fields are kept for a binary round trip.
    fn merge_field(&mut self, tag: u32, d: &mut Decoder<'a>) -> Result<(), DecodeError>;

    /// Computes the encoded size, recording the size of each nested message in `sizes` in
    /// pre-order so that [`write_to`](Message::write_to) never recomputes a size.
    fn compute_size(&self, sizes: &mut SizeCache) -> usize;

    /// Writes the message (without a length prefix); sizes come from a previous
    /// [`compute_size`](Message::compute_size) over the same value.
    fn write_to(&self, e: &mut Encoder<'_>);

    /// Writes the message as a JSON object (or as its special form for well-known types).
    fn write_json(&self, w: &mut JsonWriter<'_>) -> Result<(), JsonError>;

    /// Merges a parsed JSON value into this message.
    fn merge_json<'t>(
        &mut self,
        v: JsonValue<'t, 'a>,
        d: &mut JsonDecoder<'_>,
    ) -> Result<(), JsonError>;

    /// Decodes a message from its binary encoding, borrowing strings and bytes from `buf`.
    fn decode(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let mut m = Self::default();
        m.merge(buf)?;
        Ok(m)
    }

    /// Merges the binary encoding in `buf` into `self` (protobuf merge semantics).
    fn merge(&mut self, buf: &'a [u8]) -> Result<(), DecodeError> {
        Decoder::new(buf).merge_message(self)
    }

    /// Returns the size of the binary encoding.
    fn encoded_len(&self) -> usize {
        if Self::USES_SIZE_CACHE {
            with_size_cache(|sizes| self.compute_size(sizes))
        } else {
            self.compute_size(&mut SizeCache::new())
        }
    }

    /// Appends the binary encoding to `out`.
    fn encode(&self, out: &mut Vec<u8>) {
        let mut encode = |sizes: &mut SizeCache| {
            let len = self.compute_size(sizes);
            out.reserve(len);
            let mut e = Encoder::new(out, sizes);
            self.write_to(&mut e);
        };
        if Self::USES_SIZE_CACHE {
            with_size_cache(encode);
        } else {
            // Nothing will be recorded: an empty local cache costs nothing (no allocation, no
            // thread-local access).
            encode(&mut SizeCache::new());
        }
    }

    /// Returns the binary encoding in a new vector.
    fn encode_to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// Decodes canonical proto3 JSON. The buffer is modified in place (strings are unescaped
    /// where they lie), and decoded strings borrow from it.
    fn decode_json(buf: &'a mut [u8], opts: &JsonOptions) -> Result<Self, JsonError> {
        crate::json::decode(buf, opts)
    }

    /// Appends canonical proto3 JSON to `out`.
    fn encode_json(&self, out: &mut Vec<u8>, opts: &JsonOptions) -> Result<(), JsonError> {
        let mut w = JsonWriter::new(out, opts);
        self.write_json(&mut w)
    }
}

impl<'a, M: Message<'a>> MergeFields<'a> for M {
    #[inline]
    fn merge_nested_field(&mut self, tag: u32, d: &mut Decoder<'a>) -> Result<(), DecodeError> {
        self.merge_field(tag, d)
    }
}

impl<'a, M: Message<'a>> EncodeFields for M {
    #[inline]
    fn nested_size(&self, sizes: &mut SizeCache) -> usize {
        self.compute_size(sizes)
    }

    #[inline]
    fn write_nested(&self, e: &mut Encoder<'_>) {
        self.write_to(e);
    }
}

impl<'a, M: Message<'a>> MergeJson<'a> for M {
    #[inline]
    fn merge_json_value(
        &mut self,
        v: JsonValue<'_, 'a>,
        d: &mut JsonDecoder<'_>,
    ) -> Result<(), JsonError> {
        self.merge_json(v, d)
    }
}

/// `TypeEntry::write_json` for message type `M` (generated entries call this).
pub fn write_entry<'x, M: Message<'x>>(
    bytes: &'x [u8],
    w: &mut JsonWriter<'_>,
) -> Result<(), JsonError> {
    let m = M::decode(bytes).map_err(|_| JsonError::new(JsonErrorKind::BadAnyValue))?;
    m.write_json(w)
}

/// `TypeEntry::read_json` for message type `M`; `special` says whether `M` has a special JSON
/// form (then the value is parsed as is, not as an `Any` body).
pub fn read_entry<'t, 'x, M: Message<'x>>(
    v: JsonValue<'t, 'x>,
    d: &mut JsonDecoder<'_>,
    out: &mut Vec<u8>,
    special: bool,
) -> Result<(), JsonError> {
    let mut m = M::default();
    if special {
        d.message(v, &mut m)?;
    } else {
        d.any_body(v, &mut m)?;
    }
    m.encode(out);
    Ok(())
}

/// A message type seen as a family over lifetimes: `Foo<'static>` names `Foo<'b>` for every
/// `'b`. Streaming APIs use it to hand out messages that borrow a buffer only until the next
/// message arrives. Generated for every message.
pub trait MessageType: 'static {
    /// The message, borrowing for `'b`.
    type Msg<'b>: Message<'b>;
}

pub use crate::enumeration::Enumeration;

thread_local! {
    static SIZE_CACHE: RefCell<SizeCache> = const { RefCell::new(SizeCache::new()) };
}

/// Runs `f` with this thread's reusable size cache (re-entrant: a nested call gets a fresh one).
fn with_size_cache<R>(f: impl FnOnce(&mut SizeCache) -> R) -> R {
    SIZE_CACHE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut sizes) => {
            sizes.clear();
            f(&mut sizes)
        }
        Err(_) => f(&mut SizeCache::new()),
    })
}

/// A message kept as its encoding: bytes that are already a message in some codec (a
/// proxy's payload, a load generator's pre-encoded request). Encoding writes the bytes as
/// they are, whatever the codec; decoding keeps (borrows) the bytes, so a JSON payload stays
/// JSON text and a binary one stays binary. Nothing is checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawMessage<'a> {
    /// The encoded message.
    pub bytes: std::borrow::Cow<'a, [u8]>,
}

impl<'a> Message<'a> for RawMessage<'a> {
    const FULL_NAME: &'static str = "";
    const USES_SIZE_CACHE: bool = false;
    type Owned = RawMessage<'static>;

    fn into_owned(self) -> RawMessage<'static> {
        RawMessage {
            bytes: std::borrow::Cow::Owned(self.bytes.into_owned()),
        }
    }

    /// Never called: [`decode`](Message::decode) and [`merge`](Message::merge) keep the
    /// bytes whole.
    fn merge_field(&mut self, _tag: u32, _d: &mut Decoder<'a>) -> Result<(), DecodeError> {
        Err(DecodeError::BadTag)
    }

    fn compute_size(&self, _sizes: &mut SizeCache) -> usize {
        self.bytes.len()
    }

    fn write_to(&self, e: &mut Encoder<'_>) {
        e.raw(&self.bytes);
    }

    fn write_json(&self, w: &mut JsonWriter<'_>) -> Result<(), JsonError> {
        w.buffer().extend_from_slice(&self.bytes);
        Ok(())
    }

    /// Never called: [`decode_json`](Message::decode_json) keeps the text whole.
    fn merge_json<'t>(
        &mut self,
        _v: JsonValue<'t, 'a>,
        _d: &mut JsonDecoder<'_>,
    ) -> Result<(), JsonError> {
        Err(JsonError::new(crate::json::JsonErrorKind::Unrepresentable))
    }

    fn decode(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(RawMessage {
            bytes: std::borrow::Cow::Borrowed(buf),
        })
    }

    /// Appends `buf` (two encodings one after the other merge, in protobuf).
    fn merge(&mut self, buf: &'a [u8]) -> Result<(), DecodeError> {
        if self.bytes.is_empty() {
            self.bytes = std::borrow::Cow::Borrowed(buf);
        } else {
            self.bytes.to_mut().extend_from_slice(buf);
        }
        Ok(())
    }

    fn decode_json(buf: &'a mut [u8], _opts: &JsonOptions) -> Result<Self, JsonError> {
        Ok(RawMessage {
            bytes: std::borrow::Cow::Borrowed(buf),
        })
    }
}

impl MessageType for RawMessage<'static> {
    type Msg<'b> = RawMessage<'b>;
}

/// A response nobody reads: decoding records only the message's size (no parse, no copy,
/// no allocation). For load generators and health checks that count calls, not contents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Discarded {
    /// The size of the message as received (after decompression).
    pub len: usize,
}

impl<'a> Message<'a> for Discarded {
    const FULL_NAME: &'static str = "";
    const USES_SIZE_CACHE: bool = false;
    type Owned = Discarded;

    fn into_owned(self) -> Discarded {
        self
    }

    fn merge_field(&mut self, _tag: u32, _d: &mut Decoder<'a>) -> Result<(), DecodeError> {
        Err(DecodeError::BadTag)
    }

    fn compute_size(&self, _sizes: &mut SizeCache) -> usize {
        0
    }

    fn write_to(&self, _e: &mut Encoder<'_>) {}

    fn write_json(&self, w: &mut JsonWriter<'_>) -> Result<(), JsonError> {
        w.raw("{}");
        Ok(())
    }

    fn merge_json<'t>(
        &mut self,
        _v: JsonValue<'t, 'a>,
        _d: &mut JsonDecoder<'_>,
    ) -> Result<(), JsonError> {
        Ok(())
    }

    fn decode(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(Discarded { len: buf.len() })
    }

    fn merge(&mut self, buf: &'a [u8]) -> Result<(), DecodeError> {
        self.len += buf.len();
        Ok(())
    }

    fn decode_json(buf: &'a mut [u8], _opts: &JsonOptions) -> Result<Self, JsonError> {
        Ok(Discarded { len: buf.len() })
    }
}

impl MessageType for Discarded {
    type Msg<'b> = Discarded;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Codec, OwnedMessage};

    #[test]
    fn raw_messages_pass_bytes_through() {
        let json = JsonOptions::default();
        for codec in [Codec::Proto, Codec::Json] {
            let raw = RawMessage {
                bytes: std::borrow::Cow::Borrowed(br#"{"a":1}"#),
            };
            let mut out = Vec::new();
            codec.encode(&raw, &mut out, &json).unwrap();
            assert_eq!(out, br#"{"a":1}"#);
            let back: RawMessage<'_> = codec.decode(&mut out, &json).unwrap();
            assert_eq!(back.bytes.as_ref(), br#"{"a":1}"#);
            let mut bytes = b"\x0a\x01x".to_vec();
            let d: Discarded = codec.decode(&mut bytes, &json).unwrap();
            assert_eq!(d.len, 3);
        }
        assert_eq!(
            <Discarded as OwnedMessage>::decode_owned(Codec::Json, &mut [], &json)
                .unwrap()
                .len,
            0
        );
    }
}
