//! TLS over real sockets: a rustls client against the server with a certificate made at test
//! time, on both drivers.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use connect_engine::runtime::Driver;
use connect_engine::server::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use support::{TestServer, post, text};

fn tls_pair() -> (rustls::ServerConfig, rustls::ClientConfig) {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_der = CertificateDer::from(cert.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert_der).unwrap();
    let mut client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.alpn_protocols = vec![b"http/1.1".to_vec()];
    (server, client)
}

#[test]
fn unary_over_tls_with_alpn() {
    let mut drivers = vec![Driver::Epoll];
    if Driver::Auto.resolve() == Driver::IoUring {
        drivers.push(Driver::IoUring);
    }
    for driver in drivers {
        let (server_tls, client_tls) = tls_pair();
        let server =
            TestServer::start(ServerConfig::new().with_driver(driver).with_tls(server_tls));
        let conn = rustls::ClientConnection::new(
            Arc::new(client_tls),
            ServerName::try_from("localhost").unwrap(),
        )
        .unwrap();
        let sock = TcpStream::connect(server.addr).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, sock);
        // Two requests on one TLS connection (keep-alive), then read both responses.
        let req = post("/test.Test/Echo", "application/proto", "", &text("secret"));
        tls.write_all(&[req.clone(), req].concat()).unwrap();
        tls.flush().unwrap();
        let mut got = Vec::new();
        let want_one = {
            let body = text("secret");
            format!("content-length:{:>10}\r\n\r\n", body.len()).into_bytes()
        };
        let mut buf = [0u8; 4096];
        while got
            .windows(want_one.len())
            .filter(|w| *w == want_one.as_slice())
            .count()
            < 2
            || !got.ends_with(&text("secret"))
        {
            let n = tls.read(&mut buf).unwrap();
            assert!(
                n > 0,
                "connection closed early: {}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(
            tls.conn.alpn_protocol(),
            Some(&b"http/1.1"[..]),
            "{driver:?}"
        );
        let text_out = String::from_utf8_lossy(&got);
        assert_eq!(text_out.matches("HTTP/1.1 200 OK").count(), 2, "{text_out}");

        // A plain-text client on the TLS port gets nowhere, and the server keeps serving.
        let mut plain = server.connect();
        plain
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let _ = plain.read_to_end(&mut out);
        assert!(!out.starts_with(b"HTTP/1.1 200"));
    }
}

#[test]
fn stalled_tls_clients_do_not_crash_the_server() {
    let mut drivers = vec![Driver::Epoll];
    if Driver::Auto.resolve() == Driver::IoUring {
        drivers.push(Driver::IoUring);
    }
    for driver in drivers {
        let (server_tls, client_tls) = tls_pair();
        let client_tls = Arc::new(client_tls);
        let server = TestServer::start(
            ServerConfig::new()
                .with_driver(driver)
                .with_tls(server_tls)
                .with_threads(1)
                .with_header_read_timeout(std::time::Duration::from_millis(200)),
        );
        let open = || {
            let conn = rustls::ClientConnection::new(
                client_tls.clone(),
                ServerName::try_from("localhost").unwrap(),
            )
            .unwrap();
            rustls::StreamOwned::new(conn, TcpStream::connect(server.addr).unwrap())
        };
        // A head that never ends (408), then a body that never comes (404 after the drain
        // timeout): each read that times out must end the connection, not the thread.
        for stall in [
            &b"POST /test.Test/Echo HTTP/1.1\r\nhost: x\r\n"[..],
            b"POST /no.Such/Method HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n",
        ] {
            let mut tls = open();
            tls.write_all(stall).unwrap();
            tls.flush().unwrap();
            let mut out = Vec::new();
            let _ = tls.read_to_end(&mut out);
            let text = String::from_utf8_lossy(&out);
            assert!(
                text.starts_with("HTTP/1.1 408") || text.starts_with("HTTP/1.1 404"),
                "{driver:?}: {text}"
            );
        }
        // The server (one thread) still answers.
        let mut tls = open();
        tls.write_all(&post(
            "/test.Test/Echo",
            "application/proto",
            "connection: close\r\n",
            &text("ok"),
        ))
        .unwrap();
        tls.flush().unwrap();
        let mut out = Vec::new();
        let _ = tls.read_to_end(&mut out);
        assert!(
            out.starts_with(b"HTTP/1.1 200 OK"),
            "{driver:?}: {}",
            String::from_utf8_lossy(&out)
        );
    }
}

