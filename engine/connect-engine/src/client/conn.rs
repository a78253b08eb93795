//! One HTTP/1.1 client connection and the IO of one call on it: write the request, read the
//! response head, read the body. Every wait is bounded by the call's deadline, the IO
//! timeout and its cancellation token; an interrupted connection is never reused.
//!
//! ## Idle connections keep a read posted
//!
//! A call must never take bytes that arrived before its request was written (a server's
//! unasked second response, say) as its own response, nor start on a connection the server
//! has closed. So a plain connection back in the pool is not left unread: a read is posted
//! on it at once (as Go's `persistConn` keeps its read loop going). Whatever completes that
//! read while the connection is idle disqualifies it when a call takes it: one poll of the
//! posted read, no system call. A read still pending becomes the call's first response
//! read. The read's future lives in a slot allocated once per connection and reused
//! ([`Pin::set`]), so no call allocates for it.
//!
//! The posted read only learns of what arrived when the runtime has turned (submitted the
//! read, reaped its completion or the readiness event) since the connection went idle. A
//! task that stays busy between two calls without awaiting gives it no turn, so a pending
//! read proves nothing then. A connection idle for [`PEEK_AFTER`] or more whose read is
//! still pending is therefore also checked with one non-blocking peek ([`Probe`]); one
//! reused sooner is not (the peek would cost a system call on the hot path). That leaves a
//! window: bytes arriving within [`PEEK_AFTER`] of the last response, on a connection
//! taken again within it by a task that never yielded in between.
//!
//! What it costs (PERF.md, "Clients: the idle-connection check"): on io_uring the read's
//! submission rides on the ring's next submission, and `strace` counted no more
//! `io_uring_enter` calls than reading after the write. On epoll the posted read is tried at
//! once and finds nothing (one `recv` per reused call), and the response then waits for an
//! epoll event where a read after the write often found it already there.
//!
//! A TLS connection is checked with the peek alone, whatever its idle time: monoio-rustls's
//! read half may have to write (an alert after a bad record), which must not happen while
//! the write half sends the next request. Pending bytes on an idle TLS connection mean
//! something arrived unasked: the only records servers send unasked after the handshake
//! (session tickets) come before the first response, which the first call read. A
//! connection without a probe (a custom [`Connector`](super::Connector) that gives none)
//! gets the posted read alone.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};
use std::time::{Duration, Instant};

use connect_wire::client::{ResponseReader, Waiting};
use connect_wire::http1::{Limits, ResponseHead};
use connect_wire::{ConnectError, Role, fault};

use super::{Bounds, Stop};
use crate::transport::{Probe, ReadHalf, Transport, WriteHalf};

/// How long a plain connection must have been idle for its take-time check to add a peek
/// to the posted read (see the module docs).
const PEEK_AFTER: Duration = Duration::from_millis(1);

/// What an idle read gives back: the read half, the read's result and the buffer.
type IdleOutput = (ReadHalf, io::Result<usize>, Vec<u8>);

/// A reusable place for a connection's idle read, type-erased (the read is an `async fn`'s
/// future, which has no name to store it under).
trait IdleSlot {
    /// Posts a read on `r` into the spare capacity of `buf`.
    fn start(self: Pin<&mut Self>, r: ReadHalf, buf: Vec<u8>);
    /// Drives the posted read; once it completes the slot is empty again.
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<IdleOutput>>;
}

pin_project_lite::pin_project! {
    struct Slot<M, F> {
        make: M,
        #[pin]
        read: Option<F>,
    }
}

impl<M, F> IdleSlot for Slot<M, F>
where
    M: Fn(ReadHalf, Vec<u8>) -> F,
    F: Future<Output = IdleOutput>,
{
    fn start(self: Pin<&mut Self>, r: ReadHalf, buf: Vec<u8>) {
        let mut this = self.project();
        let read = (this.make)(r, buf);
        this.read.set(Some(read));
    }

    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<IdleOutput>> {
        let mut this = self.project();
        let Some(read) = this.read.as_mut().as_pin_mut() else {
            return Poll::Ready(None);
        };
        let out = ready!(read.poll(cx));
        this.read.set(None);
        Poll::Ready(Some(out))
    }
}

async fn idle_read(mut r: ReadHalf, buf: Vec<u8>) -> IdleOutput {
    let (res, buf) = r.read_into(buf).await;
    (r, res, buf)
}

fn idle_slot() -> Pin<Box<dyn IdleSlot>> {
    Box::pin(Slot {
        make: idle_read,
        read: None,
    })
}

