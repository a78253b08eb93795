//! The connection transport: plain TCP or TLS, split into read and write halves so a
//! streaming call can read requests and write responses through separate handles.

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
        match self {
            Transport::Tcp(s) => {
                let (r, w) = s.into_split();
                (ReadHalf::Tcp(r), WriteHalf::Tcp(w))
            }
            Transport::Tls(s) => {
                let (r, w) = (*s).into_split();
                (ReadHalf::Tls(r), WriteHalf::Tls(w))
            }
        }
    }
}

/// The read half of a connection.
pub(crate) enum ReadHalf {
    Tcp(OwnedReadHalf<TcpStream>),
    Tls(OwnedReadHalf<TlsStream>),
}

/// The write half of a connection.
pub(crate) enum WriteHalf {
    Tcp(OwnedWriteHalf<TcpStream>),
    Tls(OwnedWriteHalf<TlsStream>),
}

impl ReadHalf {
    /// Reads into the spare capacity of `buf` (appending). `Ok(0)` is end of stream: callers
    /// always leave spare capacity, so a zero-length read cannot be confused with EOF.
    pub(crate) async fn read_into(&mut self, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
        debug_assert!(buf.len() < buf.capacity(), "read with no spare capacity");
        let len = buf.len();
        let slice: SliceMut<Vec<u8>> = buf.slice_mut(len..);
        let (res, slice) = match self {
            ReadHalf::Tcp(r) => r.read(slice).await,
            ReadHalf::Tls(r) => r.read(slice).await,
        };
        (res, slice.into_inner())
    }
}

impl WriteHalf {
    /// Writes all of `buf`, returning it (cleared) for reuse.
    pub(crate) async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        let (res, mut buf) = match self {
            WriteHalf::Tcp(w) => w.write_all(buf).await,
            WriteHalf::Tls(w) => w.write_all(buf).await,
        };
        buf.clear();
        (res.map(|_| ()), buf)
    }

    /// Flushes (TLS buffers records) and shuts down the write side.
    pub(crate) async fn shutdown(&mut self) -> io::Result<()> {
        match self {
            WriteHalf::Tcp(w) => w.shutdown().await,
            WriteHalf::Tls(w) => w.shutdown().await,
        }
    }

    /// Flushes buffered TLS records (a no-op for TCP).
    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        match self {
            WriteHalf::Tcp(_) => Ok(()),
            WriteHalf::Tls(w) => w.flush().await,
        }
    }
}
