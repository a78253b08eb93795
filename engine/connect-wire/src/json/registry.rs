//! The type registry that `google.protobuf.Any` JSON needs.

use super::{JsonDecoder, JsonError, JsonValue, JsonWriter};

/// One message type's JSON conversions over its binary encoding. The generator emits a
/// `TYPES: &[TypeEntry]` slice per package.
#[derive(Clone, Copy)]
pub struct TypeEntry {
    /// Fully-qualified name, e.g. `connectrpc.conformance.v1.UnaryRequest`.
    pub full_name: &'static str,
    /// Whether the type has a special (non-object) JSON form, so that inside an `Any` it is
    /// written under `"value"`.
    pub special_json: bool,
    /// Decodes the binary encoding and writes the message's JSON value.
    pub write_json: for<'x> fn(&'x [u8], &mut JsonWriter<'_>) -> Result<(), JsonError>,
    /// Parses a JSON value of this type and appends its binary encoding. When the value is the
    /// body of an `Any` (non-special types), its `@type` key is skipped.
    pub read_json:
        for<'t, 'x> fn(JsonValue<'t, 'x>, &mut JsonDecoder<'_>, &mut Vec<u8>) -> Result<(), JsonError>,
}

impl std::fmt::Debug for TypeEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypeEntry").field("full_name", &self.full_name).finish_non_exhaustive()
    }
}

/// Message types by full name, for `Any`. Well-known types are always found, registered or not.
#[derive(Debug, Default)]
pub struct TypeRegistry {
    entries: Vec<TypeEntry>,
}

impl TypeRegistry {
    /// An empty registry (well-known types are still found).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds types (e.g. a generated package's `TYPES`).
    #[must_use]
    pub fn with(mut self, entries: &[TypeEntry]) -> Self {
        self.add(entries);
        self
    }

    /// Adds types.
    pub fn add(&mut self, entries: &[TypeEntry]) {
        todo!("json helper")
    }

    /// Finds a type by full name (the part of a type URL after its last `/`).
    #[must_use]
    pub fn find(&self, full_name: &str) -> Option<&TypeEntry> {
        todo!("json helper")
    }
}

/// `TypeEntry::write_json` for message type `M` (generated entries call this).
pub fn write_entry<'x, M: crate::Message<'x>>(
    bytes: &'x [u8],
    w: &mut JsonWriter<'_>,
) -> Result<(), JsonError> {
    let m = M::decode(bytes).map_err(|_| JsonError::new(super::JsonErrorKind::BadAnyValue))?;
    m.write_json(w)
}

/// `TypeEntry::read_json` for message type `M`; `special` says whether `M` has a special JSON
/// form (then the value is parsed as is, not as an `Any` body).
pub fn read_entry<'t, 'x, M: crate::Message<'x>>(
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