/// A connection that completes its TLS handshake (or, plain, connects) and then sends
/// nothing is closed once the header read timeout from its accept has passed, not kept for
/// the idle timeout; a connection idle after a request still gets the idle timeout.
#[test]
fn a_connection_that_never_sends_a_request_is_closed_after_the_header_timeout() {
    use std::time::{Duration, Instant};
    let mut drivers = vec![Driver::Epoll];
    if Driver::Auto.resolve() == Driver::IoUring {
        drivers.push(Driver::IoUring);
    }
    for driver in drivers {
        for tls in [false, true] {
            let (server_tls, client_tls) = tls_pair();
            let mut config = ServerConfig::new()
                .with_driver(driver)
                .with_header_read_timeout(Duration::from_millis(500))
                .with_idle_timeout(Duration::from_secs(30));
            if tls {
                config = config.with_tls(server_tls);
            }
            let server = TestServer::start(config);
            let opened = Instant::now();
            let tcp = TcpStream::connect(server.addr).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let mut stream: Box<dyn Read> = if tls {
                let conn = rustls::ClientConnection::new(
                    Arc::new(client_tls),
                    ServerName::try_from("localhost").unwrap(),
                )
                .unwrap();
                let mut s = rustls::StreamOwned::new(conn, tcp);
                while s.conn.is_handshaking() {
                    s.conn.complete_io(&mut s.sock).unwrap();
                }
                Box::new(s)
            } else {
                Box::new(tcp)
            };
            // The server closes: end of stream (or a reset), well before the idle timeout.
            let mut out = Vec::new();
            let _ = stream.read_to_end(&mut out);
            let took = opened.elapsed();
            assert!(
                took >= Duration::from_millis(400) && took < Duration::from_secs(5),
                "{driver:?} tls={tls}: closed after {took:?}"
            );
        }
    }
}

/// Both clients over TLS (a custom root, ALPN `http/1.1`), every stream kind, connection
/// reuse; and a server certificate the client does not trust is refused.
#[test]
fn clients_over_tls() {
    use connect_engine::blocking::BlockingClient;
    use connect_engine::client::{CallOptions, Client, ClientConfig};
    let (server_tls, client_tls) = tls_pair();
    let server = TestServer::start(
        ServerConfig::new()
            .with_driver(Driver::Epoll)
            .with_tls(server_tls),
    );
    let url = format!("https://localhost:{}", server.addr.port());
    let config = ClientConfig::new().with_tls(client_tls);
    let msg = support::Text {
        text: "over tls".into(),
        ..Default::default()
    };
    let async_client = Client::new(&url, config.clone()).unwrap();
    connect_engine::runtime::block_on(Driver::Auto, async {
        for _ in 0..3 {
            let out = async_client
                .unary::<support::Text<'_>, support::Text<'static>>(
                    &support::ECHO,
                    &msg,
                    CallOptions::new(),
                )
                .await;
            assert_eq!(out.result.unwrap().text, "over tls");
        }
        let (m, e) = async_client
            .server_stream::<support::Text<'_>, support::Text<'static>>(
                &support::REPEAT,
                &msg,
                CallOptions::new(),
            )
            .await
            .collect()
            .await;
        assert!(e.is_none());
        assert_eq!(m.len(), 3);
    })
    .unwrap();
    assert_eq!(async_client.idle_connections(), 1);
    let blocking = BlockingClient::new(&url, config).unwrap();
    for _ in 0..3 {
        let out = blocking.unary::<support::Text<'_>, support::Text<'static>>(
            &support::ECHO,
            &msg,
            CallOptions::new(),
        );
        assert_eq!(out.result.unwrap().text, "over tls");
    }
    assert_eq!(blocking.idle_connections(), 1);
    // The default roots do not know this self-signed certificate.
    let untrusted = BlockingClient::new(&url, ClientConfig::new()).unwrap();
    let e = untrusted
        .unary::<support::Text<'_>, support::Text<'static>>(
            &support::ECHO,
            &msg,
            CallOptions::new(),
        )
        .result
        .unwrap_err();
    assert_eq!(e.code(), connect_engine::Code::Unavailable, "{e}");
    let untrusted = Client::new(&url, ClientConfig::new()).unwrap();
    let e = connect_engine::runtime::block_on(Driver::Auto, async {
        untrusted
            .unary::<support::Text<'_>, support::Text<'static>>(
                &support::ECHO,
                &msg,
                CallOptions::new(),
            )
            .await
            .result
            .unwrap_err()
    })
    .unwrap();
    assert_eq!(e.code(), connect_engine::Code::Unavailable, "{e}");
}

/// Certificates for mutual TLS: a CA, a server certificate for `localhost` and a client
/// certificate, both signed by the CA.
struct Pki {
    ca: CertificateDer<'static>,
    server: (CertificateDer<'static>, PrivateKeyDer<'static>),
    client: (CertificateDer<'static>, PrivateKeyDer<'static>),
}

