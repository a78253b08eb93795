//! Server under test for the Connect conformance runner (`connectconformance --mode server`).
//!
//! Protocol: the runner writes one `ServerCompatRequest` on stdin (4-byte big-endian length,
//! then the binary message) and closes stdin. We start the server on `127.0.0.1`, port 0, and
//! answer with a `ServerCompatResponse` (host, port, and the PEM certificate when serving TLS)
//! in the same framing on stdout, then serve until SIGTERM. Logs go to stderr only.
//!
//! `CONNECT_DRIVER` picks the monoio driver: `io_uring`, `epoll` or `auto` (the default).
//! `RUST_LOG` sets the log filter (default `info`).

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::sync::Arc;

use connect_conformance::connect_service::{Conformance, json_options};
use connect_conformance::connectrpc::conformance::v1::{
    ConformanceServiceServer, ServerCompatRequest, ServerCompatResponse,
};
use connect_engine::Message;
use connect_engine::runtime::Driver;
use connect_engine::server::{Router, Server, ServerConfig, resolved_driver};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tracing::{error, info};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub(crate) fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(io::stderr)
        .with_ansi(false)
        .with_env_filter(filter)
        .init();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("conformance server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), BoxError> {
    let input = read_frame(&mut io::stdin().lock())?;
    let request =
        ServerCompatRequest::decode(&input).map_err(|e| format!("bad ServerCompatRequest: {e}"))?;
    let driver = driver_from_env()?;
    let mut config = ServerConfig::new()
        .with_driver(driver)
        .with_json(json_options());
    if request.message_receive_limit > 0 {
        config = config.with_max_message_size(request.message_receive_limit as usize);
    }
    let mut pem_cert = Vec::new();
    if request.use_tls {
        let creds = request
            .server_creds
            .as_ref()
            .ok_or("use_tls is set but server_creds is missing")?;
        config = config.with_tls(tls_config(
            &creds.cert,
            &creds.key,
            &request.client_tls_cert,
        )?);
        pem_cert = creds.cert.to_vec();
    }
    let driver = resolved_driver(&config);
    let max_message = config.max_message_size;
    let server = Server::bind(([127, 0, 0, 1], 0).into(), config)?;
    server.shutdown_handle().on_signals()?;
    let addr = server.local_addr();
    let response = ServerCompatResponse {
        host: addr.ip().to_string().into(),
        port: u32::from(addr.port()),
        pem_cert: pem_cert.into(),
        ..Default::default()
    };
    write_frame(&mut io::stdout().lock(), &response.encode_to_vec())?;
    info!(%addr, driver = driver.name(), tls = request.use_tls, max_message, "conformance server ready");
    server.serve(|| Router::new().add(ConformanceServiceServer::new(Conformance)))?;
    info!("conformance server stopped");
    Ok(())
}

/// The driver named by `CONNECT_DRIVER`.
fn driver_from_env() -> Result<Driver, BoxError> {
    match std::env::var("CONNECT_DRIVER").as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("" | "auto") => Ok(Driver::Auto),
        // Checked here: a runtime that fails to start would only show as refused connections.
        Ok("io_uring") if Driver::Auto.resolve() != Driver::IoUring => {
            Err("CONNECT_DRIVER=io_uring, but io_uring is not available here".into())
        }
        Ok("io_uring") => Ok(Driver::IoUring),
        Ok("epoll") => Ok(Driver::Epoll),
        Ok(other) => {
            Err(format!("CONNECT_DRIVER={other:?}: expected io_uring, epoll or auto").into())
        }
        Err(e) => Err(format!("CONNECT_DRIVER: {e}").into()),
    }
}

/// A TLS configuration from a PEM certificate chain and key; client certificates are
/// required (and verified against `client_ca`) when `client_ca` is not empty.
fn tls_config(cert: &[u8], key: &[u8], client_ca: &[u8]) -> Result<rustls::ServerConfig, BoxError> {
    let certs = CertificateDer::pem_slice_iter(cert).collect::<Result<Vec<_>, _>>()?;
    let key = PrivateKeyDer::from_pem_slice(key)?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = if client_ca.is_empty() {
        builder.with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(client_ca) {
            roots.add(ca?)?;
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()?;
        builder.with_client_cert_verifier(verifier)
    };
    Ok(builder.with_single_cert(certs, key)?)
}

/// Reads one length-prefixed (4-byte big-endian) message.
fn read_frame(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let mut buf = vec![0u8; u32::from_be_bytes(len) as usize];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

/// Writes one length-prefixed (4-byte big-endian) message and flushes.
fn write_frame(w: &mut impl Write, message: &[u8]) -> io::Result<()> {
    let len = u32::try_from(message.len()).map_err(io::Error::other)?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(message)?;
    w.flush()
}
