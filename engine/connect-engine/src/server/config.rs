//! Server settings. Everything that bounds memory or time has a default here.

use std::sync::Arc;
use std::time::Duration;

use connect_wire::JsonOptions;
use connect_wire::http1::Limits;

use crate::runtime::Driver;

/// Server settings; build with [`ServerConfig::new`] and the `with_*` methods.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Threads, each with its own runtime and listener (default: available cores).
    pub threads: usize,
    /// The monoio driver.
    pub driver: Driver,
    /// HTTP/1.1 head and body limits. `max_body_size` bounds a whole request body, also for
    /// streams.
    pub http: Limits,
    /// Largest message, compressed or not (after decompression too), in bytes. Larger →
    /// `resource_exhausted`. Default 4 MiB.
    pub max_message_size: usize,
    /// How long a client may take to send a request head once it started (slowloris);
    /// also how long a new connection may take to begin its first request, counted from
    /// the accept (the TLS handshake included). Default 10 s.
    pub header_read_timeout: Duration,
    /// How long an idle keep-alive connection is kept. Default 60 s.
    pub idle_timeout: Duration,
    /// Most bytes of an unread request body read and discarded to keep a connection alive
    /// after answering early; beyond that the connection is closed. Default 64 KiB.
    pub max_drain: usize,
    /// How long a connection closed before its request body was read keeps reading (and
    /// discarding) what the client still sends, after the response went out and the write
    /// side was shut down ("lingering close", RFC 9112 §9.6): closing a socket with unread
    /// data resets the connection, which can destroy the response before the client reads
    /// it. Ends early when the client closes. Default 2 s.
    pub linger_timeout: Duration,
    /// How long one read of a request body, or one write of a response, may wait for the
    /// peer. Past it the call fails and the connection closes. Default 30 s.
    pub io_timeout: Duration,
    /// Most open connections over all threads; beyond, new connections are closed at once.
    /// Default 65 536.
    pub max_connections: usize,
    /// How long graceful shutdown waits for in-flight requests. Default 30 s.
    pub shutdown_grace: Duration,
    /// TLS (ALPN `http/1.1`); `None` serves plain HTTP/1.1.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// JSON codec options (e.g. the `Any` type registry).
    pub json: JsonOptions,
    /// Initial capacity of each connection's read and write buffers. Default 16 KiB.
    pub buffer_size: usize,
    /// Responses (unary bodies, stream messages) smaller than this many bytes go out
    /// uncompressed even when the client asked for compression (connect-go's
    /// `compressMinBytes`): compressing a few bytes costs more than it saves. Default 0:
    /// every response is compressed when the client asked.
    pub compress_min_bytes: usize,
    /// Send a `Date` field in every final response (RFC 9110 §6.6.1 asks origin servers
    /// with a clock to). Formatted once a second per thread. Default on.
    pub send_date: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerConfig {
    /// The defaults documented on each field.
    #[must_use]
    pub fn new() -> Self {
        ServerConfig {
            threads: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            driver: Driver::default(),
            http: Limits::default(),
            max_message_size: 4 << 20,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_mins(1),
            max_drain: 64 << 10,
            linger_timeout: Duration::from_secs(2),
            io_timeout: Duration::from_secs(30),
            max_connections: 65_536,
            shutdown_grace: Duration::from_secs(30),
            tls: None,
            json: JsonOptions::default(),
            buffer_size: 16 << 10,
            send_date: true,
            compress_min_bytes: 0,
        }
    }

    /// Sets the size from which responses are compressed.
    #[must_use]
    pub fn with_compress_min_bytes(mut self, bytes: usize) -> Self {
        self.compress_min_bytes = bytes;
        self
    }

    /// Sends (or, `false`, leaves out) the `Date` field.
    #[must_use]
    pub fn with_date(mut self, send_date: bool) -> Self {
        self.send_date = send_date;
        self
    }

    /// Sets the number of threads (at least 1).
    #[must_use]
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Sets the driver.
    #[must_use]
    pub fn with_driver(mut self, driver: Driver) -> Self {
        self.driver = driver;
        self
    }

    /// Sets the largest message size.
    #[must_use]
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Serves TLS with this configuration (its ALPN list is set to `http/1.1`).
    #[must_use]
    pub fn with_tls(mut self, mut tls: rustls::ServerConfig) -> Self {
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        self.tls = Some(Arc::new(tls));
        self
    }

    /// Sets the JSON options.
    #[must_use]
    pub fn with_json(mut self, json: JsonOptions) -> Self {
        self.json = json;
        self
    }

    /// Sets the header read timeout.
    #[must_use]
    pub fn with_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets the idle keep-alive timeout.
    #[must_use]
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets the body read / response write timeout ([`io_timeout`](Self::io_timeout)).
    #[must_use]
    pub fn with_io_timeout(mut self, timeout: Duration) -> Self {
        self.io_timeout = timeout;
        self
    }

    /// Sets the lingering-close timeout ([`linger_timeout`](Self::linger_timeout)).
    #[must_use]
    pub fn with_linger_timeout(mut self, timeout: Duration) -> Self {
        self.linger_timeout = timeout;
        self
    }

    /// Sets the connection limit.
    #[must_use]
    pub fn with_max_connections(mut self, max: usize) -> Self {
        self.max_connections = max;
        self
    }

    /// Sets the HTTP/1.1 limits.
    #[must_use]
    pub fn with_http_limits(mut self, limits: Limits) -> Self {
        self.http = limits;
        self
    }
}

/// Whether TLS clients present certificates (mutual TLS), for [`tls_config`].
#[derive(Debug)]
pub enum ClientAuth {
    /// No client certificates are asked for.
    None,
    /// Clients are asked for a certificate chaining to one of these roots; clients without
    /// one are admitted (handlers and interceptors see an empty chain), clients with an
    /// untrusted one are refused in the handshake.
    Optional(rustls::RootCertStore),
    /// Every client must present a certificate chaining to one of these roots.
    Required(rustls::RootCertStore),
}

/// A TLS configuration for [`ServerConfig::with_tls`]: the server's certificate chain (leaf
/// first) and key, TLS 1.2 and 1.3 with rustls's safe defaults (the aws-lc-rs provider,
/// which prefers the post-quantum hybrid key exchange X25519MLKEM768), and `client_auth`.
/// The client's chain is then in every call's [`Peer`](super::Peer)
/// (`tls.client_certificates`).
///
/// # Errors
/// The key does not match the certificate, or the roots are unusable.
pub fn tls_config(
    chain: Vec<rustls::pki_types::CertificateDer<'static>>,
    key: rustls::pki_types::PrivateKeyDer<'static>,
    client_auth: ClientAuth,
) -> Result<rustls::ServerConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let verifier = |roots: rustls::RootCertStore, optional: bool| {
        let b = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        );
        let b = if optional {
            b.allow_unauthenticated()
        } else {
            b
        };
        b.build().map_err(|e| rustls::Error::General(e.to_string()))
    };
    let builder = match client_auth {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Optional(roots) => builder.with_client_cert_verifier(verifier(roots, true)?),
        ClientAuth::Required(roots) => builder.with_client_cert_verifier(verifier(roots, false)?),
    };
    builder.with_single_cert(chain, key)
}
