//! Server-side TLS over rustls, driven directly on monoio's TCP halves.
//!
//! Why not monoio-rustls (which the client still uses): its stream keeps two 16 KiB buffers
//! per connection for the connection's whole life (allocated zeroed, so resident), and it
//! exposes nothing of the session after the handshake but ALPN — no SNI name, no client
//! certificates. Here the session is ours: [`accept`] returns what the handshake settled
//! ([`TlsInfo`]), and ciphertext buffers come from the thread's pool only while records are
//! in flight, so an idle TLS connection holds rustls's own state and nothing else.
//!
//! The read and write halves share the rustls session through an `Rc<RefCell<_>>`; neither
//! holds the borrow across an await, so a handler may read and write at once. What the read
//! side makes rustls want to send (a key update, an alert) goes out with the next write.

use std::cell::RefCell;
use std::io::{self, BufRead as _, Write as _};
use std::rc::Rc;
use std::sync::Arc;

use monoio::io::{AsyncReadRent, AsyncWriteRent, AsyncWriteRentExt, OwnedReadHalf, OwnedWriteHalf};
use monoio::net::TcpStream;
use rustls::ServerConnection;

use crate::buffers as pool;
use crate::server::TlsInfo;

/// Ciphertext read per TCP read (a TLS record is at most 16 KiB plus overhead).
const CIPHER_READ: usize = 16 * 1024 + 512;

/// A TLS connection whose handshake is done, before it is split.
pub(crate) struct TlsServerStream {
    tcp: TcpStream,
    session: ServerConnection,
    /// Ciphertext that arrived with the handshake but belongs to what follows it.
    pending: Vec<u8>,
}

/// Runs the server side of a TLS handshake on `tcp`.
///
/// # Errors
/// The handshake failed (bad records, no common parameters, a client certificate the
/// verifier refused) or the connection broke or closed.
pub(crate) async fn accept(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
) -> io::Result<(TlsServerStream, TlsInfo)> {
    let mut session = ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tcp = tcp;
    let mut cipher = pool::take(CIPHER_READ);
    let mut out = Vec::new();
    let result = loop {
        if let Err(e) = flush_session(&mut tcp, &mut session, &mut out).await {
            break Err(e);
        }
        if !session.is_handshaking() {
            break Ok(());
        }
        if cipher.len() == cipher.capacity() {
            cipher.reserve(CIPHER_READ);
        }
        let (res, buf) = read_into(&mut tcp, cipher).await;
        cipher = buf;
        match res {
            Ok(0) => break Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => {}
            Err(e) => break Err(e),
        }
        if let Err(e) = feed(&mut session, &mut cipher) {
            // Tell the client why (rustls queued an alert), then give up.
            let _ = flush_session(&mut tcp, &mut session, &mut out).await;
            break Err(e);
        }
    };
    result?;
    let info = TlsInfo {
        alpn: session.alpn_protocol().map(<[u8]>::to_vec),
        server_name: session.server_name().map(str::to_owned),
        client_certificates: session
            .peer_certificates()
            .map(|c| c.iter().map(|d| d.clone().into_owned()).collect())
            .unwrap_or_default(),
    };
    // What came after the handshake's last record stays for the first read.
    let pending = if cipher.is_empty() {
        pool::give(cipher, CIPHER_READ);
        Vec::new()
    } else {
        cipher
    };
    Ok((
        TlsServerStream {
            tcp,
            session,
            pending,
        },
        info,
    ))
}

/// Reads from `tcp` into the spare capacity of `buf`.
async fn read_into(tcp: &mut TcpStream, buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
    let len = buf.len();
    let (res, slice) = tcp.read(monoio::buf::IoBufMut::slice_mut(buf, len..)).await;
    (res, slice.into_inner())
}

/// Hands buffered ciphertext to rustls and processes it, until rustls has plaintext for the
/// reader (its plaintext buffer is bounded: feeding more before it is read fails) or the
/// handshake ends; what rustls did not take stays at the front of `cipher`.
fn feed(session: &mut ServerConnection, cipher: &mut Vec<u8>) -> io::Result<()> {
    let mut offset = 0;
    let handshaking = session.is_handshaking();
    while offset < cipher.len() {
        let mut rest = &cipher[offset..];
        let n = session.read_tls(&mut rest)?;
        let state = session
            .process_new_packets()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        offset += n;
        if n == 0
            || state.plaintext_bytes_to_read() > 0
            || (handshaking && !session.is_handshaking())
        {
            break;
        }
    }
    cipher.drain(..offset);
    Ok(())
}

/// Writes out whatever rustls wants to send.
async fn flush_session<W: AsyncWriteRent>(
    tcp: &mut W,
    session: &mut ServerConnection,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    while session.wants_write() {
        out.clear();
        session.write_tls(out)?;
        let (res, buf) = tcp.write_all(std::mem::take(out)).await;
        *out = buf;
        res?;
    }
    Ok(())
}

