//! One RPC on a connection: what generated service code receives ([`Call`]) and what
//! handlers see ([`Request`], [`Response`], [`RequestStream`], [`ResponseStream`]).
//!
//! Unary calls never touch the socket while the handler runs: the body has been read
//! before, the request message borrows the read buffer, and the response is rendered into
//! the write buffer, which the connection flushes afterwards. Streaming calls read and write
//! through the connection's two halves.
//!
//! | file | what |
//! |---|---|
//! | `mod.rs` | [`Call`]: turning a negotiated request into typed requests and replies |
//! | `request.rs` | [`RequestHeaders`], [`CallInfo`], [`Request`], [`Response`] |
//! | `unary.rs` | [`UnaryReply`]: rendering a unary response or error |
//! | `stream.rs` | [`RequestStream`], [`ResponseStream`], [`ClientStreamReply`] over the connection |
//! | `handler.rs` | [`run_handler`], [`with_deadline`]: deadlines and panic isolation |

mod handler;
mod request;
mod stream;
mod unary;

use std::marker::PhantomData;
use std::time::Instant;

use connect_wire::http1::CloseReason;
use connect_wire::server::{Negotiated, Shape};
use connect_wire::service::MethodDescriptor;
use connect_wire::stream::{Framing, StreamReader};
use connect_wire::{Code, ConnectError, JsonOptions, Message, MessageType, Role, fault};
use http::HeaderMap;

pub use handler::{RunHandler, WithDeadline, run_handler, with_deadline};
pub use request::{CallInfo, Request, RequestHeaders, Response};
pub use stream::{ClientStreamReply, RequestStream, ResponseStream};
pub(crate) use unary::MessageAt;
pub use unary::UnaryReply;

use super::busy_conn::BusyConn;
use super::config::ServerConfig;
use stream::{RawMessage, StreamSource};

/// One call on a connection, handed by the router to a generated service's
/// [`Service::call`](super::Service::call). Generated code turns it into typed requests with
/// [`unary`](Call::unary), [`client_stream`](Call::client_stream),
/// [`server_stream`](Call::server_stream) or [`bidi_stream`](Call::bidi_stream).
pub struct Call<'c> {
    conn: &'c mut BusyConn,
    method: &'static MethodDescriptor,
    neg: Negotiated,
    deadline: Option<Instant>,
}

impl<'c> Call<'c> {
    pub(crate) fn new(
        conn: &'c mut BusyConn,
        method: &'static MethodDescriptor,
        neg: Negotiated,
    ) -> Self {
        let deadline = neg.timeout.map(|t| Instant::now() + t);
        Call {
            conn,
            method,
            neg,
            deadline,
        }
    }

