//! Streaming calls: the request messages as they arrive ([`RequestStream`]) and the
//! response messages as the handler sends them ([`ResponseStream`], [`ClientStreamReply`]).

use std::marker::PhantomData;
use std::time::Instant;

use connect_wire::compression::Compression;
use connect_wire::http1::{CloseReason, KeepAlive};
use connect_wire::protocol::Responder;
use connect_wire::server::{BodyCursor, write_stream_end, write_stream_head};
use connect_wire::stream::{self, Item, StreamReader};
use connect_wire::{Code, ConnectError, JsonOptions, Message, MessageType, Role, fault};
use http::HeaderMap;

use super::request::{CallInfo, RequestHeaders, Response};
use crate::codecs::with_codecs;
use crate::server::interceptor::CallRecord;
use crate::transport::{ReadError, ReadHalf, WriteHalf, read_more};

/// A message type standing for "not decoded yet" (server-stream requests are decoded once
/// counted).
pub(crate) struct RawMessage;

/// Reads envelopes from a request body as the handler asks for them: the socket work around
/// connect-wire's [`BodyCursor`] and [`StreamReader`], which decide what the bytes mean.
pub(crate) struct StreamSource<'c> {
    pub(crate) r: &'c mut ReadHalf,
    /// The body in the read buffer.
    pub(crate) body: BodyCursor<'c>,
    pub(crate) reader: StreamReader,
    pub(crate) scratch: &'c mut Vec<u8>,
    pub(crate) max_message: usize,
    pub(crate) json: &'c JsonOptions,
    /// How long one read may wait.
    pub(crate) io_timeout: std::time::Duration,
    /// The call's deadline: reading the request stops there too.
    pub(crate) deadline: Option<Instant>,
    /// The body size limit (for error messages; the body decoder enforces it).
    pub(crate) max_body: u64,
}

/// Where the payload of the current frame lies.
pub(crate) enum FrameAt {
    Buf(std::ops::Range<usize>),
    Scratch,
}

impl<'c> StreamSource<'c> {
    /// Advances to the next message; `Ok(None)` at the end of the body.
    pub(crate) async fn next_frame(&mut self) -> Result<Option<FrameAt>, ConnectError> {
        loop {
            let item = self
                .body
                .next(&mut self.reader)
                .map_err(|e| fault::stream(Role::Server, e))?;
            match item {
                Item::Message {
                    payload,
                    compressed,
                    ..
                } => {
                    if !compressed {
                        return Ok(Some(FrameAt::Buf(payload)));
                    }
                    self.scratch.clear();
                    let (input, out, alg, max) = (
                        &self.body.buffer()[payload],
                        &mut *self.scratch,
                        self.reader.compression(),
                        self.max_message,
                    );
                    with_codecs(|c| c.decompress(alg, input, out, max))
                        .map_err(|e| fault::decompress(Role::Server, e))?;
                    return Ok(Some(FrameAt::Scratch));
                }
                Item::NeedMore => self.fill().await?,
                Item::Finished => return Ok(None),
                // The server-role reader refuses end-stream messages.
                Item::End { .. } => {
                    return Err(fault::stream(
                        Role::Server,
                        stream::StreamError::EndStreamInRequest,
                    ));
                }
            }
        }
    }

    /// Whether another message follows: true once its envelope prefix has arrived (and is
    /// valid), false at a clean end of the body. Its payload is not waited for.
    pub(crate) async fn another_message(&mut self) -> Result<bool, ConnectError> {
        loop {
            let bad = |e| fault::stream(Role::Server, e);
            if self.body.peek_more(&self.reader).map_err(bad)? {
                return Ok(true);
            }
            if self.body.body_done() {
                return self
                    .body
                    .finish(&mut self.reader)
                    .map(|()| false)
                    .map_err(bad);
            }
            self.fill().await?;
        }
    }

    /// Reads more of the body: drops consumed messages, decodes raw bytes already read, and
    /// reads from the socket when that was not enough.
    async fn fill(&mut self) -> Result<(), ConnectError> {
        let max_body = self.max_body;
        let body_error = |e| fault::body(Role::Server, e, max_body);
        if self.body.make_room().map_err(body_error)? {
            return Ok(());
        }
        let max = self.max_message.saturating_add(64 * 1024);
        let mut deadline = Instant::now() + self.io_timeout;
        if let Some(d) = self.deadline {
            deadline = deadline.min(d);
        }
        let read = read_more(
            self.r,
            self.body.buffer_mut(),
            max,
            monoio::time::Instant::from_std(deadline),
        );
        match read.await {
            Ok(_) => self.body.decode().map_err(body_error),
            // The buffer holds one message (at most the limit) and framing: only a message
            // still in use while the next one is read can fill it.
            Err(ReadError::Full) => Err(fault::message_too_large(Role::Server, self.max_message)),
            Err(ReadError::Eof) => Err(fault::ended_early(Role::Server)),
            Err(ReadError::Io(e)) => Err(fault::io(Role::Server, false, &e)),
            Err(ReadError::TimedOut) => {
                Err(if self.deadline.is_some_and(|d| Instant::now() >= d) {
                    fault::deadline_exceeded("reading the request")
                } else {
                    ConnectError::new(Code::DeadlineExceeded, "request body stalled")
                })
            }
        }
    }

    fn frame_bytes(&mut self, at: FrameAt) -> &mut [u8] {
        match at {
            FrameAt::Buf(r) => &mut self.body.buffer()[r],
            FrameAt::Scratch => &mut self.scratch[..],
        }
    }

