//! Unary requests over HTTP GET: `?connect=v1&encoding=…&base64=1&compression=…&message=…`.
//!
//! Parameters may come in any order and unknown ones are ignored. `message` is URL-safe
//! base64 (padded or not) of the possibly compressed message when `base64=1`, otherwise the
//! percent-encoded message itself.

use std::borrow::Cow;

use base64::Engine as _;

use crate::codec::Codec;
use crate::compression::Compression;

/// Why a GET query is not a Connect request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GetError {
    /// No `encoding` parameter.
    MissingEncoding,
    /// `encoding` names no codec.
    UnknownEncoding,
    /// `connect` is present but not `v1`.
    BadVersion,
    /// `compression` names an unsupported algorithm.
    UnknownCompression,
    /// `message` is not valid percent-encoding or base64.
    BadMessage,
    /// The decoded message exceeds the limit.
    TooLarge,
}

impl std::fmt::Display for GetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::MissingEncoding => "missing encoding parameter",
            Self::UnknownEncoding => "unknown encoding parameter",
            Self::BadVersion => "connect parameter must be v1",
            Self::UnknownCompression => "unknown compression parameter",
            Self::BadMessage => "message parameter is not valid percent-encoding or base64",
            Self::TooLarge => "message parameter exceeds the size limit",
        })
    }
}

impl std::error::Error for GetError {}

/// The Connect parameters of a GET query (values still percent-encoded where noted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GetParams<'q> {
    /// The codec (`encoding`).
    pub codec: Codec,
    /// The message compression (`compression`, identity when absent).
    pub compression: Compression,
    /// Whether `message` is base64 (`base64=1`).
    pub base64: bool,
    /// The raw (still percent-encoded) `message` value; empty when absent.
    pub message: &'q str,
}

/// Iterates over `name=value` pairs of a query string, percent-decoded (`+` is a space, as
/// in HTML forms). Pairs that do not decode to UTF-8 are yielded lossily.
pub fn query_pairs(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode_lossy(k), decode_lossy(v))
    })
}

fn decode_lossy(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return Cow::Borrowed(s);
    }
    let mut out = Vec::with_capacity(s.len());
    match percent_decode_into(s, &mut out) {
        Ok(()) => Cow::Owned(String::from_utf8_lossy(&out).into_owned()),
        Err(()) => Cow::Borrowed(s),
    }
}

/// Percent-decodes `s` (and `+` as space) onto `out`.
fn percent_decode_into(s: &str, out: &mut Vec<u8>) -> Result<(), ()> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hi = b
                    .get(i + 1)
                    .and_then(|c| (*c as char).to_digit(16))
                    .ok_or(())?;
                let lo = b
                    .get(i + 2)
                    .and_then(|c| (*c as char).to_digit(16))
                    .ok_or(())?;
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(())
}

/// Extracts the Connect parameters from a query string.
pub fn parse_query(query: &str) -> Result<GetParams<'_>, GetError> {
    let mut codec = None;
    let mut compression = Compression::Identity;
    let mut base64 = false;
    let mut message = "";
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "encoding" => {
                codec = Some(Codec::from_name(&decode_lossy(v)).ok_or(GetError::UnknownEncoding)?);
            }
            "message" => message = v,
            "base64" => base64 = v == "1",
            "compression" => {
                let v = decode_lossy(v);
                compression = if v.is_empty() {
                    Compression::Identity
                } else {
                    Compression::from_name(&v).ok_or(GetError::UnknownCompression)?
                };
            }
            "connect" if v != "v1" => return Err(GetError::BadVersion),
            _ => {}
        }
    }
    Ok(GetParams {
        codec: codec.ok_or(GetError::MissingEncoding)?,
        compression,
        base64,
        message,
    })
}

/// Decodes the `message` parameter (percent-decoding, then base64 when flagged) onto `out`,
/// failing when it would exceed `limit` bytes. `scratch` is reused for the base64 step.
pub fn decode_message(
    params: &GetParams<'_>,
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
    limit: usize,
) -> Result<(), GetError> {
    // Decoding never grows the text, so its length bounds the work. A message within the
    // limit takes at most three characters per byte (percent-encoding).
    if params.message.len() > limit.saturating_mul(3).saturating_add(16) {
        return Err(GetError::TooLarge);
    }
    if !params.base64 {
        percent_decode_into(params.message, out).map_err(|()| GetError::BadMessage)?;
        return if out.len() > limit {
            Err(GetError::TooLarge)
        } else {
            Ok(())
        };
    }
    scratch.clear();
    percent_decode_into(params.message, scratch).map_err(|()| GetError::BadMessage)?;
    let text = trim_padding(scratch);
    if text.len() / 4 * 3 > limit.saturating_add(3) {
        return Err(GetError::TooLarge);
    }
    let engine = if text.iter().any(|&c| c == b'+' || c == b'/') {
        &STANDARD
    } else {
        &URL_SAFE
    };
    engine
        .decode_vec(text, out)
        .map_err(|_| GetError::BadMessage)?;
    if out.len() > limit {
        Err(GetError::TooLarge)
    } else {
        Ok(())
    }
}

