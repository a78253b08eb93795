//! The rules gRPC and gRPC-web share (<https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md>,
//! `PROTOCOL-WEB.md`), for both roles: the status a call ends with (`grpc-status`,
//! `grpc-message` percent-encoded, `grpc-status-details-bin` as a base64
//! `google.rpc.Status`), the `grpc-timeout` header, and gRPC-web's trailer block, the body of
//! its `0x80` envelope.
//!
//! A status travels as header fields: in HTTP/2 trailers (gRPC), at the end of the body
//! (gRPC-web), or in the head of a response without a body ("trailers-only").

mod client;
mod server;

pub(crate) use client::{classify, end_stream, request_fields};
pub use server::web_content_type;
pub(crate) use server::{end, error_body, error_head, response_head};

use std::borrow::Cow;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::code::Code;
use crate::error::{ConnectError, ErrorDetail, decode_binary_header, encode_binary_header};
use crate::headers::is_protocol_header;
use crate::proto::{DecodeError, Decoder, MergeFields};
use crate::protocol::fields::FieldSink;

/// The status field: `0` for success, else the code's number.
pub const STATUS: &str = "grpc-status";
/// The status message, percent-encoded.
pub const MESSAGE: &str = "grpc-message";
/// The status as a base64 `google.rpc.Status`, with the error details.
pub const STATUS_DETAILS: &str = "grpc-status-details-bin";
/// The call's timeout.
pub const TIMEOUT: &str = "grpc-timeout";
/// The compression of the messages.
pub const ENCODING: &str = "grpc-encoding";
/// The compressions the sender accepts.
pub const ACCEPT_ENCODING: &str = "grpc-accept-encoding";
/// The envelope flag of gRPC-web's trailer block.
pub const FLAG_TRAILERS: u8 = 0x80;

/// The prefix of the type URL of an error detail.
const TYPE_URL_PREFIX: &str = "type.googleapis.com/";

/// Writes the status of a call that ended with `error` (`None`: success) and then its
/// `trailers`: `grpc-status`, `grpc-message` and `grpc-status-details-bin` when there are
/// details, then the error's metadata and the trailers (protocol fields skipped).
pub fn write_status(sink: &mut impl FieldSink, error: Option<&ConnectError>, trailers: &HeaderMap) {
    match error {
        None => sink.field(STATUS.as_bytes(), b"0"),
        Some(err) => {
            let mut digits = itoa::Buffer::new();
            sink.field(
                STATUS.as_bytes(),
                digits.format(err.code().number()).as_bytes(),
            );
            if !err.message().is_empty() {
                let mut message = Vec::with_capacity(err.message().len());
                percent_encode(err.message(), &mut message);
                sink.field(MESSAGE.as_bytes(), &message);
            }
            if !err.details().is_empty() {
                let value = encode_binary_header(&encode_status(err));
                sink.field(STATUS_DETAILS.as_bytes(), value.as_bytes());
            }
            sink.metadata(err.metadata(), b"");
        }
    }
    sink.metadata(trailers, b"");
}

