//! The shapes of a call.

/// How a call's messages travel: the request's shape, which the response mirrors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Unary POST: the body is the message.
    Unary,
    /// Unary GET: the message is in the query.
    Get,
    /// Streaming POST: the body is a sequence of envelopes.
    Stream,
}
