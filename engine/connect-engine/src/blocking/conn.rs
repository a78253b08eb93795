//! One blocking HTTP/1.1 connection and the IO of one call on it.
//!
//! Every socket read and write is bounded by a socket timeout armed, before each one, with
//! what is left until the current wait must end (the call's deadline, or the IO timeout of
//! the thing being waited for; see [`Bounds`]): the limit is a point in time, so a peer that
//! trickles bytes cannot stretch it. TLS is driven here over rustls's session directly (not
//! `rustls::StreamOwned`, whose reads loop over many socket reads under one timeout), so
//! the handshake is bounded the same way, by the connect timeout, and a refused certificate
//! fails the call at once with rustls's reason. A cancellation shuts the socket down from
//! whichever thread cancels, which wakes the blocked read or write at once.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_wire::client::{ResponseReader, Waiting};
use connect_wire::http1::{Limits, ResponseHead};
use connect_wire::{Code, ConnectError, Role, fault};
use rustls::pki_types::ServerName;

use crate::client::{Bounds, HookGuard, Origin, Scheme, Stop};

/// Which way a socket operation goes (each direction has its own socket timeout).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Read,
    Write,
}

/// A pooled connection.
pub(crate) struct Conn {
    /// The TCP socket (also for timeouts, shutdown and liveness peeks).
    socket: TcpStream,
    /// The TLS session, for `https://`.
    tls: Option<Box<rustls::ClientConnection>>,
    /// The last response's head, kept for its field vector's capacity.
    pub(crate) head: ResponseHead,
    /// Read staging buffer (reads land here, then go to the response reader).
    staging: Vec<u8>,
    idle_since: Instant,
    /// A read or write failed or timed out: never reuse.
    broken: bool,
}

/// The error of a TLS failure (a certificate refused, a bad record): rustls's reason.
fn tls_error(e: &rustls::Error, doing: &str) -> ConnectError {
    ConnectError::new(Code::Unavailable, format!("TLS error while {doing}: {e}"))
}

/// Sets the socket timeout of `direction` to what is left until `until` (at least 1 ms: a
/// zero timeout means none); fails with `stop` once nothing is left.
fn arm(
    socket: &TcpStream,
    direction: Direction,
    until: Instant,
    stop: Stop,
    doing: &'static str,
) -> Result<Stop, ConnectError> {
    let left = until.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(stop.error(doing));
    }
    let left = Some(left.max(Duration::from_millis(1)));
    match direction {
        Direction::Read => socket.set_read_timeout(left),
        Direction::Write => socket.set_write_timeout(left),
    }
    .map_err(|e| fault::io(Role::Client, direction == Direction::Write, &e))?;
    Ok(stop)
}

impl Conn {
    /// Opens a connection to `origin` (TCP, then the TLS handshake for `https://`), bounded
    /// as a whole by the connect timeout and the call's deadline.
    pub(crate) fn connect(
        origin: &Origin,
        tls: Option<&Arc<rustls::ClientConfig>>,
        connect_timeout: Duration,
        bounds: &Bounds,
    ) -> Result<Conn, ConnectError> {
        let fail = |e: &dyn std::fmt::Display| {
            ConnectError::new(
                Code::Unavailable,
                format!("connect to {}: {e}", origin.authority()),
            )
        };
        let connect_end = Instant::now() + connect_timeout;
        // The connect timeout, or the call's deadline if that comes first.
        let limit = || -> Result<(Instant, Stop), ConnectError> {
            if let Some(stop) = bounds.expired() {
                return Err(stop.error("connecting"));
            }
            let until = match bounds.deadline {
                Some(d) if d <= connect_end => return Ok((d, Stop::Deadline)),
                _ => connect_end,
            };
            if Instant::now() >= until {
                return Err(ConnectError::new(
                    Code::Unavailable,
                    format!("timed out after {connect_timeout:?}"),
                ));
            }
            Ok((until, Stop::IoTimeout))
        };
        // Failures to connect name the origin; the call's own end (deadline, cancel) stays.
        let wrap = |e: ConnectError| match e.code() {
            Code::DeadlineExceeded | Code::Canceled => e,
            _ => fail(&e.message()),
        };
        let addrs = origin.resolve().map_err(|e| fail(&e))?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address for host");
        for addr in addrs {
            let (until, _) = limit().map_err(wrap)?;
            let left = until.saturating_duration_since(Instant::now());
            let socket = match TcpStream::connect_timeout(&addr, left) {
                Ok(s) => s,
                Err(e) => {
                    last = e;
                    continue;
                }
            };
            let _ = socket.set_nodelay(true);
            let session = match origin.scheme() {
                Scheme::Http => None,
                Scheme::Https => {
                    let config = tls.ok_or_else(|| {
                        ConnectError::new(Code::Internal, "no TLS configuration for https")
                    })?;
                    let name = ServerName::try_from(origin.host().to_owned()).map_err(|e| {
                        ConnectError::new(Code::InvalidArgument, format!("TLS server name: {e}"))
                    })?;
                    let session =
                        rustls::ClientConnection::new(config.clone(), name).map_err(|e| {
                            ConnectError::new(Code::Internal, format!("TLS setup: {e}"))
                        })?;
                    Some(Box::new(session))
                }
            };
            let mut conn = Conn {
                socket,
                tls: session,
                head: ResponseHead::new(),
                staging: Vec::new(),
                idle_since: Instant::now(),
                broken: false,
            };
            // A cancellation during the handshake shuts the socket down, as during a call.
            let hook = conn.cancel_hook(bounds);
            conn.handshake(&limit, bounds).map_err(wrap)?;
            drop(hook);
            return Ok(conn);
        }
        Err(fail(&last))
    }

