//! Everything generated code refers to, in one place.
//!
//! Generated files name this module once (`use ::connect_wire::codegen as __rt;` or the
//! path configured in `connect-codegen`) and reach the runtime only through it. It is public
//! for generated code; hand-written code should use the crate root.

pub use std::borrow::{Borrow, Cow};
pub use std::collections::BTreeMap;

pub use crate::codec::OwnedMessage;
pub use crate::enumeration::Enumeration;
pub use crate::error::ConnectError;
pub use crate::json::{
    self, JsonDecoder, JsonError, JsonErrorKind, JsonValue, JsonWriter, TypeEntry, read,
};
pub use crate::message::{Message, MessageType};
pub use crate::proto::{
    DecodeError, Decoder, Encoder, SizeCache, UnknownFields, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN,
    WIRE_VARINT, int32_len, int64_len, len_delimited_len, sint32_len, sint64_len, uint32_len,
    uint64_len, varint_len,
};
pub use crate::service::{Idempotency, MethodDescriptor, ServiceDescriptor, StreamKind};
pub use crate::wkt; // generated well-known types: `__rt::wkt::Timestamp`