/// Reads the status a call ended with from its trailers (or a trailers-only head): `Ok(None)`
/// for success, `Ok(Some(error))` for a status that is an error, `Err` when the fields
/// themselves are broken (no `grpc-status`: `internal` when there are no fields at all,
/// else `unknown`, as connect-go has it; a status that is not a number: `unknown`; details
/// that do not decode: `internal`). Details, when present, take precedence over
/// `grpc-status` and `grpc-message`, as grpc-go has it. The error's metadata is `trailers`
/// without the status fields.
///
/// # Errors
///
/// As above.
pub fn read_status(trailers: &HeaderMap) -> Result<Option<ConnectError>, ConnectError> {
    let Some(status) = trailers.get(STATUS) else {
        let code = if trailers.is_empty() {
            Code::Internal
        } else {
            Code::Unknown
        };
        return Err(wire(ConnectError::new(
            code,
            "protocol error: no grpc-status trailer",
        )));
    };
    let number = std::str::from_utf8(status.as_bytes())
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or_else(|| {
            wire(ConnectError::new(
                Code::Unknown,
                format!(
                    "protocol error: invalid grpc-status {:?}",
                    String::from_utf8_lossy(status.as_bytes())
                ),
            ))
        })?;
    if number == 0 {
        return Ok(None);
    }
    let code = Code::from_number(number).unwrap_or(Code::Unknown);
    let message = trailers
        .get(MESSAGE)
        .map(|m| percent_decode(m.as_bytes()).into_owned())
        .unwrap_or_default();
    let mut err = ConnectError::new(code, message);
    if let Some(details) = trailers.get(STATUS_DETAILS) {
        let status = decode_binary_header(details.as_bytes())
            .and_then(|bin| decode_status(&bin).ok())
            .ok_or_else(|| {
                wire(ConnectError::new(
                    Code::Internal,
                    "protocol error: invalid grpc-status-details-bin",
                ))
            })?;
        // A status whose code is not one of the sixteen keeps the header's.
        if let Some(c) = u32::try_from(status.code).ok().and_then(Code::from_number) {
            err.set_code(c);
        }
        err.set_message(status.message);
        for d in status.details {
            err.add_detail(d);
        }
    }
    for (name, value) in trailers {
        let n = name.as_str();
        if n == STATUS || n == MESSAGE || n == STATUS_DETAILS || is_protocol_header(n) {
            continue;
        }
        err.metadata_mut().append(name.clone(), value.clone());
    }
    Ok(Some(wire(err)))
}

fn wire(mut err: ConnectError) -> ConnectError {
    err.set_from_wire(true);
    err
}

/// Appends `message` percent-encoded as `grpc-message` wants it: bytes outside space to
/// `~`, and `%` itself, become `%XX` (uppercase hex).
pub fn percent_encode(message: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in message.as_bytes() {
        if (b' '..=b'~').contains(&b) && b != b'%' {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        }
    }
}

/// Decodes a percent-encoded `grpc-message`. A `%` not followed by two hex digits is kept as
/// it is, and bytes that do not form UTF-8 are replaced: a message is never lost (the spec
/// forbids failing on it).
#[must_use]
pub fn percent_decode(value: &[u8]) -> Cow<'_, str> {
    if !value.contains(&b'%') {
        return String::from_utf8_lossy(value);
    }
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while i < value.len() {
        if value[i] == b'%'
            && let (Some(h), Some(l)) = (
                value.get(i + 1).copied().and_then(hex),
                value.get(i + 2).copied().and_then(hex),
            )
        {
            // Two hex digits: at most 0xff.
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(value[i]);
            i += 1;
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// Why a `grpc-timeout` value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadTimeout;

/// Parses a `grpc-timeout` value: 1 to 8 ASCII digits and a unit, `H` hours, `M` minutes,
/// `S` seconds, `m` milliseconds, `u` microseconds, `n` nanoseconds.
///
/// # Errors
///
/// [`BadTimeout`] for anything else.
pub fn parse_timeout(value: &[u8]) -> Result<Duration, BadTimeout> {
    let (&unit, digits) = value.split_last().ok_or(BadTimeout)?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(BadTimeout);
    }
    let n = digits
        .iter()
        .fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    Ok(match unit {
        b'H' => Duration::from_secs(n * 3600),
        b'M' => Duration::from_secs(n * 60),
        b'S' => Duration::from_secs(n),
        b'm' => Duration::from_millis(n),
        b'u' => Duration::from_micros(n),
        b'n' => Duration::from_nanos(n),
        _ => return Err(BadTimeout),
    })
}

/// Writes `timeout` as a `grpc-timeout` value into `buf` and returns it: the finest unit
/// whose count fits 8 digits, rounded down (at least `1n`; at most 99,999,999 hours).
pub fn write_timeout(timeout: Duration, buf: &mut itoa::Buffer) -> (&str, u8) {
    const MAX: u128 = 99_999_999;
    let nanos = timeout.as_nanos().max(1);
    for (per, unit) in [
        (1, b'n'),
        (1_000, b'u'),
        (1_000_000, b'm'),
        (1_000_000_000, b'S'),
        (60_000_000_000, b'M'),
    ] {
        let count = nanos / per;
        if count <= MAX {
            // At most 8 digits: fits any integer type.
            return (buf.format(count as u64), unit);
        }
    }
    let hours = (nanos / 3_600_000_000_000).min(MAX);
    (buf.format(hours as u64), b'H')
}

/// Appends gRPC-web's trailer block for a call that ended with `error` and `trailers`: one
/// `name: value\r\n` line per field, names lowercase ([`write_status`]'s fields).
pub fn write_web_trailers(out: &mut Vec<u8>, error: Option<&ConnectError>, trailers: &HeaderMap) {
    write_status(&mut crate::protocol::Http1Fields(out), error, trailers);
}

/// Why a gRPC-web trailer block was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadTrailers;

/// Parses gRPC-web's trailer block: `name: value` lines separated by CRLF (a bare LF is
/// taken too, and the last line may lack its end), names case-insensitive, values trimmed.
/// At most `max_fields` fields.
///
/// # Errors
///
/// [`BadTrailers`] for a line without a colon, an invalid name or value, or too many fields.
pub fn parse_web_trailers(block: &[u8], max_fields: usize) -> Result<HeaderMap, BadTrailers> {
    let mut map = HeaderMap::new();
    for line in block.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if map.len() >= max_fields {
            return Err(BadTrailers);
        }
        let colon = line.iter().position(|&b| b == b':').ok_or(BadTrailers)?;
        let name = HeaderName::from_bytes(&line[..colon]).map_err(|_| BadTrailers)?;
        let value = line[colon + 1..].trim_ascii();
        let value = HeaderValue::from_bytes(value).map_err(|_| BadTrailers)?;
        map.append(name, value);
    }
    Ok(map)
}

