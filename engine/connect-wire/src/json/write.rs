//! Writing canonical proto3 JSON.

use super::{JsonError, JsonOptions};
use crate::message::Enumeration;

/// Appends JSON to a vector. Commas are tracked with one flag: [`key`](Self::key) and
/// [`elem`](Self::elem) write a comma unless they follow an opening bracket.
pub struct JsonWriter<'b> {
    out: &'b mut Vec<u8>,
    opts: &'b JsonOptions,
    first: bool,
}

impl<'b> JsonWriter<'b> {
    /// A writer appending to `out`.
    pub fn new(out: &'b mut Vec<u8>, opts: &'b JsonOptions) -> Self {
        JsonWriter { out, opts, first: true }
    }

    /// The options in force.
    #[must_use]
    pub fn options(&self) -> &'b JsonOptions {
        self.opts
    }

    /// The output written so far (used by `Any` to splice an object's fields).
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        self.out
    }

    /// Writes `{`.
    pub fn begin_object(&mut self) {
        todo!("json helper")
    }
    /// Writes `}`.
    pub fn end_object(&mut self) {
        todo!("json helper")
    }
    /// Writes `[`.
    pub fn begin_array(&mut self) {
        todo!("json helper")
    }
    /// Writes `]`.
    pub fn end_array(&mut self) {
        todo!("json helper")
    }
    /// Writes an object key (quoted, escaped) and `:`, preceded by a comma when needed.
    pub fn key(&mut self, k: &str) {
        todo!("json helper")
    }
    /// Starts an array element (a comma when needed).
    pub fn elem(&mut self) {
        todo!("json helper")
    }
    /// Writes a map key of an integer map (as a quoted decimal).
    pub fn key_int(&mut self, k: i64) {
        todo!("json helper")
    }
    /// Writes a map key of an unsigned integer map.
    pub fn key_uint(&mut self, k: u64) {
        todo!("json helper")
    }
    /// Writes a map key of a bool map.
    pub fn key_bool(&mut self, k: bool) {
        todo!("json helper")
    }

    /// Writes `null`.
    pub fn null(&mut self) {
        todo!("json helper")
    }
    /// Writes a bool.
    pub fn bool(&mut self, v: bool) {
        todo!("json helper")
    }
    /// Writes an `int32`.
    pub fn int32(&mut self, v: i32) {
        todo!("json helper")
    }
    /// Writes a `uint32`.
    pub fn uint32(&mut self, v: u32) {
        todo!("json helper")
    }
    /// Writes an `int64` (as a string, per the mapping).
    pub fn int64(&mut self, v: i64) {
        todo!("json helper")
    }
    /// Writes a `uint64` (as a string).
    pub fn uint64(&mut self, v: u64) {
        todo!("json helper")
    }
    /// Writes a `float` (shortest form that round-trips as `f32`; `"NaN"`, `"Infinity"`,
    /// `"-Infinity"` as strings).
    pub fn float(&mut self, v: f32) {
        todo!("json helper")
    }
    /// Writes a `double`.
    pub fn double(&mut self, v: f64) {
        todo!("json helper")
    }
    /// Writes a string (escaped).
    pub fn string(&mut self, v: &str) {
        todo!("json helper")
    }
    /// Writes bytes as standard padded base64.
    pub fn bytes(&mut self, v: &[u8]) {
        todo!("json helper")
    }
    /// Writes an enum by name, or by number when the value is unknown.
    pub fn enumeration<E: Enumeration>(&mut self, v: E) {
        todo!("json helper")
    }
    /// Writes pre-formatted JSON.
    pub fn raw(&mut self, json: &str) {
        todo!("json helper")
    }
}

impl JsonWriter<'_> {
    /// Result helper for generated code: `Ok(())`.
    #[inline]
    pub fn done(&self) -> Result<(), JsonError> {
        Ok(())
    }
}