    /// Runs the TLS handshake (nothing for plain TCP), each socket operation armed with
    /// what `limit` leaves.
    fn handshake(
        &mut self,
        limit: &dyn Fn() -> Result<(Instant, Stop), ConnectError>,
        bounds: &Bounds,
    ) -> Result<(), ConnectError> {
        let doing = "connecting";
        let Conn { socket, tls, .. } = self;
        let Some(tls) = tls else {
            return Ok(());
        };
        loop {
            while tls.wants_write() {
                let (until, stop) = limit()?;
                let stop = arm(socket, Direction::Write, until, stop, doing)?;
                match tls.write_tls(socket) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(socket_error(&e, bounds, stop, doing, true)),
                }
            }
            if !tls.is_handshaking() {
                return Ok(());
            }
            let (until, stop) = limit()?;
            let stop = arm(socket, Direction::Read, until, stop, doing)?;
            match tls.read_tls(socket) {
                Ok(0) if bounds.canceled() => return Err(Stop::Canceled.error(doing)),
                Ok(0) => {
                    return Err(ConnectError::new(
                        Code::Unavailable,
                        "the server closed the connection during the TLS handshake",
                    ));
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(socket_error(&e, bounds, stop, doing, false)),
            }
            if let Err(e) = tls.process_new_packets() {
                // Tell the server why (rustls queued an alert), without waiting long.
                send_alert(socket, tls);
                return Err(ConnectError::new(
                    Code::Unavailable,
                    format!("TLS handshake: {e}"),
                ));
            }
        }
    }

    /// Whether an idle connection can carry another call: not broken, not idle too long,
    /// and nothing arrived on it while it was idle — neither the end of the stream nor bytes
    /// the server sent unasked, which would be read as the next call's response (one
    /// non-blocking peek, on every reuse; see [`crate::probe::stale`]).
    pub(crate) fn is_usable(&self, idle_timeout: Duration) -> bool {
        !self.broken
            && self.idle_since.elapsed() < idle_timeout
            && !crate::probe::stale(&self.socket)
    }

    /// Whether TLS holds nothing the call did not read: no decrypted bytes left in rustls
    /// (a server that sent more than its response in the same records) and no
    /// `close_notify`. Always true for plain TCP (the socket is checked on reuse).
    fn tls_drained(&mut self) -> bool {
        self.tls.as_mut().is_none_or(|tls| {
            tls.process_new_packets()
                .is_ok_and(|io| io.plaintext_bytes_to_read() == 0 && !io.peer_has_closed())
        })
    }

    pub(crate) fn mark_idle(&mut self) {
        self.idle_since = Instant::now();
    }

    /// Shuts the socket down when `bounds`' token is canceled (from any thread).
    pub(crate) fn cancel_hook(&self, bounds: &Bounds) -> Option<HookGuard> {
        let token = bounds.cancel.as_ref()?;
        let socket = self.socket.try_clone().ok()?;
        Some(token.on_cancel(move || {
            let _ = socket.shutdown(Shutdown::Both);
        }))
    }

