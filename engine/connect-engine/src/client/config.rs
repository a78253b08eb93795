//! Client settings, shared by the async and the blocking client. Everything that bounds
//! memory or time has a default here.

use std::sync::Arc;
use std::time::Duration;

use connect_wire::compression::Compression;
use connect_wire::http1::Limits;
use connect_wire::protocol::{Protocol, Requester, Shape};
use connect_wire::service::MethodDescriptor;
use connect_wire::{Code, Codec, ConnectError, JsonOptions};
use http::HeaderMap;

use super::interceptor::Interceptor;

/// Client settings; build with [`ClientConfig::new`] and the `with_*` methods. Cheap to
/// clone (interceptors and TLS settings are shared), `Send + Sync`: build it once and give
/// each thread its client.
#[derive(Clone)]
pub struct ClientConfig {
    /// The RPC protocol calls speak. Default Connect, for now the only one the clients
    /// speak: creating a client with another one fails with `unimplemented`.
    pub protocol: Protocol,
    /// The codec of requests and responses. Default protobuf binary.
    pub codec: Codec,
    /// Compression of request messages. Default identity.
    pub send_compression: Compression,
    /// Request messages smaller than this are sent uncompressed even when
    /// [`send_compression`](Self::send_compression) is set (unary calls leave out
    /// `content-encoding`; stream messages leave the compressed flag off). Default 0: every
    /// message is compressed.
    pub compress_min_bytes: usize,
    /// The response compressions accepted, in preference order: sent as `accept-encoding`
    /// (unary) or `connect-accept-encoding` (streams). Default: every compiled-in algorithm.
    pub accept_compression: Vec<Compression>,
    /// Use HTTP GET for unary methods marked `NO_SIDE_EFFECTS`. Default off.
    pub use_get: bool,
    /// Largest response message accepted (after decompression). Larger →
    /// `resource_exhausted`. Default 4 MiB.
    pub max_message_size: usize,
    /// Largest streaming response body (all messages together). Default unlimited: long
    /// streams are bounded per message.
    pub max_stream_body: u64,
    /// Response head limits: size (default 64 KiB: unary trailers travel as `trailer-*`
    /// headers and count too) and field count (default 100).
    pub http: Limits,
    /// Timeout of calls that set none. Default none.
    pub timeout: Option<Duration>,
    /// How long the server may take for each thing a call waits for, when the call's own
    /// deadline is later (or absent): accepting the request, sending the response head,
    /// a unary response's body, each message of a response stream (counted from when the
    /// client asks for it). It bounds each of these as a whole, however many reads or
    /// writes it takes, so a server that stops answering or trickles bytes fails the call
    /// with `unavailable` instead of holding it; bodies moving at 1 KiB/s or more, either
    /// way, stretch it (a request gets its size's time at that rate on top, body bytes
    /// received extend the wait up to one timeout from the last of them). Default 60 s. Calls that must end sooner
    /// set a deadline ([`timeout`](Self::timeout) or
    /// [`CallOptions::with_timeout`](super::CallOptions::with_timeout)); long-lived
    /// streams whose messages come further apart raise this.
    pub io_timeout: Duration,
    /// How long establishing a connection may take, the TLS handshake included, as a
    /// whole. Default 10 s.
    pub connect_timeout: Duration,
    /// Headers sent with every call, before the call's own.
    pub headers: HeaderMap,
    /// The `user-agent` header (unless a call sets one).
    pub user_agent: String,
    /// TLS settings for `https://` URLs (ALPN is set to `http/1.1`). `None`: the Mozilla
    /// root certificates (webpki-roots).
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Most idle keep-alive connections kept per client (per thread for the async client).
    /// Default 32. An idle connection of the async client keeps a read posted into a buffer
    /// of [`buffer_size`](Self::buffer_size) bytes, so that it notices anything the server
    /// sends (or its close) while it waits.
    pub max_idle_connections: usize,
    /// How long an idle connection is kept for reuse. Default 30 s.
    pub idle_timeout: Duration,
    /// JSON codec options (e.g. the `Any` type registry).
    pub json: JsonOptions,
    /// Interceptors, outermost first.
    pub interceptors: Vec<Arc<dyn Interceptor>>,
    /// Initial capacity of a call's read and write buffers. Default 16 KiB.
    pub buffer_size: usize,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("protocol", &self.protocol)
            .field("codec", &self.codec)
            .field("send_compression", &self.send_compression)
            .field("accept_compression", &self.accept_compression)
            .field("use_get", &self.use_get)
            .field("max_message_size", &self.max_message_size)
            .field("timeout", &self.timeout)
            .field("interceptors", &self.interceptors.len())
            .finish_non_exhaustive()
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientConfig {
    /// The defaults documented on each field.
    #[must_use]
    pub fn new() -> Self {
        ClientConfig {
            protocol: Protocol::Connect,
            codec: Codec::Proto,
            send_compression: Compression::Identity,
            compress_min_bytes: 0,
            accept_compression: Compression::supported().to_vec(),
            use_get: false,
            max_message_size: 4 << 20,
            max_stream_body: u64::MAX,
            http: Limits {
                max_head_size: 64 << 10,
                ..Limits::DEFAULT
            },
            timeout: None,
            io_timeout: Duration::from_mins(1),
            connect_timeout: Duration::from_secs(10),
            headers: HeaderMap::new(),
            user_agent: concat!("connect-engine/", env!("CARGO_PKG_VERSION")).to_owned(),
            tls: None,
            max_idle_connections: 32,
            idle_timeout: Duration::from_secs(30),
            json: JsonOptions::default(),
            interceptors: Vec::new(),
            buffer_size: 16 << 10,
        }
    }

    /// Sets the protocol.
    #[must_use]
    pub fn with_protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Sets the codec.
    #[must_use]
    pub fn with_codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// Sets the request compression.
    #[must_use]
    pub fn with_send_compression(mut self, compression: Compression) -> Self {
        self.send_compression = compression;
        self
    }

    /// Sets the accepted response compressions.
    #[must_use]
    pub fn with_accept_compression(mut self, accept: Vec<Compression>) -> Self {
        self.accept_compression = accept;
        self
    }

    /// Turns GET for `NO_SIDE_EFFECTS` methods on or off.
    #[must_use]
    pub fn with_get(mut self, use_get: bool) -> Self {
        self.use_get = use_get;
        self
    }

    /// Sets the response message size limit.
    #[must_use]
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Sets the default call timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the per-read/write timeout ([`io_timeout`](Self::io_timeout)).
    #[must_use]
    pub fn with_io_timeout(mut self, timeout: Duration) -> Self {
        self.io_timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the TLS configuration (its ALPN list becomes `http/1.1`).
    #[must_use]
    pub fn with_tls(mut self, mut tls: rustls::ClientConfig) -> Self {
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

    /// Adds an interceptor (after, i.e. inside, those added before).
    #[must_use]
    pub fn with_interceptor(mut self, interceptor: impl Interceptor) -> Self {
        self.interceptors.push(Arc::new(interceptor));
        self
    }

    /// Sets the default headers.
    #[must_use]
    pub fn with_headers(mut self, headers: HeaderMap) -> Self {
        self.headers = headers;
        self
    }
    /// Checks what a client cannot serve: an unavailable send compression
    /// (`invalid_argument`), a protocol the clients do not speak yet (`unimplemented`: the
    /// response side of gRPC-web, enveloped unary bodies and the trailer block, is not read
    /// yet).
    pub(crate) fn check(&self) -> Result<(), ConnectError> {
        if !self.send_compression.is_available() {
            return Err(ConnectError::new(
                Code::InvalidArgument,
                format!("compression {} is not compiled in", self.send_compression),
            ));
        }
        if self.protocol != Protocol::Connect {
            return Err(ConnectError::new(
                Code::Unimplemented,
                format!("this client does not speak {} yet", self.protocol.name()),
            ));
        }
        Ok(())
    }

    /// The shape of a unary call of `method`: GET when configured, allowed by the method
    /// (no side effects) and by the protocol.
    pub(crate) fn unary_shape(&self, method: &MethodDescriptor) -> Shape {
        if self.use_get && method.allows_get() && self.protocol.supports_get() {
            Shape::Get
        } else {
            Shape::Unary
        }
    }

    /// The protocol's side of a call of `shape`.
    pub(crate) fn requester(&self, shape: Shape) -> Requester {
        Requester::new(self.protocol, shape, self.codec)
    }

    /// How response messages are decoded.
    pub(crate) fn decoding(&self) -> connect_wire::client::Decoding<'_> {
        connect_wire::client::Decoding {
            protocol: self.protocol,
            codec: self.codec,
            limit: self.max_message_size,
            json: &self.json,
        }
    }

    /// The accept list as sent on the wire (`zstd,gzip,br,deflate,snappy` with every
    /// feature on), compiled-in algorithms only.
    pub(crate) fn accept_header(&self) -> String {
        let names: Vec<&str> = self
            .accept_compression
            .iter()
            .filter(|c| c.is_available() && **c != Compression::Identity)
            .map(|c| c.name())
            .collect();
        names.join(",")
    }

    /// The TLS configuration to use: the configured one, or webpki roots with ALPN
    /// `http/1.1`.
    pub(crate) fn tls_config(&self) -> Arc<rustls::ClientConfig> {
        self.tls.clone().unwrap_or_else(|| {
            let roots = webpki_roots::TLS_SERVER_ROOTS
                .iter()
                .cloned()
                .collect::<rustls::RootCertStore>();
            let mut tls = rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth();
            tls.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(tls)
        })
    }
}

#[cfg(test)]
mod tests {
    use rustls::NamedGroup;

    /// The default TLS configuration offers the post-quantum hybrid key exchange first, as
    /// current browsers and Go do.
    #[test]
    fn default_tls_prefers_the_post_quantum_hybrid_key_exchange() {
        let tls = super::ClientConfig::new().tls_config();
        let groups: Vec<NamedGroup> = tls
            .crypto_provider()
            .kx_groups
            .iter()
            .map(|g| g.name())
            .collect();
        assert_eq!(
            groups.first(),
            Some(&NamedGroup::X25519MLKEM768),
            "{groups:?}"
        );
        assert!(groups.contains(&NamedGroup::X25519), "{groups:?}");
    }

    /// Both clients refuse, when created, a protocol they do not speak yet.
    #[test]
    fn a_client_for_a_protocol_it_does_not_speak_is_not_created() {
        use connect_wire::Code;
        use connect_wire::protocol::Protocol;
        let config = super::ClientConfig::new().with_protocol(Protocol::GrpcWeb);
        assert_eq!(config.check().unwrap_err().code(), Code::Unimplemented);
        #[cfg(feature = "blocking")]
        {
            let e = crate::blocking::BlockingClient::new("http://127.0.0.1:9", config.clone())
                .err()
                .map(|e| e.code());
            assert_eq!(e, Some(Code::Unimplemented));
        }
        #[cfg(feature = "runtime")]
        {
            let e = crate::client::Client::new("http://127.0.0.1:9", config)
                .err()
                .map(|e| e.code());
            assert_eq!(e, Some(Code::Unimplemented));
        }
        assert!(super::ClientConfig::new().check().is_ok());
    }
}
