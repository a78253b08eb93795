//! Graceful shutdown: a per-thread signal that idle connections and the accept loop wait on.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// A one-shot, thread-local broadcast: once triggered, every waiter wakes.
#[derive(Default)]
pub(crate) struct Signal {
    fired: Cell<bool>,
    waiters: RefCell<Vec<Waker>>,
}

impl Signal {
    pub(crate) fn trigger(&self) {
        if !self.fired.replace(true) {
            for w in self.waiters.borrow_mut().drain(..) {
                w.wake();
            }
        }
    }

    pub(crate) fn is_triggered(&self) -> bool {
        self.fired.get()
    }

    /// Completes once the signal is triggered.
    pub(crate) fn wait(self: &Rc<Self>) -> Wait {
        Wait(self.clone())
    }
}

/// The future of [`Signal::wait`].
pub(crate) struct Wait(Rc<Signal>);

impl Future for Wait {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.fired.get() {
            return Poll::Ready(());
        }
        let mut waiters = self.0.waiters.borrow_mut();
        if !waiters.iter().any(|w| w.will_wake(cx.waker())) {
            waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

/// Relays a process-wide flag (set from a signal handler or [`ShutdownHandle`]) to this
/// thread's [`Signal`], checking every 50 ms.
pub(crate) async fn relay(flag: Arc<AtomicBool>, signal: Rc<Signal>) {
    while !flag.load(Ordering::Acquire) {
        monoio::time::sleep(Duration::from_millis(50)).await;
    }
    signal.trigger();
}

/// Stops a running server gracefully from any thread.
#[derive(Clone, Debug, Default)]
pub struct ShutdownHandle {
    pub(crate) flag: Arc<AtomicBool>,
}

impl ShutdownHandle {
    /// Stop accepting, finish in-flight calls, then let [`Server::run`](super::Server::run)
    /// return.
    pub fn shutdown(&self) {
        self.flag.store(true, Ordering::Release);
    }

    /// Whether shutdown was requested.
    #[must_use]
    pub fn is_shutting_down(&self) -> bool {
        self.flag.load(Ordering::Acquire)
    }

    /// Requests shutdown on SIGTERM and SIGINT.
    pub fn on_signals(&self) -> std::io::Result<()> {
        signal_hook::flag::register(signal_hook::consts::SIGTERM, self.flag.clone())?;
        signal_hook::flag::register(signal_hook::consts::SIGINT, self.flag.clone())?;
        Ok(())
    }
}
