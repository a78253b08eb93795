//! Client interceptors: code that runs around every call of a client without touching the
//! call sites (auth headers, metrics, logging, tracing spans).
//!
//! An [`Interceptor`] sees a call twice: [`on_request`](Interceptor::on_request) before the
//! request is sent (it may change the request headers, keep per-call state in the call's
//! [`Extensions`](http::Extensions), or refuse the call with an error), and
//! [`on_response`](Interceptor::on_response) once the call is over (response headers,
//! trailers, the error, how long it took, how many messages went each way). Interceptors
//! run in the order they were added for requests and in reverse order for responses. With
//! none configured nothing runs.
//!
//! ```
//! use connect_engine::client::{ClientConfig, Interceptor, RequestInfo};
//! use connect_engine::ConnectError;
//!
//! /// Adds a bearer token to every call.
//! struct Bearer(http::HeaderValue);
//!
//! impl Interceptor for Bearer {
//!     fn on_request(&self, call: &mut RequestInfo<'_>) -> Result<(), ConnectError> {
//!         call.headers.insert(http::header::AUTHORIZATION, self.0.clone());
//!         Ok(())
//!     }
//! }
//!
//! let config = ClientConfig::new()
//!     .with_interceptor(Bearer(http::HeaderValue::from_static("Bearer s3cret")));
//! # let _ = config;
//! ```

use std::time::Duration;

use connect_wire::ConnectError;
use connect_wire::service::MethodDescriptor;
use http::{Extensions, HeaderMap};

/// A call about to be sent.
#[derive(Debug)]
pub struct RequestInfo<'a> {
    /// The method called.
    pub method: &'static MethodDescriptor,
    /// The call's request headers (the client's defaults are sent before these).
    pub headers: &'a mut HeaderMap,
    /// Per-call state shared with [`Interceptor::on_response`].
    pub extensions: &'a mut Extensions,
    /// The call's timeout, if any.
    pub timeout: Option<Duration>,
}

/// A call that is over.
#[derive(Debug)]
pub struct ResponseInfo<'a> {
    /// The method called.
    pub method: &'static MethodDescriptor,
    /// The response headers (empty if none arrived).
    pub headers: &'a HeaderMap,
    /// The response trailers (empty if none arrived).
    pub trailers: &'a HeaderMap,
    /// The call's error, `None` on success.
    pub error: Option<&'a ConnectError>,
    /// What [`Interceptor::on_request`] left for this call.
    pub extensions: &'a Extensions,
    /// From the start of the call to its end (for streams: to the end of the response or
    /// the moment the stream was dropped).
    pub elapsed: Duration,
    /// Request messages sent.
    pub messages_sent: u64,
    /// Response messages received.
    pub messages_received: u64,
}

/// Runs around every call of a client. Both methods have empty defaults.
pub trait Interceptor: Send + Sync + 'static {
    /// Before the request is sent. An error ends the call with it (nothing is sent; the
    /// remaining interceptors' `on_request` do not run, every `on_response` does).
    fn on_request(&self, call: &mut RequestInfo<'_>) -> Result<(), ConnectError> {
        let _ = call;
        Ok(())
    }

    /// After the call, success or not.
    fn on_response(&self, call: &ResponseInfo<'_>) {
        let _ = call;
    }
}

/// An interceptor that logs every call as a `tracing` event at debug level (errors at
/// info): procedure, code, duration and message counts.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingInterceptor;

impl Interceptor for TracingInterceptor {
    fn on_response(&self, call: &ResponseInfo<'_>) {
        match call.error {
            None => tracing::debug!(
                procedure = call.method.path,
                elapsed_us = call.elapsed.as_micros() as u64,
                sent = call.messages_sent,
                received = call.messages_received,
                "call ok"
            ),
            Some(e) => tracing::info!(
                procedure = call.method.path,
                code = e.code().as_str(),
                message = e.message(),
                elapsed_us = call.elapsed.as_micros() as u64,
                "call failed"
            ),
        }
    }
}
