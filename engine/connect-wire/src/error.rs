//! [`ConnectError`], the one public error type, and its two JSON forms.
//!
//! * The **error JSON** is the body of a unary error response and the `error` member of a
//!   stream's end-stream message: `{"code":"<name>","message":"…","details":[{"type":"<full
//!   protobuf name>","value":"<standard base64, unpadded>"}]}`. The writer omits `message` when
//!   empty and `details` when there are none, and adds no other key. The reader ignores unknown
//!   keys (and `debug`), accepts padded and unpadded (standard or URL-safe) base64 in `value`,
//!   strips a type-URL prefix (`type.googleapis.com/x.y.Z` → `x.y.Z`) from `type`, skips
//!   details that are not an object with a string `type` and a decodable `value`, and never
//!   fails: see [`parse_error_json`] for the fallbacks.
//! * The **end-stream JSON** is the payload of the last envelope (flag `0x02`) of a Connect
//!   stream: `{"error":{…},"metadata":{"key":["v1","v2"]}}`, both members optional
//!   ([`write_end_stream`], [`parse_end_stream`]).
//!
//! ## Metadata
//!
//! Metadata (error metadata, trailers) is an [`http::HeaderMap`] holding **wire values**:
//! the value of a key ending in `-bin` is the base64 text, exactly as it appears in an HTTP
//! header or in the end-stream JSON. Readers and writers here pass values through verbatim,
//! so echoing metadata is lossless. Applications convert binary values with
//! [`encode_binary_header`] (standard base64, unpadded — what Connect emits) and
//! [`decode_binary_header`] (padded or unpadded, standard or URL-safe).
//!
//! Parsing uses simd-json on a private copy of the (small, off-the-hot-path) input; writing is
//! by hand into a `Vec<u8>`.

use std::borrow::Cow;
use std::fmt;
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD_INDIFFERENT, URL_SAFE_NO_PAD_INDIFFERENT};
use http::{HeaderMap, HeaderName, HeaderValue};
use simd_json::prelude::{TypedScalarValue as _, ValueAsScalar as _};

use crate::code::Code;

/// A parsed JSON value (simd-json tape).
type Json<'t, 'a> = simd_json::tape::Value<'t, 'a>;

/// One error detail: a protobuf message, kept in binary form whatever the codec of the RPC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorDetail {
    /// The fully-qualified protobuf type name, e.g. `google.protobuf.Struct` (no type-URL
    /// prefix).
    pub type_name: String,
    /// The binary protobuf encoding of the message.
    pub value: Vec<u8>,
}

impl ErrorDetail {
    /// A detail of message type `type_name` with binary encoding `value`.
    #[must_use]
    pub fn new(type_name: impl Into<String>, value: impl Into<Vec<u8>>) -> Self {
        ErrorDetail {
            type_name: type_name.into(),
            value: value.into(),
        }
    }
}

/// The rarely used parts of an error, boxed to keep [`ConnectError`] small.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Rare {
    details: Vec<ErrorDetail>,
    metadata: HeaderMap,
}

/// An RPC error: a [`Code`], a message, optional details and optional metadata.
///
/// A static message does not allocate (`ConnectError::internal("oops")`); details and
/// metadata live in one lazily allocated box, so `size_of::<ConnectError>()` is 40 bytes on
/// 64-bit targets. [`is_from_wire`](Self::is_from_wire) tells whether the error was parsed
/// from a peer's response rather than raised locally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectError {
    code: Code,
    wire: bool,
    message: Cow<'static, str>,
    rare: Option<Box<Rare>>,
}

static EMPTY_METADATA: LazyLock<HeaderMap> = LazyLock::new(HeaderMap::new);

impl ConnectError {
    /// An error with the given code and message.
    #[must_use]
    pub fn new(code: Code, message: impl Into<Cow<'static, str>>) -> Self {
        ConnectError {
            code,
            wire: false,
            message: message.into(),
            rare: None,
        }
    }

    /// An error with the given code and no message.
    #[must_use]
    pub const fn from_code(code: Code) -> Self {
        ConnectError {
            code,
            wire: false,
            message: Cow::Borrowed(""),
            rare: None,
        }
    }

