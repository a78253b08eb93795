//! The connection transport, for both roles: plain TCP, TLS (server or client side) or a
//! Unix socket, split into read and write halves so a streaming call can read and write
//! through separate handles.
//!
//! Each half remembers whether an operation on it was interrupted: a read or write future
//! dropped before completion (a timeout, a handler deadline) loses its buffer with io_uring,
//! may have consumed or sent part of the data, and leaves monoio-rustls without its internal
//! buffer (the next read would panic). An interrupted half is never used again; the
//! connection is closed.

use std::io;

use monoio::buf::{IoBufMut, SliceMut};
use monoio::io::{
    AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt, OwnedReadHalf, OwnedWriteHalf, Splitable,
};
use monoio::net::TcpStream;

type ServerTls = crate::tls::TlsServerStream;
type ClientTls = monoio_rustls::ClientTlsStream<TcpStream>;

/// A connected stream: TCP, TLS over TCP (either side), or a Unix socket. A client's
/// [`Connector`](crate::client::Connector) returns one.
pub struct Transport {
    kind: Kind,
    /// A second handle to the TCP socket, for checking an idle pooled connection without a
    /// read posted (see [`Probe`]).
    probe: Option<std::net::TcpStream>,
}

enum Kind {
    Tcp(TcpStream),
    ServerTls(Box<ServerTls>),
    ClientTls(Box<ClientTls>),
    Unix(monoio::net::UnixStream),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.kind {
            Kind::Tcp(_) => "Transport::Tcp",
            Kind::ServerTls(_) => "Transport::ServerTls",
            Kind::ClientTls(_) => "Transport::ClientTls",
            Kind::Unix(_) => "Transport::Unix",
        })
    }
}

impl Transport {
    /// A plain TCP connection.
    #[must_use]
    pub fn tcp(stream: TcpStream) -> Self {
        Transport::of(Kind::Tcp(stream))
    }

    fn of(kind: Kind) -> Self {
        Transport { kind, probe: None }
    }

    /// Adds a second handle to the connection's TCP socket (a `try_clone` of the
    /// `std::net::TcpStream` it was made from). The async client peeks through it, without
    /// a read posted, to check that nothing arrived on an idle pooled connection: always
    /// for TLS, and for plain connections idle long enough that the read it keeps posted
    /// may not have been polled by the runtime.
    #[must_use]
    pub fn with_probe(mut self, probe: std::net::TcpStream) -> Self {
        self.probe = Some(probe);
        self
    }

    /// Takes the probe handle, if any.
    pub(crate) fn take_probe(&mut self) -> Option<Probe> {
        self.probe.take().map(|socket| Probe { socket })
    }

    /// Whether the stream is TLS.
    pub(crate) fn is_tls(&self) -> bool {
        matches!(self.kind, Kind::ServerTls(_) | Kind::ClientTls(_))
    }

    /// A TLS connection, client side (e.g. from `monoio_rustls::TlsConnector`).
    #[must_use]
    pub fn tls_client(stream: ClientTls) -> Self {
        Transport::of(Kind::ClientTls(Box::new(stream)))
    }

    /// A TLS connection, server side.
    pub(crate) fn tls_server(stream: ServerTls) -> Self {
        Transport::of(Kind::ServerTls(Box::new(stream)))
    }

    /// A Unix-domain socket connection.
    #[must_use]
    pub fn unix(stream: monoio::net::UnixStream) -> Self {
        Transport::of(Kind::Unix(stream))
    }

    pub(crate) fn split(self) -> (ReadHalf, WriteHalf) {
        let (r, w) = match self.kind {
            Kind::Tcp(s) => {
                let (r, w) = s.into_split();
                (Reader::Tcp(r), Writer::Tcp(w))
            }
            Kind::ServerTls(s) => {
                let (r, w) = (*s).split();
                (Reader::ServerTls(r), Writer::ServerTls(w))
            }
            Kind::ClientTls(s) => {
                let (r, w) = (*s).into_split();
                (Reader::ClientTls(r), Writer::ClientTls(w))
            }
            Kind::Unix(s) => {
                let (r, w) = s.into_split();
                (Reader::Unix(r), Writer::Unix(w))
            }
        };
        (
            ReadHalf {
                io: r,
                interrupted: false,
            },
            WriteHalf {
                io: w,
                interrupted: false,
            },
        )
    }
}

