//! The response side of a blocking streaming call: an iterator of messages.

use std::sync::Arc;

use connect_wire::client::{Decoding, StreamEvent};
use connect_wire::compression::Compression;
use connect_wire::stream::StreamReader;
use connect_wire::{Code, ConnectError, OwnedMessage, Role};
use http::{HeaderMap, Method};

use super::conn::Exchange;
use super::shared::Shared;
use crate::buffers;
use crate::client::{CallState, StreamCore, UnaryOutput};
use crate::codecs::with_codecs;

/// The response of a blocking server-streaming or bidi call: an [`Iterator`] of messages.
///
/// Headers are there from the start; the iterator ends (`None`) after the last message, or
/// after yielding the call's error once; then [`trailers`](Self::trailers) and
/// [`error`](Self::error) tell the outcome. Dropping it before the end closes the
/// connection. `Send`: it can be handed to another thread.
#[must_use = "the call's outcome is in it"]
pub struct BlockingStream<M> {
    core: StreamCore,
    inner: Arc<Shared>,
    live: Option<Live>,
    _m: std::marker::PhantomData<fn() -> M>,
}

struct Live {
    ex: Exchange,
    reader: StreamReader,
    scratch: Vec<u8>,
}

impl<M> std::fmt::Debug for BlockingStream<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingStream")
            .field("method", &self.core.call.method.path)
            .field("headers", &self.core.headers)
            .field("received", &self.core.received)
            .field("error", &self.core.error)
            .finish_non_exhaustive()
    }
}

impl<M: OwnedMessage> BlockingStream<M> {
    pub(crate) fn new(
        call: CallState,
        inner: Arc<Shared>,
        headers: HeaderMap,
        ex: Exchange,
        compression: Compression,
    ) -> Self {
        let reader = StreamReader::new(Role::Client, compression, inner.config.max_message_size);
        BlockingStream {
            core: StreamCore::new(call, inner.config.clone(), headers),
            inner,
            live: Some(Live {
                ex,
                reader,
                scratch: Vec::new(),
            }),
            _m: std::marker::PhantomData,
        }
    }

    pub(crate) fn failed(call: CallState, inner: Arc<Shared>, error: ConnectError) -> Self {
        BlockingStream {
            core: StreamCore::failed(call, inner.config.clone(), error),
            inner,
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

    /// The trailers, complete once the stream ended.
    #[must_use]
    pub fn trailers(&self) -> &HeaderMap {
        &self.core.trailers
    }

    /// The call's error, once the stream ended with one.
    #[must_use]
    pub fn error(&self) -> Option<&ConnectError> {
        self.core.error.as_ref()
    }

    /// Whether the stream has ended.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.live.is_none()
    }

    /// The stream, or the call's error if it failed before a response began.
    pub fn into_started(mut self) -> Result<Self, ConnectError> {
        if self.core.failed_before_start(self.live.is_some())
            && let Some(e) = self.core.error.take()
        {
            return Err(e);
        }
        Ok(self)
    }

    /// Cancels the call: the connection is closed; the stream ends with `canceled`.
    pub fn cancel(&mut self) {
        if self.live.take().is_some() {
            self.core
                .fail(ConnectError::new(Code::Canceled, "call canceled"));
        }
    }

    fn step(&mut self) -> Result<Option<M>, ConnectError> {
        let config = self.core.config.clone();
        let decoding = Decoding {
            codec: config.codec,
            limit: config.max_message_size,
            json: &config.json,
        };
        let live = self
            .live
            .as_mut()
            .ok_or_else(|| ConnectError::from_code(Code::Unknown))?;
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
                StreamEvent::NeedMore => live.ex.fill(&self.core.call.bounds)?,
                StreamEvent::Message(m) => return Ok(Some(m)),
                StreamEvent::End(end) => self.core.end(end),
                StreamEvent::Finished => {
                    let mut live = self
                        .live
                        .take()
                        .ok_or_else(|| ConnectError::from_code(Code::Unknown))?;
                    let reusable = live.ex.reusable(&Method::POST);
                    let (conn, rbuf) = live.ex.into_parts();
                    buffers::give(rbuf, config.buffer_size);
                    if reusable {
                        self.inner.give(conn);
                    }
                    self.core.finished();
                    return Ok(None);
                }
            }
        }
    }

    /// A client stream's single response (0 or 2+ messages are `unimplemented`).
    pub(crate) fn collect_one(mut self) -> UnaryOutput<M> {
        let already = self.core.hold_report();
        let mut first = None;
        let mut error = None;
        let mut more = false;
        while let Some(r) = self.next() {
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

impl<M: OwnedMessage> Iterator for BlockingStream<M> {
    type Item = Result<M, ConnectError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.live.is_none() {
            return self.core.take_error();
        }
        match self.step() {
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
}
