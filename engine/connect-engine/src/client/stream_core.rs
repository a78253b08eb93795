//! What both clients' response streams keep besides their connection: headers, trailers,
//! the outcome, the interceptor report, and the rules for handing them out.

use std::sync::Arc;

use connect_wire::error::EndStream;
use connect_wire::{Code, ConnectError};
use http::HeaderMap;

use connect_wire::OwnedMessage;
use connect_wire::client::{
    ResponseReader, StreamBody, StreamStep, UnaryCall, UnaryOutput, with_metadata,
};

use super::{CallState, ClientConfig};
use crate::codecs::with_codecs;

/// What a client stream's response stream gave: its first message, its error, whether a
/// second message came.
pub(crate) struct OneMessage<M> {
    first: Option<M>,
    error: Option<ConnectError>,
    more: bool,
}

impl<M> OneMessage<M> {
    pub(crate) fn new() -> Self {
        OneMessage {
            first: None,
            error: None,
            more: false,
        }
    }

    /// Takes one item of the stream; `false` once reading on is pointless (an error or a
    /// second message).
    pub(crate) fn take(&mut self, item: Result<M, ConnectError>) -> bool {
        match item {
            Ok(m) if self.first.is_none() => {
                self.first = Some(m);
                true
            }
            Ok(_) => {
                self.more = true;
                false
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }

    /// Whether a second message came (the stream is abandoned: its connection closed).
    pub(crate) fn too_many(&self) -> bool {
        self.more
    }
}

/// The accessors both clients' response streams have, over their `core: StreamCore` and
/// `live: Option<_>` fields.
macro_rules! stream_accessors {
    () => {
        pub(crate) fn set_headers(&mut self, headers: http::HeaderMap) {
            self.core.headers = headers;
        }

        /// The response headers (empty when the call failed before they arrived).
        #[must_use]
        pub fn headers(&self) -> &http::HeaderMap {
            &self.core.headers
        }

        /// The trailers (the end-stream message's metadata), complete once the stream ended.
        #[must_use]
        pub fn trailers(&self) -> &http::HeaderMap {
            &self.core.trailers
        }

        /// The call's error, once the stream ended with one.
        #[must_use]
        pub fn error(&self) -> Option<&connect_wire::ConnectError> {
            self.core.error.as_ref()
        }

        /// The stream, or the call's error if it failed before a response began (connection,
        /// status, protocol): what the generated high-level methods return.
        ///
        /// # Errors
        ///
        /// The call's error, when no response began.
        pub fn into_started(mut self) -> Result<Self, connect_wire::ConnectError> {
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
                self.core.fail(connect_wire::ConnectError::new(
                    connect_wire::Code::Canceled,
                    "call canceled",
                ));
            }
        }
    };
}
pub(crate) use stream_accessors;

/// A unary call's outcome once its response was read (see [`UnaryCall::finish`]).
pub(crate) fn unary_outcome<Resp: OwnedMessage>(
    unary: UnaryCall,
    reader: &mut ResponseReader,
    config: &ClientConfig,
    plain: &mut Vec<u8>,
) -> (UnaryOutput<Resp>, bool) {
    with_codecs(|c| unary.finish::<Resp>(reader, config.decoding(), plain, c))
}

/// What a read for more of a response stream is doing, for timeout messages.
pub(crate) const BODY: &str = connect_wire::client::Waiting::Body.doing();

/// The error for a stream whose connection is already gone (not reachable: `step` runs only
/// while the stream is live).
pub(crate) fn gone() -> ConnectError {
    ConnectError::from_code(Code::Unknown)
}

/// What a response stream needs from its driver next.
pub(crate) enum Step<M> {
    /// One read into the reader.
    Read,
    /// A message for the caller.
    Message(M),
    /// The body ended cleanly: release the connection, then [`StreamCore::finished`].
    Finished,
}

pub(crate) struct StreamCore {
    pub(crate) call: CallState,
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) headers: HeaderMap,
    pub(crate) trailers: HeaderMap,
    pub(crate) error: Option<ConnectError>,
    /// The error was already handed out.
    error_taken: bool,
    /// The interceptors were told of the end.
    reported: bool,
    pub(crate) received: u64,
}

impl StreamCore {
    pub(crate) fn new(call: CallState, config: Arc<ClientConfig>, headers: HeaderMap) -> Self {
        StreamCore {
            call,
            config,
            headers,
            trailers: HeaderMap::new(),
            error: None,
            error_taken: false,
            reported: false,
            received: 0,
        }
    }