fn trim_padding(b: &[u8]) -> &[u8] {
    let mut end = b.len();
    while end > 0 && b[end - 1] == b'=' {
        end -= 1;
    }
    &b[..end]
}

const LENIENT: base64::engine::GeneralPurposeConfig = base64::engine::GeneralPurposeConfig::new()
    .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone)
    .with_decode_allow_trailing_bits(true);
static URL_SAFE: base64::engine::GeneralPurpose =
    base64::engine::GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
static STANDARD: base64::engine::GeneralPurpose =
    base64::engine::GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);

/// Appends the query string of a GET request for `message` (already compressed with
/// `compression` if not identity): `connect=v1&encoding=…[&base64=1][&compression=…]&message=…`.
/// Binary messages and compressed ones are base64 (URL-safe, unpadded); uncompressed JSON is
/// percent-encoded.
pub fn write_query(out: &mut String, codec: Codec, compression: Compression, message: &[u8]) {
    out.push_str("connect=v1&encoding=");
    out.push_str(codec.name());
    let text = codec == Codec::Json && compression == Compression::Identity;
    let text = text && std::str::from_utf8(message).is_ok();
    if !text {
        out.push_str("&base64=1");
    }
    if compression != Compression::Identity {
        out.push_str("&compression=");
        out.push_str(compression.name());
    }
    out.push_str("&message=");
    if text {
        for &b in message {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(b as char);
            } else {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    } else {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(message, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(query: &str) -> Result<(GetParams<'_>, Vec<u8>), GetError> {
        let p = parse_query(query)?;
        let mut out = Vec::new();
        decode_message(&p, &mut out, &mut Vec::new(), 1024)?;
        Ok((p, out))
    }

    #[test]
    fn parses_in_any_order() {
        let (p, m) = decode("message=CgNmb28&base64=1&encoding=proto&connect=v1&x=y").unwrap();
        assert_eq!(p.codec, Codec::Proto);
        assert!(p.base64);
        assert_eq!(m, b"\n\x03foo");
        // Padded and standard-alphabet base64 are accepted too.
        assert_eq!(
            decode("encoding=proto&base64=1&message=CgNmb28%3D")
                .unwrap()
                .1,
            b"\n\x03foo"
        );
    }

    #[test]
    fn percent_encoded_json() {
        let (p, m) = decode("encoding=json&message=%7B%22a%22%3A1%7D").unwrap();
        assert_eq!(p.codec, Codec::Json);
        assert_eq!(m, br#"{"a":1}"#);
    }

    #[test]
    fn rejections() {
        assert_eq!(decode("message=x").unwrap_err(), GetError::MissingEncoding);
        assert_eq!(
            decode("encoding=xml").unwrap_err(),
            GetError::UnknownEncoding
        );
        assert_eq!(
            decode("encoding=json&connect=v2").unwrap_err(),
            GetError::BadVersion
        );
        assert_eq!(
            decode("encoding=json&compression=lz4").unwrap_err(),
            GetError::UnknownCompression
        );
        assert_eq!(
            decode("encoding=json&message=%zz").unwrap_err(),
            GetError::BadMessage
        );
        assert_eq!(
            decode("encoding=proto&base64=1&message=!!").unwrap_err(),
            GetError::BadMessage
        );
        let big = format!("encoding=json&message={}", "a".repeat(2000));
        assert_eq!(decode(&big).unwrap_err(), GetError::TooLarge);
    }

    #[test]
    fn write_then_parse_round_trips() {
        for (codec, msg) in [
            (Codec::Proto, &b"\x00\xff\x10binary"[..]),
            (Codec::Json, br#"{"s":"a b&c=d"}"#),
        ] {
            let mut q = String::new();
            write_query(&mut q, codec, Compression::Identity, msg);
            let (p, m) = decode(&q).unwrap();
            assert_eq!(p.codec, codec);
            assert_eq!(m, msg, "{q}");
        }
    }

    #[test]
    fn query_pairs_decode() {
        let pairs: Vec<_> = query_pairs("a=1&b=x%20y&c=p+q&&d").collect();
        assert_eq!(
            pairs,
            [
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "p q".into()),
                ("d".into(), "".into())
            ]
        );
    }
}