    /// The code.
    #[must_use]
    pub fn code(&self) -> Code {
        self.code
    }

    /// The message (empty when none).
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The details, in order.
    #[must_use]
    pub fn details(&self) -> &[ErrorDetail] {
        self.rare.as_ref().map_or(&[], |r| &r.details)
    }

    /// The metadata (wire values; see the [module docs](self)). On a server, unary error
    /// metadata is sent as response headers and stream error metadata as end-stream metadata.
    #[must_use]
    pub fn metadata(&self) -> &HeaderMap {
        self.rare.as_ref().map_or(&EMPTY_METADATA, |r| &r.metadata)
    }

    /// Mutable access to the metadata (allocates the box on first use).
    pub fn metadata_mut(&mut self) -> &mut HeaderMap {
        &mut self.rare.get_or_insert_with(Box::default).metadata
    }

    /// Whether the error was parsed from a peer (a response body or end-stream message)
    /// rather than raised locally.
    #[must_use]
    pub fn is_from_wire(&self) -> bool {
        self.wire
    }

    /// Marks the error as parsed from a peer, or not.
    pub fn set_from_wire(&mut self, wire: bool) {
        self.wire = wire;
    }

    /// Replaces the code.
    pub fn set_code(&mut self, code: Code) {
        self.code = code;
    }

    /// Replaces the message.
    pub fn set_message(&mut self, message: impl Into<Cow<'static, str>>) {
        self.message = message.into();
    }

    /// Appends a detail.
    pub fn add_detail(&mut self, detail: ErrorDetail) {
        self.rare
            .get_or_insert_with(Box::default)
            .details
            .push(detail);
    }

    /// Appends a detail (builder form).
    #[must_use]
    pub fn with_detail(mut self, detail: ErrorDetail) -> Self {
        self.add_detail(detail);
        self
    }

    /// Appends every entry of `metadata` to the error's metadata (builder form).
    #[must_use]
    pub fn with_metadata(mut self, metadata: HeaderMap) -> Self {
        if !metadata.is_empty() {
            let own = self.metadata_mut();
            let mut last = None;
            for (name, value) in metadata {
                if let Some(name) = name {
                    last = Some(name);
                }
                if let Some(name) = &last {
                    // A header map holds at most 32768 entries; the rest are dropped.
                    let _ = own.try_append(name.clone(), value);
                }
            }
        }
        self
    }

    /// Appends one metadata entry (builder form).
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        // A header map holds at most 32768 entries; the rest are dropped.
        let _ = self.metadata_mut().try_append(name, value);
        self
    }
}

