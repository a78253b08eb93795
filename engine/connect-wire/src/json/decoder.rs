//! Entry point of JSON decoding and the state generated `merge_json` code threads through.

use std::cell::RefCell;

use simd_json::{Buffers, tape::Tape};

use super::{JsonError, JsonErrorKind, JsonObject, JsonOptions, JsonValue};
use crate::proto::{MEMORY_BASE, MEMORY_FACTOR, RECURSION_LIMIT};

/// Per-thread simd-json scratch space and tape, reused across calls.
struct Scratch {
    buffers: Buffers,
    tape: Tape<'static>,
}

thread_local! {
    static SCRATCH: RefCell<Option<Scratch>> = const { RefCell::new(None) };
}

/// A message as the JSON decoder meets it: a default to start from, a JSON value to merge.
/// Every [`Message`](crate::Message) is one (a blanket implementation forwards to the
/// generated `merge_json`), so this module needs nothing from the message traits.
pub trait MergeJson<'a>: Default {
    /// Merges a parsed JSON value into this message.
    ///
    /// # Errors
    ///
    /// Whatever the value's decoding fails with.
    fn merge_json_value(
        &mut self,
        v: JsonValue<'_, 'a>,
        d: &mut JsonDecoder<'_>,
    ) -> Result<(), JsonError>;
}

/// Decodes a message from canonical proto3 JSON in `buf` (modified in place).
pub fn decode<'a, M: MergeJson<'a>>(buf: &'a mut [u8], opts: &JsonOptions) -> Result<M, JsonError> {
    let buf_len = buf.len();
    let taken = SCRATCH.with(|s| s.borrow_mut().take());
    let Scratch { mut buffers, tape } = taken.unwrap_or_else(|| Scratch {
        buffers: Buffers::default(),
        tape: Tape::null(),
    });
    let mut tape: Tape<'a> = tape.reset();
    let result = match simd_json::fill_tape(buf, &mut buffers, &mut tape) {
        Ok(()) => {
            let mut m = M::default();
            let mut d = JsonDecoder::new(opts);
            d.budget = buf_len
                .saturating_mul(MEMORY_FACTOR)
                .saturating_add(MEMORY_BASE);
            d.message(tape.as_value(), &mut m).map(|()| m)
        }
        Err(_) => Err(JsonError::new(JsonErrorKind::Syntax)),
    };
    let tape: Tape<'static> = tape.reset();
    SCRATCH.with(|s| *s.borrow_mut() = Some(Scratch { buffers, tape }));
    result
}

/// Decoding state: options, remaining depth, and whether the object being entered is the
/// body of an `Any` (whose `@type` key the message must skip).
pub struct JsonDecoder<'o> {
    opts: &'o JsonOptions,
    depth: u32,
    any_type_key: bool,
    /// Bytes of message structs this decode may still create (see
    /// [`MEMORY_FACTOR`](crate::proto::MEMORY_FACTOR)).
    budget: usize,
}

impl<'o> JsonDecoder<'o> {
    /// A decoder at the top level.
    #[must_use]
    pub fn new(opts: &'o JsonOptions) -> Self {
        // The top-level message is not a nesting level (as in binary decoding).
        JsonDecoder {
            opts,
            depth: RECURSION_LIMIT + 1,
            any_type_key: false,
            budget: MEMORY_BASE,
        }
    }

    /// The options in force.
    #[must_use]
    pub fn options(&self) -> &'o JsonOptions {
        self.opts
    }

    /// Merges `v` into the nested message `m`, one level deeper.
    pub fn message<'a, M: MergeJson<'a>>(
        &mut self,
        v: JsonValue<'_, 'a>,
        m: &mut M,
    ) -> Result<(), JsonError> {
        if self.depth == 0 {
            return Err(JsonErrorKind::RecursionLimit.into());
        }
        self.budget = self
            .budget
            .checked_sub(std::mem::size_of::<M>())
            .ok_or(JsonErrorKind::MemoryLimit)?;
        self.depth -= 1;
        let r = m.merge_json_value(v, self);
        self.depth += 1;
        r
    }

    /// Like [`message`](Self::message), for the body of an `Any`: the message will skip the
    /// `@type` key at its top level.
    pub fn any_body<'a, M: MergeJson<'a>>(
        &mut self,
        v: JsonValue<'_, 'a>,
        m: &mut M,
    ) -> Result<(), JsonError> {
        self.any_type_key = true;
        let r = self.message(v, m);
        self.any_type_key = false;
        r
    }

    /// Expects `v` to be an object (of message `message`). Returns it, and whether its
    /// `@type` key is to be skipped (true only for the top level of an `Any` body).
    pub fn object<'t, 'a>(
        &mut self,
        v: JsonValue<'t, 'a>,
        _message: &'static str,
    ) -> Result<(JsonObject<'t, 'a>, bool), JsonError> {
        let skip_type = std::mem::take(&mut self.any_type_key);
        match v.as_object() {
            Some(o) => Ok((o, skip_type)),
            // Unlocated: the caller names the field holding this message.
            None => Err(JsonError::new(JsonErrorKind::WrongType)),
        }
    }

    /// Handles a key that names no field: an error unless unknown fields are ignored.
    pub fn unknown_field(&self, message: &'static str, key: &str) -> Result<(), JsonError> {
        if self.opts.ignore_unknown_fields {
            Ok(())
        } else {
            Err(JsonError::new(JsonErrorKind::UnknownField).at(message, key))
        }
    }
}
