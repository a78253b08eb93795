//! The response side of a streaming call: [`StreamOutput`], read message by message.

use std::rc::Rc;
use std::sync::Arc;

use connect_wire::client::{Decoding, StreamEvent};
use connect_wire::compression::Compression;
use connect_wire::stream::StreamReader;
use connect_wire::{Code, ConnectError, OwnedMessage, Role};
use http::{HeaderMap, Method};

use super::asynchronous::Pool;
use super::conn::Exchange;
use super::{CallState, ClientConfig, UnaryOutput};
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
    call: CallState,
    config: Arc<ClientConfig>,
    headers: HeaderMap,
    trailers: HeaderMap,
    error: Option<ConnectError>,
    /// The connection while the body is being read.
    live: Option<Live>,
    /// The error was already handed out by `next`.
    error_taken: bool,
    /// The call ended and the interceptors were told.
    reported: bool,
    pub(crate) sent: u64,
    pub(crate) received: u64,
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
            .field("method", &self.call.method.path)
            .field("headers", &self.headers)
            .field("received", &self.received)
            .field("error", &self.error)
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
        let sent = call.sent;
        StreamOutput {
            call,
            config,
            headers,
            trailers: HeaderMap::new(),
            error: None,
            live: Some(Live {
                ex,
                reader,
                scratch: Vec::new(),
                pool,
            }),
            error_taken: false,
            reported: false,
            sent,
            received: 0,
            _m: std::marker::PhantomData,
        }
    }

    pub(crate) fn failed(call: CallState, config: Arc<ClientConfig>, error: ConnectError) -> Self {
        let sent = call.sent;
        let mut out = StreamOutput {
            call,
            config,
            headers: HeaderMap::new(),
            trailers: HeaderMap::new(),
            error: Some(error),
            live: None,
            error_taken: false,
            reported: false,
            sent,
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

    /// The trailers (the end-stream message's metadata), complete once the stream ended.
    #[must_use]
    pub fn trailers(&self) -> &HeaderMap {
        &self.trailers
    }

    /// The call's error, once the stream ended with one.
    #[must_use]
    pub fn error(&self) -> Option<&ConnectError> {
        self.error.as_ref()
    }

    /// The stream, or the call's error if it failed before a response began (connection,
    /// status, protocol): what the generated high-level methods return.
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

    /// Whether the stream has ended (successfully or not).
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.live.is_none()
    }

    /// Cancels the call: the connection is closed, and the stream ends with `canceled`
    /// (messages already received were handed out before).
    pub fn cancel(&mut self) {
        if self.live.take().is_some() {
            self.fail(ConnectError::new(Code::Canceled, "call canceled"));
        }
    }

    /// The next response message: `None` once the stream ended successfully; a failed call
    /// yields its error once, then `None`.
    pub async fn next(&mut self) -> Option<Result<M, ConnectError>> {
        if self.live.is_none() {
            return self.take_error();
        }
        match self.step().await {
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

    fn take_error(&mut self) -> Option<Result<M, ConnectError>> {
        if self.error_taken {
            return None;
        }
        self.error_taken = true;
        self.error.clone().map(Err)
    }

    fn fail(&mut self, e: ConnectError) {
        if self.error.is_none() {
            let mut e = e;
            if !self.headers.is_empty() || !self.trailers.is_empty() {
                let meta = e.metadata_mut();
                for (k, v) in self.headers.iter().chain(self.trailers.iter()) {
                    let _ = meta.try_append(k.clone(), v.clone());
                }
            }
            self.error = Some(e);
        }
        self.report();
    }

    /// Reads until the next message (`Some`) or the end of the stream (`None`; the
    /// connection goes back to the pool when it ended cleanly).
    async fn step(&mut self) -> Result<Option<M>, ConnectError> {
        let config = self.config.clone();
        let live = self
            .live
            .as_mut()
            .ok_or_else(|| ConnectError::from_code(Code::Unknown))?;
        let decoding = Decoding {
            codec: config.codec,
            limit: config.max_message_size,
            json: &config.json,
        };
        loop {
            let scratch = &mut live.scratch;
            let event = with_codecs(|c| {
                live.ex
                    .reader
                    .next_stream_event::<M>(&mut live.reader, decoding, scratch, c)
            })?;
            match event {
                StreamEvent::NeedMore => live.ex.fill(&self.call.bounds).await?,
                StreamEvent::Message(m) => return Ok(Some(m)),
                StreamEvent::End(end) => {
                    self.trailers = end.metadata;
                    if let Some(e) = end.error {
                        // The body should end right after; the error stands either way.
                        self.error = Some(e);
                    }
                }
                StreamEvent::Finished => {
                    let live = self
                        .live
                        .take()
                        .ok_or_else(|| ConnectError::from_code(Code::Unknown))?;
                    let reusable = live.ex.reusable(&Method::POST);
                    let size = config.buffer_size;
                    let (conn, rbuf, wbuf) = live.ex.into_parts();
                    buffers::give(rbuf, size);
                    buffers::give(wbuf, size);
                    if reusable {
                        live.pool.give(conn);
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
        // The interceptors hear of the call once, below, with its unary outcome.
        let already = std::mem::replace(&mut self.reported, true);
        let mut first = None;
        let mut error = None;
        while let Some(r) = self.next().await {
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
            self.call.sent = self.sent;
            self.call.received = self.received;
            self.call.report(
                &self.config,
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

    /// Tells the interceptors the call is over (once).
    fn report(&mut self) {
        if self.reported {
            return;
        }
        self.reported = true;
        self.call.sent = self.sent;
        self.call.received = self.received;
        self.call.report(
            &self.config,
            &self.headers,
            &self.trailers,
            self.error.as_ref(),
        );
    }
}

impl<M> Drop for StreamOutput<M> {
    fn drop(&mut self) {
        if !self.reported {
            self.reported = true;
            self.call.sent = self.sent;
            self.call.received = self.received;
            let canceled = ConnectError::new(Code::Canceled, "response stream dropped");
            let error = self.error.as_ref().or(Some(&canceled));
            self.call
                .report(&self.config, &self.headers, &self.trailers, error);
        }
    }
}
