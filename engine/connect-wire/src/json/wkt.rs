//! Special JSON forms of well-known types, over their parts.
//!
//! Generated code for `google.protobuf.{Timestamp, Duration, FieldMask, Any}` calls these;
//! Struct/Value/ListValue, wrappers and Empty are generated directly.

use std::borrow::Cow;

use super::{JsonDecoder, JsonError, JsonErrorKind, JsonValue, JsonWriter};

/// Writes a Timestamp as RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits, e.g.
/// `"1972-01-01T10:00:20.021Z"`. Fails outside 0001-01-01T00:00:00Z..=9999-12-31T23:59:59.999999999Z
/// or with nanos outside 0..=999_999_999.
pub fn write_timestamp(w: &mut JsonWriter<'_>, seconds: i64, nanos: i32) -> Result<(), JsonError> {
    todo!("json helper")
}

/// Parses an RFC 3339 timestamp (any offset, `Z` or `±hh:mm`, up to 9 fractional digits)
/// into `(seconds, nanos)` since the Unix epoch, in range.
pub fn read_timestamp(v: JsonValue<'_, '_>) -> Result<(i64, i32), JsonErrorKind> {
    todo!("json helper")
}

/// Writes a Duration as `"<seconds>[.<0, 3, 6 or 9 digits>]s"`, e.g. `"-1.5s"`. Fails beyond
/// ±315,576,000,000 s or with nanos of the wrong sign or magnitude.
pub fn write_duration(w: &mut JsonWriter<'_>, seconds: i64, nanos: i32) -> Result<(), JsonError> {
    todo!("json helper")
}

/// Parses a Duration string into `(seconds, nanos)` (nanos carry the sign of the value).
pub fn read_duration(v: JsonValue<'_, '_>) -> Result<(i64, i32), JsonErrorKind> {
    todo!("json helper")
}

/// Writes a FieldMask as one string of comma-separated lowerCamelCase paths. Fails for a path
/// that does not round-trip (e.g. contains `_` followed by a non-lowercase letter, or
/// uppercase letters).
pub fn write_field_mask<'p>(
    w: &mut JsonWriter<'_>,
    paths: impl IntoIterator<Item = &'p str>,
) -> Result<(), JsonError> {
    todo!("json helper")
}

/// Parses a FieldMask string into snake_case paths.
pub fn read_field_mask<'a>(v: JsonValue<'_, 'a>) -> Result<Vec<Cow<'a, str>>, JsonErrorKind> {
    todo!("json helper")
}

/// Writes an `Any` holding `value` (binary) of the type named by `type_url`: the message's
/// fields next to `"@type"`, or `{"@type": ..., "value": <special form>}` for well-known
/// types with a special form. Fails if the registry does not know the type.
pub fn write_any(w: &mut JsonWriter<'_>, type_url: &str, value: &[u8]) -> Result<(), JsonError> {
    todo!("json helper")
}

/// Parses an `Any` object (the `@type` key may be anywhere in it) into its type URL and the
/// binary encoding of its value.
pub fn read_any<'a>(
    v: JsonValue<'_, 'a>,
    d: &mut JsonDecoder<'_>,
) -> Result<(Cow<'a, str>, Vec<u8>), JsonError> {
    todo!("json helper")
}
