//! The protobuf binary codec used by generated messages.
//!
//! * [`Decoder`] reads one message from a borrowed buffer (strings and bytes stay borrowed),
//!   checks UTF-8, bounds recursion at [`RECURSION_LIMIT`], accepts packed and unpacked
//!   repeated scalars and keeps unknown fields.
//! * [`SizeCache`] + [`Encoder`] write a message in two passes without recomputing the size
//!   of any nested message.

mod decode;
mod encode;
mod unknown;

pub use decode::{
    DecodeError, Decoder, MEMORY_BASE, MEMORY_FACTOR, MergeFields, RECURSION_LIMIT, WIRE_END_GROUP,
    WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_START_GROUP, WIRE_VARINT,
};
pub use encode::{
    EncodeFields, Encoder, SizeCache, int32_len, int64_len, len_delimited_len, sint32_len,
    sint64_len, uint32_len, uint64_len, varint_len,
};
pub use unknown::UnknownFields;
