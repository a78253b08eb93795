//! The connection transport: plain TCP or TLS, split into read and write halves so a
//! streaming call can read requests and write responses through separate handles.
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

type TlsStream = monoio_rustls::ServerTlsStream<TcpStream>;

/// A connected stream, TCP or TLS.
pub(crate) enum Transport {
    Tcp(TcpStream),
    Tls(Box<TlsStream>),
}

impl Transport {
    pub(crate) fn split(self) -> (ReadHalf, WriteHalf) {
        let (r, w) = match self {
            Transport::Tcp(s) => {
                let (r, w) = s.into_split();
                (Reader::Tcp(r), Writer::Tcp(w))
            }
            Transport::Tls(s) => {
                let (r, w) = (*s).into_split();
                (Reader::Tls(r), Writer::Tls(w))
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
    Tls(OwnedReadHalf<TlsStream>),
}

enum Writer {
    Tcp(OwnedWriteHalf<TcpStream>),
    Tls(OwnedWriteHalf<TlsStream>),
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

fn interrupted() -> io::Error {
    io::Error::other("an earlier read or write on this connection was interrupted")
}

impl ReadHalf {
    /// Whether a read was dropped before it completed: the half must not be used again.
    pub(crate) fn is_interrupted(&self) -> bool {
        self.interrupted
    }

    /// Reads into the spare capacity of `buf` (appending). `Ok(0)` is end of stream: callers
    /// always leave spare capacity, so a zero-length read cannot be confused with EOF.
    pub(crate) async fn read_into(&mut self, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
        if self.interrupted {
            return (Err(interrupted()), buf);
        }
        debug_assert!(buf.len() < buf.capacity(), "read with no spare capacity");
        let len = buf.len();
        let slice: SliceMut<Vec<u8>> = buf.slice_mut(len..);
        self.interrupted = true;
        let (res, slice) = match &mut self.io {
            Reader::Tcp(r) => r.read(slice).await,
            Reader::Tls(r) => r.read(slice).await,
        };
        self.interrupted = false;
        (res, slice.into_inner())
    }
}

impl WriteHalf {
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
            Writer::Tls(w) => {
                let (res, buf) = w.write_all(buf).await;
                let res = match res {
                    Ok(n) => w.flush().await.map(|()| n),
                    Err(e) => Err(e),
                };
                (res, buf)
            }
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
            Writer::Tls(w) => w.shutdown().await,
        };
        self.interrupted = false;
        r
    }
}
