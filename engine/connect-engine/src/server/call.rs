//! One RPC on a connection: what generated service code receives ([`Call`]) and what
//! handlers see ([`Request`], [`Response`], [`RequestStream`], [`ResponseStream`]).
//!
//! Unary calls never touch the socket while the handler runs: the body has been read
//! before, the request message borrows the read buffer, and the response is rendered into
//! the write buffer, which the connection flushes afterwards. Streaming calls read and write
//! through the connection's two halves.

use std::future::Future;
use std::marker::PhantomData;
use std::time::{Duration, Instant};

use connect_wire::code::Code;
use connect_wire::codec::{Codec, CodecError};
use connect_wire::compression::{Compression, DecompressError};
use connect_wire::envelope::{Decoded, EnvelopeDecoder, PREFIX_LEN};
use connect_wire::http1::{BodyDecoder, DecodeBody, Http1Error, RequestHead};
use connect_wire::server::{Negotiated, Shape};
use connect_wire::service::MethodDescriptor;
use connect_wire::{ConnectError, JsonOptions, Message, MessageType, get, stream, unary};
use http::HeaderMap;

use super::conn::Conn;
use crate::codecs::with_codecs;
use crate::transport::{ReadError, read_more};
use connect_wire::http1::decode_buffered as decode_raw;

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
    /// The codec in use.
    pub codec: Codec,
    /// The client's timeout (`Connect-Timeout-Ms`), if any.
    pub timeout: Option<Duration>,
    /// When the server gives up on the call (from the timeout).
    pub deadline: Option<Instant>,
}

/// A unary request (or the single request of a server stream): the message and the call's
/// metadata. The message may borrow the connection's read buffer.
#[derive(Debug)]
pub struct Request<'c, M> {
    /// The request message.
    pub message: M,
    info: CallInfo<'c>,
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

/// Runs a handler future until the call's deadline; past it, the result is
/// `deadline_exceeded` and the future is dropped.
pub async fn with_deadline<T, F>(deadline: Option<Instant>, fut: F) -> Result<T, ConnectError>
where
    F: Future<Output = Result<T, ConnectError>>,
{
    match deadline {
        None => fut.await,
        Some(d) => match monoio::time::timeout_at(monoio::time::Instant::from_std(d), fut).await {
            Ok(r) => r,
            Err(_) => Err(ConnectError::new(
                Code::DeadlineExceeded,
                "deadline exceeded",
            )),
        },
    }
}

/// Runs a handler future as generated services do: until the call's deadline (see
/// [`with_deadline`]), with panics caught. A handler that panics fails its call with
/// `internal` (the panic message is logged with the procedure, not sent to the client);
/// the thread and its other connections keep serving. Under `panic = "abort"` the process
/// aborts instead: nothing can be caught.
pub async fn run_handler<T, F>(
    method: &'static MethodDescriptor,
    deadline: Option<Instant>,
    fut: F,
) -> Result<T, ConnectError>
where
    F: Future<Output = Result<T, ConnectError>>,
{
    with_deadline(deadline, async {
        match super::guard::catch_unwind_future(fut).await {
            Ok(result) => result,
            Err(payload) => {
                tracing::error!(
                    procedure = method.path,
                    panic = super::guard::panic_message(&*payload),
                    "handler panicked"
                );
                Err(ConnectError::new(Code::Internal, "handler panicked"))
            }
        }
    })
    .await
}

fn marshal_error(e: &CodecError) -> ConnectError {
    ConnectError::new(Code::Internal, format!("marshal response: {e}"))
}

fn codec_error(e: &CodecError) -> ConnectError {
    // Over the decoding memory budget is a size problem, like an oversized message.
    let code = match e {
        CodecError::Binary(connect_wire::DecodeError::MemoryLimit) => Code::ResourceExhausted,
        CodecError::Json(j) if j.kind() == connect_wire::json::JsonErrorKind::MemoryLimit => {
            Code::ResourceExhausted
        }
        _ => Code::InvalidArgument,
    };
    ConnectError::new(code, format!("unmarshal request: {e}"))
}

pub(crate) fn decompress_error(e: DecompressError) -> ConnectError {
    ConnectError::new(e.server_code(), format!("decompress request: {e}"))
}

