//! The trait every generated enum implements.

use std::fmt;

/// A protobuf enum. Generated enums are open: a newtype over `i32` with an associated
/// constant per known value, so unknown numbers survive a round trip.
pub trait Enumeration: Copy + Default + PartialEq + fmt::Debug + 'static {
    /// The fully-qualified protobuf name of the enum.
    const FULL_NAME: &'static str;

    /// The wire number.
    fn number(self) -> i32;

    /// Builds a value from a wire number (any number is accepted).
    fn from_number(n: i32) -> Self;

    /// The protobuf name of a known value (the first one declared for aliases).
    fn name(self) -> Option<&'static str>;

    /// The value with the given protobuf name.
    fn from_name(name: &str) -> Option<Self>;
}
