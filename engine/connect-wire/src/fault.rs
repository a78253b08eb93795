//! Every failure below the Connect layer, mapped to the [`ConnectError`] a side reports.
//!
//! The lower layers have small, allocation-free error enums ([`Http1Error`],
//! [`EnvelopeError`], [`DecompressError`], [`CodecError`], [`StreamError`], [`GetError`],
//! `std::io::Error`). Drivers turn them into the one public error here, so a server and a
//! client (on any runtime) give the same fault the same code and wording. The [`Role`]
//! decides what a fault means: a corrupt request is the client's fault
//! (`invalid_argument`), a corrupt response is the server's (`internal`).

use crate::Role;
use crate::code::Code;
use crate::codec::CodecError;
use crate::compression::{CompressError, DecompressError};
use crate::envelope::EnvelopeError;
use crate::error::ConnectError;
use crate::get::GetError;
use crate::http1::Http1Error;
use crate::json::JsonErrorKind;
use crate::proto::DecodeError;
use crate::stream::StreamError;

fn what(role: Role) -> &'static str {
    match role {
        Role::Server => "request",
        Role::Client => "response",
    }
}

/// A message (as received, or decompressed) over the message size limit.
#[must_use]
pub fn message_too_large(role: Role, limit: usize) -> ConnectError {
    ConnectError::new(
        Code::ResourceExhausted,
        format!(
            "{} message exceeds the message size limit of {limit} bytes",
            what(role)
        ),
    )
}

/// A body framing error. A body over its limit (all of a stream's messages together) is
/// `resource_exhausted`, naming `max_body`; otherwise a bad request body is
/// `invalid_argument` on a server, a bad response body `internal` (or `unavailable` when the
/// connection ended inside it) on a client.
#[must_use]
pub fn body(role: Role, e: Http1Error, max_body: u64) -> ConnectError {
    if e == Http1Error::BodyTooLarge {
        return ConnectError::new(
            Code::ResourceExhausted,
            format!(
                "{} body exceeds the body size limit of {max_body} bytes",
                what(role)
            ),
        );
    }
    let code = match (role, e) {
        (Role::Server, _) => Code::InvalidArgument,
        (Role::Client, Http1Error::IncompleteBody) => Code::Unavailable,
        (Role::Client, Http1Error::HeadTooLarge | Http1Error::TooManyHeaders) => {
            Code::ResourceExhausted
        }
        (Role::Client, _) => Code::Internal,
    };
    ConnectError::new(code, format!("{} body: {e}", what(role)))
}

/// A response head the client cannot parse: `resource_exhausted` over the head limits,
/// `internal` otherwise.
#[must_use]
pub fn response_head(e: Http1Error) -> ConnectError {
    let code = match e {
        Http1Error::HeadTooLarge | Http1Error::TooManyHeaders => Code::ResourceExhausted,
        _ => Code::Internal,
    };
    ConnectError::new(code, format!("response head: {e}"))
}

/// The body ended (the peer closed the connection) before the message or stream did.
#[must_use]
pub fn ended_early(role: Role) -> ConnectError {
    match role {
        Role::Server => ConnectError::new(Code::InvalidArgument, "request body ended early"),
        Role::Client => ConnectError::new(
            Code::Unavailable,
            "connection closed before the response was complete",
        ),
    }
}

/// A socket error while reading or writing.
#[must_use]
pub fn io(role: Role, writing: bool, e: &std::io::Error) -> ConnectError {
    let op = match (role, writing) {
        (Role::Server, false) => "read request",
        (Role::Server, true) => "write response",
        (Role::Client, false) => "read response",
        (Role::Client, true) => "write request",
    };
    ConnectError::new(Code::Unavailable, format!("{op}: {e}"))
}

/// The call's deadline passed.
#[must_use]
pub fn deadline_exceeded(while_doing: &'static str) -> ConnectError {
    ConnectError::new(
        Code::DeadlineExceeded,
        format!("deadline exceeded while {while_doing}"),
    )
}

/// An envelope error.
#[must_use]
pub fn envelope(role: Role, e: EnvelopeError) -> ConnectError {
    let code = match role {
        Role::Server => e.server_code(),
        Role::Client => e.client_code(),
    };
    ConnectError::new(code, format!("{}: {e}", what(role)))
}

