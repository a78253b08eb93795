//! The response side of a blocking streaming call: an iterator of messages.

use std::sync::Arc;

use connect_wire::client::{Decoding, StreamEvent};
use connect_wire::compression::Compression;
use connect_wire::stream::StreamReader;
use connect_wire::{Code, ConnectError, OwnedMessage, Role};
use http::{HeaderMap, Method};

use super::Inner;
use super::conn::Exchange;
use crate::buffers;
use crate::client::{CallState, UnaryOutput};
use crate::codecs::with_codecs;

/// The response of a blocking server-streaming or bidi call: an [`Iterator`] of messages.
///
/// Headers are there from the start; the iterator ends (`None`) after the last message, or
/// after yielding the call's error once; then [`trailers`](Self::trailers) and
/// [`error`](Self::error) tell the outcome. Dropping it before the end closes the
/// connection. `Send`: it can be handed to another thread.
#[must_use = "the call's outcome is in it"]
pub struct BlockingStream<M> {
    call: CallState,
    inner: Arc<Inner>,
    headers: HeaderMap,
    trailers: HeaderMap,
    error: Option<ConnectError>,
    live: Option<Live>,
    error_taken: bool,
    reported: bool,
    received: u64,
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
            .field("method", &self.call.method.path)
            .field("headers", &self.headers)
            .field("received", &self.received)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<M: OwnedMessage> BlockingStream<M> {
    pub(crate) fn new(
        call: CallState,
        inner: Arc<Inner>,
        headers: HeaderMap,
        ex: Exchange,
        compression: Compression,
    ) -> Self {
        let reader = StreamReader::new(Role::Client, compression, inner.config.max_message_size);
        BlockingStream {
            call,
            inner,
            headers,
            trailers: HeaderMap::new(),
            error: None,
            live: Some(Live {
                ex,
                reader,
                scratch: Vec::new(),
            }),
            error_taken: false,
            reported: false,
            received: 0,
            _m: std::marker::PhantomData,
        }
    }

    pub(crate) fn failed(call: CallState, inner: Arc<Inner>, error: ConnectError) -> Self {
        let mut out = BlockingStream {
            call,
            inner,
            headers: HeaderMap::new(),
            trailers: HeaderMap::new(),
            error: Some(error),
            live: None,
            error_taken: false,
            reported: false,
            received: 0,
            _m: std::marker::PhantomData,
        };
        out.report();
        out
    }

    pub(crate) fn set_headers(&mut self, headers: HeaderMap) {
        self.headers = headers;
    }

    /// The response headers (empty when the call failed before they arrived).
    #[must_use]
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The trailers, complete once the stream ended.
    #[must_use]
    pub fn trailers(&self) -> &HeaderMap {
        &self.trailers
    }

    /// The call's error, once the stream ended with one.
    #[must_use]
    pub fn error(&self) -> Option<&ConnectError> {
        self.error.as_ref()
    }

    /// Whether the stream has ended.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.live.is_none()
    }

    /// The stream, or the call's error if it failed before a response began.
    pub fn into_started(mut self) -> Result<Self, ConnectError> {
        if self.live.is_none()
            && self.received == 0
            && self.headers.is_empty()
            && let Some(e) = self.error.take()
        {
            return Err(e);
        }
        Ok(self)
    }

    /// Cancels the call: the connection is closed; the stream ends with `canceled`.
    pub fn cancel(&mut self) {
        if self.live.take().is_some() {
            self.fail(ConnectError::new(Code::Canceled, "call canceled"));
        }
    }

    fn fail(&mut self, e: ConnectError) {
        if self.error.is_none() {
            self.error = Some(crate::client::with_metadata(
                e,
                &self.headers,
                &self.trailers,
            ));
        }
        self.report();
    }

    fn take_error(&mut self) -> Option<Result<M, ConnectError>> {
        if self.error_taken {
            return None;
        }
        self.error_taken = true;
        self.error.clone().map(Err)
    }

    fn step(&mut self) -> Result<Option<M>, ConnectError> {
        let config = self.inner.config.clone();
        let decoding = Decoding {
            codec: config.codec,
            limit: config.max_message_size,
            json: &config.json,
        };
        let live = self
            .live
            .as_mut()
            .ok_or_else(|| ConnectError::from_code(Code::Unknown))?;
        loop {
            let scratch = &mut live.scratch;
            let event = with_codecs(|c| {
                live.ex
                    .reader
                    .next_stream_event::<M>(&mut live.reader, decoding, scratch, c)
            })?;
            match event {
                StreamEvent::NeedMore => live.ex.fill(&self.call.bounds)?,
                StreamEvent::Message(m) => return Ok(Some(m)),
                StreamEvent::End(end) => {
                    self.trailers = end.metadata;
                    if let Some(e) = end.error {
                        self.error = Some(e);
                    }
                }
                StreamEvent::Finished => {
                    let live = self
                        .live
                        .take()
                        .ok_or_else(|| ConnectError::from_code(Code::Unknown))?;
                    let reusable = live.ex.reusable(&Method::POST);
                    let (conn, rbuf) = live.ex.into_parts();
                    buffers::give(rbuf, config.buffer_size);
                    if reusable {
                        self.inner.give(conn);
                    }
                    if let Some(e) = self.error.take() {
                        self.fail(e);
                    } else {
                        self.report();
                    }
                    return Ok(None);
                }
            }
        }
    }

    /// A client stream's single response (0 or 2+ messages are `unimplemented`).
    pub(crate) fn collect_one(mut self) -> UnaryOutput<M> {
        let already = std::mem::replace(&mut self.reported, true);
        let mut first = None;
        let mut error = None;
        while let Some(r) = self.next() {
            match r {
                Ok(m) if first.is_none() => first = Some(m),
                Ok(_) => {
                    error = Some(ConnectError::new(
                        Code::Unimplemented,
                        "client-stream response has more than one message",
                    ));
                    self.live = None;
                    break;
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        let result = match (error, first) {
            (Some(e), _) => Err(e),
            (None, Some(m)) => Ok(m),
            (None, None) => Err(ConnectError::new(
                Code::Unimplemented,
                "client-stream response has no message",
            )),
        };
        if !already {
            self.call.received = self.received;
            self.call.report(
                &self.inner.config,
                &self.headers,
                &self.trailers,
                result.as_ref().err(),
            );
        }
        UnaryOutput {
            headers: std::mem::take(&mut self.headers),
            result,
            trailers: std::mem::take(&mut self.trailers),
        }
    }

    fn report(&mut self) {
        if self.reported {
            return;
        }
        self.reported = true;
        self.call.received = self.received;
        self.call.report(
            &self.inner.config,
            &self.headers,
            &self.trailers,
            self.error.as_ref(),
        );
    }
}

impl<M: OwnedMessage> Iterator for BlockingStream<M> {
    type Item = Result<M, ConnectError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.live.is_none() {
            return self.take_error();
        }
        match self.step() {
            Ok(Some(m)) => {
                self.received += 1;
                Some(Ok(m))
            }
            Ok(None) => self.take_error(),
            Err(e) => {
                self.live = None;
                self.fail(e);
                self.take_error()
            }
        }
    }
}

impl<M> Drop for BlockingStream<M> {
    fn drop(&mut self) {
        if !self.reported {
            self.reported = true;
            self.call.received = self.received;
            let canceled = ConnectError::new(Code::Canceled, "response stream dropped");
            let error = self.error.as_ref().or(Some(&canceled));
            self.call
                .report(&self.inner.config, &self.headers, &self.trailers, error);
        }
    }
}
