//! The response side of a blocking streaming call: an iterator of messages.

use std::sync::Arc;

use connect_wire::client::StreamBody;
use connect_wire::compression::Compression;
use connect_wire::{ConnectError, OwnedMessage};
use http::{HeaderMap, Method};

use super::conn::Exchange;
use super::shared::Shared;
use crate::buffers;
use crate::client::{
    BODY, CallState, OneMessage, Step, StreamCore, UnaryOutput, gone, stream_accessors,
};

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
    body: StreamBody,
}

impl<M> std::fmt::Debug for BlockingStream<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.core.debug(f, "BlockingStream")
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
        let body = StreamBody::new(compression, inner.config.max_message_size);
        BlockingStream {
            core: StreamCore::new(call, inner.config.clone(), headers),
            inner,
            live: Some(Live { ex, body }),
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

    stream_accessors!();

    fn step(&mut self) -> Result<Option<M>, ConnectError> {
        // The next message (or the end) is one wait, however many reads it takes.
        self.core.call.bounds.begin();
        loop {
            let live = self.live.as_mut().ok_or_else(gone)?;
            match self
                .core
                .advance::<M>(&mut live.body, &mut live.ex.reader)?
            {
                Step::Read => {
                    let bounds = &self.core.call.bounds;
                    live.ex.conn.read(&mut live.ex.reader, bounds, BODY)?;
                }
                Step::Message(m) => return Ok(Some(m)),
                Step::Finished => break,
            }
        }
        // Cleanly ended: the connection goes back to the pool if it can be reused.
        let mut live = self.live.take().ok_or_else(gone)?;
        let reusable = live.ex.reader.reusable(&Method::POST) && live.ex.reusable();
        let (conn, rbuf) = live.ex.into_parts();
        buffers::give(rbuf, self.inner.config.buffer_size);
        if reusable {
            self.inner.give(conn);
        }
        self.core.finished();
        Ok(None)
    }

    /// A client stream's single response (0 or 2+ messages are `unimplemented`).
    pub(crate) fn collect_one(mut self) -> UnaryOutput<M> {
        let already = self.core.hold_report();
        let mut one = OneMessage::new();
        for item in self.by_ref() {
            if !one.take(item) {
                break;
            }
        }
        if one.too_many() {
            self.live = None;
        }
        self.core.unary(one, already)
    }
}

impl<M: OwnedMessage> Iterator for BlockingStream<M> {
    type Item = Result<M, ConnectError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.live.is_none() {
            return self.core.take_error();
        }
        let step = self.step();
        self.core.after_step(&mut self.live, step)
    }
}
