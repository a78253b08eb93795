//! Running a handler: under the call's deadline, with panics caught.
//!
//! Both are struct futures rather than `async fn`s: an `async fn` that takes a future by
//! value keeps room for it twice (the argument and the awaited copy), and every such layer
//! doubles the connection task, whose size each open connection pays for in memory.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use connect_wire::service::MethodDescriptor;
use connect_wire::{Code, ConnectError};

use crate::server::guard::{CatchUnwind, catch_unwind_future, panic_message};

pin_project_lite::pin_project! {
    /// The future of [`with_deadline`].
    pub struct WithDeadline<F> {
        #[pin]
        fut: F,
        #[pin]
        timer: Option<monoio::time::Sleep>,
    }
}

/// Runs a handler future until the call's deadline; past it, the result is
/// `deadline_exceeded` and the future is dropped.
pub fn with_deadline<T, F>(deadline: Option<Instant>, fut: F) -> WithDeadline<F>
where
    F: Future<Output = Result<T, ConnectError>>,
{
    WithDeadline {
        fut,
        timer: timer(deadline),
    }
}

impl<T, F> Future for WithDeadline<F>
where
    F: Future<Output = Result<T, ConnectError>>,
{
    type Output = Result<T, ConnectError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The handler first: a result ready at the deadline still counts.
        if let Poll::Ready(r) = this.fut.poll(cx) {
            return Poll::Ready(r);
        }
        past_deadline(this.timer.as_pin_mut(), cx)
    }
}

/// `deadline_exceeded` once the timer (if any) has fired, else pending.
fn past_deadline<T>(
    timer: Option<Pin<&mut monoio::time::Sleep>>,
    cx: &mut Context<'_>,
) -> Poll<Result<T, ConnectError>> {
    if timer.is_some_and(|t| t.poll(cx).is_ready()) {
        Poll::Ready(Err(ConnectError::new(
            Code::DeadlineExceeded,
            "deadline exceeded",
        )))
    } else {
        Poll::Pending
    }
}

fn timer(deadline: Option<Instant>) -> Option<monoio::time::Sleep> {
    deadline.map(|d| monoio::time::sleep_until(monoio::time::Instant::from_std(d)))
}

pin_project_lite::pin_project! {
    /// The future of [`run_handler`].
    pub struct RunHandler<F> {
        method: &'static MethodDescriptor,
        #[pin]
        inner: WithDeadline<CatchUnwind<F>>,
    }
}

/// Runs a handler future as generated services do: until the call's deadline (see
/// [`with_deadline`]), with panics caught. A handler that panics fails its call with
/// `internal` (the panic message is logged with the procedure, not sent to the client);
/// the thread and its other connections keep serving. Under `panic = "abort"` the process
/// aborts instead: nothing can be caught.
pub fn run_handler<T, F>(
    method: &'static MethodDescriptor,
    deadline: Option<Instant>,
    fut: F,
) -> RunHandler<F>
where
    F: Future<Output = Result<T, ConnectError>>,
{
    RunHandler {
        method,
        inner: WithDeadline {
            fut: catch_unwind_future(fut),
            timer: timer(deadline),
        },
    }
}

impl<T, F> Future for RunHandler<F>
where
    F: Future<Output = Result<T, ConnectError>>,
{
    type Output = Result<T, ConnectError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let inner = this.inner.project();
        match inner.fut.poll(cx) {
            Poll::Ready(Ok(result)) => return Poll::Ready(result),
            Poll::Ready(Err(payload)) => {
                tracing::error!(
                    procedure = this.method.path,
                    panic = panic_message(&*payload),
                    "handler panicked"
                );
                return Poll::Ready(Err(ConnectError::new(Code::Internal, "handler panicked")));
            }
            Poll::Pending => {}
        }
        past_deadline(inner.timer.as_pin_mut(), cx)
    }
}
