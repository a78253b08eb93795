//! What a response head means to the client.

use crate::compression::Compression;
use crate::error::ConnectError;

/// What to do with a response, decided from its head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A successful response: its body is the message (unary) or the envelopes (stream), the
    /// message(s) compressed with this algorithm.
    Accept(Compression),
    /// A unary error response whose body is (probably) the Connect error JSON, compressed
    /// with this algorithm: read the body (bounded) and hand it to [`Requester::unary_error`](super::Requester::unary_error).
    ErrorBody(Compression),
    /// The call failed; the body is not needed (read and discard it to reuse the connection,
    /// or close).
    Fail(ConnectError),
}
