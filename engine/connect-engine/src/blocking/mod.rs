//! The blocking client: Connect calls over `std::net` (and rustls for `https://`), no async
//! runtime inside. For command-line tools, tests, scripts and synchronous servers.
//!
//! It drives the same sans-IO pieces of [`connect_wire::client`] as the async client and
//! returns the same [`UnaryOutput`]; response streams are iterators ([`BlockingStream`]).
//! A [`BlockingClient`] is `Send + Sync` and cheap to clone: clones share one keep-alive
//! pool (behind a mutex held only to take or return a connection), so many threads can
//! call at once.
//!
//! Deadlines are enforced with socket timeouts against the call's deadline (and sent as
//! `connect-timeout-ms`). A [`CancelToken`](crate::client::CancelToken) in the
//! [`CallOptions`] cancels from any thread: the call's socket is shut down, the blocked read
//! or write returns at once, and the call ends with `canceled` — before, while or after the
//! request is sent, and between received messages.
//!
//! This module needs only the `blocking` feature: with `default-features = false,
//! features = ["blocking", "gzip"]`, monoio is not built at all.
//!
//! ```no_run
//! use connect_engine::blocking::BlockingClient;
//! use connect_engine::client::ClientConfig;
//! let client = BlockingClient::new("http://127.0.0.1:8080", ClientConfig::new())?;
//! // let eliza = ElizaServiceBlockingClient::new(client);
//! // let reply = eliza.say(&SayRequest { sentence: "hi".into(), ..Default::default() })?;
//! # let _ = client;
//! # Ok::<(), connect_engine::ConnectError>(())
//! ```

mod conn;
mod shared;
mod stream;

use std::borrow::Borrow;
use std::sync::{Arc, Mutex, PoisonError};

use connect_wire::client::{Need, RequestWriter, Scratch, StreamCall, UnaryCall};
use connect_wire::protocol::Shape;
use connect_wire::service::MethodDescriptor;
use connect_wire::{ConnectError, Message, OwnedMessage};
pub use stream::BlockingStream;

use self::conn::{Conn, Exchange};
use self::shared::Shared;
use crate::buffers;
use crate::client::{
    Bounds, CallOptions, CallState, ClientConfig, Origin, Scheme, Target, UnaryOutput, stopped,
    unary_outcome,
};
use crate::codecs::with_codecs;

/// The blocking Connect client for one base URL; see the [module docs](self).
#[derive(Clone)]
pub struct BlockingClient {
    inner: Arc<Shared>,
}

impl std::fmt::Debug for BlockingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingClient")
            .field("origin", &self.inner.origin)
            .field("idle", &self.idle_connections())
            .finish_non_exhaustive()
    }
}

