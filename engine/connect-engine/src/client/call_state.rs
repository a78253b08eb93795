//! What both clients keep for a call from its start to its end, and the error helpers
//! they share.

use std::cell::Cell;
use std::time::{Duration, Instant};

use std::borrow::Cow;

use connect_wire::client::{RequestSpec, RequestWriter};
use connect_wire::service::MethodDescriptor;
use connect_wire::{Code, ConnectError};
use http::{Extensions, HeaderMap};

use super::config::ClientConfig;
use super::interceptor::{RequestInfo, ResponseInfo};
use super::options::{CallOptions, CancelToken};
use connect_wire::client::UnaryOutput;

/// Bytes per second a body must average, received or sent, for its wait to stretch with it
/// (see [`Bounds::progressed`] and [`Bounds::begin_sending`]).
pub(crate) const MIN_BODY_RATE: u32 = 1024;

/// The time `bytes` take at [`MIN_BODY_RATE`].
fn earned(bytes: usize) -> Duration {
    Duration::from_secs(1).saturating_mul(u32::try_from(bytes).unwrap_or(u32::MAX)) / MIN_BODY_RATE
}

/// The limits on one call's waits.
///
/// Besides the call's deadline, every wait for one thing from the peer — the request
/// accepted, the response head, a unary body, the next stream message — is bounded as a
/// whole by the IO timeout from when the client began waiting for it
/// ([`begin`](Self::begin)), however many reads or writes it takes: a peer trickling a
/// byte at a time cannot stretch it. Body bytes extend the wait by what they earn at
/// [`MIN_BODY_RATE`] ([`progressed`](Self::progressed)), and a request's write gets that
/// rate's time for its size ([`begin_sending`](Self::begin_sending)), so a large body moving
/// steadily either way is not cut off.
#[derive(Clone, Debug)]
pub(crate) struct Bounds {
    /// The call's deadline.
    pub(crate) deadline: Option<Instant>,
    /// The longest the peer may take for one thing the client waits for.
    pub(crate) io_timeout: Duration,
    /// When the current wait's IO timeout ends.
    io_end: Cell<Instant>,
    /// Cancels the call.
    pub(crate) cancel: Option<CancelToken>,
}

/// Why a bounded wait ended early.
pub(crate) enum Stop {
    Deadline,
    IoTimeout,
    Canceled,
}

impl Stop {
    pub(crate) fn error(self, doing: &'static str) -> ConnectError {
        match self {
            Stop::Deadline => connect_wire::fault::deadline_exceeded(doing),
            Stop::IoTimeout => ConnectError::new(
                Code::Unavailable,
                format!("the server stopped responding while {doing}"),
            ),
            Stop::Canceled => ConnectError::new(Code::Canceled, "call canceled"),
        }
    }
}

impl Bounds {
    pub(crate) fn canceled(&self) -> bool {
        self.cancel.as_ref().is_some_and(CancelToken::is_canceled)
    }

    /// Why the call must stop now, if it must.
    pub(crate) fn expired(&self) -> Option<Stop> {
        if self.canceled() {
            Some(Stop::Canceled)
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Stop::Deadline)
        } else {
            None
        }
    }

    /// Bounds with a deadline, an IO timeout and a cancellation token; the first wait
    /// begins now.
    pub(crate) fn new(
        deadline: Option<Instant>,
        io_timeout: Duration,
        cancel: Option<CancelToken>,
    ) -> Self {
        Bounds {
            deadline,
            io_timeout,
            io_end: Cell::new(Instant::now() + io_timeout),
            cancel,
        }
    }

    /// Begins a wait for one thing from the peer (see the type's docs).
    pub(crate) fn begin(&self) {
        self.io_end.set(Instant::now() + self.io_timeout);
    }

    /// Begins sending `bytes`: a wait of one IO timeout plus the time they take at
    /// [`MIN_BODY_RATE`], so a large request to a server reading it steadily is not cut
    /// off, while one that stops reading is.
    pub(crate) fn begin_sending(&self, bytes: usize) {
        self.io_end
            .set(Instant::now() + self.io_timeout + earned(bytes));
    }

    /// `bytes` of a body arrived: the wait is extended by the time they earn at
    /// [`MIN_BODY_RATE`], up to one IO timeout from now. A large body arriving steadily is
    /// never cut off; a trickle earns next to nothing (a byte a second earns a millisecond).
    pub(crate) fn progressed(&self, bytes: usize) {
        let cap = Instant::now() + self.io_timeout;
        self.io_end
            .set((self.io_end.get() + earned(bytes)).min(cap));
    }

    /// When the current read or write must end, and what that end means.
    pub(crate) fn next_wait(&self) -> (Instant, Stop) {
        let io_end = self.io_end.get();
        match self.deadline {
            Some(d) if d <= io_end => (d, Stop::Deadline),
            _ => (io_end, Stop::IoTimeout),
        }
    }

    /// Why the call must stop now: [`expired`](Self::expired), or the current wait's IO
    /// timeout passed.
    pub(crate) fn exhausted(&self) -> Option<Stop> {
        self.expired().or_else(|| {
            let (until, stop) = self.next_wait();
            (Instant::now() >= until).then_some(stop)
        })
    }
}

