//! Panic isolation: a handler that panics fails its own call, not the thread.
//!
//! Each server thread runs many connections on one monoio runtime; a panic unwinding out of
//! a task would unwind the runtime and drop every other connection on that thread. Handler
//! futures (and, as a second line of defence, whole connection tasks) are therefore polled
//! inside [`std::panic::catch_unwind`]. Under `panic = "abort"` nothing can be caught: the
//! process aborts on the first panic, as it would anywhere else.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::task::Poll;

/// Polls `fut` to completion, turning a panic during any poll into `Err(payload)`.
///
/// The future is dropped as soon as it panics. `AssertUnwindSafe` is sound here in the
/// sense the standard library means: whatever state the future shares with its caller is
/// either discarded with it or checked by the caller afterwards (a stream response cut
/// mid-message is truncated, a connection whose IO was interrupted is closed).
pub(crate) async fn catch_unwind_future<F: Future>(
    fut: F,
) -> Result<F::Output, Box<dyn Any + Send>> {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(
        move |cx| match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(payload) => Poll::Ready(Err(payload)),
        },
    )
    .await
}

/// The message of a panic payload (`panic!("...")` gives `&str` or `String`).
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(non-string panic payload)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_errors() {
        let out = crate::runtime::block_on(crate::runtime::Driver::Epoll, async {
            let ok = catch_unwind_future(async { 7 }).await;
            let err = catch_unwind_future(async {
                monoio::time::sleep(std::time::Duration::from_millis(1)).await;
                panic!("boom {}", 1);
            })
            .await;
            (ok.ok(), err.map_err(|p| panic_message(&*p).to_owned()))
        })
        .unwrap();
        assert_eq!(out.0, Some(7));
        assert_eq!(out.1, Err::<(), _>("boom 1".to_owned()));
    }
}
