//! What a response head means to the client.

use crate::code::Code;
use crate::compression::Compression;
use crate::error::ConnectError;

/// What to do with a response, decided from its head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A successful response: its body is the message (unary) or the envelopes (stream), the
    /// message(s) compressed with this algorithm.
    Accept(Compression),
    /// A unary error response whose body is (probably) the Connect error JSON, compressed
    /// with this algorithm: read the body (bounded) and hand it to
    /// [`Protocol::unary_error`](super::Protocol::unary_error).
    ErrorBody(Compression),
    /// The call failed; the body is not needed (read and discard it to reuse the connection,
    /// or close).
    Fail(ConnectError),
}

/// The failure of a response whose content type `got` is not `expected`: `internal` when it
/// starts with the protocol's `prefix` (a peer of the protocol that answered wrongly), else
/// `unknown` (maybe not a peer of the protocol at all), as connect-go has it.
pub(crate) fn wrong_content_type(got: &[u8], prefix: &[u8], expected: &str) -> Verdict {
    let code = if got
        .get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    {
        Code::Internal
    } else {
        Code::Unknown
    };
    Verdict::Fail(ConnectError::new(
        code,
        format!(
            "invalid content-type {:?}: expected {expected:?}",
            String::from_utf8_lossy(got)
        ),
    ))
}
