//! The load itself: one monoio runtime per thread, each with its own client (keep-alive
//! connections pooled per thread) and its share of the concurrency, connections and rate.
//!
//! * **Closed loop:** `concurrency` workers call back to back.
//! * **Open loop** (`rate`): calls are due at a fixed schedule (call *i* of a thread at
//!   `start + i / rate`); a worker takes the next due call, waits until it is due, and
//!   latency is measured from when it was due, not from when it could start — a server that
//!   stalls cannot hide the queue it causes (coordinated omission).
//!
//! The hot loop sends pre-encoded request bytes ([`RawMessage`]) and only counts response
//! messages ([`Discarded`]): no encoding, decoding or allocation per call on our side.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use connect_engine::client::{CallOptions, Client, ClientConfig};
use connect_engine::runtime::{self, Driver};
use connect_engine::wire::service::StreamKind;
use connect_engine::{Code, ConnectError, Discarded, RawMessage};
use hdrhistogram::Histogram;

use crate::schema::Target;

/// When the run ends.
#[derive(Clone, Copy, Debug)]
pub enum Until {
    /// After this many measured calls (over all threads).
    Calls(u64),
    /// After this long.
    Elapsed(Duration),
}

/// Everything a run needs.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The server's base URL.
    pub url: String,
    /// Codec, compression, TLS, default headers, timeouts.
    pub config: ClientConfig,
    /// Per-call timeout.
    pub timeout: Option<Duration>,
    /// Runtime threads.
    pub threads: usize,
    /// Calls in flight at once, over all threads.
    pub concurrency: usize,
    /// Connections at most, over all threads.
    pub connections: usize,
    /// The end of the run.
    pub until: Until,
    /// Open loop: calls per second over all threads.
    pub rate: Option<f64>,
    /// Calls made before measuring starts (not counted), closed loop.
    pub warmup: Duration,
    /// The monoio driver.
    pub driver: Driver,
}

/// Live counters (for the progress bar) and the stop signal.
#[derive(Debug, Default)]
pub struct Progress {
    /// Measured calls finished.
    pub done: AtomicU64,
    /// Of which failed.
    pub errors: AtomicU64,
    /// Set to stop early (Ctrl-C) or when done.
    pub stop: AtomicBool,
}

/// What one thread measured.
#[derive(Debug)]
pub struct Tally {
    /// Latency of every measured call, microseconds.
    pub latency: Histogram<u64>,
    /// Measured calls.
    pub calls: u64,
    /// Failed calls by Connect code number (index 1–16).
    pub errors: [u64; 17],
    /// One example message per code.
    pub examples: Vec<(Code, String)>,
    /// Request message bytes sent (as encoded, before compression).
    pub bytes_sent: u64,
    /// Response message bytes received (after decompression).
    pub bytes_received: u64,
    /// Response messages received.
    pub messages_received: u64,
}

impl Tally {
    fn new() -> Self {
        Tally {
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("histogram bounds"),
            calls: 0,
            errors: [0; 17],
            examples: Vec::new(),
            bytes_sent: 0,
            bytes_received: 0,
            messages_received: 0,
        }
    }

    /// Adds another thread's tally.
    pub fn merge(&mut self, other: &Tally) {
        let _ = self.latency.add(&other.latency);
        self.calls += other.calls;
        for (a, b) in self.errors.iter_mut().zip(other.errors) {
            *a += b;
        }
        for (code, example) in &other.examples {
            if !self.examples.iter().any(|(c, _)| c == code) {
                self.examples.push((*code, example.clone()));
            }
        }
        self.bytes_sent += other.bytes_sent;
        self.bytes_received += other.bytes_received;
        self.messages_received += other.messages_received;
    }
}

/// How early an open-loop call may start (the runtime's timer granularity).
const TIMER_SLACK: Duration = Duration::from_millis(1);

/// Splits `total` into `n` shares that differ by at most one.
fn share(total: usize, n: usize, i: usize) -> usize {
    total / n + usize::from(i < total % n)
}

