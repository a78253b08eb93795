//! The async client on monoio.

use std::rc::Rc;
use std::sync::Arc;

use connect_wire::client::{Need, RequestWriter, Scratch, StreamCall, UnaryCall};
use connect_wire::protocol::Shape;
use connect_wire::service::MethodDescriptor;
use connect_wire::{ConnectError, Message, OwnedMessage};

use super::conn::{Conn, Exchange, run_bounded};
use super::connector::{self, Connector, DefaultConnector};
use super::pool::Pool;
use super::stream::StreamOutput;
use super::{
    Bounds, CallOptions, CallState, ClientConfig, Origin, Target, UnaryOutput, stopped,
    unary_outcome,
};
use crate::buffers;
use crate::codecs::with_codecs;

struct Inner<C> {
    config: Arc<ClientConfig>,
    origin: Origin,
    accept: String,
    connector: C,
    pool: Rc<Pool>,
}

/// The async Connect client for one base URL: HTTP/1.1 (TLS for `https://`), keep-alive
/// connections pooled per client, no locks. Clones share the pool; `!Send` (a client lives
/// on its thread, like the runtime). Build one per thread from a shared [`ClientConfig`].
pub struct Client<C: Connector = DefaultConnector> {
    inner: Rc<Inner<C>>,
}

impl<C: Connector> Clone for Client<C> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
        }
    }
}

impl<C: Connector> std::fmt::Debug for Client<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("origin", &self.inner.origin)
            .field("idle", &self.inner.pool.len())
            .finish_non_exhaustive()
    }
}

impl Client<DefaultConnector> {
    /// A client for `base_url` (`http://host:port[/prefix]` or `https://…`) connecting with
    /// TCP and rustls.
    pub fn new(base_url: &str, config: ClientConfig) -> Result<Self, ConnectError> {
        let connector = DefaultConnector::new(config.tls_config());
        Self::with_connector(base_url, config, connector)
    }
}

impl<C: Connector> Client<C> {
    /// A client for `base_url` whose connections `connector` opens.
    pub fn with_connector(
        base_url: &str,
        config: ClientConfig,
        connector: C,
    ) -> Result<Self, ConnectError> {
        let origin = Origin::parse(base_url)?;
        config.check()?;
        let accept = config.accept_header();
        let pool = Rc::new(Pool::new(&config));
        Ok(Client {
            inner: Rc::new(Inner {
                config: Arc::new(config),
                origin,
                accept,
                connector,
                pool,
            }),
        })
    }

    /// The client's configuration.
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The base URL's origin.
    #[must_use]
    pub fn origin(&self) -> &Origin {
        &self.inner.origin
    }

    /// How many idle keep-alive connections this client holds on this thread.
    #[must_use]
    pub fn idle_connections(&self) -> usize {
        self.inner.pool.len()
    }

