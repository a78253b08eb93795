//! Where connections come from: the base URL's origin and the [`Connector`] that opens a
//! [`Transport`] to it. The default connector speaks TCP and, for `https://`, TLS with
//! rustls; bring your own for Unix sockets, proxies or custom TLS.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use connect_wire::{Code, ConnectError};
use rustls::pki_types::ServerName;

use super::origin::{Origin, Scheme};
use crate::transport::Transport;

/// Opens connections for a client. Implement it to connect over a Unix socket, through a
/// proxy, or with TLS set up your own way; the client pools what it returns.
#[allow(async_fn_in_trait)] // thread-per-core: connections stay on their thread
pub trait Connector: 'static {
    /// Opens a connection to `origin`. The client bounds the time it may take
    /// ([`ClientConfig::connect_timeout`](super::ClientConfig::connect_timeout)).
    async fn connect(&self, origin: &Origin) -> io::Result<Transport>;
}

/// TCP, and TLS (rustls, ALPN `http/1.1`) for `https://` origins.
#[derive(Clone)]
pub struct DefaultConnector {
    tls: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for DefaultConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultConnector").finish_non_exhaustive()
    }
}

impl DefaultConnector {
    /// A connector using `tls` for `https://` origins.
    #[must_use]
    pub fn new(tls: Arc<rustls::ClientConfig>) -> Self {
        DefaultConnector { tls }
    }
}

/// Connects a TCP socket without blocking the thread; also returns a second handle to it
/// (a `dup`), for checking an idle pooled connection (see [`Transport::with_probe`]).
async fn connect_tcp(
    addr: SocketAddr,
) -> io::Result<(monoio::net::TcpStream, std::net::TcpStream)> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    socket.set_nodelay(true)?;
    match socket.connect(&addr.into()) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(e),
    }
    let std_stream: std::net::TcpStream = socket.into();
    let check = std_stream.try_clone()?;
    let stream = monoio::net::TcpStream::from_std(std_stream)?;
    stream.writable(false).await?;
    if let Some(e) = check.take_error()? {
        return Err(e);
    }
    // A refused connection can also show as "writable" with the error still pending.
    check.peer_addr()?;
    Ok((stream, check))
}

impl Connector for DefaultConnector {
    async fn connect(&self, origin: &Origin) -> io::Result<Transport> {
        let addrs = origin.resolve()?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address for host");
        for addr in addrs {
            let (stream, check) = match connect_tcp(addr).await {
                Ok(s) => s,
                Err(e) => {
                    last = e;
                    continue;
                }
            };
            let transport = match origin.scheme() {
                Scheme::Http => Transport::tcp(stream),
                Scheme::Https => {
                    let name = ServerName::try_from(origin.host().to_owned())
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                    let tls = monoio_rustls::TlsConnector::from(self.tls.clone())
                        .connect(name, stream)
                        .await
                        // The rustls error itself (`invalid peer certificate: UnknownIssuer`),
                        // not the wrapper's "io error".
                        .map_err(io::Error::from)?;
                    Transport::tls_client(tls)
                }
            };
            return Ok(transport.with_probe(check));
        }
        Err(last)
    }
}

/// Runs `connector` with the connect timeout; failures are `unavailable`.
pub(crate) async fn connect_with_timeout<C: Connector>(
    connector: &C,
    origin: &Origin,
    timeout: Duration,
) -> Result<Transport, ConnectError> {
    match monoio::time::timeout(timeout, connector.connect(origin)).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(ConnectError::new(
            Code::Unavailable,
            format!("connect to {}: {e}", origin.authority()),
        )),
        Err(_) => Err(ConnectError::new(
            Code::Unavailable,
            format!(
                "connect to {}: timed out after {timeout:?}",
                origin.authority()
            ),
        )),
    }
}
