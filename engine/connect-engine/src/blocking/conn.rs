//! One blocking HTTP/1.1 connection and the IO of one call on it. Every read and write is
//! bounded by socket timeouts set from the call's deadline and the IO timeout; a
//! cancellation shuts the socket down from whichever thread cancels, which wakes the
//! blocked read or write at once.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_wire::client::ResponseReader;
use connect_wire::http1::{Limits, ResponseHead};
use connect_wire::{Code, ConnectError, Role, fault};
use http::Method;
use rustls::pki_types::ServerName;

use crate::client::{Bounds, HookGuard, Origin, Scheme, Stop};

/// Plain TCP or TLS over TCP.
enum Stream {
    Tcp(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// A pooled connection.
pub(crate) struct Conn {
    stream: Stream,
    /// The TCP socket (the same one: timeouts, shutdown, liveness peeks).
    socket: TcpStream,
    tls: bool,
    /// The last response's head, kept for its field vector's capacity.
    pub(crate) head: ResponseHead,
    /// Read staging buffer (reads land here, then go to the response reader).
    staging: Vec<u8>,
    idle_since: Instant,
    /// A read or write failed or timed out: never reuse.
    broken: bool,
}

impl Conn {
    /// Opens a connection to `origin`, bounded by the connect timeout and the call's
    /// deadline.
    pub(crate) fn connect(
        origin: &Origin,
        tls: Option<&Arc<rustls::ClientConfig>>,
        connect_timeout: Duration,
        bounds: &Bounds,
    ) -> Result<Conn, ConnectError> {
        let fail = |e: io::Error| {
            ConnectError::new(
                Code::Unavailable,
                format!("connect to {}: {e}", origin.authority()),
            )
        };
        let addrs = origin.resolve().map_err(fail)?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address for host");
        for addr in addrs {
            if let Some(stop) = bounds.expired() {
                return Err(stop.error("connecting"));
            }
            let (until, stop) = bounds.next_wait();
            let left = until
                .saturating_duration_since(Instant::now())
                .min(connect_timeout);
            if left.is_zero() {
                return Err(stop.error("connecting"));
            }
            let socket = match TcpStream::connect_timeout(&addr, left) {
                Ok(s) => s,
                Err(e) => {
                    last = e;
                    continue;
                }
            };
            let _ = socket.set_nodelay(true);
            let io = socket.try_clone().map_err(fail)?;
            let stream = match origin.scheme() {
                Scheme::Http => Stream::Tcp(io),
                Scheme::Https => {
                    let config = tls.ok_or_else(|| {
                        ConnectError::new(Code::Internal, "no TLS configuration for https")
                    })?;
                    let name = ServerName::try_from(origin.host().to_owned()).map_err(|e| {
                        ConnectError::new(Code::InvalidArgument, format!("TLS server name: {e}"))
                    })?;
                    let conn =
                        rustls::ClientConnection::new(config.clone(), name).map_err(|e| {
                            ConnectError::new(Code::Internal, format!("TLS setup: {e}"))
                        })?;
                    Stream::Tls(Box::new(rustls::StreamOwned::new(conn, io)))
                }
            };
            return Ok(Conn {
                stream,
                tls: matches!(origin.scheme(), Scheme::Https),
                socket,
                head: ResponseHead::new(),
                staging: Vec::new(),
                idle_since: Instant::now(),
                broken: false,
            });
        }
        Err(fail(last))
    }

    /// Whether an idle connection can carry another call: not broken, not idle too long,
    /// not closed by the peer meanwhile (a non-blocking peek, as the async client does).
    pub(crate) fn is_usable(&self, idle_timeout: Duration) -> bool {
        let idle = self.idle_since.elapsed();
        if self.broken || idle >= idle_timeout {
            return false;
        }
        idle < crate::probe::UNCHECKED_IDLE || !crate::probe::peer_closed(&self.socket, self.tls)
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

    /// Sets the socket timeouts for the next wait; fails when none is left.
    fn arm(&mut self, bounds: &Bounds, doing: &'static str) -> Result<Stop, ConnectError> {
        if let Some(stop) = bounds.expired() {
            self.broken = true;
            return Err(stop.error(doing));
        }
        let (until, stop) = bounds.next_wait();
        let left = until
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let set = self
            .socket
            .set_read_timeout(Some(left))
            .and_then(|()| self.socket.set_write_timeout(Some(left)));
        set.map_err(|e| fault::io(Role::Client, false, &e))?;
        Ok(stop)
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

    /// Writes all of `buf`.
    pub(crate) fn write_all(&mut self, buf: &[u8], bounds: &Bounds) -> Result<(), ConnectError> {
        let doing = "sending the request";
        let mut rest = buf;
        while !rest.is_empty() {
            let stop = self.arm(bounds, doing)?;
            match self.stream.write(rest) {
                Ok(0) => {
                    self.broken = true;
                    return Err(fault::io(
                        Role::Client,
                        true,
                        &io::ErrorKind::WriteZero.into(),
                    ));
                }
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error(&e, bounds, stop, doing, true)),
            }
        }
        let stop = self.arm(bounds, doing)?;
        self.stream
            .flush()
            .map_err(|e| self.io_error(&e, bounds, stop, doing, true))
    }

    /// One read into `reader` (end of stream is reported to it).
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
            let stop = self.arm(bounds, doing)?;
            match self.stream.read(&mut self.staging[..room]) {
                Ok(0) => {
                    if bounds.canceled() {
                        self.broken = true;
                        return Err(Stop::Canceled.error(doing));
                    }
                    return reader.eof();
                }
                Ok(n) => return reader.append(&self.staging[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_error(&e, bounds, stop, doing, false)),
            }
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

    pub(crate) fn read_head(
        &mut self,
        bounds: &Bounds,
        method: &Method,
        max_body: u64,
    ) -> Result<(), ConnectError> {
        while !self.reader.parse_head(method, max_body)? {
            self.conn
                .read(&mut self.reader, bounds, "waiting for the response")?;
        }
        Ok(())
    }

    pub(crate) fn fill(&mut self, bounds: &Bounds) -> Result<(), ConnectError> {
        if self.reader.decode()? || self.reader.body_done() {
            return Ok(());
        }
        self.conn
            .read(&mut self.reader, bounds, "reading the response")?;
        self.reader.decode().map(|_| ())
    }

    pub(crate) fn read_body(&mut self, bounds: &Bounds) -> Result<(), ConnectError> {
        while !self.reader.body_done() {
            self.fill(bounds)?;
        }
        Ok(())
    }

    pub(crate) fn reusable(&self, method: &Method) -> bool {
        self.request_sent && self.reader.reusable(method) && !self.conn.broken
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