macro_rules! code_constructors {
    ($($(#[$doc:meta])* $name:ident => $code:ident;)*) => {
        impl ConnectError {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $name(message: impl Into<Cow<'static, str>>) -> Self {
                    Self::new(Code::$code, message)
                }
            )*
        }
    };
}

code_constructors! {
    /// A `canceled` error.
    canceled => Canceled;
    /// An `unknown` error.
    unknown => Unknown;
    /// An `invalid_argument` error.
    invalid_argument => InvalidArgument;
    /// A `deadline_exceeded` error.
    deadline_exceeded => DeadlineExceeded;
    /// A `not_found` error.
    not_found => NotFound;
    /// An `already_exists` error.
    already_exists => AlreadyExists;
    /// A `permission_denied` error.
    permission_denied => PermissionDenied;
    /// A `resource_exhausted` error.
    resource_exhausted => ResourceExhausted;
    /// A `failed_precondition` error.
    failed_precondition => FailedPrecondition;
    /// An `aborted` error.
    aborted => Aborted;
    /// An `out_of_range` error.
    out_of_range => OutOfRange;
    /// An `unimplemented` error.
    unimplemented => Unimplemented;
    /// An `internal` error.
    internal => Internal;
    /// An `unavailable` error.
    unavailable => Unavailable;
    /// A `data_loss` error.
    data_loss => DataLoss;
    /// An `unauthenticated` error.
    unauthenticated => Unauthenticated;
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(self.code.as_str())
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

impl std::error::Error for ConnectError {}

impl From<Code> for ConnectError {
    fn from(code: Code) -> Self {
        ConnectError::from_code(code)
    }
}

// ---------------------------------------------------------------------------------------
// Binary metadata values.

/// Encodes a binary metadata value (for a `-bin` key) as standard base64 without padding.
#[must_use]
pub fn encode_binary_header(value: &[u8]) -> HeaderValue {
    let text = STANDARD_NO_PAD_INDIFFERENT.encode(value);
    // Base64 text is always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Decodes a binary metadata value: standard or URL-safe base64, padded or not. `None` when
/// the value is not base64.
#[must_use]
pub fn decode_binary_header(value: &[u8]) -> Option<Vec<u8>> {
    decode_base64(value)
}

fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    STANDARD_NO_PAD_INDIFFERENT
        .decode(text)
        .or_else(|_| URL_SAFE_NO_PAD_INDIFFERENT.decode(text))
        .ok()
}

// ---------------------------------------------------------------------------------------
// Writing.

/// Appends `s` as a JSON string (quoted, escaped).
fn push_json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(short);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends standard base64 without padding.
fn push_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let start = out.len();
    let Some(n) = base64::encoded_len(bytes.len(), false) else {
        return;
    };
    out.resize(start + n, 0);
    match STANDARD_NO_PAD_INDIFFERENT.encode_slice(bytes, &mut out[start..]) {
        Ok(written) => out.truncate(start + written),
        Err(_) => out.truncate(start),
    }
}

/// Writes the Connect error JSON of `err`:
/// `{"code":"…","message":"…","details":[{"type":"…","value":"…"}]}` (message omitted when
/// empty, details omitted when none; detail values are standard base64 without padding).
/// Metadata is not part of the JSON.
pub fn write_error_json(err: &ConnectError, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"code\":\"");
    out.extend_from_slice(err.code.as_str().as_bytes());
    out.push(b'"');
    if !err.message.is_empty() {
        out.extend_from_slice(b",\"message\":");
        push_json_str(out, &err.message);
    }
    let details = err.details();
    if !details.is_empty() {
        out.extend_from_slice(b",\"details\":[");
        for (i, d) in details.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"type\":");
            push_json_str(out, &d.type_name);
            out.extend_from_slice(b",\"value\":\"");
            push_base64(out, &d.value);
            out.extend_from_slice(b"\"}");
        }
        out.push(b']');
    }
    out.push(b'}');
}

/// Writes one metadata member `"name":["v1","v2"]` (values as text; invalid UTF-8 is
/// replaced, which never happens for values this crate produced).
fn push_metadata_values<'v>(
    out: &mut Vec<u8>,
    name: &HeaderName,
    values: impl Iterator<Item = &'v HeaderValue>,
) {
    push_json_str(out, name.as_str());
    out.extend_from_slice(b":[");
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_str(out, &String::from_utf8_lossy(v.as_bytes()));
    }
    out.push(b']');
}

