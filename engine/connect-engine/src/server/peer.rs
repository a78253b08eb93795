//! Who is on the other end of a server connection.

use std::net::SocketAddr;

use rustls::pki_types::CertificateDer;

/// Who is calling: the connection's addresses and, for TLS, what the handshake settled.
#[derive(Clone, Debug)]
pub struct Peer {
    /// The client's socket address.
    pub remote: SocketAddr,
    /// The server's socket address the client connected to.
    pub local: SocketAddr,
    /// TLS details; `None` on plain connections.
    pub tls: Option<Box<TlsInfo>>,
}

/// What a TLS handshake settled.
#[derive(Clone, Debug, Default)]
pub struct TlsInfo {
    /// The negotiated ALPN protocol (`http/1.1`), if any.
    pub alpn: Option<Vec<u8>>,
    /// The server name the client asked for (SNI), if it sent one.
    pub server_name: Option<String>,
    /// The client's certificate chain, leaf first (mutual TLS), empty if it sent none.
    pub client_certificates: Vec<CertificateDer<'static>>,
}
