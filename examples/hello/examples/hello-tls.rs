//! Hello over TLS, both sides in one process: a certificate for `localhost` made at start
//! (rcgen), the server on a free port with it, and both clients trusting only it.
//!
//! ```sh
//! cargo run --example hello-tls
//! ```
//!
//! A real server loads its certificate chain and key from PEM files instead (see
//! `rustls::pki_types::pem::PemObject`), and real clients keep the default roots (the
//! Mozilla set of webpki-roots), so `ClientConfig::new()` alone reaches public servers.

use std::sync::Arc;

use connect_engine::blocking::BlockingClient;
use connect_engine::client::{Client, ClientConfig};
use connect_engine::runtime::{self, Driver};
use connect_engine::server::{Router, Server, ServerConfig};
use hello::Greeter;
use hello::hello::v1::{
    GreetRequest, GreetServiceBlockingClient, GreetServiceClient, GreetServiceServer,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    // A self-signed certificate for `localhost`, and the client trust store holding it.
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
    let cert_der = CertificateDer::from(cert.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert_der.clone())?;

    // The server: `with_tls` sets ALPN to http/1.1.
    let server_tls = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key)?;
    let config = ServerConfig::new().with_threads(1).with_tls(server_tls);
    let server = Server::bind("127.0.0.1:0".parse()?, config)?;
    let url = format!("https://localhost:{}", server.local_addr().port());
    let shutdown = server.shutdown_handle();
    let serving = std::thread::spawn(move || {
        server.serve(|| Router::new().add(GreetServiceServer::new(Greeter)))
    });

    // The clients: the same ClientConfig serves both.
    let client_tls = rustls::ClientConfig::builder()
        .with_root_certificates(Arc::new(roots))
        .with_no_client_auth();
    let config = ClientConfig::new().with_tls(client_tls);
    let request = GreetRequest {
        name: "TLS".into(),
        ..Default::default()
    };

    let blocking = GreetServiceBlockingClient::new(BlockingClient::new(&url, config.clone())?);
    println!("blocking: {}", blocking.greet(&request)?.greeting);

    let reply = runtime::block_on(Driver::Auto, async {
        let client = GreetServiceClient::new(Client::new(&url, config)?);
        client.greet(&request).await
    })??;
    println!("async: {}", reply.greeting);

    shutdown.shutdown();
    serving.join().map_err(|_| "server thread panicked")??;
    Ok(())
}