/// Writes a Connect end-stream message: `{"error":{…},"metadata":{"key":["v1","v2"]}}`.
///
/// `error` is written with [`write_error_json`]; the metadata is `trailers` followed by the
/// error's own metadata (values of a key present in both are concatenated, trailers first).
/// Both members are omitted when empty, giving `{}` for a successful stream without
/// trailers. Values are written verbatim (a `-bin` key's value is already base64).
pub fn write_end_stream(error: Option<&ConnectError>, trailers: &HeaderMap, out: &mut Vec<u8>) {
    out.push(b'{');
    if let Some(err) = error {
        out.extend_from_slice(b"\"error\":");
        write_error_json(err, out);
    }
    let extra = error.map_or(&*EMPTY_METADATA, ConnectError::metadata);
    if !trailers.is_empty() || !extra.is_empty() {
        if error.is_some() {
            out.push(b',');
        }
        out.extend_from_slice(b"\"metadata\":{");
        let mut first = true;
        for name in trailers.keys() {
            if !first {
                out.push(b',');
            }
            first = false;
            push_metadata_values(
                out,
                name,
                trailers
                    .get_all(name)
                    .iter()
                    .chain(extra.get_all(name).iter()),
            );
        }
        for name in extra.keys() {
            if trailers.contains_key(name) {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            push_metadata_values(out, name, extra.get_all(name).iter());
        }
        out.push(b'}');
    }
    out.push(b'}');
}

// ---------------------------------------------------------------------------------------
// Reading.

/// Parses `body` (copied: simd-json works in place) and hands the root value, or `None` when
/// the body is not JSON, to `f`.
fn with_json<R>(body: &[u8], f: impl FnOnce(Option<Json<'_, '_>>) -> R) -> R {
    let mut buf = body.to_vec();
    match simd_json::to_tape(&mut buf) {
        Ok(tape) => f(Some(tape.as_value())),
        Err(_) => f(None),
    }
}

/// The details of an error object: entries that are not an object with a string `type` and
/// a decodable base64 `value` (a missing `value` is an empty message) are skipped.
fn read_details(v: Json<'_, '_>) -> Vec<ErrorDetail> {
    let Some(array) = v.as_array() else {
        return Vec::new();
    };
    let mut details = Vec::with_capacity(array.len());
    for item in &array {
        let Some(obj) = item.as_object() else {
            continue;
        };
        let Some(type_name) = obj.get("type").and_then(|t| t.as_str().map(str::to_owned)) else {
            continue;
        };
        let value = match obj.get("value") {
            None => Some(Vec::new()),
            Some(v) if v.is_null() => Some(Vec::new()),
            Some(v) => v.as_str().and_then(|s| decode_base64(s.as_bytes())),
        };
        let Some(value) = value else { continue };
        let type_name = match type_name.rfind('/') {
            Some(slash) => type_name[slash + 1..].to_owned(),
            None => type_name,
        };
        details.push(ErrorDetail { type_name, value });
    }
    details
}

/// Reads an error object; a missing, null, non-string or unknown code becomes `fallback`.
/// `None` when `v` is not an object.
fn read_error_object(v: Json<'_, '_>, fallback: Code) -> Option<ConnectError> {
    let obj = v.as_object()?;
    let code = obj
        .get("code")
        .and_then(|c| c.as_str().and_then(Code::from_name))
        .unwrap_or(fallback);
    let message = obj
        .get("message")
        .and_then(|m| m.as_str().map(str::to_owned));
    let mut err = ConnectError::new(code, message.unwrap_or_default());
    err.wire = true;
    if let Some(details) = obj.get("details") {
        let details = read_details(details);
        if !details.is_empty() {
            err.rare = Some(Box::new(Rare {
                details,
                metadata: HeaderMap::new(),
            }));
        }
    }
    Some(err)
}

/// Parses a unary error response body (already decompressed). Never fails: a client has to
/// report *some* error.
///
/// The fallback code is [`Code::from_http_status`] of `http_status`, or `unknown` when
/// `None`. It is used when the body is not JSON or not a JSON object (the body is then
/// ignored: empty message, no details), and when `code` is missing, null, not a string or
/// not a known name (the message and details are kept). The result is marked as coming
/// from the wire; its metadata is empty (the caller adds the response headers if wanted).
///
/// A body that is JSON but for invalid UTF-8 in its strings is read with the invalid bytes
/// replaced by U+FFFD (as connect-go and browsers do): a server's broken message text should
/// not cost the client the error's code.
#[must_use]
pub fn parse_error_json(body: &[u8], http_status: Option<u16>) -> ConnectError {
    let fallback = http_status.map_or(Code::Unknown, Code::from_http_status);
    read_error_json(body, fallback).unwrap_or_else(|| {
        let mut err = ConnectError::from_code(fallback);
        err.wire = true;
        err
    })
}

/// [`parse_error_json`] without its fallback: `None` when `body` is not a JSON object (with
/// invalid UTF-8 replaced), so the caller can say what it got instead.
#[must_use]
pub fn read_error_json(body: &[u8], fallback: Code) -> Option<ConnectError> {
    let read = |body: &[u8]| with_json(body, |v| v.and_then(|v| read_error_object(v, fallback)));
    match read(body) {
        Some(err) => Some(err),
        None if std::str::from_utf8(body).is_err() => {
            read(String::from_utf8_lossy(body).as_bytes())
        }
        None => None,
    }
}

/// A parsed end-stream message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EndStream {
    /// The error that ended the stream, `None` for success (member absent or `null`).
    pub error: Option<ConnectError>,
    /// The trailers (`metadata` member), with wire values.
    pub metadata: HeaderMap,
}

