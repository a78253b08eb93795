//! The JSON codec's options, and the type registry they carry for `google.protobuf.Any`.

use super::{JsonDecoder, JsonError, JsonValue, JsonWriter};

/// Options for both directions of the JSON codec.
#[derive(Clone, Copy, Debug, Default)]
pub struct JsonOptions {
    /// Skip object keys that name no field (and enum names that name no value) instead of
    /// failing.
    pub ignore_unknown_fields: bool,
    /// Types that `google.protobuf.Any` values may hold. Well-known types are always known.
    pub registry: Option<&'static TypeRegistry>,
}

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
    pub read_json: for<'t, 'x> fn(
        JsonValue<'t, 'x>,
        &mut JsonDecoder<'_>,
        &mut Vec<u8>,
    ) -> Result<(), JsonError>,
}

impl std::fmt::Debug for TypeEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypeEntry")
            .field("full_name", &self.full_name)
            .finish_non_exhaustive()
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

    /// Adds types. A name added twice keeps its first entry.
    pub fn add(&mut self, entries: &[TypeEntry]) {
        self.entries.extend_from_slice(entries);
        // Stable sort, so `dedup_by` keeps the earliest entry of each name.
        self.entries.sort_by(|a, b| a.full_name.cmp(b.full_name));
        self.entries
            .dedup_by(|later, earlier| later.full_name == earlier.full_name);
    }

    /// Finds a type by full name (the part of a type URL after its last `/`): a registered
    /// type, else a well-known type.
    #[must_use]
    pub fn find(&self, full_name: &str) -> Option<&TypeEntry> {
        match self
            .entries
            .binary_search_by(|e| e.full_name.cmp(full_name))
        {
            Ok(i) => self.entries.get(i),
            Err(_) => find_well_known(full_name),
        }
    }
}

/// Finds a well-known type (`google.protobuf.*`) by full name.
fn find_well_known(full_name: &str) -> Option<&'static TypeEntry> {
    crate::wkt::TYPES.iter().find(|e| e.full_name == full_name)
}

/// Finds a type in `registry` if there is one, else among the well-known types.
pub(super) fn find_type<'r>(
    registry: Option<&'r TypeRegistry>,
    full_name: &str,
) -> Option<&'r TypeEntry> {
    match registry {
        Some(r) => r.find(full_name),
        None => find_well_known(full_name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unnecessary_wraps)] // the signature of `TypeEntry::write_json`
    fn write_a(_: &[u8], w: &mut JsonWriter<'_>) -> Result<(), JsonError> {
        w.raw("\"a\"");
        Ok(())
    }

    #[allow(clippy::unnecessary_wraps)] // the signature of `TypeEntry::write_json`
    fn write_b(_: &[u8], w: &mut JsonWriter<'_>) -> Result<(), JsonError> {
        w.raw("\"b\"");
        Ok(())
    }

    #[allow(clippy::unnecessary_wraps)] // the signature of `TypeEntry::read_json`
    fn read_none(
        _: JsonValue<'_, '_>,
        _: &mut JsonDecoder<'_>,
        _: &mut Vec<u8>,
    ) -> Result<(), JsonError> {
        Ok(())
    }

    fn entry(
        full_name: &'static str,
        write_json: fn(&[u8], &mut JsonWriter<'_>) -> Result<(), JsonError>,
    ) -> TypeEntry {
        TypeEntry {
            full_name,
            special_json: false,
            write_json,
            read_json: read_none,
        }
    }

    /// Which of the two writers an entry holds.
    fn writer_of(e: &TypeEntry) -> String {
        let opts = super::super::JsonOptions::default();
        let mut out = Vec::new();
        (e.write_json)(b"", &mut JsonWriter::new(&mut out, &opts)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn add_and_find() {
        let mut r = TypeRegistry::new().with(&[entry("pkg.Z", write_a), entry("pkg.A", write_a)]);
        r.add(&[
            entry("pkg.M", write_a),
            entry("pkg.A", write_b),
            entry("other.B", write_a),
        ]);
        r.add(&[]);
        let names: Vec<_> = r.entries.iter().map(|e| e.full_name).collect();
        assert_eq!(names, ["other.B", "pkg.A", "pkg.M", "pkg.Z"]);
        for name in names {
            assert_eq!(r.find(name).map(|e| e.full_name), Some(name));
        }
        // The first registration of a name wins.
        assert_eq!(writer_of(r.find("pkg.A").unwrap()), "\"a\"");
        assert!(r.find("pkg").is_none());
        assert!(r.find("").is_none());
        assert!(r.find("pkg.AA").is_none());
        assert!(format!("{r:?}").contains("pkg.M"));
    }

    #[test]
    fn well_known_types_are_always_found() {
        for name in [
            "google.protobuf.Duration",
            "google.protobuf.Any",
            "google.protobuf.Timestamp",
        ] {
            assert_eq!(
                TypeRegistry::new().find(name).map(|e| e.full_name),
                Some(name)
            );
            assert_eq!(find_type(None, name).map(|e| e.full_name), Some(name));
        }
        assert!(find_type(None, "pkg.A").is_none());
        let r = TypeRegistry::new().with(&[entry("pkg.A", write_a)]);
        assert!(find_type(Some(&r), "pkg.A").is_some());
        assert!(find_type(Some(&r), "google.protobuf.Empty").is_some());
        assert!(find_type(Some(&r), "pkg.B").is_none());
    }
}