/// A decoded `google.rpc.Status`.
#[derive(Debug, Default)]
struct Status {
    code: i32,
    message: String,
    details: Vec<ErrorDetail>,
}

/// The binary `google.rpc.Status` of `err`: its code, message and details (each an `Any`).
fn encode_status(err: &ConnectError) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    fn len_field(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
        out.push(tag);
        varint(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }
    let mut out = Vec::new();
    out.push(0x08);
    varint(&mut out, u64::from(err.code().number()));
    if !err.message().is_empty() {
        len_field(&mut out, 0x12, err.message().as_bytes());
    }
    let mut any = Vec::new();
    for d in err.details() {
        any.clear();
        let url = format!("{TYPE_URL_PREFIX}{}", d.type_name);
        len_field(&mut any, 0x0a, url.as_bytes());
        if !d.value.is_empty() {
            len_field(&mut any, 0x12, &d.value);
        }
        len_field(&mut out, 0x1a, &any);
    }
    out
}

fn decode_status(bin: &[u8]) -> Result<Status, DecodeError> {
    let mut status = Status::default();
    Decoder::new(bin).merge_message(&mut status)?;
    Ok(status)
}

impl<'a> MergeFields<'a> for Status {
    fn merge_nested_field(&mut self, tag: u32, d: &mut Decoder<'a>) -> Result<(), DecodeError> {
        match tag {
            0x08 => self.code = d.int32()?,
            0x12 => self.message = d.string()?.into_owned(),
            0x1a => {
                let mut any = AnyDetail::default();
                d.message(&mut any)?;
                let name = any
                    .type_url
                    .rsplit_once('/')
                    .map_or(any.type_url.as_str(), |(_, n)| n);
                self.details.push(ErrorDetail::new(name, any.value));
            }
            _ => d.skip_field(tag)?,
        }
        Ok(())
    }
}

/// A `google.protobuf.Any` inside a status.
#[derive(Debug, Default)]
struct AnyDetail {
    type_url: String,
    value: Vec<u8>,
}