/// What every call keeps from its start to its end.
pub(crate) struct CallState {
    pub(crate) method: &'static MethodDescriptor,
    pub(crate) headers: HeaderMap,
    pub(crate) extensions: Extensions,
    pub(crate) timeout: Option<std::time::Duration>,
    pub(crate) bounds: Bounds,
    pub(crate) started: Instant,
    pub(crate) sent: u64,
    pub(crate) received: u64,
}

impl CallState {
    /// A call of `method` starting now, with `options` (the timeout defaults to the
    /// client's).
    pub(crate) fn new(
        method: &'static MethodDescriptor,
        options: CallOptions,
        config: &ClientConfig,
    ) -> Self {
        let timeout = options.timeout.or(config.timeout);
        let started = Instant::now();
        CallState {
            method,
            headers: options.headers,
            extensions: Extensions::new(),
            timeout,
            bounds: Bounds::new(
                timeout.map(|t| started + t),
                config.io_timeout,
                options.cancel,
            ),
            started,
            sent: 0,
            received: 0,
        }
    }

    /// Runs the interceptors' `on_request`, in order; the first error ends the call.
    pub(crate) fn intercept(&mut self, config: &ClientConfig) -> Result<(), ConnectError> {
        for i in &config.interceptors {
            i.on_request(&mut RequestInfo {
                method: self.method,
                headers: &mut self.headers,
                extensions: &mut self.extensions,
                timeout: self.timeout,
            })?;
        }
        Ok(())
    }

    pub(crate) fn take(&mut self) -> CallState {
        CallState {
            method: self.method,
            headers: std::mem::take(&mut self.headers),
            extensions: std::mem::take(&mut self.extensions),
            timeout: self.timeout,
            bounds: self.bounds.clone(),
            started: self.started,
            sent: self.sent,
            received: self.received,
        }
    }

    /// Runs the interceptors' `on_response` (in reverse order).
    pub(crate) fn report(
        &self,
        config: &ClientConfig,
        headers: &HeaderMap,
        trailers: &HeaderMap,
        error: Option<&ConnectError>,
    ) {
        if config.interceptors.is_empty() {
            return;
        }
        let info = ResponseInfo {
            method: self.method,
            headers,
            trailers,
            error,
            extensions: &self.extensions,
            elapsed: self.started.elapsed(),
            messages_sent: self.sent,
            messages_received: self.received,
        };
        for i in config.interceptors.iter().rev() {
            i.on_response(&info);
        }
    }

    pub(crate) fn finish_unary<M>(
        &mut self,
        config: &ClientConfig,
        out: UnaryOutput<M>,
    ) -> UnaryOutput<M> {
        if out.result.is_ok() {
            self.received = 1;
        }
        self.report(
            config,
            &out.headers,
            &out.trailers,
            out.result.as_ref().err(),
        );
        out
    }
}

/// Whether a write failed because the call itself ended (deadline, cancellation) rather
/// than the connection: then there is no response to look for.
pub(crate) fn stopped(e: &ConnectError) -> bool {
    matches!(e.code(), Code::DeadlineExceeded | Code::Canceled)
}

/// What both clients know of their target, for writing requests.
pub(crate) struct Target<'a> {
    pub(crate) config: &'a ClientConfig,
    pub(crate) origin: &'a super::Origin,
    /// The accept list as sent.
    pub(crate) accept: &'a str,
}

impl<'a> Target<'a> {
    /// The request writer of `call` for `path`.
    pub(crate) fn writer(&self, call: &'a CallState, path: &'a str) -> RequestWriter<'a> {
        let config = self.config;
        RequestWriter {
            spec: RequestSpec {
                protocol: config.protocol,
                host: self.origin.authority(),
                path,
                codec: config.codec,
                compression: config.send_compression,
                accept: self.accept,
                // The time left when the request is written, as connect-go sends it.
                timeout: call
                    .bounds
                    .deadline
                    .map(|d| d.saturating_duration_since(Instant::now())),
                headers: &call.headers,
                default_headers: &config.headers,
                user_agent: &config.user_agent,
            },
            json: &config.json,
            compress_min: config.compress_min_bytes,
        }
    }

    /// The procedure path with the base URL's prefix.
    pub(crate) fn path(&self, method: &'static MethodDescriptor) -> Cow<'static, str> {
        let prefix = self.origin.prefix();
        if prefix.is_empty() {
            Cow::Borrowed(method.path)
        } else {
            Cow::Owned(format!("{prefix}{}", method.path))
        }
    }
}