    /// A unary call (POST, or GET for `NO_SIDE_EFFECTS` methods when the client is
    /// configured for it).
    pub async fn unary<'r, Req, Resp>(
        &self,
        method: &'static MethodDescriptor,
        request: &Req,
        options: CallOptions,
    ) -> UnaryOutput<Resp>
    where
        Req: Message<'r>,
        Resp: OwnedMessage,
    {
        let shape = self.inner.config.unary_shape(method);
        let mut call = self.start(method, options);
        if let Err(e) = call.intercept(&self.inner.config) {
            return call.finish_unary(&self.inner.config, UnaryOutput::failed(e));
        }
        let out = self
            .unary_like(&call, shape, |w, scratch, out| {
                with_codecs(|c| w.unary(out, scratch, c, request, shape == Shape::Get))
            })
            .await;
        call.finish_unary(&self.inner.config, out)
    }

    /// A client-streaming call: sends every message of `requests`, then reads the one
    /// response. A response with no message or more than one is `unimplemented`.
    pub async fn client_stream<'r, Req, Resp, I>(
        &self,
        method: &'static MethodDescriptor,
        requests: I,
        options: CallOptions,
    ) -> UnaryOutput<Resp>
    where
        Req: Message<'r> + 'r,
        Resp: OwnedMessage,
        I: IntoIterator,
        I::Item: std::borrow::Borrow<Req>,
    {
        let mut call = self.start(method, options);
        if let Err(e) = call.intercept(&self.inner.config) {
            return call.finish_unary(&self.inner.config, UnaryOutput::failed(e));
        }
        let mut stream = self.stream_call::<Req, Resp, I>(&mut call, requests).await;
        stream.collect_one().await
    }

    /// A server-streaming call: sends the request, then the response messages arrive
    /// through the returned stream.
    pub async fn server_stream<'r, Req, Resp>(
        &self,
        method: &'static MethodDescriptor,
        request: &Req,
        options: CallOptions,
    ) -> StreamOutput<Resp>
    where
        Req: Message<'r> + 'r,
        Resp: OwnedMessage,
    {
        self.bidi_stream::<Req, Resp, _>(method, std::iter::once(request), options)
            .await
    }

    /// A (half-duplex) bidirectional call: sends every message of `requests`, then the
    /// response messages arrive through the returned stream.
    pub async fn bidi_stream<'r, Req, Resp, I>(
        &self,
        method: &'static MethodDescriptor,
        requests: I,
        options: CallOptions,
    ) -> StreamOutput<Resp>
    where
        Req: Message<'r> + 'r,
        Resp: OwnedMessage,
        I: IntoIterator,
        I::Item: std::borrow::Borrow<Req>,
    {
        let mut call = self.start(method, options);
        if let Err(e) = call.intercept(&self.inner.config) {
            return StreamOutput::failed(call, self.inner.config.clone(), e);
        }
        self.stream_call::<Req, Resp, I>(&mut call, requests).await
    }

    fn start(&self, method: &'static MethodDescriptor, options: CallOptions) -> CallState {
        CallState::new(method, options, &self.inner.config)
    }

    fn target(&self) -> Target<'_> {
        Target {
            config: &self.inner.config,
            origin: &self.inner.origin,
            accept: &self.inner.accept,
        }
    }

    /// A pooled connection, or a new one.
    async fn connection(&self, bounds: &Bounds) -> Result<Conn, ConnectError> {
        if let Some(c) = self.inner.pool.take() {
            return Ok(c);
        }
        // Bounded by the connect timeout (and the deadline), not by an earlier wait.
        bounds.begin();
        let connect = connector::connect_with_timeout(
            &self.inner.connector,
            &self.inner.origin,
            self.inner.config.connect_timeout,
        );
        match run_bounded(bounds, connect).await {
            Ok(r) => r.map(Conn::new),
            Err(stop) => Err(stop.error("connecting")),
        }
    }

    fn exchange(&self, conn: Conn) -> Exchange {
        let config = &self.inner.config;
        // A reused connection's read buffer is in the read posted on it.
        let rbuf = if conn.has_posted_read() {
            Vec::new()
        } else {
            buffers::take(config.buffer_size)
        };
        Exchange::new(
            conn,
            rbuf,
            buffers::take(config.buffer_size),
            config.http,
            config.max_message_size.saturating_add(64 << 10),
        )
    }

    fn release(&self, ex: Exchange, reusable: bool) {
        let size = self.inner.config.buffer_size;
        let (conn, rbuf, wbuf) = ex.into_parts();
        buffers::give(wbuf, size);
        if reusable {
            self.inner.pool.give(conn, rbuf);
        } else {
            buffers::give(rbuf, size);
        }
    }

    /// Writes the request. A write that fails with the connection reset (the server
    /// answered early, then closed) still lets the caller read the response.
    async fn send(ex: &mut Exchange, bounds: &Bounds) -> Result<(), ConnectError> {
        ex.write(bounds).await?;
        ex.request_sent = true;
        Ok(())
    }

    async fn unary_like<Resp: OwnedMessage>(
        &self,
        call: &CallState,
        shape: Shape,
        write: impl FnOnce(&RequestWriter<'_>, &mut Scratch, &mut Vec<u8>) -> Result<(), ConnectError>,
    ) -> UnaryOutput<Resp> {
        let target = self.target();
        let path = target.path(call.method);
        let writer = target.writer(call, &path);
        let mut scratch = buffers::take_scratch();
        let out = self
            .unary_exchange(call, shape, &writer, &mut scratch, write)
            .await;
        buffers::give_scratch(scratch);
        out
    }

    async fn unary_exchange<Resp: OwnedMessage>(
        &self,
        call: &CallState,
        shape: Shape,
        writer: &RequestWriter<'_>,
        scratch: &mut Scratch,
        write: impl FnOnce(&RequestWriter<'_>, &mut Scratch, &mut Vec<u8>) -> Result<(), ConnectError>,
    ) -> UnaryOutput<Resp> {
        let config = &self.inner.config;
        let mut request = buffers::take(config.buffer_size);
        if let Err(e) = write(writer, scratch, &mut request) {
            buffers::give(request, config.buffer_size);
            return UnaryOutput::failed(e);
        }
        let conn = match self.connection(&call.bounds).await {
            Ok(c) => c,
            Err(e) => {
                buffers::give(request, config.buffer_size);
                return UnaryOutput::failed(e);
            }
        };
        let mut ex = self.exchange(conn);
        std::mem::swap(&mut ex.wbuf, &mut request);
        buffers::give(request, config.buffer_size);
        let mut unary = UnaryCall::new(config.requester(shape), config.max_message_size);
        let write_error = Self::send(&mut ex, &call.bounds).await.err();
        if let Some(e) = write_error.as_ref().filter(|e| stopped(e)) {
            let e = e.clone();
            self.release(ex, false);
            return UnaryOutput::failed(e);
        }
        unary.sent(write_error);
        while let Need::Read { waiting, fresh } = unary.next(&mut ex.reader) {
            if let Err(e) = ex.receive(&call.bounds, waiting, fresh).await {
                unary.failed(e);
            }
        }
        let (out, reusable) =
            unary_outcome::<Resp>(unary, &mut ex.reader, config, &mut scratch.plain);
        let reusable = reusable && ex.reusable();
        self.release(ex, reusable);
        out
    }

    async fn stream_call<'r, Req, Resp, I>(
        &self,
        call: &mut CallState,
        requests: I,
    ) -> StreamOutput<Resp>
    where
        Req: Message<'r> + 'r,
        Resp: OwnedMessage,
        I: IntoIterator,
        I::Item: std::borrow::Borrow<Req>,
    {
        use std::borrow::Borrow;
        let config = self.inner.config.clone();
        let target = self.target();
        let path = target.path(call.method);
        let conn = match self.connection(&call.bounds).await {
            Ok(c) => c,
            Err(e) => return StreamOutput::failed(call.take(), config, e),
        };
        let mut ex = self.exchange(conn);
        let mut scratch = buffers::take_scratch();
        let mut start = StreamCall::new(config.requester(Shape::Stream), config.max_stream_body);
        let (encode_error, write_error) = {
            let writer = target.writer(call, &path);
            let mut failed = start.write_head(&writer, &mut ex.wbuf).err();
            let mut write_error = None;
            for req in requests {
                if failed.is_some() {
                    break;
                }
                match with_codecs(|c| {
                    start.write_message(&writer, &mut ex.wbuf, &mut scratch, c, req.borrow())
                }) {
                    Ok(false) => {}
                    // Large streams go out as they are encoded.
                    Ok(true) => write_error = ex.write(&call.bounds).await.err(),
                    Err(e) => failed = Some(e),
                }
                if write_error.is_some() {
                    break;
                }
            }
            if failed.is_none() && write_error.is_none() {
                start.write_end(&writer, &mut ex.wbuf);
                write_error = Self::send(&mut ex, &call.bounds).await.err();
            }
            (failed, write_error)
        };
        buffers::give_scratch(scratch);
        call.sent = start.messages();
        if let Some(e) = encode_error {
            // A message that would not encode: the request is cut short, the connection
            // closed.
            self.release(ex, false);
            return StreamOutput::failed(call.take(), config, e);
        }
        if let Some(e) = write_error.as_ref().filter(|e| stopped(e)) {
            let e = e.clone();
            self.release(ex, false);
            return StreamOutput::failed(call.take(), config, e);
        }
        start.sent(write_error);
        while let Need::Read { waiting, fresh } = start.next(&mut ex.reader) {
            if let Err(e) = ex.receive(&call.bounds, waiting, fresh).await {
                start.failed(e);
            }
        }
        match start.open() {
            Ok((headers, compression)) => StreamOutput::new(
                call.take(),
                config,
                headers,
                ex,
                compression,
                self.inner.pool.clone(),
            ),
            Err((e, headers)) => {
                self.release(ex, false);
                let mut out = StreamOutput::failed(call.take(), config, e);
                out.set_headers(headers);
                out
            }
        }
    }
}
