//! Server interceptors: code that runs around every call of a router (or of one service)
//! without touching the handlers: authentication, request logging, metrics, tracing.
//!
//! The same shape as the [client's](crate::client::Interceptor): an [`Interceptor`] sees a
//! call twice. [`on_request`](Interceptor::on_request) runs once the request head has been
//! read and negotiated and *before the body is read*: it sees the method, the request
//! headers, the peer and the deadline, may add response headers and trailers, keep per-call
//! state in the call's [`Extensions`], or refuse the call with an error (a refused call's body
//! is never decoded; the connection discards it, or closes if it is large).
//! [`on_response`](Interceptor::on_response) runs once the response is done: the error (if
//! any), how long the call took and how many messages went each way. Interceptors run in
//! order for requests (router-wide ones first, then the service's) and in reverse order for
//! responses. With none registered nothing runs and nothing is measured.
//!
//! Interceptors live on one server thread, like the router that holds them: no `Send` bound,
//! so they may hold `Rc`s and `Cell`s (a per-thread counter needs no atomics).
//!
//! A bearer-token check:
//!
//! ```
//! use connect_engine::server::{Interceptor, RequestInfo, Router};
//! use connect_engine::{Code, ConnectError};
//!
//! struct Bearer(&'static str);
//!
//! impl Interceptor for Bearer {
//!     fn on_request(&self, call: &mut RequestInfo<'_>) -> Result<(), ConnectError> {
//!         let token = call
//!             .headers
//!             .get_str("authorization")
//!             .and_then(|v| v.strip_prefix("Bearer "));
//!         match token {
//!             Some(t) if t == self.0 => Ok(()),
//!             Some(_) => Err(ConnectError::new(Code::PermissionDenied, "wrong token")),
//!             None => Err(ConnectError::new(Code::Unauthenticated, "bearer token required")),
//!         }
//!     }
//! }
//!
//! let router = Router::new().with_interceptor(Bearer("s3cret"));
//! # let _ = router;
//! ```
//!
//! [`TracingInterceptor`] is a ready-made one: a `tracing` span per call.

use std::time::{Duration, Instant};

use connect_wire::service::MethodDescriptor;
use connect_wire::{Code, Codec, ConnectError};
use http::{Extensions, HeaderMap};

use super::call::RequestHeaders;
use super::peer::Peer;

/// A call whose head has arrived; its body has not been read.
#[derive(Debug)]
pub struct RequestInfo<'a> {
    /// The method called.
    pub method: &'static MethodDescriptor,
    /// The request headers.
    pub headers: RequestHeaders<'a>,
    /// Who is calling.
    pub peer: &'a Peer,
    /// The codec negotiated.
    pub codec: Codec,
    /// The client's timeout, if any.
    pub timeout: Option<Duration>,
    /// Headers added to the response (before the handler's own).
    pub response_headers: &'a mut HeaderMap,
    /// Trailers added to the response (before the handler's own).
    pub response_trailers: &'a mut HeaderMap,
    /// Per-call state shared with [`Interceptor::on_response`].
    pub extensions: &'a mut Extensions,
}

/// A call that is over.
#[derive(Debug)]
pub struct ResponseInfo<'a> {
    /// The method called.
    pub method: &'static MethodDescriptor,
    /// The request headers.
    pub headers: RequestHeaders<'a>,
    /// Who called.
    pub peer: &'a Peer,
    /// The call's error, `None` on success. A client that went away before the response
    /// was written shows as `canceled` (except for pipelined requests answered in one write
    /// with the ones after them: those are over once their response is rendered).
    pub error: Option<&'a ConnectError>,
    /// What [`Interceptor::on_request`] left for this call.
    pub extensions: &'a Extensions,
    /// From the end of the request head to the end of the call.
    pub elapsed: Duration,
    /// Request messages received.
    pub messages_received: u64,
    /// Response messages sent.
    pub messages_sent: u64,
}

impl ResponseInfo<'_> {
    /// The call's error code; `None` on success.
    #[must_use]
    pub fn code(&self) -> Option<Code> {
        self.error.map(ConnectError::code)
    }
}

