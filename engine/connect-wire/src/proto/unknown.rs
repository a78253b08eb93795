//! Unknown fields, kept verbatim for a binary round trip.

use std::borrow::Cow;

/// The raw bytes (tags included) of fields a message did not recognise, in wire order.
///
/// Decoding borrows the first run of unknown fields from the input; only a second,
/// non-adjacent run copies. Messages without unknown fields never allocate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct UnknownFields<'a> {
    raw: Cow<'a, [u8]>,
}

impl<'a> UnknownFields<'a> {
    /// No unknown fields.
    #[must_use]
    pub const fn new() -> Self {
        UnknownFields {
            raw: Cow::Borrowed(&[]),
        }
    }

    /// Appends `buf[start..end]`, one raw field (tag and value) of the message in `buf`.
    ///
    /// A field adjacent to the run already held (the usual case: unknown fields in a row)
    /// widens the borrowed run instead of copying.
    pub fn push_from(&mut self, buf: &'a [u8], start: usize, end: usize) {
        let field = &buf[start..end];
        match &mut self.raw {
            // Empty, borrowed or owned: `#[derive(Default)]` makes an owned empty `Cow`, and
            // that is how every decoded message starts.
            prev if prev.is_empty() => self.raw = Cow::Borrowed(field),
            Cow::Borrowed(prev) if prev.as_ptr_range().end == field.as_ptr() => {
                // `prev` ends where `field` starts; if it also lies inside `buf`, the two
                // form one range of `buf`.
                let prev_start = (prev.as_ptr() as usize).wrapping_sub(buf.as_ptr() as usize);
                if prev_start <= start {
                    self.raw = Cow::Borrowed(&buf[prev_start..end]);
                } else {
                    self.raw.to_mut().extend_from_slice(field);
                }
            }
            other => other.to_mut().extend_from_slice(field),
        }
    }

    /// Appends raw encoded fields (tags and values), copying.
    pub fn extend_from_slice(&mut self, fields: &[u8]) {
        if !fields.is_empty() {
            self.raw.to_mut().extend_from_slice(fields);
        }
    }

    /// The raw encoded fields.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Removes all unknown fields.
    pub fn clear(&mut self) {
        self.raw = Cow::Borrowed(&[]);
    }

    /// The same fields, owned.
    #[must_use]
    pub fn into_owned(self) -> UnknownFields<'static> {
        UnknownFields {
            raw: Cow::Owned(self.raw.into_owned()),
        }
    }
}
