//! One HTTP/1.1 client connection and the IO of one call on it: write the request, read the
//! response head, read the body. Every wait is bounded by the call's deadline, the IO
//! timeout and its cancellation token; an interrupted connection is never reused.

use std::future::Future;
use std::time::{Duration, Instant};

use connect_wire::client::ResponseReader;
use connect_wire::http1::{Limits, ResponseHead};
use connect_wire::{ConnectError, Role, fault};
use http::Method;

use super::{Bounds, Stop};
use crate::transport::{Probe, ReadHalf, Transport, WriteHalf};

/// A pooled connection.
pub(crate) struct Conn {
    r: ReadHalf,
    w: WriteHalf,
    /// The parsed head of the last response, kept for its field vector's capacity.
    head: ResponseHead,
    probe: Option<Probe>,
    /// When it last went idle.
    idle_since: Instant,
    /// Whether it carried a call before (a failure right away may mean the peer had closed
    /// it while idle).
    pub(crate) reused: bool,
}

impl Conn {
    pub(crate) fn new(mut transport: Transport) -> Self {
        let probe = transport.take_probe();
        let (r, w) = transport.split();
        Conn {
            r,
            w,
            head: ResponseHead::new(),
            probe,
            idle_since: Instant::now(),
            reused: false,
        }
    }

    /// Whether an idle connection can carry another call: not interrupted, not idle too
    /// long, and nothing arrived on it while it was idle (neither the end of the stream
    /// nor bytes the server sent unasked, which the call would read as its response; see
    /// [`Probe::stale`]), checked on every reuse.
    pub(crate) fn is_usable(&self, idle_timeout: Duration) -> bool {
        !self.r.is_interrupted()
            && !self.w.is_interrupted()
            && self.idle_since.elapsed() < idle_timeout
            && !self.probe.as_ref().is_some_and(Probe::stale)
    }

    pub(crate) fn mark_idle(&mut self) {
        self.idle_since = Instant::now();
        self.reused = true;
    }
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
        bounds.begin();
        let buf = std::mem::take(&mut self.wbuf);
        match run_bounded(bounds, self.conn.w.write_all(buf)).await {
            Ok((res, buf)) => {
                self.wbuf = buf;
                res.map_err(|e| fault::io(Role::Client, true, &e))
            }
            Err(stop) => Err(stop.error("sending the request")),
        }
    }

    /// One read from the connection into the reader; end of stream is reported to it.
    async fn read(&mut self, bounds: &Bounds, doing: &'static str) -> Result<(), ConnectError> {
        let buf = self.reader.take_buffer()?;
        let read = run_bounded(bounds, self.conn.r.read_into(buf)).await;
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

    /// Reads until the response head is complete (bodies bounded by `max_body`).
    pub(crate) async fn read_head(
        &mut self,
        bounds: &Bounds,
        method: &Method,
        max_body: u64,
    ) -> Result<(), ConnectError> {
        bounds.begin();
        while !self.reader.parse_head(method, max_body)? {
            self.read(bounds, "waiting for the response").await?;
        }
        Ok(())
    }

    /// Reads more of the body (unless bytes already read decode into more).
    pub(crate) async fn fill(&mut self, bounds: &Bounds) -> Result<(), ConnectError> {
        if self.reader.decode()? || self.reader.body_done() {
            return Ok(());
        }
        self.read(bounds, "reading the response").await?;
        self.reader.decode().map(|_| ())
    }

    /// Reads the whole body.
    pub(crate) async fn read_body(&mut self, bounds: &Bounds) -> Result<(), ConnectError> {
        bounds.begin();
        while !self.reader.body_done() {
            self.fill(bounds).await?;
        }
        Ok(())
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

    /// Whether the connection can go back to the pool: the response said keep-alive, its
    /// body was read to the end, the request went out whole, and nothing was interrupted.
    pub(crate) fn reusable(&self, method: &Method) -> bool {
        self.request_sent
            && self.reader.reusable(method)
            && !self.conn.r.is_interrupted()
            && !self.conn.w.is_interrupted()
    }
}