/// Runs the plan; returns the merged tally and the measured wall time.
pub fn run(
    plan: &Plan,
    target: &'static Target,
    progress: &Arc<Progress>,
) -> Result<(Tally, Duration), String> {
    let threads = plan.threads.max(1);
    let issued = Arc::new(AtomicU64::new(0));
    let start_barrier = Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|i| {
            let plan = plan.clone();
            let progress = progress.clone();
            let issued = issued.clone();
            let barrier = start_barrier.clone();
            std::thread::Builder::new()
                .name(format!("load-{i}"))
                .spawn(move || {
                    let concurrency = share(plan.concurrency.max(threads), threads, i).max(1);
                    let connections = share(plan.connections.max(threads), threads, i).max(1);
                    let rate = plan.rate.map(|r| r / threads as f64);
                    runtime::block_on(plan.driver, async move {
                        thread_main(
                            &plan,
                            target,
                            concurrency,
                            connections,
                            rate,
                            &progress,
                            &issued,
                            &barrier,
                        )
                        .await
                    })
                    .map_err(|e| format!("runtime: {e}"))?
                })
                .map_err(|e| format!("thread: {e}"))
        })
        .collect::<Result<_, _>>()?;
    let mut total = Tally::new();
    let mut elapsed = Duration::ZERO;
    for h in handles {
        let (tally, took) = h
            .join()
            .map_err(|_| "a load thread panicked".to_owned())??;
        total.merge(&tally);
        elapsed = elapsed.max(took);
    }
    Ok((total, elapsed))
}

/// A counting semaphore for one thread's tasks (connections in use).
struct Permits {
    free: Cell<usize>,
    waiters: RefCell<VecDeque<Waker>>,
}

