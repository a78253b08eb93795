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

use connect_wire::client::{Decoding, RequestWriter, Scratch, Verdict};
use connect_wire::service::MethodDescriptor;
use connect_wire::{Code, ConnectError, Message, OwnedMessage, client as wire};
use http::{HeaderMap, Method};
pub use stream::BlockingStream;

use self::conn::{Conn, Exchange};
use self::shared::Shared;
use crate::buffers;
use crate::client::{
    Bounds, CallOptions, CallState, ClientConfig, Origin, Scheme, Target, UnaryOutput, stopped,
    with_metadata,
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
        if !config.send_compression.is_available() {
            return Err(ConnectError::new(
                Code::InvalidArgument,
                format!("compression {} is not compiled in", config.send_compression),
            ));
        }
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
        let get = config.use_get && method.allows_get();
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
        let write_error = ex.send(&request, &call.bounds).err();
        buffers::give(request, config.buffer_size);
        if let Some(e) = write_error.as_ref().filter(|e| stopped(e)) {
            let e = e.clone();
            self.release(ex, false);
            return UnaryOutput::failed(e);
        }
        let method = if get { Method::GET } else { Method::POST };
        let max_body = (config.max_message_size as u64).saturating_add(64 << 10);
        if let Err(e) = ex.read_head(&call.bounds, &method, max_body) {
            self.release(ex, false);
            return UnaryOutput::failed(write_error.unwrap_or(e));
        }
        let (headers, trailers) =
            wire::response_metadata(ex.reader.head(), ex.reader.head_bytes(), true);
        let verdict = wire::classify_unary(ex.reader.head(), ex.reader.head_bytes(), config.codec);
        let result = if let Verdict::Fail(e) = verdict {
            Err(e)
        } else {
            ex.read_body(&call.bounds).and_then(|()| {
                let decoding = Decoding {
                    codec: config.codec,
                    limit: config.max_message_size,
                    json: &config.json,
                };
                let plain = &mut scratch.plain;
                with_codecs(|c| {
                    ex.reader
                        .unary_outcome::<Resp>(&verdict, decoding, plain, c)
                })
            })
        };
        let reusable = result.is_ok() && ex.reusable(&method);
        self.release(ex, reusable);
        let result = result.map_err(|e| with_metadata(e, &headers, &trailers));
        UnaryOutput {
            headers,
            result,
            trailers,
        }
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
        let (sent, outcome) = {
            let writer = target.writer(call, &path);
            write_stream_request::<Req, I>(
                &writer,
                &mut ex,
                &mut wbuf,
                &mut scratch,
                requests,
                &call.bounds,
            )
        };
        buffers::give_scratch(scratch);
        buffers::give(wbuf, config.buffer_size);
        call.sent = sent;
        let write_error = match outcome {
            WriteOutcome::Sent => None,
            WriteOutcome::WriteFailed(e) => Some(e),
            WriteOutcome::EncodeFailed(e) => {
                self.release(ex, false);
                return BlockingStream::failed(call.take(), self.inner.clone(), e);
            }
        };
        if let Some(e) = write_error.as_ref().filter(|e| stopped(e)) {
            let e = e.clone();
            self.release(ex, false);
            return BlockingStream::failed(call.take(), self.inner.clone(), e);
        }
        if let Err(e) = ex.read_head(&call.bounds, &Method::POST, config.max_stream_body) {
            self.release(ex, false);
            return BlockingStream::failed(
                call.take(),
                self.inner.clone(),
                write_error.unwrap_or(e),
            );
        }
        let (headers, _) = wire::response_metadata(ex.reader.head(), ex.reader.head_bytes(), false);
        let e = match wire::classify_stream(ex.reader.head(), ex.reader.head_bytes(), config.codec)
        {
            Verdict::Accept(compression) => {
                return BlockingStream::new(
                    call.take(),
                    self.inner.clone(),
                    headers,
                    ex,
                    compression,
                );
            }
            Verdict::Fail(e) => e,
            Verdict::ErrorBody(_) => {
                ConnectError::new(Code::Internal, "unexpected stream error body")
            }
        };
        self.release(ex, false);
        let e = with_metadata(e, &headers, &HeaderMap::new());
        let mut out = BlockingStream::failed(call.take(), self.inner.clone(), e);
        out.set_headers(headers);
        out
    }
}

enum WriteOutcome {
    Sent,
    /// The connection failed while sending: the server may still have answered.
    WriteFailed(ConnectError),
    /// A message would not encode: nothing more is sent.
    EncodeFailed(ConnectError),
}

/// Writes a streaming request: head, every message (sent in 64 KiB batches), the end.
fn write_stream_request<'r, Req, I>(
    writer: &RequestWriter<'_>,
    ex: &mut Exchange,
    wbuf: &mut Vec<u8>,
    scratch: &mut Scratch,
    requests: I,
    bounds: &Bounds,
) -> (u64, WriteOutcome)
where
    Req: Message<'r> + 'r,
    I: IntoIterator,
    I::Item: Borrow<Req>,
{
    if let Err(e) = writer.stream_head(wbuf) {
        return (0, WriteOutcome::EncodeFailed(e));
    }
    let mut sent = 0;
    for req in requests {
        if let Err(e) = with_codecs(|c| writer.stream_message(wbuf, scratch, c, req.borrow())) {
            return (sent, WriteOutcome::EncodeFailed(e));
        }
        sent += 1;
        if wbuf.len() >= 64 << 10 {
            if let Err(e) = ex.conn.write_all(wbuf, bounds) {
                return (sent, WriteOutcome::WriteFailed(e));
            }
            wbuf.clear();
        }
    }
    writer.end_stream(wbuf);
    match ex.send(wbuf, bounds) {
        Ok(()) => (sent, WriteOutcome::Sent),
        Err(e) => (sent, WriteOutcome::WriteFailed(e)),
    }
}