    /// Arms the socket timeout of `direction` for the current wait of `bounds`.
    fn arm(
        &mut self,
        direction: Direction,
        bounds: &Bounds,
        doing: &'static str,
    ) -> Result<Stop, ConnectError> {
        if let Some(stop) = bounds.exhausted() {
            self.broken = true;
            return Err(stop.error(doing));
        }
        let (until, stop) = bounds.next_wait();
        arm(&self.socket, direction, until, stop, doing).inspect_err(|_| self.broken = true)
    }

    /// The error for a failed read or write: the call's own end (cancel, deadline, IO
    /// timeout) when that is why, else the socket error.
    fn io_error(
        &mut self,
        e: &io::Error,
        bounds: &Bounds,
        stop: Stop,
        doing: &'static str,
        writing: bool,
    ) -> ConnectError {
        self.broken = true;
        socket_error(e, bounds, stop, doing, writing)
    }

    /// Writes all of `buf`, one wait ([`Bounds::begin_sending`]).
    pub(crate) fn write_all(&mut self, buf: &[u8], bounds: &Bounds) -> Result<(), ConnectError> {
        bounds.begin_sending(buf.len());
        let doing = "sending the request";
        let mut rest = buf;
        loop {
            // Plaintext into TLS records first (rustls takes what its buffer limit allows).
            if let Some(tls) = &mut self.tls {
                while !rest.is_empty() {
                    match tls.writer().write(rest) {
                        Ok(0) => break,
                        Ok(n) => rest = &rest[n..],
                        Err(e) => {
                            self.broken = true;
                            return Err(fault::io(Role::Client, true, &e));
                        }
                    }
                }
                if !tls.wants_write() {
                    if rest.is_empty() {
                        return Ok(());
                    }
                    continue;
                }
            } else if rest.is_empty() {
                return Ok(());
            }
            let stop = self.arm(Direction::Write, bounds, doing)?;
            let Conn { socket, tls, .. } = self;
            let written = match tls {
                Some(tls) => tls.write_tls(socket),
                None => socket.write(rest),
            };
            match written {
                Ok(0) => {
                    self.broken = true;
                    return Err(fault::io(
                        Role::Client,
                        true,
                        &io::ErrorKind::WriteZero.into(),
                    ));
                }
                Ok(n) if self.tls.is_none() => rest = &rest[n..],
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error(&e, bounds, stop, doing, true)),
            }
        }
    }

    /// One read into `reader` (end of stream is reported to it). Over TLS, as many socket
    /// reads as it takes to get plaintext, each armed with what is left of the wait.
    pub(crate) fn read(
        &mut self,
        reader: &mut ResponseReader,
        bounds: &Bounds,
        doing: &'static str,
    ) -> Result<(), ConnectError> {
        let room = reader.room().min(64 << 10);
        if self.staging.len() < room {
            self.staging.resize(room, 0);
        }
        loop {
            if let Some(tls) = &mut self.tls {
                match tls.reader().read(&mut self.staging[..room]) {
                    Ok(0) => return self.end_of_stream(reader, bounds, doing),
                    Ok(n) => return deliver(reader, bounds, &self.staging[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    // The peer closed without close_notify: HTTP/1.1 frames its own
                    // messages, so the response reader decides whether that cut one short.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                        return self.end_of_stream(reader, bounds, doing);
                    }
                    Err(e) => {
                        self.broken = true;
                        return Err(fault::io(Role::Client, false, &e));
                    }
                }
                // What reading made rustls want to send (a key update's answer).
                if tls.wants_write() {
                    let stop = self.arm(Direction::Write, bounds, doing)?;
                    let Conn { socket, tls, .. } = self;
                    if let Some(tls) = tls
                        && let Err(e) = tls.write_tls(socket)
                    {
                        return Err(self.io_error(&e, bounds, stop, doing, true));
                    }
                    continue;
                }
            }
            let stop = self.arm(Direction::Read, bounds, doing)?;
            let Conn {
                socket,
                tls,
                staging,
                ..
            } = self;
            let read = match tls {
                Some(tls) => tls.read_tls(socket),
                None => socket.read(&mut staging[..room]),
            };
            match read {
                Ok(0) if self.tls.is_none() => {
                    return self.end_of_stream(reader, bounds, doing);
                }
                Ok(n) if self.tls.is_none() => return deliver(reader, bounds, &self.staging[..n]),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.io_error(&e, bounds, stop, doing, false)),
            }
            let Conn { socket, tls, .. } = self;
            if let Some(tls) = tls
                && let Err(e) = tls.process_new_packets()
            {
                send_alert(socket, tls);
                self.broken = true;
                return Err(tls_error(&e, doing));
            }
        }
    }

    /// The connection reached end of stream (or was shut down by a cancellation).
    fn end_of_stream(
        &mut self,
        reader: &mut ResponseReader,
        bounds: &Bounds,
        doing: &'static str,
    ) -> Result<(), ConnectError> {
        self.broken = true;
        if bounds.canceled() {
            return Err(Stop::Canceled.error(doing));
        }
        reader.eof()
    }
}

