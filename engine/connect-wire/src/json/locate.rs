//! Small helpers for generated `merge_json` code.

use super::{JsonError, JsonErrorKind, JsonValue};

/// Attaches the message and field an error happened in (the innermost location wins).
pub trait Locate<T> {
    /// Locates an error in `field` (its JSON name) of `message` (its full name).
    fn at(self, message: &'static str, field: &str) -> Result<T, JsonError>;
}

impl<T> Locate<T> for Result<T, JsonErrorKind> {
    #[inline]
    fn at(self, message: &'static str, field: &str) -> Result<T, JsonError> {
        self.map_err(|k| JsonError::new(k).at(message, field))
    }
}

impl<T> Locate<T> for Result<T, JsonError> {
    #[inline]
    fn at(self, message: &'static str, field: &str) -> Result<T, JsonError> {
        self.map_err(|e| e.at(message, field))
    }
}

/// The JSON type of a value, with its scalar content (for `google.protobuf.Value`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum JsonKind<'a> {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Any number, as a double.
    Number(f64),
    /// A string, borrowed from the input.
    String(&'a str),
    /// An array.
    Array,
    /// An object.
    Object,
}

/// Classifies a parsed JSON value.
#[must_use]
pub fn kind<'a>(v: JsonValue<'_, 'a>) -> JsonKind<'a> {
    use simd_json::prelude::{TypedScalarValue, ValueAsScalar, ValueIntoString};
    if v.is_null() {
        JsonKind::Null
    } else if let Some(b) = v.as_bool() {
        JsonKind::Bool(b)
    } else if let Some(s) = v.into_string() {
        JsonKind::String(s)
    } else if v.as_array().is_some() {
        JsonKind::Array
    } else if v.as_object().is_some() {
        JsonKind::Object
    } else {
        JsonKind::Number(v.cast_f64().unwrap_or(f64::NAN))
    }
}
