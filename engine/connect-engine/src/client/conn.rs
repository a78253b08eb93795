//! One HTTP/1.1 client connection and the IO of one call on it: write the request, read the
//! response head, read the body. Every wait is bounded by the call's deadline, the IO
//! timeout and its cancellation token; an interrupted connection is never reused.

use std::future::Future;
use std::time::{Duration, Instant};

use connect_wire::http1::{
    BodyDecoder, DecodeBody, Limits, ResponseHead, ResponseParser, Status, decode_buffered,
};
use connect_wire::{Code, ConnectError, Role, fault};
use http::Method;

use super::options::CancelToken;
use crate::transport::{Probe, ReadError, ReadHalf, Transport, WriteHalf, read_more};

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
    /// long, not closed by the peer meanwhile.
    pub(crate) fn is_usable(&self, idle_timeout: Duration) -> bool {
        !self.r.is_interrupted()
            && !self.w.is_interrupted()
            && self.idle_since.elapsed() < idle_timeout
            && !self.probe.as_ref().is_some_and(Probe::peer_closed)
    }

    pub(crate) fn mark_idle(&mut self) {
        self.idle_since = Instant::now();
        self.reused = true;
    }
}

/// The limits on one call's waits.
#[derive(Clone, Debug)]
pub(crate) struct Guard {
    /// The call's deadline.
    pub(crate) deadline: Option<Instant>,
    /// The longest wait for one read or write when the deadline is later.
    pub(crate) io_timeout: Duration,
    /// Cancels the call.
    pub(crate) cancel: Option<CancelToken>,
}

/// Why a guarded wait ended early.
pub(crate) enum Stop {
    Deadline,
    IoTimeout,
    Canceled,
}

impl Stop {
    pub(crate) fn error(self, doing: &'static str) -> ConnectError {
        match self {
            Stop::Deadline => fault::deadline_exceeded(doing),
            Stop::IoTimeout => ConnectError::new(
                Code::Unavailable,
                format!("the server stopped responding while {doing}"),
            ),
            Stop::Canceled => ConnectError::new(Code::Canceled, "call canceled"),
        }
    }
}

impl Guard {
    pub(crate) fn canceled(&self) -> bool {
        self.cancel.as_ref().is_some_and(CancelToken::is_canceled)
    }

    /// The error to report once the deadline has passed, if it has.
    pub(crate) fn expired(&self) -> Option<Stop> {
        if self.canceled() {
            Some(Stop::Canceled)
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Stop::Deadline)
        } else {
            None
        }
    }

    /// Runs `fut` until it completes, the deadline or IO timeout passes, or the call is
    /// canceled (a dropped IO future leaves its connection half marked interrupted).
    pub(crate) async fn run<T>(&self, fut: impl Future<Output = T>) -> Result<T, Stop> {
        if let Some(stop) = self.expired() {
            return Err(stop);
        }
        let io_end = Instant::now() + self.io_timeout;
        let (until, stop) = match self.deadline {
            Some(d) if d <= io_end => (d, Stop::Deadline),
            _ => (io_end, Stop::IoTimeout),
        };
        let timed = monoio::time::timeout_at(monoio::time::Instant::from_std(until), fut);
        match &self.cancel {
            None => timed.await.map_err(|_| stop),
            Some(token) => {
                monoio::select! {
                    r = timed => r.map_err(|_| stop),
                    () = token.cancelled() => Err(Stop::Canceled),
                }
            }
        }
    }
}