/// A request message over the message size limit (`max_message_size`).
pub(crate) fn message_too_large(limit: usize) -> ConnectError {
    ConnectError::new(
        Code::ResourceExhausted,
        format!("request message exceeds the message size limit of {limit} bytes"),
    )
}

/// A body framing error; for a request body over `max_body_size` (the limit on a whole body,
/// all of a stream's messages together), a message naming that limit.
pub(crate) fn http_body_error(e: Http1Error, max_body: u64) -> ConnectError {
    match e {
        Http1Error::BodyTooLarge => ConnectError::new(
            Code::ResourceExhausted,
            format!("request body exceeds the body size limit of {max_body} bytes"),
        ),
        other => ConnectError::new(Code::InvalidArgument, format!("request body: {other}")),
    }
}

/// One call on a connection, handed by the router to a generated service's
/// [`Service::call`](super::Service::call). Generated code turns it into typed requests with
/// [`unary`](Call::unary), [`client_stream`](Call::client_stream),
/// [`server_stream`](Call::server_stream) or [`bidi_stream`](Call::bidi_stream).
pub struct Call<'c> {
    conn: &'c mut Conn,
    method: &'static MethodDescriptor,
    neg: Negotiated,
    deadline: Option<Instant>,
}

impl<'c> Call<'c> {
    pub(crate) fn new(
        conn: &'c mut Conn,
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
            _ => {
                conn.read_unary_body(neg.request_compression, deadline)
                    .await
            }
        };
        let Conn {
            rbuf,
            wbuf,
            head,
            scratch,
            scratch2,
            json,
            close,
            head_len,
            body_end,
            ..
        } = conn;
        let json: &'c JsonOptions = json;
        let reply = UnaryReply {
            out: wbuf,
            scratch: scratch2,
            codec: neg.codec,
            compression: neg.response_compression,
            json,
            close,
            deadline,
        };
        let location = match loaded {
            Ok(l) => l,
            Err(e) => {
                reply.error(&e);
                return None;
            }
        };
        let (head_bytes, rest) = rbuf.split_at_mut(*head_len);
        let bytes: &'c mut [u8] = match location {
            MessageAt::Body => &mut rest[..*body_end - *head_len],
            MessageAt::Scratch => &mut scratch[..],
        };
        let info = CallInfo {
            headers: RequestHeaders::new(head, head_bytes),
            method,
            codec: neg.codec,
            timeout: neg.timeout,
            deadline,
        };
        match neg.codec.decode::<Req>(bytes, json) {
            Ok(message) => Some((Request { message, info }, reply)),
            Err(e) => {
                reply.error(&codec_error(&e));
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
                requests.src.pinned = true;
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
        let RequestStream { src, info, .. } = requests;
        let json = src.json;
        let codec = info.codec;
        let bytes = src.into_frame(first);
        match codec.decode::<Req>(bytes, json) {
            Ok(message) => Some((Request { message, info }, responses)),
            Err(e) => {
                responses.fail(codec_error(&e)).await;
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
        conn.begin_stream_body();
        let Conn {
            r,
            w,
            rbuf,
            wbuf,
            head,
            head_copy,
            scratch,
            scratch2,
            json,
            close,
            body,
            max_message,
            body_end,
            io_timeout,
            limits,
            ..
        } = conn;
        let json: &'c JsonOptions = json;
        let framing = stream::Framing::for_minor_version(head.version_minor());
        if framing == stream::Framing::Raw {
            // The response body ends when the connection closes.
            *close = true;
        }
        let info = CallInfo {
            headers: RequestHeaders::new(head, head_copy),
            method,
            codec: neg.codec,
            timeout: neg.timeout,
            deadline,
        };
        let src = StreamSource {
            r,
            buf: rbuf,
            body,
            pos: 0,
            data_end: body_end,
            envelopes: EnvelopeDecoder::new(*max_message),
            compression: neg.request_compression,
            scratch,
            max_message: *max_message,
            json,
            io_timeout: *io_timeout,
            deadline,
            max_body: limits.max_body_size,
            pinned: false,
        };
        let requests = RequestStream {
            src,
            info,
            _t: PhantomData,
        };
        let responses = ResponseStream {
            w,
            out: wbuf,
            scratch: scratch2,
            codec: neg.codec,
            compression: neg.response_compression,
            json,
            headers: HeaderMap::new(),
            trailers: HeaderMap::new(),
            head_sent: false,
            framing,
            flushed: false,
            encoding: None,
            close,
            deadline,
            io_timeout: *io_timeout,
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
            let Conn {
                wbuf,
                scratch2,
                json,
                close,
                ..
            } = self.conn;
            let reply = UnaryReply {
                out: wbuf,
                scratch: scratch2,
                codec: self.neg.codec,
                compression: Compression::Identity,
                json,
                close,
                deadline: None,
            };
            reply.error(&err);
        }
    }
}

/// Where a loaded unary message lies.
pub(crate) enum MessageAt {
    /// In the read buffer, right after the head.
    Body,
    /// In the connection's scratch buffer (decompressed, or decoded from a GET query).
    Scratch,
}

/// The response side of a unary call: renders into the connection's write buffer.
pub struct UnaryReply<'c> {
    out: &'c mut Vec<u8>,
    scratch: &'c mut Vec<u8>,
    codec: Codec,
    compression: Compression,
    json: &'c JsonOptions,
    close: &'c mut bool,
    deadline: Option<Instant>,
}

impl UnaryReply<'_> {
    /// When the call's deadline passes, if it has one.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Renders the handler's result.
    pub fn send<'m, M: Message<'m>>(self, result: Result<Response<M>, ConnectError>) {
        match result {
            Ok(resp) => self.success(&resp),
            Err(e) => self.error(&e),
        }
    }

    fn success<'m, M: Message<'m>>(mut self, resp: &Response<M>) {
        let start = self.out.len();
        if let Err(e) = self.render(resp) {
            self.out.truncate(start);
            unary::write_error_response(
                self.out,
                &e,
                &HeaderMap::new(),
                &HeaderMap::new(),
                *self.close,
            );
        }
    }

    /// Writes the head with a content-length placeholder, then the body straight after it
    /// (encoded in place, or compressed from scratch), then patches the length.
    fn render<'m, M: Message<'m>>(&mut self, resp: &Response<M>) -> Result<(), ConnectError> {
        let (codec, compression, close) = (self.codec, self.compression, *self.close);
        if compression == Compression::Identity {
            let cl = unary::write_success_head_open(
                self.out,
                codec,
                compression,
                &resp.headers,
                &resp.trailers,
                close,
            );
            let body = self.out.len();
            codec
                .encode(&resp.message, self.out, self.json)
                .map_err(|e| marshal_error(&e))?;
            let len = self.out.len() - body;
            unary::patch_content_length(self.out, cl, len);
        } else {
            self.scratch.clear();
            codec
                .encode(&resp.message, self.scratch, self.json)
                .map_err(|e| marshal_error(&e))?;
            let cl = unary::write_success_head_open(
                self.out,
                codec,
                compression,
                &resp.headers,
                &resp.trailers,
                close,
            );
            let body = self.out.len();
            let (input, out) = (&*self.scratch, &mut *self.out);
            with_codecs(|c| c.compress(compression, input, out)).map_err(|e| {
                ConnectError::new(Code::Internal, format!("compress response: {e}"))
            })?;
            let len = self.out.len() - body;
            unary::patch_content_length(self.out, cl, len);
        }
        Ok(())
    }

    fn error(self, err: &ConnectError) {
        unary::write_error_response(
            self.out,
            err,
            &HeaderMap::new(),
            &HeaderMap::new(),
            *self.close,
        );
    }
}