/// Runs around every call of a router or service. Both methods have empty defaults.
pub trait Interceptor: 'static {
    /// Before the request body is read. An error answers the call with it (the handler
    /// does not run, the remaining interceptors' `on_request` do not run; the
    /// `on_response` of those that ran does).
    fn on_request(&self, call: &mut RequestInfo<'_>) -> Result<(), ConnectError> {
        let _ = call;
        Ok(())
    }

    /// After the call, success or not.
    fn on_response(&self, call: &ResponseInfo<'_>) {
        let _ = call;
    }
}

/// A `tracing` span per call (target `connect_engine::server`, level info) with the
/// procedure and the peer, closed when the call ends with its code, duration and message
/// counts recorded; failed calls also log an event with the error.
///
/// The span covers the call but is not entered while the handler runs (interceptors see a
/// call's start and end, not its polls), so a handler's own events are not its children.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingInterceptor;

/// The span a [`TracingInterceptor`] keeps in the call's extensions.
#[derive(Clone)]
struct CallSpan(tracing::Span);

impl Interceptor for TracingInterceptor {
    fn on_request(&self, call: &mut RequestInfo<'_>) -> Result<(), ConnectError> {
        let span = tracing::info_span!(
            target: "connect_engine::server",
            "call",
            procedure = call.method.path,
            peer = %call.peer.remote,
            code = tracing::field::Empty,
            elapsed_us = tracing::field::Empty,
            received = tracing::field::Empty,
            sent = tracing::field::Empty,
        );
        call.extensions.insert(CallSpan(span));
        Ok(())
    }

    fn on_response(&self, call: &ResponseInfo<'_>) {
        let Some(CallSpan(span)) = call.extensions.get::<CallSpan>() else {
            return;
        };
        let code = call.code().map_or("ok", Code::as_str);
        span.record("code", code);
        span.record(
            "elapsed_us",
            u64::try_from(call.elapsed.as_micros()).unwrap_or(u64::MAX),
        );
        span.record("received", call.messages_received);
        span.record("sent", call.messages_sent);
        if let Some(e) = call.error {
            span.in_scope(|| {
                tracing::info!(target: "connect_engine::server", code, message = e.message(), "call failed");
            });
        }
    }
}

/// The per-call record the connection keeps for interceptors: what they add to the response
/// and what the call's outcome was. Reused across calls (maps keep their capacity).
#[derive(Default)]
pub(crate) struct CallRecord {
    /// Whether anything needs the outcome (interceptors are registered for this call).
    pub(crate) on: bool,
    pub(crate) headers: HeaderMap,
    pub(crate) trailers: HeaderMap,
    pub(crate) extensions: Extensions,
    pub(crate) error: Option<ConnectError>,
    pub(crate) received: u64,
    pub(crate) sent: u64,
    pub(crate) started: Option<Instant>,
}

impl CallRecord {
    /// Starts recording a call.
    pub(crate) fn begin(&mut self) {
        self.on = true;
        self.headers.clear();
        self.trailers.clear();
        self.extensions.clear();
        self.error = None;
        self.received = 0;
        self.sent = 0;
        self.started = Some(Instant::now());
    }

    /// Records the call's error (the first one that decided the outcome stays).
    pub(crate) fn fail(&mut self, err: &ConnectError) {
        if self.on && self.error.is_none() {
            self.error = Some(err.clone());
        }
    }

    /// Records that the client went away before the response was written.
    pub(crate) fn client_gone(&mut self) {
        if self.on && self.error.is_none() {
            self.error = Some(ConnectError::new(
                Code::Canceled,
                "the client went away before the response was written",
            ));
        }
    }

    /// Ends recording: what interceptors added or kept is dropped now (a span kept in the
    /// extensions closes with the call), keeping the maps' capacity.
    pub(crate) fn end(&mut self) {
        self.on = false;
        self.headers.clear();
        self.trailers.clear();
        self.extensions.clear();
    }
}