impl Permits {
    async fn acquire(&self) {
        poll_fn(|cx| {
            if self.free.get() > 0 {
                self.free.set(self.free.get() - 1);
                Poll::Ready(())
            } else {
                self.waiters.borrow_mut().push_back(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
    }

    fn release(&self) {
        self.free.set(self.free.get() + 1);
        if let Some(w) = self.waiters.borrow_mut().pop_front() {
            w.wake();
        }
    }
}

/// What one call gave.
struct Outcome {
    error: Option<ConnectError>,
    messages: u64,
    bytes: u64,
}

async fn call(
    client: &Client,
    target: &'static Target,
    requests: &[RawMessage<'static>],
    options: CallOptions,
) -> Outcome {
    let m = target.method;
    let mut out = Outcome {
        error: None,
        messages: 0,
        bytes: 0,
    };
    let mut stream = match m.kind {
        StreamKind::Unary | StreamKind::ClientStream => {
            let r = if m.kind == StreamKind::Unary {
                client
                    .unary::<RawMessage<'_>, Discarded>(m, &requests[0], options)
                    .await
            } else {
                client
                    .client_stream::<RawMessage<'_>, Discarded, _>(m, requests, options)
                    .await
            };
            match r.result {
                Ok(d) => {
                    out.messages = 1;
                    out.bytes = d.len as u64;
                }
                Err(e) => out.error = Some(e),
            }
            return out;
        }
        StreamKind::ServerStream => {
            client
                .server_stream::<RawMessage<'_>, Discarded>(m, &requests[0], options)
                .await
        }
        StreamKind::BidiStream => {
            client
                .bidi_stream::<RawMessage<'_>, Discarded, _>(m, requests, options)
                .await
        }
    };
    while let Some(r) = stream.next().await {
        match r {
            Ok(d) => {
                out.messages += 1;
                out.bytes += d.len as u64;
            }
            Err(e) => {
                out.error = Some(e);
                break;
            }
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn thread_main(
    plan: &Plan,
    target: &'static Target,
    concurrency: usize,
    connections: usize,
    rate: Option<f64>,
    progress: &Arc<Progress>,
    issued: &Arc<AtomicU64>,
    barrier: &std::sync::Barrier,
) -> Result<(Tally, Duration), String> {
    let mut config = plan.config.clone();
    config.max_idle_connections = connections;
    let client = Client::new(&plan.url, config).map_err(|e| e.to_string())?;
    let requests: &'static [RawMessage<'static>] = Box::leak(
        target
            .requests
            .iter()
            .map(|b| RawMessage {
                bytes: b.as_slice().into(),
            })
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let sent_per_call: u64 = requests.iter().map(|r| r.bytes.len() as u64).sum();
    let permits = Rc::new(Permits {
        free: Cell::new(connections),
        waiters: RefCell::new(VecDeque::new()),
    });
    let timeout = plan.timeout;
    let options = move || {
        let mut o = CallOptions::new();
        o.timeout = timeout;
        o
    };
    // Warm-up: closed loop, not counted.
    if !plan.warmup.is_zero() {
        let end = Instant::now() + plan.warmup;
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let (client, permits) = (client.clone(), permits.clone());
                monoio::spawn(async move {
                    while Instant::now() < end {
                        permits.acquire().await;
                        let _ = call(&client, target, requests, options()).await;
                        permits.release();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await;
        }
    }
    barrier.wait();
    let start = Instant::now();
    let deadline = match plan.until {
        Until::Elapsed(d) => Some(start + d),
        Until::Calls(_) => None,
    };
    let limit = match plan.until {
        Until::Calls(n) => n,
        Until::Elapsed(_) => u64::MAX,
    };
    let tally = Rc::new(RefCell::new(Tally::new()));
    let next_due = Rc::new(Cell::new(0u64));
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, permits, tally, next_due) = (
                client.clone(),
                permits.clone(),
                tally.clone(),
                next_due.clone(),
            );
            let (progress, issued) = (progress.clone(), issued.clone());
            monoio::spawn(async move {
                loop {
                    if progress.stop.load(Ordering::Relaxed)
                        || deadline.is_some_and(|d| Instant::now() >= d)
                    {
                        break;
                    }
                    if issued.fetch_add(1, Ordering::Relaxed) >= limit {
                        break;
                    }
                    // Open loop: this call is due at its slot of the schedule.
                    let due = rate.map(|r| {
                        let i = next_due.get();
                        next_due.set(i + 1);
                        start + Duration::from_secs_f64(i as f64 / r)
                    });
                    if let Some(due) = due {
                        if deadline.is_some_and(|d| due >= d) {
                            break;
                        }
                        // The timer wakes up to a millisecond late: sleep to a millisecond
                        // before the due time and start then, rather than count the
                        // timer's lateness as the server's.
                        let now = Instant::now();
                        if due > now + TIMER_SLACK {
                            monoio::time::sleep((due - now).saturating_sub(TIMER_SLACK)).await;
                        }
                    }
                    // Latency counts from the due time when the call started late (queued
                    // behind others), from its start when it started early (timer slack).
                    let began = due.map_or_else(Instant::now, |d| Instant::now().min(d));
                    permits.acquire().await;
                    let out = call(&client, target, requests, options()).await;
                    permits.release();
                    let micros = began.elapsed().as_micros() as u64;
                    let mut t = tally.borrow_mut();
                    t.calls += 1;
                    let _ = t.latency.record(micros.max(1));
                    t.bytes_sent += sent_per_call;
                    t.bytes_received += out.bytes;
                    t.messages_received += out.messages;
                    if let Some(e) = out.error {
                        let code = e.code();
                        t.errors[usize::from(code.number())] += 1;
                        if !t.examples.iter().any(|(c, _)| *c == code) {
                            t.examples.push((code, e.message().to_owned()));
                        }
                        progress.errors.fetch_add(1, Ordering::Relaxed);
                    }
                    drop(t);
                    progress.done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await;
    }
    let elapsed = start.elapsed();
    let tally = Rc::try_unwrap(tally)
        .map_err(|_| "tally still shared".to_owned())?
        .into_inner();
    Ok((tally, elapsed))
}

#[cfg(test)]
mod tests {
    #[test]
    fn shares_add_up() {
        for (total, n) in [(10, 3), (1, 4), (64, 2), (7, 7)] {
            let sum: usize = (0..n).map(|i| super::share(total, n, i)).sum();
            assert_eq!(sum, total);
        }
    }
}