impl<'a> MergeFields<'a> for AnyDetail {
    fn merge_nested_field(&mut self, tag: u32, d: &mut Decoder<'a>) -> Result<(), DecodeError> {
        match tag {
            0x0a => self.type_url = d.string()?.into_owned(),
            0x12 => self.value = d.bytes()?.into_owned(),
            _ => d.skip_field(tag)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_survive_percent_encoding() {
        for message in ["plain", "100% sure", "héllo\nwörld ☺", "", "%", "~ !"] {
            let mut enc = Vec::new();
            percent_encode(message, &mut enc);
            assert!(enc.iter().all(|b| (b' '..=b'~').contains(b)), "{enc:?}");
            assert_eq!(percent_decode(&enc), message);
        }
        let mut enc = Vec::new();
        percent_encode("a%b\u{e9}", &mut enc);
        assert_eq!(enc, b"a%25b%C3%A9");
    }

    #[test]
    fn broken_percent_encoding_keeps_the_message() {
        assert_eq!(percent_decode(b"50%"), "50%");
        assert_eq!(percent_decode(b"%zz%4"), "%zz%4");
        assert_eq!(percent_decode(b"%ff!"), "\u{fffd}!");
        assert_eq!(percent_decode(b"%41%62"), "Ab");
    }

    #[test]
    fn timeouts_parse_in_every_unit() {
        let ok = [
            (&b"1H"[..], Duration::from_hours(1)),
            (b"2M", Duration::from_mins(2)),
            (b"3S", Duration::from_secs(3)),
            (b"99999999m", Duration::from_millis(99_999_999)),
            (b"5u", Duration::from_micros(5)),
            (b"0n", Duration::ZERO),
        ];
        for (v, d) in ok {
            assert_eq!(parse_timeout(v), Ok(d), "{v:?}");
        }
        for v in [
            &b""[..],
            b"S",
            b"123456789S",
            b"1s",
            b"-1S",
            b"1 S",
            b"1.5S",
            b"\xffS",
        ] {
            assert_eq!(parse_timeout(v), Err(BadTimeout), "{v:?}");
        }
    }

    #[test]
    fn timeouts_are_written_in_the_finest_unit_that_fits() {
        let cases = [
            (Duration::ZERO, "1n"),
            (Duration::from_nanos(99_999_999), "99999999n"),
            (Duration::from_millis(100), "100000u"),
            (Duration::from_secs(1), "1000000u"),
            (Duration::from_secs(99_999), "99999000m"),
        ];
        for (d, expected) in cases {
            let mut buf = itoa::Buffer::new();
            let (n, unit) = write_timeout(d, &mut buf);
            assert_eq!(format!("{n}{}", char::from(unit)), expected);
        }
        // Every written value parses back to at most the timeout, losing less than a unit.
        for d in [
            Duration::from_secs(100_000),
            Duration::from_hours(99_999_999),
            Duration::MAX,
            Duration::from_nanos(123_456_789_012),
        ] {
            let mut buf = itoa::Buffer::new();
            let (n, unit) = write_timeout(d, &mut buf);
            let text = format!("{n}{}", char::from(unit));
            let back = parse_timeout(text.as_bytes()).unwrap();
            assert!(back <= d, "{text}");
            assert!(n.len() <= 8, "{text}");
        }
    }

    fn error() -> ConnectError {
        let mut err = ConnectError::new(Code::ResourceExhausted, "too much: 100%\nreally")
            .with_detail(ErrorDetail::new(
                "google.protobuf.StringValue",
                b"\x0a\x02hi".to_vec(),
            ))
            .with_detail(ErrorDetail::new("x.Empty", Vec::new()));
        err.metadata_mut()
            .append("x-err", HeaderValue::from_static("e"));
        err
    }

    #[test]
    fn an_error_status_round_trips_through_fields() {
        let mut trailers = HeaderMap::new();
        trailers.append("x-t", HeaderValue::from_static("1"));
        trailers.append("x-t", HeaderValue::from_static("2"));
        trailers.append("content-type", HeaderValue::from_static("dropped"));
        let mut map = HeaderMap::new();
        write_status(&mut map, Some(&error()), &trailers);
        assert_eq!(map[STATUS], "8");
        assert_eq!(map[MESSAGE], "too much: 100%25%0Areally");
        assert!(!map.contains_key("content-type"));
        let err = read_status(&map).unwrap().unwrap();
        assert!(err.is_from_wire());
        assert_eq!(err.code(), Code::ResourceExhausted);
        assert_eq!(err.message(), "too much: 100%\nreally");
        assert_eq!(err.details(), error().details());
        assert_eq!(err.metadata()["x-err"], "e");
        let t: Vec<_> = err.metadata().get_all("x-t").iter().collect();
        assert_eq!(t, ["1", "2"]);
        assert!(!err.metadata().contains_key(STATUS_DETAILS));
    }

    #[test]
    fn success_and_broken_statuses() {
        let mut map = HeaderMap::new();
        write_status(&mut map, None, &HeaderMap::new());
        assert_eq!(map[STATUS], "0");
        assert_eq!(read_status(&map), Ok(None));

        let empty = read_status(&HeaderMap::new()).unwrap_err();
        assert_eq!(empty.code(), Code::Internal);
        let mut map = HeaderMap::new();
        map.insert("x-other", HeaderValue::from_static("1"));
        assert_eq!(read_status(&map).unwrap_err().code(), Code::Unknown);
        map.insert(STATUS, HeaderValue::from_static("one"));
        assert_eq!(read_status(&map).unwrap_err().code(), Code::Unknown);
        map.insert(STATUS, HeaderValue::from_static("99"));
        assert_eq!(read_status(&map).unwrap().unwrap().code(), Code::Unknown);
        map.insert(STATUS, HeaderValue::from_static("5"));
        map.insert(STATUS_DETAILS, HeaderValue::from_static("!!"));
        assert_eq!(read_status(&map).unwrap_err().code(), Code::Internal);
    }

    #[test]
    fn details_take_precedence_and_padding_is_optional() {
        let bin = encode_status(&ConnectError::new(Code::NotFound, "from details"));
        let padded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bin);
        let mut map = HeaderMap::new();
        map.insert(STATUS, HeaderValue::from_static("2"));
        map.insert(MESSAGE, HeaderValue::from_static("from header"));
        map.insert(STATUS_DETAILS, HeaderValue::from_str(&padded).unwrap());
        let err = read_status(&map).unwrap().unwrap();
        assert_eq!(
            (err.code(), err.message()),
            (Code::NotFound, "from details")
        );
    }

    #[test]
    fn web_trailer_blocks_round_trip() {
        let mut block = Vec::new();
        write_web_trailers(&mut block, Some(&error()), &HeaderMap::new());
        let text = String::from_utf8(block.clone()).unwrap();
        assert!(
            text.starts_with("grpc-status: 8\r\ngrpc-message: "),
            "{text}"
        );
        let map = parse_web_trailers(&block, 100).unwrap();
        let err = read_status(&map).unwrap().unwrap();
        assert_eq!(err.message(), error().message());
        assert_eq!(err.details(), error().details());

        let lenient = parse_web_trailers(b"Grpc-Status:0\nx-a:  v \r\nx-b: w", 100).unwrap();
        assert_eq!(lenient[STATUS], "0");
        assert_eq!(lenient["x-a"], "v");
        assert_eq!(lenient["x-b"], "w");
        assert_eq!(read_status(&lenient), Ok(None));
        assert_eq!(parse_web_trailers(b"no colon\r\n", 100), Err(BadTrailers));
        assert_eq!(parse_web_trailers(b"bad name: v", 100), Err(BadTrailers));
        assert_eq!(
            parse_web_trailers(b"a: 1\r\nb: 2\r\nc: 3", 2),
            Err(BadTrailers)
        );
    }

    #[test]
    fn an_applications_grpc_fields_are_not_sent_as_metadata() {
        let mut trailers = HeaderMap::new();
        trailers.insert("grpc-status", HeaderValue::from_static("0"));
        trailers.insert("grpc-encoding", HeaderValue::from_static("gzip"));
        trailers.insert("x-ok", HeaderValue::from_static("1"));
        let mut map = HeaderMap::new();
        write_status(
            &mut map,
            Some(&ConnectError::new(Code::Aborted, "")),
            &trailers,
        );
        let status: Vec<_> = map.get_all(STATUS).iter().collect();
        assert_eq!(status, ["10"]);
        assert!(!map.contains_key(ENCODING));
        assert_eq!(map["x-ok"], "1");
    }
}
