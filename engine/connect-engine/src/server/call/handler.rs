//! Running a handler: under the call's deadline, with panics caught.

use std::future::Future;
use std::time::Instant;

use connect_wire::service::MethodDescriptor;
use connect_wire::{Code, ConnectError};

/// Runs a handler future until the call's deadline; past it, the result is
/// `deadline_exceeded` and the future is dropped.
pub async fn with_deadline<T, F>(deadline: Option<Instant>, fut: F) -> Result<T, ConnectError>
where
    F: Future<Output = Result<T, ConnectError>>,
{
    match deadline {
        None => fut.await,
        Some(d) => match monoio::time::timeout_at(monoio::time::Instant::from_std(d), fut).await {
            Ok(r) => r,
            Err(_) => Err(ConnectError::new(
                Code::DeadlineExceeded,
                "deadline exceeded",
            )),
        },
    }
}

/// Runs a handler future as generated services do: until the call's deadline (see
/// [`with_deadline`]), with panics caught. A handler that panics fails its call with
/// `internal` (the panic message is logged with the procedure, not sent to the client);
/// the thread and its other connections keep serving. Under `panic = "abort"` the process
/// aborts instead: nothing can be caught.
pub async fn run_handler<T, F>(
    method: &'static MethodDescriptor,
    deadline: Option<Instant>,
    fut: F,
) -> Result<T, ConnectError>
where
    F: Future<Output = Result<T, ConnectError>>,
{
    with_deadline(deadline, async {
        match crate::server::guard::catch_unwind_future(fut).await {
            Ok(result) => result,
            Err(payload) => {
                tracing::error!(
                    procedure = method.path,
                    panic = crate::server::guard::panic_message(&*payload),
                    "handler panicked"
                );
                Err(ConnectError::new(Code::Internal, "handler panicked"))
            }
        }
    })
    .await
}