    pub(crate) fn into_frame(self, at: FrameAt) -> &'c mut [u8] {
        match at {
            FrameAt::Buf(r) => &mut self.body.into_buffer()[r],
            FrameAt::Scratch => &mut self.scratch[..],
        }
    }
}

/// The request messages of a client-streaming or bidi call, read as the handler asks for
/// them. Each message borrows the read buffer until the next call to
/// [`next`](RequestStream::next).
pub struct RequestStream<'c, T> {
    pub(crate) src: StreamSource<'c>,
    pub(crate) info: CallInfo<'c>,
    /// Messages read so far (for interceptors).
    pub(crate) received: &'c mut u64,
    pub(crate) _t: PhantomData<T>,
}

impl<'c, T: MessageType> RequestStream<'c, T> {
    /// The next request message, or `None` when the client has sent all of them.
    pub async fn next(&mut self) -> Option<Result<T::Msg<'_>, ConnectError>> {
        let at = match self.src.next_frame().await {
            Ok(Some(at)) => at,
            Ok(None) => return None,
            Err(e) => return Some(Err(e)),
        };
        *self.received += 1;
        let codec = self.info.codec;
        let json = self.src.json;
        let bytes = self.src.frame_bytes(at);
        Some(
            codec
                .decode::<T::Msg<'_>>(bytes, json)
                .map_err(|e| fault::decode(Role::Server, &e)),
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
    pub(crate) w: &'c mut WriteHalf,
    pub(crate) out: &'c mut Vec<u8>,
    pub(crate) scratch: &'c mut Vec<u8>,
    /// What the call's protocol puts in the response.
    pub(crate) responder: Responder,
    pub(crate) json: &'c JsonOptions,
    pub(crate) headers: HeaderMap,
    pub(crate) trailers: HeaderMap,
    pub(crate) head_sent: bool,
    /// Chunked, or bare envelopes until close for HTTP/1.0 peers.
    pub(crate) framing: stream::Framing,
    /// Whether anything went out on the socket yet.
    pub(crate) flushed: bool,
    /// Where the message being encoded starts, while it is being encoded: still set when
    /// the encoder panicked, so [`finish`](Self::finish) can cut the partial message.
    pub(crate) encoding: Option<usize>,
    pub(crate) keep_alive: &'c mut KeepAlive,
    pub(crate) deadline: Option<Instant>,
    /// How long one write may wait.
    pub(crate) io_timeout: std::time::Duration,
    /// The call's outcome and message count, for interceptors.
    pub(crate) record: &'c mut CallRecord,
    /// Messages smaller than this go out uncompressed.
    pub(crate) compress_min: usize,
    pub(crate) _t: PhantomData<T>,
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
            write_stream_head(
                self.out,
                self.responder,
                &self.headers,
                self.keep_alive.is_closing(),
                self.framing,
            );
            self.head_sent = true;
        }
    }

    fn encode<'m, M: Message<'m>>(&mut self, msg: &M) -> Result<(), ConnectError> {
        self.ensure_head();
        let r = self.responder;
        let start = r.begin_message(self.out, self.framing);
        self.encoding = Some(start.offset());
        let mut compressed = r.compression() != Compression::Identity;
        let result = if compressed {
            self.scratch.clear();
            r.codec()
                .encode(msg, self.scratch, self.json)
                .map_err(|e| fault::encode(Role::Server, &e))
                .and_then(|()| {
                    if self.scratch.len() < self.compress_min {
                        // Too small to be worth compressing: this envelope goes out plain.
                        compressed = false;
                        self.out.extend_from_slice(self.scratch);
                        Ok(())
                    } else {
                        with_codecs(|c| c.compress(r.compression(), self.scratch, self.out))
                            .map_err(|e| fault::compress(Role::Server, e))
                    }
                })
        } else {
            r.codec()
                .encode(msg, self.out, self.json)
                .map_err(|e| fault::encode(Role::Server, &e))
        };
        let result = result.and_then(|()| {
            r.finish_message(self.out, start, compressed).map_err(|_| {
                ConnectError::new(Code::ResourceExhausted, "response message too large")
            })
        });
        self.encoding = None;
        if result.is_err() {
            self.out.truncate(start.offset());
        } else {
            self.record.sent += 1;
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
            self.keep_alive.close(CloseReason::WriteCut);
            self.record.client_gone();
            return Err(ConnectError::new(
                Code::Unavailable,
                "write response: timed out",
            ));
        };
        *self.out = buf;
        if let Err(e) = res {
            self.keep_alive.close(CloseReason::WriteCut);
            self.record.client_gone();
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
        if let Err(e) = &result {
            self.record.fail(e);
        }
        if self.w.is_interrupted() {
            // A write was dropped mid-way (deadline, timeout): the response is cut short and
            // the connection closes; writing the end of the stream now would corrupt it.
            self.keep_alive.close(CloseReason::WriteCut);
            return;
        }
        if let Some(partial) = self.encoding.take() {
            // The handler panicked inside an encoder: drop the half-written message.
            self.out.truncate(partial);
        }
        self.ensure_head();
        write_stream_end(
            self.out,
            self.responder,
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
    pub(crate) out: ResponseStream<'c, ()>,
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
                // After what interceptors added.
                self.out.headers.extend(resp.headers);
                self.out.trailers.extend(resp.trailers);
                match self.out.encode(&resp.message) {
                    Ok(()) => self.out.finish(Ok(())).await,
                    Err(e) => self.out.finish(Err(e)).await,
                }
            }
            Err(e) => self.out.finish(Err(e)).await,
        }
    }
}