impl TlsServerStream {
    /// Splits into a read half and a write half sharing the session.
    pub(crate) fn split(self) -> (TlsReader, TlsWriter) {
        let (r, w) = monoio::io::Splitable::into_split(self.tcp);
        let session = Rc::new(RefCell::new(self.session));
        (
            TlsReader {
                tcp: r,
                session: session.clone(),
                cipher: self.pending,
                eof: false,
            },
            TlsWriter { tcp: w, session },
        )
    }
}

/// The read half: plaintext out of TLS records.
pub(crate) struct TlsReader {
    tcp: OwnedReadHalf<TcpStream>,
    session: Rc<RefCell<ServerConnection>>,
    /// Ciphertext read but not yet taken by rustls (empty, and holding no buffer, between
    /// records).
    cipher: Vec<u8>,
    /// The peer closed its side of the TCP connection.
    eof: bool,
}

impl TlsReader {
    /// Reads plaintext into the spare capacity of `buf` (appending); `Ok(0)` when the peer
    /// has closed (with or without `close_notify`: HTTP/1.1 frames its own messages).
    pub(crate) async fn read_into(&mut self, mut buf: Vec<u8>) -> (io::Result<usize>, Vec<u8>) {
        loop {
            // Plaintext rustls already holds.
            {
                let mut session = self.session.borrow_mut();
                let mut reader = session.reader();
                match reader.fill_buf() {
                    Ok([]) => return (Ok(0), buf),
                    Ok(chunk) => {
                        let n = chunk.len().min(buf.capacity() - buf.len());
                        buf.extend_from_slice(&chunk[..n]);
                        reader.consume(n);
                        return (Ok(n), buf);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return (Ok(0), buf),
                    Err(e) => return (Err(e), buf),
                }
                // Ciphertext not yet fed.
                if !self.cipher.is_empty() {
                    let before = self.cipher.len();
                    if let Err(e) = feed(&mut session, &mut self.cipher) {
                        return (Err(e), buf);
                    }
                    if self.cipher.is_empty() {
                        pool::give(std::mem::take(&mut self.cipher), CIPHER_READ);
                    }
                    if self.cipher.len() < before {
                        continue;
                    }
                }
                if self.eof {
                    // Tell rustls the stream ended; the next fill_buf reports how.
                    let _ = session.read_tls(&mut &[][..]);
                    if let Err(e) = session.process_new_packets() {
                        return (Err(io::Error::new(io::ErrorKind::InvalidData, e)), buf);
                    }
                    continue;
                }
            }
            // More ciphertext from the socket, into a pooled buffer.
            let mut cipher = std::mem::take(&mut self.cipher);
            if cipher.capacity() == 0 {
                cipher = pool::take(CIPHER_READ);
            } else if cipher.len() == cipher.capacity() {
                cipher.reserve(CIPHER_READ);
            }
            let len = cipher.len();
            let (res, slice) = self
                .tcp
                .read(monoio::buf::IoBufMut::slice_mut(cipher, len..))
                .await;
            self.cipher = slice.into_inner();
            match res {
                Ok(0) => self.eof = true,
                Ok(_) => {}
                Err(e) => return (Err(e), buf),
            }
        }
    }
}

/// The write half: plaintext into TLS records.
pub(crate) struct TlsWriter {
    tcp: OwnedWriteHalf<TcpStream>,
    session: Rc<RefCell<ServerConnection>>,
}

impl TlsWriter {
    /// Encrypts and writes all of `buf`; returns it for reuse.
    pub(crate) async fn write_all(&mut self, buf: Vec<u8>) -> (io::Result<()>, Vec<u8>) {
        let mut out = pool::take(buf.len() + 1024);
        let mut written = 0;
        let result = loop {
            // Encrypt as much as rustls takes, then send it.
            {
                let mut session = self.session.borrow_mut();
                while written < buf.len() {
                    match session.writer().write(&buf[written..]) {
                        Ok(0) => break,
                        Ok(n) => written += n,
                        Err(e) => return (Err(e), buf),
                    }
                }
                out.clear();
                while session.wants_write() {
                    if let Err(e) = session.write_tls(&mut out) {
                        return (Err(e), buf);
                    }
                }
            }
            if out.is_empty() {
                break Ok(());
            }
            let (res, b) = self.tcp.write_all(out).await;
            out = b;
            if let Err(e) = res {
                break Err(e);
            }
            if written == buf.len() && !self.session.borrow().wants_write() {
                break Ok(());
            }
        };
        pool::give(out, 16 << 10);
        (result, buf)
    }

    /// Sends `close_notify` and shuts the TCP write side down.
    pub(crate) async fn shutdown(&mut self) -> io::Result<()> {
        let mut out = Vec::new();
        {
            let mut session = self.session.borrow_mut();
            session.send_close_notify();
            while session.wants_write() {
                session.write_tls(&mut out)?;
            }
        }
        if !out.is_empty() {
            let (res, _) = self.tcp.write_all(out).await;
            res?;
        }
        self.tcp.shutdown().await
    }
}