    /// A call that failed before its response began (reported at once).
    pub(crate) fn failed(call: CallState, config: Arc<ClientConfig>, error: ConnectError) -> Self {
        let mut core = Self::new(call, config, HeaderMap::new());
        core.error = Some(error);
        core.report();
        core
    }

    /// The `Debug` output of a response stream named `name`.
    pub(crate) fn debug(&self, f: &mut std::fmt::Formatter<'_>, name: &str) -> std::fmt::Result {
        f.debug_struct(name)
            .field("method", &self.call.method.path)
            .field("headers", &self.headers)
            .field("received", &self.received)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }

    /// What `next` returns after a step through the body; an error ends the stream
    /// (`live` is dropped, closing the connection).
    pub(crate) fn after_step<M, L>(
        &mut self,
        live: &mut Option<L>,
        step: Result<Option<M>, ConnectError>,
    ) -> Option<Result<M, ConnectError>> {
        match step {
            Ok(Some(m)) => {
                self.received += 1;
                Some(Ok(m))
            }
            Ok(None) => self.take_error(),
            Err(e) => {
                *live = None;
                self.fail(e);
                self.take_error()
            }
        }
    }

    /// Ends the stream with `e` (the first error stands), carrying the response metadata.
    pub(crate) fn fail(&mut self, e: ConnectError) {
        if self.error.is_none() {
            self.error = Some(with_metadata(e, &self.headers, &self.trailers));
        }
        self.report();
    }

    /// The end-stream message: trailers and the server's error.
    pub(crate) fn end(&mut self, end: EndStream) {
        self.trailers = end.metadata;
        if let Some(e) = end.error {
            self.error = Some(e);
        }
    }

    /// The next step through the body in `reader`; the end-stream message is taken in here.
    pub(crate) fn advance<M: OwnedMessage>(
        &mut self,
        body: &mut StreamBody,
        reader: &mut ResponseReader,
    ) -> Result<Step<M>, ConnectError> {
        let config = Arc::clone(&self.config);
        let decoding = config.decoding();
        loop {
            match with_codecs(|c| body.next::<M>(reader, decoding, c))? {
                StreamStep::Read => return Ok(Step::Read),
                StreamStep::Message(m) => return Ok(Step::Message(m)),
                StreamStep::End(end) => self.end(end),
                StreamStep::Finished => return Ok(Step::Finished),
            }
        }
    }

    /// The body ended cleanly: report (with the end-stream error, if there was one).
    pub(crate) fn finished(&mut self) {
        match self.error.take() {
            Some(e) => self.fail(e),
            None => self.report(),
        }
    }

    /// What `next` returns once the stream is over: the error once, then nothing.
    pub(crate) fn take_error<M>(&mut self) -> Option<Result<M, ConnectError>> {
        if self.error_taken {
            return None;
        }
        self.error_taken = true;
        self.error.clone().map(Err)
    }

    /// Whether the call failed before a response began (`into_started` gives the error).
    pub(crate) fn failed_before_start(&self, live: bool) -> bool {
        !live && self.received == 0 && self.headers.is_empty() && self.error.is_some()
    }

    /// Tells the interceptors the call is over (once).
    pub(crate) fn report(&mut self) {
        if self.reported {
            return;
        }
        self.reported = true;
        self.call.received = self.received;
        self.call.report(
            &self.config,
            &self.headers,
            &self.trailers,
            self.error.as_ref(),
        );
    }

    /// Keeps `report` from running: the caller reports once it knows the outcome.
    pub(crate) fn hold_report(&mut self) -> bool {
        std::mem::replace(&mut self.reported, true)
    }

    /// A client stream's response from what a read of the stream gave: one message, or
    /// `unimplemented` for none (or more), or the error.
    pub(crate) fn unary<M>(
        &mut self,
        one: OneMessage<M>,
        already_reported: bool,
    ) -> UnaryOutput<M> {
        let OneMessage { first, error, more } = one;
        let result = match (error, first) {
            (Some(e), _) => Err(e),
            (None, Some(_)) if more => Err(ConnectError::new(
                Code::Unimplemented,
                "client-stream response has more than one message",
            )),
            (None, Some(m)) => Ok(m),
            (None, None) => Err(ConnectError::new(
                Code::Unimplemented,
                "client-stream response has no message",
            )),
        };
        if !already_reported {
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
}

impl Drop for StreamCore {
    fn drop(&mut self) {
        if !self.reported {
            self.reported = true;
            self.call.received = self.received;
            let canceled = ConnectError::new(Code::Canceled, "response stream dropped");
            let error = self.error.as_ref().or(Some(&canceled));
            self.call
                .report(&self.config, &self.headers, &self.trailers, error);
        }
    }
}