/// Hands bytes read to `reader`; body bytes extend the current wait
/// ([`Bounds::progressed`]).
fn deliver(reader: &mut ResponseReader, bounds: &Bounds, bytes: &[u8]) -> Result<(), ConnectError> {
    if reader.has_head() {
        bounds.progressed(bytes.len());
    }
    reader.append(bytes)
}

/// The error for a failed socket operation: the call's own end (cancel, deadline, IO
/// timeout) when that is why, else the socket error.
fn socket_error(
    e: &io::Error,
    bounds: &Bounds,
    stop: Stop,
    doing: &'static str,
    writing: bool,
) -> ConnectError {
    if bounds.canceled() {
        return Stop::Canceled.error(doing);
    }
    if matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    ) {
        return stop.error(doing);
    }
    fault::io(Role::Client, writing, e)
}

/// Sends the alert rustls queued after a failure, giving it at most 100 ms: the call fails
/// either way.
fn send_alert(socket: &mut TcpStream, tls: &mut rustls::ClientConnection) {
    let _ = socket.set_write_timeout(Some(Duration::from_millis(100)));
    while tls.wants_write() {
        if tls.write_tls(socket).is_err() {
            break;
        }
    }
}

/// One call on a connection: the IO around a [`ResponseReader`].
pub(crate) struct Exchange {
    pub(crate) conn: Conn,
    pub(crate) reader: ResponseReader,
    pub(crate) request_sent: bool,
    /// Shuts the socket down if the call is canceled while it runs.
    _hook: Option<HookGuard>,
}

impl Exchange {
    pub(crate) fn new(
        mut conn: Conn,
        rbuf: Vec<u8>,
        limits: Limits,
        max_buffer: usize,
        bounds: &Bounds,
    ) -> Self {
        let head = std::mem::take(&mut conn.head);
        let hook = conn.cancel_hook(bounds);
        Exchange {
            conn,
            reader: ResponseReader::new(rbuf, head, limits, max_buffer),
            request_sent: false,
            _hook: hook,
        }
    }

    pub(crate) fn send(&mut self, buf: &[u8], bounds: &Bounds) -> Result<(), ConnectError> {
        self.conn.write_all(buf, bounds)?;
        self.request_sent = true;
        Ok(())
    }

    /// Whether the connection can go back to the pool as far as its IO goes: the request
    /// went out whole, nothing broke, and TLS has no unread records (the call decides the
    /// rest).
    pub(crate) fn reusable(&mut self) -> bool {
        self.request_sent && !self.conn.broken && self.conn.tls_drained()
    }

    /// One read a call asked for ([`connect_wire::client::Need::Read`]); the first of each
    /// part of the response restarts the IO timer.
    pub(crate) fn receive(
        &mut self,
        bounds: &Bounds,
        waiting: Waiting,
        fresh: bool,
    ) -> Result<(), ConnectError> {
        if fresh {
            bounds.begin();
        }
        self.conn.read(&mut self.reader, bounds, waiting.doing())
    }

    /// The connection (head kept for reuse) and the read buffer.
    pub(crate) fn into_parts(self) -> (Conn, Vec<u8>) {
        let Exchange {
            mut conn, reader, ..
        } = self;
        let (rbuf, head) = reader.into_parts();
        conn.head = head;
        (conn, rbuf)
    }
}
