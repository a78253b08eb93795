//! The response side of a streaming call: [`StreamOutput`], read message by message.

use std::rc::Rc;
use std::sync::Arc;

use connect_wire::client::{Decoding, StreamEvent};
use connect_wire::compression::Compression;
use connect_wire::stream::StreamReader;
use connect_wire::{Code, ConnectError, OwnedMessage, Role};
use http::{HeaderMap, Method};

use super::conn::Exchange;
use super::pool::Pool;
use super::{CallState, ClientConfig, StreamCore, UnaryOutput};
use crate::buffers;
use crate::codecs::with_codecs;

/// The response of a server-streaming or bidi call: headers first, then the messages as
/// they arrive ([`next`](Self::next)), then the trailers and the call's outcome.
///
/// The stream ends with `None` after the last message, or with one `Some(Err(..))` when the
/// call failed (the server's error from the end-stream message, a protocol fault, a
/// deadline, cancellation); [`trailers`](Self::trailers) and [`error`](Self::error) tell
/// the rest afterwards. Dropping the stream before its end closes the connection.
#[must_use = "the call's outcome is in it"]
pub struct StreamOutput<M> {
    core: StreamCore,
    /// The connection while the body is being read.
    live: Option<Live>,
    _m: std::marker::PhantomData<fn() -> M>,
}

struct Live {
    ex: Exchange,
    reader: StreamReader,
    scratch: Vec<u8>,
    pool: Rc<Pool>,
}

impl<M> std::fmt::Debug for StreamOutput<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamOutput")
            .field("method", &self.core.call.method.path)
            .field("headers", &self.core.headers)
            .field("received", &self.core.received)
            .field("error", &self.core.error)
            .finish_non_exhaustive()
    }
}

impl<M: OwnedMessage> StreamOutput<M> {
    pub(crate) fn new(
        call: CallState,
        config: Arc<ClientConfig>,
        headers: HeaderMap,
        ex: Exchange,
        compression: Compression,
        pool: Rc<Pool>,
    ) -> Self {
        let reader = StreamReader::new(Role::Client, compression, config.max_message_size);
        StreamOutput {
            core: StreamCore::new(call, config, headers),
            live: Some(Live {
                ex,
                reader,
                scratch: Vec::new(),
                pool,
            }),
            _m: std::marker::PhantomData,
        }
    }

    pub(crate) fn failed(call: CallState, config: Arc<ClientConfig>, error: ConnectError) -> Self {
        StreamOutput {
            core: StreamCore::failed(call, config, error),
            live: None,
            _m: std::marker::PhantomData,
        }
    }

    pub(crate) fn set_headers(&mut self, headers: HeaderMap) {
        self.core.headers = headers;
    }

    /// The response headers (empty when the call failed before they arrived).
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.core.headers
    }

    /// The trailers (the end-stream message's metadata), complete once the stream ended.
    #[must_use]
    pub fn trailers(&self) -> &HeaderMap {
        &self.core.trailers
    }

    /// The call's error, once the stream ended with one.
    #[must_use]
    pub fn error(&self) -> Option<&ConnectError> {
        self.core.error.as_ref()
    }

    /// The stream, or the call's error if it failed before a response began (connection,
    /// status, protocol): what the generated high-level methods return.
    pub fn into_started(mut self) -> Result<Self, ConnectError> {
        if self.core.failed_before_start(self.live.is_some())
            && let Some(e) = self.core.error.take()
        {
            return Err(e);
        }
        Ok(self)
    }

    /// Whether the stream has ended (successfully or not).
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.live.is_none()
    }

    /// Cancels the call: the connection is closed, and the stream ends with `canceled`
    /// (messages already received were handed out before).
    pub fn cancel(&mut self) {
        if self.live.take().is_some() {
            self.core
                .fail(ConnectError::new(Code::Canceled, "call canceled"));
        }
    }

    /// The next response message: `None` once the stream ended successfully; a failed call
    /// yields its error once, then `None`.
    pub async fn next(&mut self) -> Option<Result<M, ConnectError>> {
        if self.live.is_none() {
            return self.core.take_error();
        }
        match self.step().await {
            Ok(Some(m)) => {
                self.core.received += 1;
                Some(Ok(m))
            }
            Ok(None) => self.core.take_error(),
            Err(e) => {
                self.live = None;
                self.core.fail(e);
                self.core.take_error()
            }
        }
    }

    /// Reads until the next message (`Some`) or the end of the stream (`None`; the
    /// connection goes back to the pool when it ended cleanly).
    async fn step(&mut self) -> Result<Option<M>, ConnectError> {
        let config = self.core.config.clone();
        let live = self
            .live
            .as_mut()
            .ok_or_else(|| ConnectError::from_code(Code::Unknown))?;
        let decoding = Decoding {
            codec: config.codec,
            limit: config.max_message_size,
            json: &config.json,
        };
        // The next message (or the end) is one wait, however many reads it takes.
        self.core.call.bounds.begin();
        loop {
            let scratch = &mut live.scratch;
            let event = with_codecs(|c| {
                live.ex
                    .reader
                    .next_stream_event::<M>(&mut live.reader, decoding, scratch, c)
            })?;
            match event {
                StreamEvent::NeedMore => live.ex.fill(&self.core.call.bounds).await?,
                StreamEvent::Message(m) => return Ok(Some(m)),
                StreamEvent::End(end) => self.core.end(end),
                StreamEvent::Finished => {
                    let live = self
                        .live
                        .take()
                        .ok_or_else(|| ConnectError::from_code(Code::Unknown))?;
                    let reusable = live.ex.reusable(&Method::POST);
                    let (conn, rbuf, wbuf) = live.ex.into_parts();
                    buffers::give(wbuf, config.buffer_size);
                    if reusable {
                        live.pool.give(conn, rbuf);
                    } else {
                        buffers::give(rbuf, config.buffer_size);
                    }
                    self.core.finished();
                    return Ok(None);
                }
            }
        }
    }

    /// Reads the rest of the stream: every message, then the outcome.
    pub async fn collect(mut self) -> (Vec<M>, Option<ConnectError>) {
        let mut out = Vec::new();
        while let Some(r) = self.next().await {
            match r {
                Ok(m) => out.push(m),
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    /// A client stream's single response (0 or 2+ messages are `unimplemented`).
    pub(crate) async fn collect_one(&mut self) -> UnaryOutput<M> {
        // The interceptors hear of the call once, with its unary outcome.
        let already = self.core.hold_report();
        let mut first = None;
        let mut error = None;
        let mut more = false;
        while let Some(r) = self.next().await {
            match r {
                Ok(m) if first.is_none() => first = Some(m),
                Ok(_) => {
                    more = true;
                    self.live = None;
                    break;
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        self.core.unary(first, error, more, already)
    }
}
