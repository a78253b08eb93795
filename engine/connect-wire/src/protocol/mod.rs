//! The protocol seam: what differs between the RPC protocols of the Connect family, behind
//! one interface per role, as connect-go's `protocol.go` puts each protocol behind one.
//!
//! Everything here is independent of the HTTP version: a protocol reads a head through a
//! [`RequestView`](crate::view::RequestView) or [`ResponseView`](crate::view::ResponseView),
//! writes one through a [`FieldSink`] or [`ResponseSink`] (HTTP/1.1 text, or an `http`
//! crate head for hyper and h2), and reads and writes body bytes. How those bytes are framed
//! on a connection ([`Framing`]: chunked, or bare for a length-delimited HTTP/1.1 body and
//! for HTTP/2) is the connection's.
//!
//! | role | piece | what it decides |
//! |---|---|---|
//! | server | [`Protocol::of_request`] | which protocol a request speaks, from its content type |
//! | server | [`negotiate`](crate::server::negotiate) | codec, shape, compressions and timeout, or the refusal |
//! | server | [`Responder`] | a response's head, how its messages are framed, how it ends, and how an error replaces it |
//! | client | [`RequestSpec`](crate::client::RequestSpec) and [`RequestWriter`](crate::client::RequestWriter) | a request's method, target, fields and messages |
//! | client | [`classify_unary`](crate::client::classify_unary), [`classify_stream`](crate::client::classify_stream) | whether a response head is usable, or the error it means |
//!
//! **Adding a protocol** (gRPC-web, gRPC) is a new variant of [`Protocol`], a module beside
//! [`connect`] with its rules, and one arm in each `match` of this module and of
//! [`Protocol::of_request`]; drivers do not change.

mod connect;
mod fields;

pub use fields::{FieldSink, Http1Fields, ResponseSink};

use http::HeaderMap;

use crate::codec::Codec;
use crate::compression::Compression;
use crate::envelope::FLAG_COMPRESSED;
use crate::error::ConnectError;
use crate::stream::{Framing, MessageStart, TooLarge};
use crate::view::RequestView;

/// A protocol of the Connect family.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// The Connect protocol: unary calls as plain HTTP (POST, or GET for calls without side
    /// effects), streams as envelopes ended by an end-stream message.
    #[default]
    Connect,
}

impl Protocol {
    /// The protocol a request speaks, from its content type. Every content type that is not
    /// another protocol's is Connect's, whose negotiation then accepts or refuses it.
    #[must_use]
    pub fn of_request(_head: &(impl RequestView + ?Sized)) -> Protocol {
        Protocol::Connect
    }

    /// The protocol's name, as connect-go and the conformance suite spell it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Connect => "connect",
        }
    }
}

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

/// The server's side of one call's response, for its protocol: a response head, its
/// messages, its end, or an error in place of all of them. Made by
/// [`Negotiated::responder`](crate::server::Negotiated::responder) for an accepted call.
///
/// A response is, in order: [`head`](Self::head); each message between
/// [`begin_message`](Self::begin_message) and [`finish_message`](Self::finish_message);
/// [`end`](Self::end). Or, when nothing of it was sent, [`error_head`](Self::error_head) and
/// [`error_body`](Self::error_body) instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Responder {
    protocol: Protocol,
    shape: Shape,
    codec: Codec,
    compression: Compression,
}

impl Responder {
    /// The responder for a call of `protocol` and `shape`, its messages in `codec`, compressed
    /// with `compression` (the negotiated response compression).
    #[must_use]
    pub fn new(protocol: Protocol, shape: Shape, codec: Codec, compression: Compression) -> Self {
        Responder {
            protocol,
            shape,
            codec,
            compression,
        }
    }

    /// The call's protocol.
    #[must_use]
    pub fn protocol(self) -> Protocol {
        self.protocol
    }

    /// The call's shape.
    #[must_use]
    pub fn shape(self) -> Shape {
        self.shape
    }

    /// The codec of the response messages.
    #[must_use]
    pub fn codec(self) -> Codec {
        self.codec
    }

    /// The response compression negotiated for the call.
    #[must_use]
    pub fn compression(self) -> Compression {
        self.compression
    }

    fn stream(self) -> bool {
        self.shape == Shape::Stream
    }

    /// Writes the head of a response whose messages follow, compressed with `compression`
    /// (the negotiated one, or identity for a message too small to be worth compressing).
    /// `trailers` are the call's trailers when they are already known (unary calls):
    /// protocols that carry them in the head (Connect unary) write them here, the others at
    /// [`end`](Self::end).
    pub fn head(
        &self,
        sink: &mut impl ResponseSink,
        compression: Compression,
        headers: &HeaderMap,
        trailers: &HeaderMap,
    ) {
        match self.protocol {
            Protocol::Connect => connect::response_head(
                sink,
                self.stream(),
                self.codec,
                compression,
                headers,
                trailers,
            ),
        }
    }

    /// Whether each message is enveloped (a Connect unary message is the body itself).
    #[must_use]
    pub fn enveloped(self) -> bool {
        match self.protocol {
            Protocol::Connect => self.stream(),
        }
    }

    /// Starts a message: reserves `framing`'s chunk line and, when
    /// [`enveloped`](Self::enveloped), the envelope prefix. Append the encoded message, then
    /// call [`finish_message`](Self::finish_message).
    pub fn begin_message(self, out: &mut Vec<u8>, framing: Framing) -> MessageStart {
        MessageStart::begin(out, framing, self.enveloped())
    }

    /// Completes the message begun at `start`, whose bytes run to the end of `out`,
    /// `compressed` or not. On [`TooLarge`] (over an envelope's 4 GiB) the message is cut.
    pub fn finish_message(
        &self,
        out: &mut Vec<u8>,
        start: MessageStart,
        compressed: bool,
    ) -> Result<(), TooLarge> {
        let flags = if compressed { FLAG_COMPRESSED } else { 0 };
        start.finish(out, flags)
    }

    /// Ends the body after its last message: `error` (a stream's, after its messages) and
    /// `trailers`, as the protocol carries them in the body; `framing` frames what is
    /// written for the connection. Nothing for a Connect unary response.
    pub fn end(
        &self,
        out: &mut Vec<u8>,
        framing: Framing,
        error: Option<&ConnectError>,
        trailers: &HeaderMap,
    ) {
        match self.protocol {
            Protocol::Connect => connect::end(out, self.stream(), framing, error, trailers),
        }
    }

    /// Writes the head of a response that carries `err` in place of the call's messages
    /// (nothing of the response was sent): `headers` are the handler's or interceptors',
    /// `trailers` the call's.
    pub fn error_head(
        &self,
        sink: &mut impl ResponseSink,
        err: &ConnectError,
        headers: &HeaderMap,
        trailers: &HeaderMap,
    ) {
        match self.protocol {
            Protocol::Connect => {
                connect::error_head(sink, self.stream(), self.codec, err, headers, trailers);
            }
        }
    }

    /// Appends the whole body of the response whose head [`error_head`](Self::error_head)
    /// wrote, unframed (its length is known: the connection sends it as one piece).
    pub fn error_body(self, out: &mut Vec<u8>, err: &ConnectError, trailers: &HeaderMap) {
        match self.protocol {
            Protocol::Connect => connect::error_body(out, self.stream(), err, trailers),
        }
    }
}
