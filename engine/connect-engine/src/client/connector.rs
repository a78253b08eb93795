//! Where connections come from: the base URL's origin and the [`Connector`] that opens a
//! [`Transport`] to it. The default connector speaks TCP and, for `https://`, TLS with
//! rustls; bring your own for Unix sockets, proxies or custom TLS.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use connect_wire::{Code, ConnectError};
use rustls::pki_types::ServerName;

use crate::transport::Transport;

/// `http` or `https`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP/1.1.
    Http,
    /// HTTP/1.1 over TLS.
    Https,
}

/// The parsed base URL of a client: scheme, host, port and path prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    scheme: Scheme,
    host: String,
    port: u16,
    authority: String,
    prefix: String,
}

impl Origin {
    /// Parses a base URL: `http://host[:port][/prefix]` or `https://…`. The port defaults
    /// to 80 / 443; a path prefix (e.g. `/api`) goes before every procedure path. IPv6 hosts
    /// are written in brackets. Queries and fragments are refused.
    pub fn parse(url: &str) -> Result<Origin, ConnectError> {
        let bad = |why: &str| {
            ConnectError::new(Code::InvalidArgument, format!("base URL {url:?}: {why}"))
        };
        let uri: http::Uri = url.parse().map_err(|e| bad(&format!("{e}")))?;
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            Some(other) => return Err(bad(&format!("unsupported scheme {other:?}"))),
            None => return Err(bad("missing scheme (http:// or https://)")),
        };
        let authority = uri.authority().ok_or_else(|| bad("missing host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("user information is not supported"));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return Err(bad("missing host"));
        }
        let port = authority.port_u16().unwrap_or(match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        });
        if uri.query().is_some() || url.contains('#') {
            return Err(bad("a base URL has no query or fragment"));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(Origin {
            scheme,
            host: host.to_owned(),
            port,
            authority: authority.as_str().to_owned(),
            prefix,
        })
    }

    /// The scheme.
    #[must_use]
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host (without brackets for IPv6).
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `Host` header value (`host[:port]` as written in the URL).
    #[must_use]
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The path prefix (empty, or starting with `/`, no trailing `/`).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The socket addresses of the host (a DNS lookup, which blocks the thread; IP literals
    /// do not).
    pub fn resolve(&self) -> io::Result<Vec<SocketAddr>> {
        Ok((self.host.as_str(), self.port).to_socket_addrs()?.collect())
    }
}

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

/// Connects a TCP socket without blocking the thread, keeping a second handle to the same
/// socket (a `dup`) for checking later, without a read posted, whether the peer closed an
/// idle connection.
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
    let probe = std_stream.try_clone()?;
    let stream = monoio::net::TcpStream::from_std(std_stream)?;
    stream.writable(false).await?;
    if let Some(e) = probe.take_error()? {
        return Err(e);
    }
    // A refused connection can also show as "writable" with the error still pending.
    probe.peer_addr()?;
    Ok((stream, probe))
}

impl Connector for DefaultConnector {
    async fn connect(&self, origin: &Origin) -> io::Result<Transport> {
        let addrs = origin.resolve()?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address for host");
        for addr in addrs {
            let (stream, probe) = match connect_tcp(addr).await {
                Ok(s) => s,
                Err(e) => {
                    last = e;
                    continue;
                }
            };
            let transport = match origin.scheme {
                Scheme::Http => Transport::tcp(stream),
                Scheme::Https => {
                    let name = ServerName::try_from(origin.host.clone())
                        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                    let tls = monoio_rustls::TlsConnector::from(self.tls.clone())
                        .connect(name, stream)
                        .await
                        .map_err(io::Error::other)?;
                    Transport::tls_client(tls)
                }
            };
            return Ok(transport.with_probe(probe));
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
            format!("connect to {}: {e}", origin.authority),
        )),
        Err(_) => Err(ConnectError::new(
            Code::Unavailable,
            format!(
                "connect to {}: timed out after {timeout:?}",
                origin.authority
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let o = Origin::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            (o.scheme(), o.host(), o.port(), o.authority(), o.prefix()),
            (Scheme::Http, "127.0.0.1", 8080, "127.0.0.1:8080", "")
        );
        let o = Origin::parse("https://example.com/api/").unwrap();
        assert_eq!(
            (o.port(), o.authority(), o.prefix()),
            (443, "example.com", "/api")
        );
        let o = Origin::parse("http://[::1]:9/").unwrap();
        assert_eq!((o.host(), o.port(), o.authority()), ("::1", 9, "[::1]:9"));
        for bad in [
            "",
            "127.0.0.1:80",
            "ftp://x",
            "http://",
            "http://u@x",
            "http://x/?q=1",
            "http://x/#f",
            "http://x y",
        ] {
            let e = Origin::parse(bad).unwrap_err();
            assert_eq!(e.code(), Code::InvalidArgument, "{bad}");
        }
    }
}