    /// The method being called.
    #[must_use]
    pub fn method(&self) -> &'static MethodDescriptor {
        self.method
    }

    /// Reads a unary request (POST body or GET query) and decodes it. On failure the error
    /// response is already rendered and `None` is returned.
    pub async fn unary<Req: Message<'c>>(self) -> Option<(Request<'c, Req>, UnaryReply<'c>)> {
        let Call {
            conn,
            method,
            neg,
            deadline,
        } = self;
        let loaded = match neg.shape {
            Shape::Get => conn.load_get_message(),
            _ if neg.unary_enveloped() => {
                conn.read_enveloped_unary(neg.request_compression, deadline)
                    .await
            }
            _ => {
                conn.read_unary_body(neg.request_compression, deadline)
                    .await
            }
        };
        let BusyConn {
            req,
            wbuf,
            scratch,
            scratch2,
            keep_alive,
            peer,
            record,
            received,
            cfg,
            ..
        } = conn;
        let cfg: &'c ServerConfig = cfg;
        let json: &'c JsonOptions = &cfg.json;
        let reply = UnaryReply {
            out: wbuf,
            scratch: scratch2,
            responder: neg.responder(),
            json,
            keep_alive,
            deadline,
            record,
            compress_min: cfg.compress_min_bytes,
        };
        let location = match loaded {
            Ok(l) => l,
            Err(e) => {
                reply.error(&e);
                return None;
            }
        };
        let (head, head_bytes, body) = req.parts();
        let bytes: &'c mut [u8] = match location {
            MessageAt::Body => body,
            MessageAt::InBody(range) => &mut body[range],
            MessageAt::Scratch => &mut scratch[..],
        };
        let info = CallInfo {
            headers: RequestHeaders::new(head, head_bytes),
            method,
            protocol: neg.protocol,
            codec: neg.codec,
            timeout: neg.timeout,
            deadline,
            peer,
        };
        match neg.codec.decode::<Req>(bytes, json) {
            Ok(message) => {
                *received = 1;
                Some((Request { message, info }, reply))
            }
            Err(e) => {
                reply.error(&fault::decode(Role::Server, &e));
                None
            }
        }
    }

    /// Starts a client-streaming call: the request stream and the single-response reply.
    #[must_use]
    pub fn client_stream<Req: MessageType>(
        self,
    ) -> (RequestStream<'c, Req>, ClientStreamReply<'c>) {
        let (requests, responses) = self.streams::<Req, ()>();
        (requests, ClientStreamReply { out: responses })
    }

    /// Starts a (half-duplex) bidirectional call.
    #[must_use]
    pub fn bidi_stream<Req: MessageType, Resp: MessageType>(
        self,
    ) -> (RequestStream<'c, Req>, ResponseStream<'c, Resp>) {
        self.streams()
    }

    /// Starts a server-streaming call: reads the one request message. On failure the error
    /// is already sent and `None` is returned.
    pub async fn server_stream<Req: Message<'c>, Resp: MessageType>(
        self,
    ) -> Option<(Request<'c, Req>, ResponseStream<'c, Resp>)> {
        let (mut requests, responses) = self.streams::<RawMessage, Resp>();
        // Exactly one message: find it, then make sure nothing follows, keeping the first
        // message in place (no compaction) meanwhile.
        let counted = match requests.src.next_frame().await {
            Ok(Some(first)) => {
                requests.src.body.pin();
                // A second envelope prefix is enough to refuse: its payload is not read.
                match requests.src.another_message().await {
                    Ok(false) => Ok(first),
                    Ok(true) => Err(ConnectError::new(
                        Code::Unimplemented,
                        "server-stream request has more than one message",
                    )),
                    Err(e) => Err(e),
                }
            }
            Ok(None) => Err(ConnectError::new(
                Code::Unimplemented,
                "server-stream request has no message",
            )),
            Err(e) => Err(e),
        };
        let first = match counted {
            Ok(first) => first,
            Err(e) => {
                responses.fail(e).await;
                return None;
            }
        };
        let RequestStream {
            src,
            info,
            received,
            ..
        } = requests;
        let json = src.json;
        let codec = info.codec;
        let bytes = src.into_frame(first);
        match codec.decode::<Req>(bytes, json) {
            Ok(message) => {
                *received = 1;
                Some((Request { message, info }, responses))
            }
            Err(e) => {
                responses.fail(fault::decode(Role::Server, &e)).await;
                None
            }
        }
    }

    fn streams<Req, Resp>(self) -> (RequestStream<'c, Req>, ResponseStream<'c, Resp>) {
        let Call {
            conn,
            method,
            neg,
            deadline,
        } = self;
        conn.req.begin_stream();
        let BusyConn {
            r,
            w,
            req,
            wbuf,
            scratch,
            scratch2,
            keep_alive,
            peer,
            record,
            received,
            cfg,
            ..
        } = conn;
        let (head, head_bytes, body) = req.stream_parts();
        let cfg: &'c ServerConfig = cfg;
        let json: &'c JsonOptions = &cfg.json;
        let (max_message, io_timeout) = (cfg.max_message_size, cfg.io_timeout);
        let framing = Framing::for_minor_version(head.version_minor());
        if framing == Framing::Raw {
            // The response body ends when the connection closes.
            keep_alive.close(CloseReason::UnframedResponse);
        }
        let info = CallInfo {
            headers: RequestHeaders::new(head, head_bytes),
            method,
            protocol: neg.protocol,
            codec: neg.codec,
            timeout: neg.timeout,
            deadline,
            peer,
        };
        let src = StreamSource {
            r,
            body,
            reader: StreamReader::new(Role::Server, neg.request_compression, max_message),
            scratch,
            max_message,
            json,
            io_timeout,
            deadline,
            max_body: cfg.http.max_body_size,
        };
        let requests = RequestStream {
            src,
            info,
            received,
            _t: PhantomData,
        };
        // Interceptors' response headers and trailers come first; the handler adds to them.
        let (headers, trailers) = if record.on {
            (
                std::mem::take(&mut record.headers),
                std::mem::take(&mut record.trailers),
            )
        } else {
            (HeaderMap::new(), HeaderMap::new())
        };
        let responses = ResponseStream {
            w,
            out: wbuf,
            scratch: scratch2,
            responder: neg.responder(),
            json,
            headers,
            trailers,
            head_sent: false,
            framing,
            flushed: false,
            encoding: None,
            keep_alive,
            deadline,
            io_timeout,
            record,
            compress_min: cfg.compress_min_bytes,
            _t: PhantomData,
        };
        (requests, responses)
    }

    /// Answers with `unimplemented` (a method the service does not implement).
    pub async fn unimplemented(self) {
        let err = ConnectError::new(
            Code::Unimplemented,
            format!("{} is not implemented", self.method.path),
        );
        self.fail(err).await;
    }

    /// Answers with an error, in the shape of the call.
    pub async fn fail(self, err: ConnectError) {
        if self.neg.shape == Shape::Stream {
            let (_, responses) = self.streams::<RawMessage, ()>();
            responses.fail(err).await;
        } else {
            let BusyConn {
                wbuf,
                scratch2,
                keep_alive,
                record,
                cfg,
                ..
            } = self.conn;
            let json = &cfg.json;
            let reply = UnaryReply {
                out: wbuf,
                scratch: scratch2,
                responder: self.neg.responder(),
                json,
                keep_alive,
                deadline: None,
                record,
                compress_min: 0,
            };
            reply.error(&err);
        }
    }
}
