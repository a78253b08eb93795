//! Reading scalar field values out of parsed JSON (called by generated `merge_json`).
//!
//! Accepted forms follow the proto3 JSON mapping: integers as numbers or strings (an
//! integral float like `1e5` or `1.0` is accepted, a fraction is not); 64-bit integers
//! usually arrive as strings; floats as numbers or strings including `"NaN"`,
//! `"Infinity"`, `"-Infinity"` (out-of-range finite values are rejected); bytes as standard
//! or URL-safe base64, padded or not; enums by name or number.

use std::borrow::Cow;

use super::{JsonArray, JsonDecoder, JsonErrorKind, JsonObject, JsonValue};
use crate::message::Enumeration;

/// Whether `v` is JSON `null` (which means "absent" for every field but
/// `google.protobuf.Value` and `google.protobuf.NullValue`).
#[must_use]
pub fn is_null(v: JsonValue<'_, '_>) -> bool {
    todo!("json helper")
}

/// An `int32` from a number or a string.
pub fn int32(v: JsonValue<'_, '_>) -> Result<i32, JsonErrorKind> {
    todo!("json helper")
}

/// A `uint32` from a number or a string.
pub fn uint32(v: JsonValue<'_, '_>) -> Result<u32, JsonErrorKind> {
    todo!("json helper")
}

/// An `int64` from a number or a string.
pub fn int64(v: JsonValue<'_, '_>) -> Result<i64, JsonErrorKind> {
    todo!("json helper")
}

/// A `uint64` from a number or a string.
pub fn uint64(v: JsonValue<'_, '_>) -> Result<u64, JsonErrorKind> {
    todo!("json helper")
}

/// A `float` from a number or a string; finite values beyond `f32` range are rejected.
pub fn float(v: JsonValue<'_, '_>) -> Result<f32, JsonErrorKind> {
    todo!("json helper")
}

/// A `double` from a number or a string.
pub fn double(v: JsonValue<'_, '_>) -> Result<f64, JsonErrorKind> {
    todo!("json helper")
}

/// A `bool` (`true` / `false` only).
pub fn bool(v: JsonValue<'_, '_>) -> Result<bool, JsonErrorKind> {
    todo!("json helper")
}

/// A `string`, borrowed from the input.
pub fn string<'a>(v: JsonValue<'_, 'a>) -> Result<Cow<'a, str>, JsonErrorKind> {
    todo!("json helper")
}

/// `bytes` from standard or URL-safe base64, padded or not.
pub fn bytes<'a>(v: JsonValue<'_, 'a>) -> Result<Cow<'a, [u8]>, JsonErrorKind> {
    todo!("json helper")
}

/// An enum value from its name or number. `Ok(None)` means an unknown name that the options
/// say to ignore (the field is then left unset).
pub fn enumeration<E: Enumeration>(
    v: JsonValue<'_, '_>,
    d: &JsonDecoder<'_>,
) -> Result<Option<E>, JsonErrorKind> {
    todo!("json helper")
}

/// An object (for map fields).
pub fn object<'t, 'a>(v: JsonValue<'t, 'a>) -> Result<JsonObject<'t, 'a>, JsonErrorKind> {
    todo!("json helper")
}

/// An array (for repeated fields).
pub fn array<'t, 'a>(v: JsonValue<'t, 'a>) -> Result<JsonArray<'t, 'a>, JsonErrorKind> {
    todo!("json helper")
}

/// A map key of an `int32` map.
pub fn key_int32(k: &str) -> Result<i32, JsonErrorKind> {
    todo!("json helper")
}

/// A map key of a `uint32` map.
pub fn key_uint32(k: &str) -> Result<u32, JsonErrorKind> {
    todo!("json helper")
}

/// A map key of an `int64` map.
pub fn key_int64(k: &str) -> Result<i64, JsonErrorKind> {
    todo!("json helper")
}

/// A map key of a `uint64` map.
pub fn key_uint64(k: &str) -> Result<u64, JsonErrorKind> {
    todo!("json helper")
}

/// A map key of a `bool` map (`"true"` / `"false"`).
pub fn key_bool(k: &str) -> Result<bool, JsonErrorKind> {
    todo!("json helper")
}