/// How a connection went to rest.
pub(crate) enum Rest {
    /// With a read posted (the buffer is in it).
    Posted,
    /// As it is: its probe checks it when it is taken; the buffer is not needed.
    Quiet(Vec<u8>),
    /// Something was already waiting on it (or its read half was gone): do not keep it.
    Stale,
}

/// A pooled connection.
pub(crate) struct Conn {
    /// The read half; `None` while a read is posted on it (see the module docs).
    r: Option<ReadHalf>,
    w: WriteHalf,
    /// The posted read's slot, made the first time the connection goes idle.
    idle: Option<Pin<Box<dyn IdleSlot>>>,
    /// A read is posted in `idle`.
    posted: bool,
    /// The second socket handle for the peek (see the module docs).
    probe: Option<Probe>,
    /// TLS: checked by the peek alone, never with a posted read.
    tls: bool,
    /// The parsed head of the last response, kept for its field vector's capacity.
    head: ResponseHead,
    /// When it last went idle.
    idle_since: Instant,
}

impl Conn {
    pub(crate) fn new(mut transport: Transport) -> Self {
        let tls = transport.is_tls();
        let probe = transport.take_probe();
        let (r, w) = transport.split();
        Conn {
            r: Some(r),
            w,
            idle: None,
            posted: false,
            // A TLS connection without a probe falls back to the posted read.
            tls: tls && probe.is_some(),
            probe,
            head: ResponseHead::new(),
            idle_since: Instant::now(),
        }
    }

    /// Puts the connection to rest (see the module docs): with a read posted into `buf`, or,
    /// with a probe, as it is (`buf` is handed back).
    pub(crate) fn rest(&mut self, buf: Vec<u8>) -> Rest {
        self.idle_since = Instant::now();
        if self.tls {
            return Rest::Quiet(buf);
        }
        let Some(r) = self.r.take() else {
            return Rest::Stale;
        };
        let slot = self.idle.get_or_insert_with(idle_slot);
        slot.as_mut().start(r, buf);
        self.posted = true;
        // The first poll submits the read (io_uring) or tries it (epoll).
        if self.poll_idle() {
            Rest::Posted
        } else {
            Rest::Stale
        }
    }

    /// Polls the read posted while the connection was idle; once it completes, the read
    /// half is back in place and the read's result and buffer are returned (`None`: no read
    /// was posted).
    fn poll_posted(&mut self, cx: &mut Context<'_>) -> Poll<Option<(io::Result<usize>, Vec<u8>)>> {
        let Some(slot) = self.idle.as_mut() else {
            return Poll::Ready(None);
        };
        let out = ready!(slot.as_mut().poll_read(cx));
        self.posted = false;
        Poll::Ready(out.map(|(r, res, buf)| {
            self.r = Some(r);
            (res, buf)
        }))
    }

    /// Polls the posted read once without waiting: `true` while it is still pending (the
    /// connection is quiet). A completed read (end of stream, bytes nobody asked for, an
    /// error) leaves the connection unusable; its buffer is dropped with it.
    fn poll_idle(&mut self) -> bool {
        self.poll_posted(&mut Context::from_waker(Waker::noop()))
            .is_pending()
    }

    /// Whether an idle connection can carry another call: not interrupted, not idle too
    /// long, and nothing arrived on it while it was idle (see the module docs: its posted
    /// read still pending, and, after [`PEEK_AFTER`] or on TLS, the peek finding nothing).
    pub(crate) fn is_usable(&mut self, idle_timeout: Duration) -> bool {
        let idle = self.idle_since.elapsed();
        if idle >= idle_timeout {
            return false;
        }
        let quiet = if self.tls {
            !self.is_interrupted()
        } else {
            !self.w.is_interrupted() && self.posted && self.poll_idle()
        };
        let peek = self.tls || idle >= PEEK_AFTER;
        quiet && !(peek && self.probe.as_ref().is_some_and(Probe::stale))
    }

    /// Whether a read is posted (the next response read waits for it).
    pub(crate) fn has_posted_read(&self) -> bool {
        self.posted
    }

    /// Whether either half was interrupted (a read or write dropped unfinished).
    fn is_interrupted(&self) -> bool {
        self.w.is_interrupted() || self.r.as_ref().is_none_or(ReadHalf::is_interrupted)
    }
}

/// A read on a connection whose read half is gone (an earlier read was dropped).
fn not_connected() -> ConnectError {
    fault::io(Role::Client, false, &io::ErrorKind::NotConnected.into())
}