/// A stream body that breaks the protocol.
#[must_use]
pub fn stream(role: Role, e: StreamError) -> ConnectError {
    e.into_connect(role)
}

/// A message that would not decompress.
#[must_use]
pub fn decompress(role: Role, e: DecompressError) -> ConnectError {
    let code = match role {
        Role::Server => e.server_code(),
        Role::Client => e.client_code(),
    };
    ConnectError::new(code, format!("decompress {}: {e}", what(role)))
}

/// A message the codec could not decode. Over the decoding memory budget is a size
/// problem (`resource_exhausted`); otherwise a bad request is `invalid_argument`, a bad
/// response `internal`.
#[must_use]
pub fn decode(role: Role, e: &CodecError) -> ConnectError {
    let too_big = match e {
        CodecError::Binary(DecodeError::MemoryLimit) => true,
        CodecError::Json(j) => j.kind() == JsonErrorKind::MemoryLimit,
        CodecError::Binary(_) => false,
    };
    let code = match (too_big, role) {
        (true, _) => Code::ResourceExhausted,
        (false, Role::Server) => Code::InvalidArgument,
        (false, Role::Client) => Code::Internal,
    };
    ConnectError::new(code, format!("unmarshal {}: {e}", what(role)))
}

/// A message the codec could not encode (JSON of a value it cannot represent).
#[must_use]
pub fn encode(role: Role, e: &CodecError) -> ConnectError {
    let what = match role {
        Role::Server => "response",
        Role::Client => "request",
    };
    ConnectError::new(Code::Internal, format!("marshal {what}: {e}"))
}

/// A message that would not compress.
#[must_use]
pub fn compress(role: Role, e: CompressError) -> ConnectError {
    let what = match role {
        Role::Server => "response",
        Role::Client => "request",
    };
    ConnectError::new(e.code(), format!("compress {what}: {e}"))
}

/// A GET request's query that is not a Connect request (server side).
#[must_use]
pub fn get(e: GetError, limit: usize) -> ConnectError {
    match e {
        GetError::TooLarge => message_too_large(Role::Server, limit),
        other => ConnectError::new(Code::InvalidArgument, other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_decide_the_code() {
        let bad = CodecError::Binary(DecodeError::Truncated);
        assert_eq!(decode(Role::Server, &bad).code(), Code::InvalidArgument);
        assert_eq!(decode(Role::Client, &bad).code(), Code::Internal);
        let big = CodecError::Binary(DecodeError::MemoryLimit);
        assert_eq!(decode(Role::Client, &big).code(), Code::ResourceExhausted);
        assert_eq!(
            decompress(Role::Server, DecompressError::Corrupt).code(),
            Code::InvalidArgument
        );
        assert_eq!(
            decompress(Role::Client, DecompressError::Corrupt).code(),
            Code::Internal
        );
        assert_eq!(
            body(Role::Server, Http1Error::IncompleteBody, 1).code(),
            Code::InvalidArgument
        );
        assert_eq!(
            body(Role::Client, Http1Error::IncompleteBody, 1).code(),
            Code::Unavailable
        );
        let e = body(Role::Client, Http1Error::BodyTooLarge, 77);
        assert_eq!(e.code(), Code::ResourceExhausted);
        assert!(
            e.message()
                .contains("response body exceeds the body size limit of 77 bytes")
        );
        assert_eq!(
            message_too_large(Role::Server, 5).message(),
            "request message exceeds the message size limit of 5 bytes"
        );
        assert_eq!(ended_early(Role::Client).code(), Code::Unavailable);
        assert_eq!(get(GetError::TooLarge, 3).code(), Code::ResourceExhausted);
        assert_eq!(get(GetError::BadMessage, 3).code(), Code::InvalidArgument);
        let trunc = EnvelopeError::Truncated { have: 1, need: 5 };
        assert_eq!(envelope(Role::Server, trunc).code(), Code::InvalidArgument);
        assert_eq!(envelope(Role::Client, trunc).code(), Code::Internal);
    }
}