/// A message type standing for "not decoded yet" (server-stream requests are decoded once
/// counted).
pub(crate) struct RawMessage;

/// Reads envelopes from a request body as the handler asks for them.
pub(crate) struct StreamSource<'c> {
    r: &'c mut crate::transport::ReadHalf,
    /// The body (see `body.rs`): `[pos..*data_end]` is decoded data not yet consumed.
    buf: &'c mut Vec<u8>,
    body: &'c mut BodyDecoder,
    pos: usize,
    data_end: &'c mut usize,
    envelopes: EnvelopeDecoder,
    compression: Compression,
    scratch: &'c mut Vec<u8>,
    max_message: usize,
    json: &'c JsonOptions,
    /// How long one read may wait.
    io_timeout: std::time::Duration,
    /// The call's deadline: reading the request stops there too.
    deadline: Option<Instant>,
    /// The body size limit (for error messages; the body decoder enforces it).
    max_body: u64,
    /// A frame returned earlier is still in use: keep consumed bytes (no compaction).
    pinned: bool,
}

/// Where the payload of the current frame lies.
pub(crate) enum FrameAt {
    Buf(std::ops::Range<usize>),
    Scratch,
}

impl<'c> StreamSource<'c> {
    /// Advances to the next message; `Ok(None)` at the end of the body.
    async fn next_frame(&mut self) -> Result<Option<FrameAt>, ConnectError> {
        loop {
            let avail = &self.buf[self.pos..*self.data_end];
            match self.envelopes.decode(avail) {
                Ok(Decoded::Frame(f)) => {
                    let payload = self.pos + f.payload.start..self.pos + f.payload.end;
                    self.pos += f.consumed();
                    if f.is_end_stream() {
                        return Err(ConnectError::new(
                            Code::InvalidArgument,
                            "protocol error: end-stream message in a request",
                        ));
                    }
                    if !f.is_compressed() {
                        return Ok(Some(FrameAt::Buf(payload)));
                    }
                    if self.compression == Compression::Identity {
                        return Err(ConnectError::new(
                            Code::Internal,
                            "protocol error: compressed message without a compression encoding",
                        ));
                    }
                    self.scratch.clear();
                    let (input, out, alg, max) = (
                        &self.buf[payload],
                        &mut *self.scratch,
                        self.compression,
                        self.max_message,
                    );
                    with_codecs(|c| c.decompress(alg, input, out, max))
                        .map_err(decompress_error)?;
                    return Ok(Some(FrameAt::Scratch));
                }
                Ok(Decoded::Incomplete { .. }) => {
                    if self.body.is_done() {
                        return if avail.is_empty() {
                            Ok(None)
                        } else {
                            Err(ConnectError::new(
                                Code::InvalidArgument,
                                "protocol error: incomplete envelope",
                            ))
                        };
                    }
                    self.fill().await?;
                }
                Err(e) => return Err(ConnectError::new(e.server_code(), format!("request: {e}"))),
            }
        }
    }

