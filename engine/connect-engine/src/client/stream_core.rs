//! What both clients' response streams keep besides their connection: headers, trailers,
//! the outcome, the interceptor report, and the rules for handing them out.

use std::sync::Arc;

use connect_wire::error::EndStream;
use connect_wire::{Code, ConnectError};
use http::HeaderMap;

use connect_wire::client::{UnaryOutput, with_metadata};

use super::{CallState, ClientConfig};

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
    /// `unimplemented` for none (or more, which `more` says), or the error.
    pub(crate) fn unary<M>(
        &mut self,
        first: Option<M>,
        error: Option<ConnectError>,
        more: bool,
        already_reported: bool,
    ) -> UnaryOutput<M> {
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