enum Reader {
    Tcp(OwnedReadHalf<TcpStream>),
    ServerTls(crate::tls::TlsReader),
    ClientTls(OwnedReadHalf<ClientTls>),
    Unix(OwnedReadHalf<monoio::net::UnixStream>),
    /// No connection: a placeholder in per-thread state between connections (see
    /// [`ReadHalf::detached`]).
    Detached,
}

enum Writer {
    Tcp(OwnedWriteHalf<TcpStream>),
    ServerTls(crate::tls::TlsWriter),
    ClientTls(OwnedWriteHalf<ClientTls>),
    Unix(OwnedWriteHalf<monoio::net::UnixStream>),
    /// No connection (see [`WriteHalf::detached`]).
    Detached,
}

/// The read half of a connection.
pub(crate) struct ReadHalf {
    io: Reader,
    /// Set while a read is in flight; still set afterwards if the read was dropped.
    interrupted: bool,
}

/// The write half of a connection.
pub(crate) struct WriteHalf {
    io: Writer,
    /// Set while a write is in flight; still set afterwards if the write was dropped.
    interrupted: bool,
}

fn into_inner(
    (res, slice): (io::Result<usize>, SliceMut<Vec<u8>>),
) -> (io::Result<usize>, Vec<u8>) {
    (res, slice.into_inner())
}

fn interrupted() -> io::Error {
    io::Error::other("an earlier read or write on this connection was interrupted")
}

impl ReadHalf {
    /// A read half with no connection behind it, marked interrupted so nothing reads from
    /// it: what pooled per-call state holds between connections.
    pub(crate) fn detached() -> Self {
        ReadHalf {
            io: Reader::Detached,
            interrupted: true,
        }
    }

    /// Whether a read was dropped before it completed: the half must not be used again.
    pub(crate) fn is_interrupted(&self) -> bool {
        self.interrupted
    }

    /// Reads into the spare capacity of `buf` (appending). `Ok(0)` is end of stream: callers
    /// always leave spare capacity, so a zero-length read cannot be confused with EOF.
    pub(crate) async fn read_into(&mut self, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
        let Reader::ClientTls(r) = &mut self.io else {
            return self.read_into_server(buf).await;
        };
        if self.interrupted {
            return (Err(interrupted()), buf);
        }
        debug_assert!(buf.len() < buf.capacity(), "read with no spare capacity");
        let len = buf.len();
        self.interrupted = true;
        let (res, buf) = into_inner(r.read(buf.slice_mut(len..)).await);
        self.interrupted = false;
        (res, buf)
    }

    /// [`read_into`](Self::read_into) for the server's transports (plain, server TLS, Unix;
    /// a client TLS stream gets an error). Its future leaves out the client TLS stream's read,
    /// several times the size of the others': every idle server connection holds one.
    pub(crate) async fn read_into_server(&mut self, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
        if self.interrupted {
            return (Err(interrupted()), buf);
        }
        debug_assert!(buf.len() < buf.capacity(), "read with no spare capacity");
        let len = buf.len();
        let slice: SliceMut<Vec<u8>> = buf.slice_mut(len..);
        self.interrupted = true;
        let (res, buf) = match &mut self.io {
            Reader::ServerTls(r) => r.read_into(slice.into_inner()).await,
            Reader::Tcp(r) => into_inner(r.read(slice).await),
            Reader::Unix(r) => into_inner(r.read(slice).await),
            Reader::ClientTls(_) => (
                Err(io::Error::other("a client TLS stream read as a server's")),
                slice.into_inner(),
            ),
            Reader::Detached => (Err(interrupted()), slice.into_inner()),
        };
        self.interrupted = false;
        (res, buf)
    }
}