    /// Whether another message follows: true once its envelope prefix has arrived (and is
    /// valid), false at a clean end of the body. Its payload is not waited for.
    async fn another_message(&mut self) -> Result<bool, ConnectError> {
        loop {
            let avail = &self.buf[self.pos..*self.data_end];
            if avail.len() >= PREFIX_LEN {
                return match self.envelopes.decode(avail) {
                    Ok(_) => Ok(true),
                    Err(e) => Err(ConnectError::new(e.server_code(), format!("request: {e}"))),
                };
            }
            if self.body.is_done() {
                return if avail.is_empty() {
                    Ok(false)
                } else {
                    Err(ConnectError::new(
                        Code::InvalidArgument,
                        "protocol error: incomplete envelope",
                    ))
                };
            }
            self.fill().await?;
        }
    }

    /// Reads more of the body: drops consumed messages, decodes raw bytes already read, and
    /// reads from the socket when that was not enough.
    async fn fill(&mut self) -> Result<(), ConnectError> {
        if self.pos > 0 && !self.pinned {
            self.buf.drain(..self.pos);
            *self.data_end -= self.pos;
            self.pos = 0;
        }
        if decode_raw(self.buf, self.body, self.data_end)
            .map_err(|e| http_body_error(e, self.max_body))?
        {
            return Ok(());
        }
        let max = self.max_message.saturating_add(64 * 1024);
        let mut deadline = Instant::now() + self.io_timeout;
        if let Some(d) = self.deadline {
            deadline = deadline.min(d);
        }
        match read_more(
            self.r,
            self.buf,
            max,
            monoio::time::Instant::from_std(deadline),
        )
        .await
        {
            Ok(_) => {
                decode_raw(self.buf, self.body, self.data_end)
                    .map_err(|e| http_body_error(e, self.max_body))?;
                Ok(())
            }
            // The buffer holds one message (at most the limit) and framing: only a message
            // still in use while the next one is read can fill it.
            Err(ReadError::Full) => Err(message_too_large(self.max_message)),
            Err(ReadError::Eof) => Err(ConnectError::new(
                Code::InvalidArgument,
                "request body ended early",
            )),
            Err(ReadError::Io(e)) => Err(ConnectError::new(
                Code::Unavailable,
                format!("read request: {e}"),
            )),
            Err(ReadError::TimedOut) => Err(ConnectError::new(
                Code::DeadlineExceeded,
                if self.deadline.is_some_and(|d| Instant::now() >= d) {
                    "deadline exceeded while reading the request"
                } else {
                    "request body stalled"
                },
            )),
        }
    }

