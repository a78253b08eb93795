//! Connect codecs (`proto`, `json`) and the content types that name them.

use crate::json::JsonOptions;
use crate::message::{Message, MessageType};

/// A message codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Codec {
    /// Protobuf binary.
    Proto,
    /// Canonical proto3 JSON.
    Json,
}

/// Whether a content type names a unary or a streaming request/response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// `application/proto`, `application/json`.
    Unary(Codec),
    /// `application/connect+proto`, `application/connect+json`.
    Stream(Codec),
}

/// Why a message could not be decoded or encoded with a codec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// Binary decoding failed.
    Binary(crate::proto::DecodeError),
    /// JSON decoding or encoding failed.
    Json(crate::json::JsonError),
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Binary(e) => write!(f, "protobuf: {e}"),
            Self::Json(e) => write!(f, "json: {e}"),
        }
    }
}

impl std::error::Error for CodecError {}

impl Codec {
    /// The codec's name (`proto` or `json`), as in content types and GET's `encoding=`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Proto => "proto",
            Self::Json => "json",
        }
    }

    /// The codec with this name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Codec> {
        match name {
            "proto" => Some(Self::Proto),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    /// Content type of unary requests and successful unary responses.
    #[must_use]
    pub const fn unary_content_type(self) -> &'static str {
        match self {
            Self::Proto => "application/proto",
            Self::Json => "application/json",
        }
    }

    /// Content type of streaming requests and responses.
    #[must_use]
    pub const fn stream_content_type(self) -> &'static str {
        match self {
            Self::Proto => "application/connect+proto",
            Self::Json => "application/connect+json",
        }
    }

    /// Decodes a message. JSON is decoded in place (hence `&mut`); both borrow from `buf`.
    pub fn decode<'a, M: Message<'a>>(
        self,
        buf: &'a mut [u8],
        json: &JsonOptions,
    ) -> Result<M, CodecError> {
        match self {
            Self::Proto => M::decode(buf).map_err(CodecError::Binary),
            // An empty body is the empty message in both codecs.
            Self::Json if buf.is_empty() => Ok(M::default()),
            Self::Json => M::decode_json(buf, json).map_err(CodecError::Json),
        }
    }

    /// Appends the encoding of `m` to `out` (on error `out` may hold a partial write; callers
    /// truncate).
    pub fn encode<'a, M: Message<'a>>(
        self,
        m: &M,
        out: &mut Vec<u8>,
        json: &JsonOptions,
    ) -> Result<(), CodecError> {
        match self {
            Self::Proto => {
                m.encode(out);
                Ok(())
            }
            Self::Json => m.encode_json(out, json).map_err(CodecError::Json),
        }
    }
}

/// A message type whose borrowed form turns into itself when owned: `Foo<'static>` for
/// every generated message (its `Msg<'b>` is `Foo<'b>`, whose `Owned` is `Foo<'static>`).
/// Clients decode responses borrowing the read buffer, then keep the owned form.
pub trait OwnedMessage: MessageType + Sized {
    /// Decodes `buf` with `codec` (borrowing it), then takes ownership of every string and
    /// byte field.
    fn decode_owned(codec: Codec, buf: &mut [u8], json: &JsonOptions) -> Result<Self, CodecError>;
}

impl<T: MessageType> OwnedMessage for T
where
    for<'b> T::Msg<'b>: Message<'b, Owned = T>,
{
    fn decode_owned(codec: Codec, buf: &mut [u8], json: &JsonOptions) -> Result<Self, CodecError> {
        codec
            .decode::<T::Msg<'_>>(buf, json)
            .map(Message::into_owned)
    }
}

/// Parses a `Content-Type` value naming a Connect codec. Matching is ASCII
/// case-insensitive; a `charset=utf-8` parameter is accepted for JSON, any other parameter
/// makes the type unknown.
#[must_use]
pub fn parse_content_type(value: &[u8]) -> Option<ContentType> {
    let value = std::str::from_utf8(value).ok()?;
    let mut parts = value.split(';');
    let essence = parts.next()?.trim();
    let mut params_ok = true;
    let mut charset_utf8 = false;
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        match p.split_once('=') {
            Some((k, v)) if k.trim().eq_ignore_ascii_case("charset") => {
                let v = v.trim().trim_matches('"');
                charset_utf8 = v.eq_ignore_ascii_case("utf-8") || v.eq_ignore_ascii_case("utf8");
                params_ok &= charset_utf8;
            }
            _ => params_ok = false,
        }
    }
    if !params_ok {
        return None;
    }
    let ct = if essence.eq_ignore_ascii_case("application/proto") {
        ContentType::Unary(Codec::Proto)
    } else if essence.eq_ignore_ascii_case("application/json") {
        ContentType::Unary(Codec::Json)
    } else if essence.eq_ignore_ascii_case("application/connect+proto") {
        ContentType::Stream(Codec::Proto)
    } else if essence.eq_ignore_ascii_case("application/connect+json") {
        ContentType::Stream(Codec::Json)
    } else {
        return None;
    };
    let is_json = matches!(
        ct,
        ContentType::Unary(Codec::Json) | ContentType::Stream(Codec::Json)
    );
    if charset_utf8 && !is_json {
        return None;
    }
    Some(ct)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        let table: &[(&str, Option<ContentType>)] = &[
            ("application/proto", Some(ContentType::Unary(Codec::Proto))),
            ("Application/JSON", Some(ContentType::Unary(Codec::Json))),
            (
                "application/json; charset=utf-8",
                Some(ContentType::Unary(Codec::Json)),
            ),
            (
                "application/json;charset=\"UTF-8\"",
                Some(ContentType::Unary(Codec::Json)),
            ),
            (
                "application/connect+proto",
                Some(ContentType::Stream(Codec::Proto)),
            ),
            (
                "application/connect+json",
                Some(ContentType::Stream(Codec::Json)),
            ),
            ("application/proto; charset=utf-8", None),
            ("application/json; charset=latin1", None),
            ("application/json; foo=bar", None),
            ("application/foo", None),
            ("image/jpeg", None),
            ("application/grpc", None),
            ("", None),
        ];
        for (input, want) in table {
            assert_eq!(parse_content_type(input.as_bytes()), *want, "{input}");
        }
    }

    #[test]
    fn names_round_trip() {
        for c in [Codec::Proto, Codec::Json] {
            assert_eq!(Codec::from_name(c.name()), Some(c));
        }
        assert_eq!(Codec::from_name("xml"), None);
    }
}