/// The buffers and parse state of one call on a connection.
pub(crate) struct Exchange {
    pub(crate) conn: Conn,
    /// The response as read: head, then decoded body bytes, then raw bytes.
    pub(crate) rbuf: Vec<u8>,
    /// The request being written.
    pub(crate) wbuf: Vec<u8>,
    pub(crate) head: ResponseHead,
    parser: ResponseParser,
    pub(crate) body: BodyDecoder,
    /// Where unconsumed body data starts in `rbuf`.
    pub(crate) body_pos: usize,
    /// Where decoded body data ends in `rbuf`.
    pub(crate) data_end: usize,
    /// Whether the whole request went out.
    pub(crate) request_sent: bool,
    max_buffer: usize,
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
            rbuf,
            wbuf,
            head,
            parser: ResponseParser::new(limits),
            body: BodyDecoder::Length(connect_wire::http1::ContentLengthDecoder::new(0)),
            body_pos: 0,
            data_end: 0,
            request_sent: false,
            max_buffer,
        }
    }

    /// Writes `wbuf` (and clears it).
    pub(crate) async fn write(&mut self, guard: &Guard) -> Result<(), ConnectError> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.wbuf);
        match guard.run(self.conn.w.write_all(buf)).await {
            Ok((res, buf)) => {
                self.wbuf = buf;
                res.map_err(|e| fault::io(Role::Client, true, &e))
            }
            Err(stop) => Err(stop.error("sending the request")),
        }
    }

    /// Reads until the response head is complete, then sets up the body decoder (bodies
    /// bounded by `max_body`).
    pub(crate) async fn read_head(
        &mut self,
        guard: &Guard,
        method: &Method,
        max_body: u64,
    ) -> Result<(), ConnectError> {
        self.parser.reset();
        loop {
            if !self.rbuf.is_empty() {
                match self.parser.parse(&self.rbuf, &mut self.head) {
                    Ok(Status::Complete(len)) => {
                        let limits = Limits {
                            max_body_size: max_body,
                            ..*self.parser.limits()
                        };
                        self.body = BodyDecoder::new(self.head.body_framing(method), &limits)
                            .map_err(|e| fault::body(Role::Client, e, max_body))?;
                        self.body_pos = len;
                        self.data_end = len;
                        return Ok(());
                    }
                    Ok(Status::Partial) => {}
                    Err(e) => return Err(fault::response_head(e)),
                }
            }
            let max = self.parser.limits().max_head_size.max(4096);
            match guard
                .run(read_more(
                    &mut self.conn.r,
                    &mut self.rbuf,
                    max,
                    far_future(),
                ))
                .await
            {
                Ok(Ok(_)) => {}
                Ok(Err(ReadError::Full)) => {
                    return Err(fault::response_head(
                        connect_wire::http1::Http1Error::HeadTooLarge,
                    ));
                }
                Ok(Err(ReadError::Eof)) if self.rbuf.is_empty() => {
                    return Err(ConnectError::new(
                        Code::Unavailable,
                        "the server closed the connection without a response",
                    ));
                }
                Ok(Err(ReadError::Eof)) => return Err(fault::ended_early(Role::Client)),
                Ok(Err(ReadError::Io(e))) => return Err(fault::io(Role::Client, false, &e)),
                Ok(Err(ReadError::TimedOut)) | Err(Stop::IoTimeout) => {
                    return Err(Stop::IoTimeout.error("waiting for the response"));
                }
                Err(stop) => return Err(stop.error("waiting for the response")),
            }
        }
    }

    /// The decoded body bytes not consumed yet.
    pub(crate) fn avail(&mut self) -> &mut [u8] {
        &mut self.rbuf[self.body_pos..self.data_end]
    }

    /// Runs the body decoder over bytes already read.
    fn decode(&mut self, max_body: u64) -> Result<(), ConnectError> {
        decode_buffered(&mut self.rbuf, &mut self.body, &mut self.data_end)
            .map(|_| ())
            .map_err(|e| fault::body(Role::Client, e, max_body))
    }

    /// Reads more of the body (at least one read unless bytes already read could be
    /// decoded). End of stream finishes a close-delimited body; anywhere else it is an error.
    pub(crate) async fn fill(&mut self, guard: &Guard, max_body: u64) -> Result<(), ConnectError> {
        let before = self.data_end;
        self.decode(max_body)?;
        if self.data_end > before || self.body.is_done() {
            return Ok(());
        }
        // Drop consumed bytes so a long stream does not grow the buffer.
        if self.body_pos > 0 {
            self.rbuf.drain(..self.body_pos);
            self.data_end -= self.body_pos;
            self.body_pos = 0;
        }
        match guard
            .run(read_more(
                &mut self.conn.r,
                &mut self.rbuf,
                self.max_buffer,
                far_future(),
            ))
            .await
        {
            Ok(Ok(_)) => self.decode(max_body),
            Ok(Err(ReadError::Eof)) => self
                .body
                .finish()
                .map_err(|_| fault::ended_early(Role::Client)),
            Ok(Err(ReadError::Full)) => Err(fault::message_too_large(
                Role::Client,
                self.max_buffer.saturating_sub(64 << 10),
            )),
            Ok(Err(ReadError::Io(e))) => Err(fault::io(Role::Client, false, &e)),
            Ok(Err(ReadError::TimedOut)) => Err(Stop::IoTimeout.error("reading the response")),
            Err(stop) => Err(stop.error("reading the response")),
        }
    }

    /// Reads the whole body (into `rbuf` after the head).
    pub(crate) async fn read_body(
        &mut self,
        guard: &Guard,
        max_body: u64,
    ) -> Result<(), ConnectError> {
        loop {
            self.decode(max_body)?;
            if self.body.is_done() {
                return Ok(());
            }
            self.fill(guard, max_body).await?;
        }
    }

    /// Ends the exchange: the connection (with the head kept for reuse) and the buffers.
    pub(crate) fn into_parts(self) -> (Conn, Vec<u8>, Vec<u8>) {
        let Exchange {
            mut conn,
            rbuf,
            wbuf,
            head,
            ..
        } = self;
        conn.head = head;
        (conn, rbuf, wbuf)
    }

    /// Whether the connection can go back to the pool: the response said keep-alive, its
    /// body was read to the end, the request went out whole, and nothing was interrupted.
    pub(crate) fn reusable(&self, method: &Method) -> bool {
        self.request_sent
            && self.body.is_done()
            && self.data_end == self.rbuf.len()
            && self.head.keep_alive(method)
            && !self.conn.r.is_interrupted()
            && !self.conn.w.is_interrupted()
    }
}

/// The guard bounds every read; `read_more`'s own deadline is a day away.
fn far_future() -> monoio::time::Instant {
    monoio::time::Instant::now() + Duration::from_hours(24)
}
