//! The response side of a streaming call: [`StreamOutput`], read message by message.

use std::rc::Rc;
use std::sync::Arc;

use connect_wire::client::StreamBody;
use connect_wire::compression::Compression;
use connect_wire::{ConnectError, OwnedMessage};
use http::{HeaderMap, Method};

use super::conn::Exchange;
use super::pool::Pool;
use super::{
    BODY, CallState, ClientConfig, OneMessage, Step, StreamCore, UnaryOutput, gone,
    stream_accessors,
};
use crate::buffers;

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
    body: StreamBody,
    pool: Rc<Pool>,
}

impl<M> std::fmt::Debug for StreamOutput<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.core.debug(f, "StreamOutput")
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
        let body = StreamBody::new(compression, config.max_message_size);
        StreamOutput {
            core: StreamCore::new(call, config, headers),
            live: Some(Live { ex, body, pool }),
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

    stream_accessors!();

    /// The next response message: `None` once the stream ended successfully; a failed call
    /// yields its error once, then `None`.
    pub async fn next(&mut self) -> Option<Result<M, ConnectError>> {
        if self.live.is_none() {
            return self.core.take_error();
        }
        let step = self.step().await;
        self.core.after_step(&mut self.live, step)
    }

    /// Reads until the next message (`Some`) or the end of the stream (`None`; the
    /// connection goes back to the pool when it ended cleanly).
    async fn step(&mut self) -> Result<Option<M>, ConnectError> {
        // The next message (or the end) is one wait, however many reads it takes.
        self.core.call.bounds.begin();
        loop {
            let live = self.live.as_mut().ok_or_else(gone)?;
            match self
                .core
                .advance::<M>(&mut live.body, &mut live.ex.reader)?
            {
                Step::Read => live.ex.read(&self.core.call.bounds, BODY).await?,
                Step::Message(m) => return Ok(Some(m)),
                Step::Finished => break,
            }
        }
        // Cleanly ended: the connection goes back to the pool if it can be reused.
        let live = self.live.take().ok_or_else(gone)?;
        let size = self.core.config.buffer_size;
        let reusable = live.ex.reader.reusable(&Method::POST) && live.ex.reusable();
        let (conn, rbuf, wbuf) = live.ex.into_parts();
        buffers::give(wbuf, size);
        if reusable {
            live.pool.give(conn, rbuf);
        } else {
            buffers::give(rbuf, size);
        }
        self.core.finished();
        Ok(None)
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
        let mut one = OneMessage::new();
        while let Some(item) = self.next().await {
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
