//! What a handler sees of a call besides its messages: [`RequestHeaders`] (borrowed from
//! the read buffer), [`CallInfo`], [`Request`] and [`Response`].

use std::time::{Duration, Instant};

use connect_wire::Codec;
use connect_wire::http1::RequestHead;
use connect_wire::protocol::Protocol;
use connect_wire::service::MethodDescriptor;
use http::HeaderMap;

use crate::server::peer::Peer;

/// The request headers, borrowed from the connection's read buffer.
#[derive(Clone, Copy)]
pub struct RequestHeaders<'c> {
    head: &'c RequestHead,
    buf: &'c [u8],
}

impl<'c> RequestHeaders<'c> {
    pub(crate) fn new(head: &'c RequestHead, buf: &'c [u8]) -> Self {
        RequestHeaders { head, buf }
    }

    /// The first value of a header (names are case-insensitive).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&'c [u8]> {
        self.head.header(self.buf, name)
    }

    /// The first value of a header, if it is UTF-8.
    #[must_use]
    pub fn get_str(&self, name: &str) -> Option<&'c str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Every value of a header, in order.
    pub fn get_all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'c [u8]> + 'n
    where
        'c: 'n,
    {
        self.head.header_all(self.buf, name)
    }

    /// Every header as (name, value), in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'c str, &'c [u8])> + use<'c> {
        self.head.headers(self.buf)
    }

    /// The request path.
    #[must_use]
    pub fn path(&self) -> &'c str {
        self.head.path(self.buf)
    }

    /// The query string (GET requests), without `?`.
    #[must_use]
    pub fn query(&self) -> Option<&'c str> {
        self.head.query(self.buf)
    }

    /// The HTTP method.
    #[must_use]
    pub fn method(&self) -> &'c http::Method {
        self.head.method()
    }
}

impl std::fmt::Debug for RequestHeaders<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut m = f.debug_map();
        for (k, v) in self.iter() {
            m.entry(&k, &String::from_utf8_lossy(v));
        }
        m.finish()
    }
}

/// What a handler knows about the call besides its messages.
#[derive(Clone, Copy, Debug)]
pub struct CallInfo<'c> {
    /// The request headers.
    pub headers: RequestHeaders<'c>,
    /// The method being called.
    pub method: &'static MethodDescriptor,
    /// The protocol the call speaks.
    pub protocol: Protocol,
    /// The codec in use.
    pub codec: Codec,
    /// The client's timeout (`connect-timeout-ms`, `grpc-timeout`), if any.
    pub timeout: Option<Duration>,
    /// When the server gives up on the call (from the timeout).
    pub deadline: Option<Instant>,
    /// Who is calling: addresses and TLS details.
    pub peer: &'c Peer,
}

/// A unary request (or the single request of a server stream): the message and the call's
/// metadata. The message may borrow the connection's read buffer.
#[derive(Debug)]
pub struct Request<'c, M> {
    /// The request message.
    pub message: M,
    pub(crate) info: CallInfo<'c>,
}

impl<'c, M> Request<'c, M> {
    /// The request message.
    pub fn message(&self) -> &M {
        &self.message
    }

    /// Takes the message.
    pub fn into_message(self) -> M {
        self.message
    }

    /// The request headers.
    #[must_use]
    pub fn headers(&self) -> RequestHeaders<'c> {
        self.info.headers
    }

    /// The call's metadata.
    #[must_use]
    pub fn info(&self) -> &CallInfo<'c> {
        &self.info
    }
}

/// A unary response: the message plus headers and trailers.
#[derive(Clone, Debug, Default)]
pub struct Response<M> {
    /// The response message.
    pub message: M,
    /// Response headers.
    pub headers: HeaderMap,
    /// Response trailers (sent as `trailer-` headers for unary calls).
    pub trailers: HeaderMap,
}

impl<M> Response<M> {
    /// A response with no headers or trailers.
    pub fn new(message: M) -> Self {
        Response {
            message,
            headers: HeaderMap::new(),
            trailers: HeaderMap::new(),
        }
    }
}

impl<M> From<M> for Response<M> {
    fn from(message: M) -> Self {
        Response::new(message)
    }
}