/// Why an end-stream message could not be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndStreamError {
    /// The payload is not JSON.
    NotJson,
    /// The JSON is not an object, `error` is neither an object nor null, or `metadata` is
    /// not an object of string arrays (or holds more entries than a header map can).
    Malformed,
}

impl EndStreamError {
    /// The code a client reports: `internal` (the server broke the protocol).
    #[must_use]
    pub const fn code(self) -> Code {
        Code::Internal
    }

    /// A static description.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotJson => "end-stream message is not JSON",
            Self::Malformed => "malformed end-stream message",
        }
    }
}

impl fmt::Display for EndStreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for EndStreamError {}

impl From<EndStreamError> for ConnectError {
    fn from(e: EndStreamError) -> Self {
        ConnectError::new(e.code(), e.as_str())
    }
}

/// Reads the `metadata` member into `map`. Entries whose key is not a valid header name or
/// whose value is not a valid header value are skipped; a bare string is taken as a
/// one-value list.
fn read_metadata(v: Json<'_, '_>, map: &mut HeaderMap) -> Result<(), EndStreamError> {
    if v.is_null() {
        return Ok(());
    }
    let obj = v.as_object().ok_or(EndStreamError::Malformed)?;
    for (key, values) in &obj {
        let Ok(name) = HeaderName::from_bytes(key.as_bytes()) else {
            continue;
        };
        let mut push = |s: &str| -> Result<(), EndStreamError> {
            if let Ok(value) = HeaderValue::from_bytes(s.as_bytes()) {
                map.try_append(name.clone(), value)
                    .map_err(|_| EndStreamError::Malformed)?;
            }
            Ok(())
        };
        if let Some(s) = values.as_str() {
            push(s)?;
        } else if let Some(array) = values.as_array() {
            for item in &array {
                push(item.as_str().ok_or(EndStreamError::Malformed)?)?;
            }
        } else if !values.is_null() {
            return Err(EndStreamError::Malformed);
        }
    }
    Ok(())
}

/// Parses a Connect end-stream message (already decompressed), as a client does.
///
/// `{}` and `{"error":null}` mean success. Inside `error`, a missing, null or unknown code
/// becomes `unknown`. Unknown top-level keys are ignored. The error (marked as coming from
/// the wire) has empty metadata; the trailers are in [`EndStream::metadata`].
pub fn parse_end_stream(body: &[u8]) -> Result<EndStream, EndStreamError> {
    with_json(body, |root| {
        let root = root.ok_or(EndStreamError::NotJson)?;
        let obj = root.as_object().ok_or(EndStreamError::Malformed)?;
        let mut end = EndStream::default();
        if let Some(e) = obj.get("error")
            && !e.is_null()
        {
            end.error = Some(read_error_object(e, Code::Unknown).ok_or(EndStreamError::Malformed)?);
        }
        if let Some(m) = obj.get("metadata") {
            read_metadata(m, &mut end.metadata)?;
        }
        Ok(end)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_json_strings() {
        let mut out = Vec::new();
        push_json_str(&mut out, "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}é\u{7f}");
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001fé\u{7f}\""
        );
    }

    #[test]
    fn base64_unpadded() {
        let mut out = Vec::new();
        push_base64(&mut out, b"ab");
        assert_eq!(out, b"YWI");
        assert_eq!(decode_base64(b"YWI=").unwrap(), b"ab");
        assert_eq!(decode_base64(b"YWI").unwrap(), b"ab");
        assert_eq!(
            decode_base64(b"-_8").unwrap(),
            decode_base64(b"+/8").unwrap()
        );
    }
}