impl WriteHalf {
    /// A write half with no connection behind it (see [`ReadHalf::detached`]).
    pub(crate) fn detached() -> Self {
        WriteHalf {
            io: Writer::Detached,
            interrupted: true,
        }
    }

    /// Whether a write was dropped before it completed: the half must not be used again.
    pub(crate) fn is_interrupted(&self) -> bool {
        self.interrupted
    }

    /// Writes all of `buf` (and flushes TLS records), returning it cleared for reuse.
    pub(crate) async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        if self.interrupted {
            return (Err(interrupted()), buf);
        }
        self.interrupted = true;
        let (res, mut buf) = match &mut self.io {
            Writer::Tcp(w) => w.write_all(buf).await,
            Writer::ServerTls(w) => {
                let (res, buf) = w.write_all(buf).await;
                (res.map(|()| 0), buf)
            }
            Writer::ClientTls(w) => {
                let (res, buf) = w.write_all(buf).await;
                let res = match res {
                    Ok(n) => w.flush().await.map(|()| n),
                    Err(e) => Err(e),
                };
                (res, buf)
            }
            Writer::Unix(w) => w.write_all(buf).await,
            Writer::Detached => (Err(interrupted()), buf),
        };
        self.interrupted = false;
        buf.clear();
        (res.map(|_| ()), buf)
    }

    /// Shuts down the write side (TLS: sends close_notify). Skipped after an interruption.
    pub(crate) async fn shutdown(&mut self) -> io::Result<()> {
        if self.interrupted {
            return Err(interrupted());
        }
        self.interrupted = true;
        let r = match &mut self.io {
            Writer::Tcp(w) => w.shutdown().await,
            Writer::ServerTls(w) => w.shutdown().await,
            Writer::ClientTls(w) => w.shutdown().await,
            Writer::Unix(w) => w.shutdown().await,
            Writer::Detached => Err(interrupted()),
        };
        self.interrupted = false;
        r
    }
}

/// A second handle to a connection's socket, for checking an idle pooled connection.
#[derive(Debug)]
pub(crate) struct Probe {
    socket: std::net::TcpStream,
}

impl Probe {
    /// Whether anything arrived on the idle connection (see [`crate::probe::stale`]): a
    /// non-blocking peek, no read posted.
    pub(crate) fn stale(&self) -> bool {
        crate::probe::stale(&self.socket)
    }
}

/// Why [`read_more`] failed.
pub(crate) enum ReadError {
    /// The peer closed the connection.
    Eof,
    /// The buffer may not grow further.
    Full,
    /// A socket error.
    Io(io::Error),
    /// The deadline passed. The read was dropped: the buffer is gone (left empty) and the
    /// read half is marked interrupted, so the connection must close.
    TimedOut,
}

/// Reads more bytes onto the end of `buf`, growing it (up to `max_capacity`) when full,
/// waiting until `deadline` at most. For the server's transports (see
/// [`ReadHalf::read_into_server`]).
pub(crate) async fn read_more(
    r: &mut ReadHalf,
    buf: &mut Vec<u8>,
    max_capacity: usize,
    deadline: monoio::time::Instant,
) -> Result<usize, ReadError> {
    if buf.len() == buf.capacity() {
        if buf.capacity() >= max_capacity {
            return Err(ReadError::Full);
        }
        let grow = buf.capacity().max(4096).min(max_capacity - buf.capacity());
        buf.reserve_exact(grow);
    }
    let taken = std::mem::take(buf);
    let Ok((res, taken)) = monoio::time::timeout_at(deadline, r.read_into_server(taken)).await
    else {
        return Err(ReadError::TimedOut);
    };
    *buf = taken;
    match res {
        Ok(0) => Err(ReadError::Eof),
        Ok(n) => Ok(n),
        Err(e) => Err(ReadError::Io(e)),
    }
}