fn pki() -> Pki {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf = |names: Vec<String>, cn: &str| {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let cert = params.signed_by(&key, &issuer).unwrap();
        (
            CertificateDer::from(cert.der().to_vec()),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    };
    Pki {
        ca: CertificateDer::from(ca.der().to_vec()),
        server: leaf(vec!["localhost".to_owned()], "localhost"),
        client: leaf(vec!["client.test".to_owned()], "client"),
    }
}

/// The SNI name and client chain of one call.
type TlsSeen = (Option<String>, Vec<CertificateDer<'static>>);

/// Records what interceptors see of TLS peers.
struct SeenTls(Arc<std::sync::Mutex<Vec<TlsSeen>>>);

impl connect_engine::server::Interceptor for SeenTls {
    fn on_request(
        &self,
        call: &mut connect_engine::server::RequestInfo<'_>,
    ) -> Result<(), connect_engine::ConnectError> {
        let tls = call.peer.tls.as_ref().expect("a TLS peer");
        assert_eq!(tls.alpn.as_deref(), Some(&b"http/1.1"[..]));
        self.0
            .lock()
            .unwrap()
            .push((tls.server_name.clone(), tls.client_certificates.clone()));
        Ok(())
    }
}

/// Mutual TLS: with client certificates required, a client with one is served and its
/// chain (and the SNI name) is visible to interceptors; a client without one is refused in
/// the handshake. With them optional, both are served.
#[test]
fn client_certificates_over_mutual_tls() {
    use connect_engine::blocking::BlockingClient;
    use connect_engine::client::{CallOptions, ClientConfig};
    use connect_engine::server::{ClientAuth, Router, tls_config};
    let pki = pki();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(pki.ca.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client_tls = |with_cert: bool| {
        let b = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots.clone());
        if with_cert {
            b.with_client_auth_cert(vec![pki.client.0.clone()], pki.client.1.clone_key())
                .unwrap()
        } else {
            b.with_no_client_auth()
        }
    };
    let msg = support::Text {
        text: "who am i".into(),
        ..Default::default()
    };
    for driver in [Driver::Epoll, Driver::Auto] {
        for required in [true, false] {
            let auth = if required {
                ClientAuth::Required(roots.clone())
            } else {
                ClientAuth::Optional(roots.clone())
            };
            let server_tls =
                tls_config(vec![pki.server.0.clone()], pki.server.1.clone_key(), auth).unwrap();
            let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
            let s2 = seen.clone();
            let server = TestServer::with_router(
                ServerConfig::new().with_driver(driver).with_tls(server_tls),
                move || {
                    Router::new()
                        .add(support::TestService)
                        .with_interceptor(SeenTls(s2.clone()))
                },
            );
            let url = format!("https://localhost:{}", server.addr.port());
            let with =
                BlockingClient::new(&url, ClientConfig::new().with_tls(client_tls(true))).unwrap();
            let out = with.unary::<support::Text<'_>, support::Text<'static>>(
                &support::ECHO,
                &msg,
                CallOptions::new(),
            );
            assert_eq!(out.result.unwrap().text, "who am i", "{driver:?}");
            {
                let seen = seen.lock().unwrap();
                assert_eq!(seen.len(), 1);
                assert_eq!(seen[0].0.as_deref(), Some("localhost"));
                assert_eq!(seen[0].1, vec![pki.client.0.clone()], "{driver:?}");
            }
            let without =
                BlockingClient::new(&url, ClientConfig::new().with_tls(client_tls(false))).unwrap();
            let out = without.unary::<support::Text<'_>, support::Text<'static>>(
                &support::ECHO,
                &msg,
                CallOptions::new(),
            );
            if required {
                let e = out.result.unwrap_err();
                assert_eq!(
                    e.code(),
                    connect_engine::Code::Unavailable,
                    "{driver:?}: {e}"
                );
                assert_eq!(seen.lock().unwrap().len(), 1, "the handler must not run");
            } else {
                assert_eq!(out.result.unwrap().text, "who am i");
                let seen = seen.lock().unwrap();
                assert_eq!(seen.len(), 2);
                assert!(seen[1].1.is_empty(), "no client certificate");
            }
            server.shutdown().unwrap();
        }
    }
}

/// A handshake between the server's [`tls_config`] and the client's default provider
/// settles on the post-quantum hybrid key exchange X25519MLKEM768.
#[test]
fn handshakes_negotiate_the_post_quantum_hybrid_key_exchange() {
    use connect_engine::server::{ClientAuth, tls_config};
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let der = CertificateDer::from(cert.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
    let server = TestServer::start(
        ServerConfig::new()
            .with_driver(Driver::Epoll)
            .with_tls(tls_config(vec![der.clone()], key, ClientAuth::None).unwrap()),
    );
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).unwrap();
    let client = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(client), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let mut tls = rustls::StreamOwned::new(conn, TcpStream::connect(server.addr).unwrap());
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).unwrap();
    }
    assert_eq!(
        tls.conn
            .negotiated_key_exchange_group()
            .map(rustls::crypto::SupportedKxGroup::name),
        Some(rustls::NamedGroup::X25519MLKEM768)
    );
}
