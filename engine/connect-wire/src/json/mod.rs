//! Canonical proto3 JSON, the Connect `json` codec.
//!
//! * Parsing: simd-json turns the (mutable) input into a tape, unescaping strings in place,
//!   so decoded `Cow<'a, str>` fields borrow the request buffer. The tape and simd-json's
//!   scratch buffers are kept per thread and reused. Generated `merge_json` walks the tape
//!   with the helpers in [`read`].
//! * Writing: [`JsonWriter`] appends to a `Vec<u8>` (itoa/ryu for numbers, base64 for bytes).
//! * Well-known types with special JSON forms use [`wkt`]; `google.protobuf.Any` looks types
//!   up in a [`TypeRegistry`].

mod decoder;
mod error;
mod locate;
pub mod read;
mod registry;
pub mod wkt;
mod write;

/// Generated `TypeEntry` values call these; they live with the message traits.
pub use crate::message::{read_entry, write_entry};
pub use decoder::{JsonDecoder, MergeJson, decode};
pub use error::{JsonError, JsonErrorKind};
pub use locate::{JsonKind, Locate, kind};
pub use registry::{JsonOptions, TypeEntry, TypeRegistry};
pub use write::JsonWriter;

/// A parsed JSON value: a position in simd-json's tape. `'a` is the input buffer's lifetime,
/// so strings read from it borrow the input.
pub type JsonValue<'t, 'a> = simd_json::tape::Value<'t, 'a>;
/// A parsed JSON object.
pub type JsonObject<'t, 'a> = simd_json::tape::Object<'t, 'a>;
/// A parsed JSON array.
pub type JsonArray<'t, 'a> = simd_json::tape::Array<'t, 'a>;
