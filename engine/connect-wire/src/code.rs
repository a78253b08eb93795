//! Connect status codes and their HTTP mappings.
//!
//! The sixteen codes are numbered as in gRPC (`canceled` = 1 … `unauthenticated` = 16; there
//! is no `ok`: success is the absence of an error). On the wire a code is its snake_case name
//! ([`Code::as_str`]). The two HTTP tables come from the Connect protocol specification:
//!
//! * [`Code::http_status`]: the status a server answers a unary error with.
//! * [`Code::from_http_status`]: the code a client derives from a non-200 unary response
//!   whose body carries no usable code.

use std::fmt;

/// A Connect error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Code {
    /// The operation was canceled, typically by the caller.
    Canceled = 1,
    /// Unknown error (also: errors raised by APIs that do not return enough information).
    Unknown = 2,
    /// The client specified an invalid argument.
    InvalidArgument = 3,
    /// The deadline expired before the operation could complete.
    DeadlineExceeded = 4,
    /// Some requested entity was not found.
    NotFound = 5,
    /// The entity the client attempted to create already exists.
    AlreadyExists = 6,
    /// The caller does not have permission to execute the operation.
    PermissionDenied = 7,
    /// Some resource has been exhausted (quota, message size, ...).
    ResourceExhausted = 8,
    /// The system is not in a state required for the operation's execution.
    FailedPrecondition = 9,
    /// The operation was aborted (concurrency issue, transaction abort, ...).
    Aborted = 10,
    /// The operation was attempted past the valid range.
    OutOfRange = 11,
    /// The operation is not implemented, supported or enabled.
    Unimplemented = 12,
    /// An invariant expected by the underlying system was broken.
    Internal = 13,
    /// The service is currently unavailable (usually transient; retry with backoff).
    Unavailable = 14,
    /// Unrecoverable data loss or corruption.
    DataLoss = 15,
    /// The request does not have valid authentication credentials.
    Unauthenticated = 16,
}

/// The spec table: code, wire name, HTTP status. Row `i` holds the code numbered `i + 1`.
const TABLE: [(Code, &str, u16); 16] = [
    (Code::Canceled, "canceled", 499),
    (Code::Unknown, "unknown", 500),
    (Code::InvalidArgument, "invalid_argument", 400),
    (Code::DeadlineExceeded, "deadline_exceeded", 504),
    (Code::NotFound, "not_found", 404),
    (Code::AlreadyExists, "already_exists", 409),
    (Code::PermissionDenied, "permission_denied", 403),
    (Code::ResourceExhausted, "resource_exhausted", 429),
    (Code::FailedPrecondition, "failed_precondition", 400),
    (Code::Aborted, "aborted", 409),
    (Code::OutOfRange, "out_of_range", 400),
    (Code::Unimplemented, "unimplemented", 501),
    (Code::Internal, "internal", 500),
    (Code::Unavailable, "unavailable", 503),
    (Code::DataLoss, "data_loss", 500),
    (Code::Unauthenticated, "unauthenticated", 401),
];

impl Code {
    /// Every code, in numeric order.
    pub const ALL: [Code; 16] = [
        Code::Canceled,
        Code::Unknown,
        Code::InvalidArgument,
        Code::DeadlineExceeded,
        Code::NotFound,
        Code::AlreadyExists,
        Code::PermissionDenied,
        Code::ResourceExhausted,
        Code::FailedPrecondition,
        Code::Aborted,
        Code::OutOfRange,
        Code::Unimplemented,
        Code::Internal,
        Code::Unavailable,
        Code::DataLoss,
        Code::Unauthenticated,
    ];

    /// The numeric value (as in gRPC): 1 for `canceled` … 16 for `unauthenticated`.
    #[must_use]
    pub const fn number(self) -> u8 {
        self as u8
    }

    /// The code with the given numeric value, if any.
    #[must_use]
    pub const fn from_number(n: u32) -> Option<Code> {
        if n >= 1 && n <= 16 {
            Some(Self::ALL[n as usize - 1])
        } else {
            None
        }
    }

    /// The snake_case name used on the wire, e.g. `"invalid_argument"`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        TABLE[self as usize - 1].1
    }

    /// The code with the given wire name (exact, lowercase match), if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Code> {
        TABLE.iter().find(|row| row.1 == name).map(|row| row.0)
    }

    /// The HTTP status a server uses for a unary error with this code.
    #[must_use]
    pub const fn http_status(self) -> u16 {
        TABLE[self as usize - 1].2
    }

    /// The code a client infers from the HTTP status of a unary response that carries no
    /// usable code: 400 internal, 401 unauthenticated, 403 permission_denied,
    /// 404 unimplemented, 429/502/503/504 unavailable, anything else unknown.
    #[must_use]
    pub const fn from_http_status(status: u16) -> Code {
        match status {
            400 => Code::Internal,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::Unimplemented,
            429 | 502 | 503 | 504 => Code::Unavailable,
            _ => Code::Unknown,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_are_in_numeric_order() {
        for (i, row) in TABLE.iter().enumerate() {
            assert_eq!(row.0 as usize, i + 1);
            assert_eq!(Code::ALL[i], row.0);
        }
    }

    #[test]
    fn numbers_round_trip() {
        assert_eq!(Code::from_number(0), None);
        assert_eq!(Code::from_number(17), None);
        for c in Code::ALL {
            assert_eq!(Code::from_number(u32::from(c.number())), Some(c));
        }
    }
}