impl BlockingClient {
    /// A client for `base_url` (`http://host:port[/prefix]` or `https://…`).
    pub fn new(base_url: &str, config: ClientConfig) -> Result<Self, ConnectError> {
        let origin = Origin::parse(base_url)?;
        config.check()?;
        let tls = (origin.scheme() == Scheme::Https).then(|| config.tls_config());
        Ok(BlockingClient {
            inner: Arc::new(Shared {
                accept: config.accept_header(),
                config: Arc::new(config),
                origin,
                tls,
                idle: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The client's configuration.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Idle keep-alive connections in the pool.
    #[must_use]
    pub fn idle_connections(&self) -> usize {
        self.inner
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// A unary call (POST, or GET for `NO_SIDE_EFFECTS` methods when the client is
    /// configured for it).
    pub fn unary<'r, Req, Resp>(
        &self,
        method: &'static MethodDescriptor,
        request: &Req,
        options: CallOptions,
    ) -> UnaryOutput<Resp>
    where
        Req: Message<'r>,
        Resp: OwnedMessage,
    {
        let config = &self.inner.config;
        let get = config.unary_shape(method) == Shape::Get;
        let mut call = CallState::new(method, options, config);
        if let Err(e) = call.intercept(config) {
            return call.finish_unary(config, UnaryOutput::failed(e));
        }
        let mut scratch = buffers::take_scratch();
        let out = self.unary_call(&call, get, &mut scratch, |w, s, out| {
            with_codecs(|c| w.unary(out, s, c, request, get))
        });
        buffers::give_scratch(scratch);
        call.finish_unary(config, out)
    }

    /// A client-streaming call: sends every message of `requests`, then reads the one
    /// response. A response with no message or more than one is `unimplemented`.
    pub fn client_stream<'r, Req, Resp, I>(
        &self,
        method: &'static MethodDescriptor,
        requests: I,
        options: CallOptions,
    ) -> UnaryOutput<Resp>
    where
        Req: Message<'r> + 'r,
        Resp: OwnedMessage,
        I: IntoIterator,
        I::Item: Borrow<Req>,
    {
        let mut call = CallState::new(method, options, &self.inner.config);
        if let Err(e) = call.intercept(&self.inner.config) {
            return call.finish_unary(&self.inner.config, UnaryOutput::failed(e));
        }
        self.stream_call::<Req, Resp, I>(&mut call, requests)
            .collect_one()
    }

    /// A server-streaming call: sends the request; the responses are the returned
    /// iterator's items.
    pub fn server_stream<'r, Req, Resp>(
        &self,
        method: &'static MethodDescriptor,
        request: &Req,
        options: CallOptions,
    ) -> BlockingStream<Resp>
    where
        Req: Message<'r> + 'r,
        Resp: OwnedMessage,
    {
        self.bidi_stream::<Req, Resp, _>(method, std::iter::once(request), options)
    }

    /// A (half-duplex) bidirectional call: sends every message of `requests`; the
    /// responses are the returned iterator's items.
    pub fn bidi_stream<'r, Req, Resp, I>(
        &self,
        method: &'static MethodDescriptor,
        requests: I,
        options: CallOptions,
    ) -> BlockingStream<Resp>
    where
        Req: Message<'r> + 'r,
        Resp: OwnedMessage,
        I: IntoIterator,
        I::Item: Borrow<Req>,
    {
        let mut call = CallState::new(method, options, &self.inner.config);
        if let Err(e) = call.intercept(&self.inner.config) {
            return BlockingStream::failed(call, self.inner.clone(), e);
        }
        self.stream_call::<Req, Resp, I>(&mut call, requests)
    }

    fn target(&self) -> Target<'_> {
        Target {
            config: &self.inner.config,
            origin: &self.inner.origin,
            accept: &self.inner.accept,
        }
    }

    fn connection(&self, bounds: &Bounds) -> Result<Conn, ConnectError> {
        if let Some(c) = self.inner.take() {
            return Ok(c);
        }
        let config = &self.inner.config;
        Conn::connect(
            &self.inner.origin,
            self.inner.tls.as_ref(),
            config.connect_timeout,
            bounds,
        )
    }

    fn exchange(&self, conn: Conn, bounds: &Bounds) -> Exchange {
        let config = &self.inner.config;
        Exchange::new(
            conn,
            buffers::take(config.buffer_size),
            config.http,
            config.max_message_size.saturating_add(64 << 10),
            bounds,
        )
    }

    fn release(&self, ex: Exchange, reusable: bool) {
        let (conn, rbuf) = ex.into_parts();
        buffers::give(rbuf, self.inner.config.buffer_size);
        if reusable {
            self.inner.give(conn);
        }
    }

    fn unary_call<Resp: OwnedMessage>(
        &self,
        call: &CallState,
        get: bool,
        scratch: &mut Scratch,
        write: impl FnOnce(&RequestWriter<'_>, &mut Scratch, &mut Vec<u8>) -> Result<(), ConnectError>,
    ) -> UnaryOutput<Resp> {
        let config = &self.inner.config;
        let target = self.target();
        let path = target.path(call.method);
        let writer = target.writer(call, &path);
        let mut request = buffers::take(config.buffer_size);
        let written = write(&writer, scratch, &mut request);
        let result = written.and_then(|()| self.connection(&call.bounds));
        let conn = match result {
            Ok(c) => c,
            Err(e) => {
                buffers::give(request, config.buffer_size);
                return UnaryOutput::failed(e);
            }
        };
        let mut ex = self.exchange(conn, &call.bounds);
        let mut unary = UnaryCall::new(
            config.requester(if get { Shape::Get } else { Shape::Unary }),
            config.max_message_size,
        );
        let write_error = ex.send(&request, &call.bounds).err();
        buffers::give(request, config.buffer_size);
        if let Some(e) = write_error.as_ref().filter(|e| stopped(e)) {
            let e = e.clone();
            self.release(ex, false);
            return UnaryOutput::failed(e);
        }
        unary.sent(write_error);
        while let Need::Read { waiting, fresh } = unary.next(&mut ex.reader) {
            if let Err(e) = ex.receive(&call.bounds, waiting, fresh) {
                unary.failed(e);
            }
        }
        let (out, reusable) =
            unary_outcome::<Resp>(unary, &mut ex.reader, config, &mut scratch.plain);
        let reusable = reusable && ex.reusable();
        self.release(ex, reusable);
        out
    }

    fn stream_call<'r, Req, Resp, I>(
        &self,
        call: &mut CallState,
        requests: I,
    ) -> BlockingStream<Resp>
    where
        Req: Message<'r> + 'r,
        Resp: OwnedMessage,
        I: IntoIterator,
        I::Item: Borrow<Req>,
    {
        let config = self.inner.config.clone();
        let conn = match self.connection(&call.bounds) {
            Ok(c) => c,
            Err(e) => return BlockingStream::failed(call.take(), self.inner.clone(), e),
        };
        let mut ex = self.exchange(conn, &call.bounds);
        let target = self.target();
        let path = target.path(call.method);
        let mut scratch = buffers::take_scratch();
        let mut wbuf = buffers::take(config.buffer_size);
        let mut start = StreamCall::new(config.requester(Shape::Stream), config.max_stream_body);
        let (encode_error, write_error) = {
            let writer = target.writer(call, &path);
            let mut failed = start.write_head(&writer, &mut wbuf).err();
            let mut write_error = None;
            for req in requests {
                if failed.is_some() {
                    break;
                }
                match with_codecs(|c| {
                    start.write_message(&writer, &mut wbuf, &mut scratch, c, req.borrow())
                }) {
                    Ok(false) => {}
                    // Large streams go out as they are encoded.
                    Ok(true) => {
                        write_error = ex.conn.write_all(&wbuf, &call.bounds).err();
                        wbuf.clear();
                    }
                    Err(e) => failed = Some(e),
                }
                if write_error.is_some() {
                    break;
                }
            }
            if failed.is_none() && write_error.is_none() {
                start.write_end(&writer, &mut wbuf);
                write_error = ex.send(&wbuf, &call.bounds).err();
            }
            (failed, write_error)
        };
        buffers::give_scratch(scratch);
        buffers::give(wbuf, config.buffer_size);
        call.sent = start.messages();
        if let Some(e) = encode_error {
            self.release(ex, false);
            return BlockingStream::failed(call.take(), self.inner.clone(), e);
        }
        if let Some(e) = write_error.as_ref().filter(|e| stopped(e)) {
            let e = e.clone();
            self.release(ex, false);
            return BlockingStream::failed(call.take(), self.inner.clone(), e);
        }
        start.sent(write_error);
        while let Need::Read { waiting, fresh } = start.next(&mut ex.reader) {
            if let Err(e) = ex.receive(&call.bounds, waiting, fresh) {
                start.failed(e);
            }
        }
        match start.open() {
            Ok((headers, compression)) => {
                BlockingStream::new(call.take(), self.inner.clone(), headers, ex, compression)
            }
            Err((e, headers)) => {
                self.release(ex, false);
                let mut out = BlockingStream::failed(call.take(), self.inner.clone(), e);
                out.set_headers(headers);
                out
            }
        }
    }
}