    fn frame_bytes(&mut self, at: FrameAt) -> &mut [u8] {
        match at {
            FrameAt::Buf(r) => &mut self.buf[r],
            FrameAt::Scratch => &mut self.scratch[..],
        }
    }

    fn into_frame(self, at: FrameAt) -> &'c mut [u8] {
        match at {
            FrameAt::Buf(r) => &mut self.buf[r],
            FrameAt::Scratch => &mut self.scratch[..],
        }
    }
}

/// The request messages of a client-streaming or bidi call, read as the handler asks for
/// them. Each message borrows the read buffer until the next call to
/// [`next`](RequestStream::next).
pub struct RequestStream<'c, T> {
    src: StreamSource<'c>,
    info: CallInfo<'c>,
    _t: PhantomData<T>,
}

impl<'c, T: MessageType> RequestStream<'c, T> {
    /// The next request message, or `None` when the client has sent all of them.
    pub async fn next(&mut self) -> Option<Result<T::Msg<'_>, ConnectError>> {
        let at = match self.src.next_frame().await {
            Ok(Some(at)) => at,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        let codec = self.info.codec;
        let json = self.src.json;
        let bytes = self.src.frame_bytes(at);
        Some(
            codec
                .decode::<T::Msg<'_>>(bytes, json)
                .map_err(|e| codec_error(&e)),
        )
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

/// The response messages of a server-streaming or bidi call.
///
/// Headers go out with the first message (or [`flush`](Self::flush)); trailers with the
/// end of the stream. [`send`](Self::send) writes a message and flushes it to the socket;
/// [`feed`](Self::feed) only buffers it.
pub struct ResponseStream<'c, T> {
    w: &'c mut crate::transport::WriteHalf,
    out: &'c mut Vec<u8>,
    scratch: &'c mut Vec<u8>,
    codec: Codec,
    compression: Compression,
    json: &'c JsonOptions,
    headers: HeaderMap,
    trailers: HeaderMap,
    head_sent: bool,
    /// Chunked, or bare envelopes until close for HTTP/1.0 peers.
    framing: stream::Framing,
    /// Whether anything went out on the socket yet.
    flushed: bool,
    /// Where the message being encoded starts, while it is being encoded: still set when
    /// the encoder panicked, so [`finish`](Self::finish) can cut the partial message.
    encoding: Option<usize>,
    close: &'c mut bool,
    deadline: Option<Instant>,
    /// How long one write may wait.
    io_timeout: std::time::Duration,
    _t: PhantomData<T>,
}

impl<T> ResponseStream<'_, T> {
    /// Response headers; changes after the first message is sent are ignored.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// Response trailers, sent at the end of the stream.
    pub fn trailers_mut(&mut self) -> &mut HeaderMap {
        &mut self.trailers
    }

