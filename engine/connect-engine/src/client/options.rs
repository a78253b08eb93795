//! What a call takes besides its messages ([`CallOptions`], [`CancelToken`]); a unary call
//! gives back a [`UnaryOutput`](super::UnaryOutput). No runtime here: the async and the
//! blocking client share these types.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use http::{HeaderMap, HeaderValue};

/// Per-call settings: extra request headers, a timeout, a cancellation handle.
///
/// ```
/// use std::time::Duration;
/// use connect_engine::client::{CallOptions, CancelToken};
///
/// let cancel = CancelToken::new();
/// let options = CallOptions::new()
///     .with_header("x-request-id", http::HeaderValue::from_static("42"))
///     .with_timeout(Duration::from_secs(2))
///     .with_cancel(cancel.clone());
/// assert_eq!(options.headers["x-request-id"], "42");
/// ```
#[derive(Clone, Debug, Default)]
pub struct CallOptions {
    /// Request headers (multi-valued entries are sent as repeated fields), after the
    /// client's default headers.
    pub headers: HeaderMap,
    /// The call's timeout; `None` takes the client's default. Enforced locally and sent as
    /// `connect-timeout-ms`.
    pub timeout: Option<Duration>,
    /// Cancels the call from anywhere (another task or thread): the call ends with
    /// `canceled` and its connection is closed.
    pub cancel: Option<CancelToken>,
}

impl CallOptions {
    /// No extra headers, the client's default timeout, no cancellation handle.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a request header (a `&'static str` name must be a valid lowercase header name;
    /// parse other names with [`http::HeaderName::from_bytes`]).
    #[must_use]
    pub fn with_header(
        mut self,
        name: impl http::header::IntoHeaderName,
        value: HeaderValue,
    ) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sets the timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the cancellation handle.
    #[must_use]
    pub fn with_cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = Some(cancel);
        self
    }
}

/// Cancels calls from any thread or task. Clones share one state; once canceled, it stays
/// canceled. A call given the token ends with `canceled` as soon as it notices (it waits on
/// the token during every network operation, so at once) and closes its connection.
#[derive(Clone, Default)]
pub struct CancelToken(Arc<Shared>);

#[derive(Default)]
struct Shared {
    canceled: AtomicBool,
    next_id: AtomicU64,
    waiters: Mutex<Vec<(u64, Waiter)>>,
}

enum Waiter {
    Task(Waker),
    Hook(Box<dyn FnOnce() + Send>),
}

impl std::fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelToken")
            .field("canceled", &self.is_canceled())
            .finish()
    }
}

impl CancelToken {
    /// A token not canceled yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every call using this token (now and later).
    pub fn cancel(&self) {
        if self.0.canceled.swap(true, Ordering::AcqRel) {
            return;
        }
        let waiters = std::mem::take(
            &mut *self
                .0
                .waiters
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for (_, w) in waiters {
            match w {
                Waiter::Task(w) => w.wake(),
                Waiter::Hook(f) => f(),
            }
        }
    }

    /// Whether [`cancel`](Self::cancel) was called.
    #[must_use]
    pub fn is_canceled(&self) -> bool {
        self.0.canceled.load(Ordering::Acquire)
    }

    /// Completes once the token is canceled.
    #[must_use]
    pub fn cancelled(&self) -> Cancelled<'_> {
        Cancelled {
            token: self,
            id: None,
        }
    }

    /// Runs `hook` once when the token is canceled (at once if it already is), unless the
    /// returned guard is dropped first. Blocking clients shut their socket down this way.
    pub fn on_cancel(&self, hook: impl FnOnce() + Send + 'static) -> HookGuard {
        let id = self.0.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut waiters = self
                .0
                .waiters
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if !self.is_canceled() {
                waiters.push((id, Waiter::Hook(Box::new(hook))));
                return HookGuard {
                    token: self.clone(),
                    id,
                };
            }
        }
        hook();
        HookGuard {
            token: self.clone(),
            id,
        }
    }

    fn remove(&self, id: u64) {
        let mut waiters = self
            .0
            .waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = waiters.iter().position(|(w, _)| *w == id) {
            waiters.swap_remove(i);
        }
    }
}

/// Unregisters an [`on_cancel`](CancelToken::on_cancel) hook when dropped.
#[must_use = "dropping the guard unregisters the hook"]
#[derive(Debug)]
pub struct HookGuard {
    token: CancelToken,
    id: u64,
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        self.token.remove(self.id);
    }
}

/// The future of [`CancelToken::cancelled`].
pub struct Cancelled<'t> {
    token: &'t CancelToken,
    id: Option<u64>,
}

impl Future for Cancelled<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.token.is_canceled() {
            return Poll::Ready(());
        }
        let shared = &self.token.0;
        let mut waiters = shared
            .waiters
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if shared.canceled.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        if let Some(id) = self.id {
            if let Some((_, Waiter::Task(w))) = waiters.iter_mut().find(|(i, _)| *i == id) {
                w.clone_from(cx.waker());
            }
        } else {
            let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
            waiters.push((id, Waiter::Task(cx.waker().clone())));
            drop(waiters);
            self.id = Some(id);
        }
        Poll::Pending
    }
}

impl Drop for Cancelled<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.token.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_run_once_and_guards_unregister() {
        let t = CancelToken::new();
        let (tx, rx) = std::sync::mpsc::channel();
        let tx2 = tx.clone();
        let kept = t.on_cancel(move || tx.send("kept").unwrap());
        drop(t.on_cancel(move || tx2.send("dropped").unwrap()));
        let other = t.clone();
        std::thread::spawn(move || other.cancel()).join().unwrap();
        t.cancel();
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["kept"]);
        drop(kept);
        // Registering after cancellation runs at once.
        let (tx, rx) = std::sync::mpsc::channel();
        let _g = t.on_cancel(move || tx.send(1).unwrap());
        assert_eq!(rx.try_recv(), Ok(1));
        assert!(t.is_canceled());
    }

    #[test]
    fn headers_append() {
        let o = CallOptions::new()
            .with_header("x-a", HeaderValue::from_static("1"))
            .with_header("x-a", HeaderValue::from_static("2"));
        assert_eq!(o.headers.get_all("x-a").iter().count(), 2);
    }
}
