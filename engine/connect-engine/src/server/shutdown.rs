//! Graceful shutdown: a per-thread signal that idle connections and the accept loop wait on.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// A one-shot, thread-local broadcast in two steps: once triggered, the accept loop stops
/// and connections close after the call they are serving; a moment later idle connections
/// are released (see [`SETTLE`]).
///
/// Waiters register in a slot vector with a free list, and a dropped waiter frees its slot,
/// so a long-running thread with many short-lived connections keeps a bounded list and
/// steady-state waits do not allocate.
#[derive(Default)]
pub(crate) struct Signal {
    fired: Cell<bool>,
    idle_released: Cell<bool>,
    slots: RefCell<Slots>,
}

#[derive(Default)]
struct Slots {
    wakers: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Signal {
    /// Shutdown: [`wait`](Self::wait) completes, and a response written from now on is its
    /// connection's last.
    pub(crate) fn trigger(&self) {
        if !self.fired.replace(true) {
            self.wake_all();
        }
    }

    /// Idle connections may close: [`wait_idle`](Self::wait_idle) completes (and shutdown
    /// is triggered, if it was not yet).
    pub(crate) fn release_idle(&self) {
        self.fired.set(true);
        if !self.idle_released.replace(true) {
            self.wake_all();
        }
    }

    fn wake_all(&self) {
        let mut slots = self.slots.borrow_mut();
        for w in slots.wakers.iter_mut().filter_map(Option::take) {
            w.wake();
        }
    }

    pub(crate) fn is_triggered(&self) -> bool {
        self.fired.get()
    }

    /// Completes once the signal is triggered.
    pub(crate) fn wait(self: &Rc<Self>) -> Wait {
        Wait {
            signal: self.clone(),
            idle: false,
            slot: None,
        }
    }

    /// Completes once idle connections are released.
    pub(crate) fn wait_idle(self: &Rc<Self>) -> Wait {
        Wait {
            signal: self.clone(),
            idle: true,
            slot: None,
        }
    }
}

/// The future of [`Signal::wait`] and [`Signal::wait_idle`] (`idle`).
pub(crate) struct Wait {
    signal: Rc<Signal>,
    idle: bool,
    slot: Option<usize>,
}

impl Future for Wait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let done = if self.idle {
            &self.signal.idle_released
        } else {
            &self.signal.fired
        };
        if done.get() {
            return Poll::Ready(());
        }
        let signal = self.signal.clone();
        let mut slots = signal.slots.borrow_mut();
        if let Some(i) = self.slot {
            match &mut slots.wakers[i] {
                Some(w) if w.will_wake(cx.waker()) => {}
                w => *w = Some(cx.waker().clone()),
            }
        } else {
            let waker = Some(cx.waker().clone());
            let i = if let Some(i) = slots.free.pop() {
                slots.wakers[i] = waker;
                i
            } else {
                slots.wakers.push(waker);
                slots.wakers.len() - 1
            };
            self.slot = Some(i);
        }
        Poll::Pending
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            let mut slots = self.signal.slots.borrow_mut();
            slots.wakers[i] = None;
            slots.free.push(i);
        }
    }
}

/// How long after shutdown idle connections are released. A request that arrived on an idle
/// connection just before may not have been reported by the driver yet (an epoll event or
/// an io_uring completion not reaped in the turn that saw the flag); in this time the driver
/// reports it, and the request is served as its connection's last instead of being dropped
/// with the idle connection's read. The accept loop stops at once, as before.
const SETTLE: Duration = Duration::from_millis(2);

/// Relays a process-wide flag (set from a signal handler or [`ShutdownHandle`]) to this
/// thread's [`Signal`], checking every 50 ms.
pub(crate) async fn relay(flag: Arc<AtomicBool>, signal: Rc<Signal>) {
    while !flag.load(Ordering::Acquire) {
        monoio::time::sleep(Duration::from_millis(50)).await;
    }
    signal.trigger();
    monoio::time::sleep(SETTLE).await;
    signal.release_idle();
}

/// Stops a running server gracefully from any thread.
#[derive(Clone, Debug, Default)]
pub struct ShutdownHandle {
    pub(crate) flag: Arc<AtomicBool>,
}

impl ShutdownHandle {
    /// Stop accepting, finish in-flight calls, then let [`Server::serve`](super::Server::serve)
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