    /// When the call's deadline passes, if it has one.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    fn ensure_head(&mut self) {
        if !self.head_sent {
            stream::write_stream_head(
                self.out,
                self.codec,
                self.compression,
                &self.headers,
                *self.close,
                self.framing,
            );
            self.head_sent = true;
        }
    }

    fn encode<'m, M: Message<'m>>(&mut self, msg: &M) -> Result<(), ConnectError> {
        self.ensure_head();
        let start = stream::begin_message(self.out, self.framing);
        self.encoding = Some(start.offset());
        let result = if self.compression == Compression::Identity {
            self.codec
                .encode(msg, self.out, self.json)
                .map_err(|e| marshal_error(&e))
        } else {
            self.scratch.clear();
            self.codec
                .encode(msg, self.scratch, self.json)
                .map_err(|e| marshal_error(&e))
                .and_then(|()| {
                    with_codecs(|c| c.compress(self.compression, self.scratch, self.out)).map_err(
                        |e| ConnectError::new(Code::Internal, format!("compress response: {e}")),
                    )
                })
        };
        let result = result.and_then(|()| {
            stream::finish_message(self.out, start, stream::message_flags(self.compression))
                .map_err(|_| {
                    ConnectError::new(Code::ResourceExhausted, "response message too large")
                })
        });
        self.encoding = None;
        if result.is_err() {
            self.out.truncate(start.offset());
        }
        result
    }

    /// Writes buffered bytes to the socket (sending the headers if nothing was sent yet).
    pub async fn flush(&mut self) -> Result<(), ConnectError> {
        self.ensure_head();
        if self.out.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(self.out);
        self.flushed = true;
        let Ok((res, buf)) = monoio::time::timeout(self.io_timeout, self.w.write_all(buf)).await
        else {
            // The write was dropped (the half is now marked interrupted).
            *self.close = true;
            return Err(ConnectError::new(
                Code::Unavailable,
                "write response: timed out",
            ));
        };
        *self.out = buf;
        if let Err(e) = res {
            *self.close = true;
            return Err(ConnectError::new(
                Code::Unavailable,
                format!("write response: {e}"),
            ));
        }
        Ok(())
    }

    /// Ends the stream: with `result`'s error (if any) and the trailers.
    ///
    /// A response of which nothing went out yet stays in the write buffer: the connection
    /// sends it once it has dealt with the rest of the request body, so it can still add
    /// `connection: close` to the head when that body cannot be drained. Sent without it, the
    /// response would invite the client to reuse a connection the server is about to close.
    #[doc(hidden)]
    pub async fn finish(mut self, result: Result<(), ConnectError>) {
        if self.w.is_interrupted() {
            // A write was dropped mid-way (deadline, timeout): the response is cut short and
            // the connection closes; writing the end of the stream now would corrupt it.
            *self.close = true;
            return;
        }
        if let Some(partial) = self.encoding.take() {
            // The handler panicked inside an encoder: drop the half-written message.
            self.out.truncate(partial);
        }
        self.ensure_head();
        stream::write_end(
            self.out,
            self.framing,
            result.as_ref().err(),
            &self.trailers,
        );
        if self.flushed {
            let _ = self.flush().await;
        }
    }

    /// Ends the stream with an error before any handler ran.
    pub(crate) async fn fail(self, err: ConnectError) {
        self.finish(Err(err)).await;
    }
}

impl<T: MessageType> ResponseStream<'_, T> {
    /// Sends a message and flushes it to the client.
    pub async fn send(&mut self, msg: &T::Msg<'_>) -> Result<(), ConnectError> {
        self.encode(msg)?;
        self.flush().await
    }

    /// Buffers a message; it goes out with the next [`send`](Self::send) or
    /// [`flush`](Self::flush), or when the buffer grows past 16 KiB.
    pub async fn feed(&mut self, msg: &T::Msg<'_>) -> Result<(), ConnectError> {
        self.encode(msg)?;
        if self.out.len() >= 16 * 1024 {
            self.flush().await?;
        }
        Ok(())
    }
}

/// The response side of a client-streaming call: one message in streaming format.
pub struct ClientStreamReply<'c> {
    out: ResponseStream<'c, ()>,
}

impl ClientStreamReply<'_> {
    /// When the call's deadline passes, if it has one.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        self.out.deadline
    }

    /// Sends the handler's result: headers, the message, trailers.
    pub async fn send<'m, M: Message<'m>>(mut self, result: Result<Response<M>, ConnectError>) {
        match result {
            Ok(resp) => {
                self.out.headers = resp.headers;
                self.out.trailers = resp.trailers;
                match self.out.encode(&resp.message) {
                    Ok(()) => self.out.finish(Ok(())).await,
                    Err(e) => self.out.finish(Err(e)).await,
                }
            }
            Err(e) => self.out.finish(Err(e)).await,
        }
    }
}

/// Decodes a GET request's message parameter.
pub(crate) fn decode_get(
    params: &get::GetParams<'_>,
    out: &mut Vec<u8>,
    tmp: &mut Vec<u8>,
    limit: usize,
) -> Result<(), ConnectError> {
    get::decode_message(params, out, tmp, limit).map_err(|e| match e {
        get::GetError::TooLarge => message_too_large(limit),
        other => ConnectError::new(Code::InvalidArgument, other.to_string()),
    })
}
