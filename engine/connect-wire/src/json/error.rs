//! JSON codec errors that name the field.

use std::fmt;

/// What went wrong, without allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonErrorKind {
    /// The input is not valid JSON (simd-json rejected it).
    Syntax,
    /// A value has the wrong JSON type for its field (e.g. a string for a `bool`).
    WrongType,
    /// A number is out of range for its field, or not an integer where one is required.
    OutOfRange,
    /// A string could not be parsed as the field's type (number, base64, timestamp, ...).
    BadValue,
    /// An object key names no field of the message.
    UnknownField,
    /// An enum name names no value of the enum.
    UnknownEnumValue,
    /// Two members of one oneof were set.
    DuplicateOneof,
    /// The same field appeared twice.
    DuplicateField,
    /// Messages nested deeper than the recursion limit.
    RecursionLimit,
    /// An `Any` names a type the registry does not hold, or has no `@type`.
    UnknownAnyType,
    /// A value cannot be written as JSON (e.g. a timestamp outside 0001..9999, a field-mask
    /// path with no camelCase form).
    Unrepresentable,
    /// An `Any`'s embedded binary value did not decode.
    BadAnyValue,
    /// The decoded structs would take more memory than the input justifies.
    MemoryLimit,
}

impl JsonErrorKind {
    fn describe(self) -> &'static str {
        match self {
            Self::Syntax => "invalid JSON",
            Self::WrongType => "wrong JSON type",
            Self::OutOfRange => "number out of range",
            Self::BadValue => "invalid value",
            Self::UnknownField => "unknown field",
            Self::UnknownEnumValue => "unknown enum value",
            Self::DuplicateOneof => "more than one member of a oneof is set",
            Self::DuplicateField => "field given twice",
            Self::RecursionLimit => "nesting exceeds the recursion limit",
            Self::UnknownAnyType => "unknown or missing Any type",
            Self::Unrepresentable => "value has no JSON representation",
            Self::BadAnyValue => "Any value does not decode",
            Self::MemoryLimit => "decoded message would use too much memory for its size",
        }
    }
}

/// A JSON codec error: the kind plus the innermost message and field it happened in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    kind: JsonErrorKind,
    message: Option<&'static str>,
    field: Option<Box<str>>,
}

impl JsonError {
    /// An error of the given kind, not yet located.
    #[must_use]
    pub fn new(kind: JsonErrorKind) -> Self {
        JsonError {
            kind,
            message: None,
            field: None,
        }
    }

    /// The kind of error.
    #[must_use]
    pub fn kind(&self) -> JsonErrorKind {
        self.kind
    }

    /// The JSON name of the field (or the unknown key) the error happened in, if known.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// The full name of the message the error happened in, if known.
    #[must_use]
    pub fn message_name(&self) -> Option<&'static str> {
        self.message
    }

    /// Locates the error in `field` of `message` unless an inner location is already set.
    #[must_use]
    pub fn at(mut self, message: &'static str, field: &str) -> Self {
        if self.field.is_none() {
            self.message = Some(message);
            self.field = Some(field.into());
        }
        self
    }
}

impl From<JsonErrorKind> for JsonError {
    fn from(kind: JsonErrorKind) -> Self {
        JsonError::new(kind)
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())?;
        if let Some(field) = &self.field {
            write!(f, " in field `{field}`")?;
        }
        if let Some(message) = self.message {
            write!(f, " of {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for JsonError {}