/// Runs `fut` until it completes, the deadline or IO timeout passes, or the call is
/// canceled (a dropped IO future leaves its connection half marked interrupted).
pub(crate) async fn run_bounded<T>(
    bounds: &Bounds,
    fut: impl Future<Output = T>,
) -> Result<T, Stop> {
    if let Some(stop) = bounds.expired() {
        return Err(stop);
    }
    let (until, stop) = bounds.next_wait();
    let timed = monoio::time::timeout_at(monoio::time::Instant::from_std(until), fut);
    match &bounds.cancel {
        None => timed.await.map_err(|_| stop),
        Some(token) => {
            monoio::select! {
                r = timed => r.map_err(|_| stop),
                () = token.cancelled() => Err(Stop::Canceled),
            }
        }
    }
}

/// The buffers and parse state of one call on a connection: the IO around a
/// [`ResponseReader`], which decides what the bytes mean.
pub(crate) struct Exchange {
    pub(crate) conn: Conn,
    /// The response as it arrives.
    pub(crate) reader: ResponseReader,
    /// The request being written.
    pub(crate) wbuf: Vec<u8>,
    /// Whether the whole request went out.
    pub(crate) request_sent: bool,
}

impl Exchange {
    pub(crate) fn new(
        mut conn: Conn,
        rbuf: Vec<u8>,
        wbuf: Vec<u8>,
        limits: Limits,
        max_buffer: usize,
    ) -> Self {
        // The head's field vector keeps its capacity from call to call on a connection.
        let head = std::mem::take(&mut conn.head);
        Exchange {
            conn,
            reader: ResponseReader::new(rbuf, head, limits, max_buffer),
            wbuf,
            request_sent: false,
        }
    }

    /// Writes `wbuf` (and clears it).
    pub(crate) async fn write(&mut self, bounds: &Bounds) -> Result<(), ConnectError> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        bounds.begin_sending(self.wbuf.len());
        let buf = std::mem::take(&mut self.wbuf);
        match run_bounded(bounds, self.conn.w.write_all(buf)).await {
            Ok((res, buf)) => {
                self.wbuf = buf;
                res.map_err(|e| fault::io(Role::Client, true, &e))
            }
            Err(stop) => Err(stop.error("sending the request")),
        }
    }

    /// One read from the connection into the reader; end of stream is reported to it. On a
    /// reused connection the first read is the one posted while it was idle, whose buffer
    /// becomes the reader's.
    pub(crate) async fn read(
        &mut self,
        bounds: &Bounds,
        doing: &'static str,
    ) -> Result<(), ConnectError> {
        let read = if self.conn.posted {
            let conn = &mut self.conn;
            match run_bounded(bounds, std::future::poll_fn(|cx| conn.poll_posted(cx))).await {
                Ok(Some(read)) => Ok(read),
                Ok(None) => return Err(not_connected()),
                Err(stop) => Err(stop),
            }
        } else {
            let Some(r) = self.conn.r.as_mut() else {
                return Err(not_connected());
            };
            let buf = self.reader.take_buffer()?;
            run_bounded(bounds, r.read_into(buf)).await
        };
        match read {
            Ok((Ok(0), buf)) => {
                self.reader.put_buffer(buf);
                self.reader.eof()
            }
            Ok((Ok(n), buf)) => {
                self.reader.put_buffer(buf);
                if self.reader.has_head() {
                    bounds.progressed(n);
                }
                Ok(())
            }
            Ok((Err(e), buf)) => {
                self.reader.put_buffer(buf);
                Err(fault::io(Role::Client, false, &e))
            }
            Err(stop) => Err(stop.error(doing)),
        }
    }

    /// Ends the exchange: the connection (with the head kept for reuse) and the buffers.
    pub(crate) fn into_parts(self) -> (Conn, Vec<u8>, Vec<u8>) {
        let Exchange {
            mut conn,
            reader,
            wbuf,
            ..
        } = self;
        let (rbuf, head) = reader.into_parts();
        conn.head = head;
        (conn, rbuf, wbuf)
    }

    /// Whether the connection can go back to the pool as far as its IO goes: the request
    /// went out whole and nothing was interrupted (the call decides the rest).
    pub(crate) fn reusable(&self) -> bool {
        self.request_sent && !self.conn.is_interrupted()
    }

    /// One read a call asked for ([`connect_wire::client::Need::Read`]); the first of each
    /// part of the response restarts the IO timer.
    pub(crate) async fn receive(
        &mut self,
        bounds: &Bounds,
        waiting: Waiting,
        fresh: bool,
    ) -> Result<(), ConnectError> {
        if fresh {
            bounds.begin();
        }
        self.read(bounds, waiting.doing()).await
    }
}
