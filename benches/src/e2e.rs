//! Command line of the end-to-end benchmark servers (`perf-server`, `canned-server`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use connect_engine::runtime::Driver;

/// The benchmark servers' options.
#[derive(Clone, Debug, Parser)]
pub struct Args {
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:18181")]
    pub addr: SocketAddr,
    /// The monoio driver.
    #[arg(long, value_enum, default_value_t = DriverArg::Auto)]
    pub driver: DriverArg,
    /// Threads (default 1: the benchmark pins the server to one core).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Serve TLS with this PEM certificate chain (with `--tls-key`).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Run every call through one interceptor that does nothing (its cost, PERF.md).
    #[arg(long)]
    pub noop_interceptor: bool,
}

/// `--driver`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DriverArg {
    /// io_uring when the kernel allows it, else epoll.
    Auto,
    /// epoll (monoio's legacy driver).
    Epoll,
    /// io_uring.
    #[value(name = "io_uring")]
    IoUring,
}

impl Args {
    /// Parses the process arguments; exits with a usage message on error.
    #[must_use]
    pub fn parse() -> Args {
        <Args as Parser>::parse()
    }

    /// The driver to run.
    #[must_use]
    pub fn driver(&self) -> Driver {
        match self.driver {
            DriverArg::Auto => Driver::Auto,
            DriverArg::Epoll => Driver::Epoll,
            DriverArg::IoUring => Driver::IoUring,
        }
    }

    /// The TLS configuration `--tls-cert` and `--tls-key` name, if given.
    ///
    /// # Errors
    /// A file that cannot be read or parsed.
    pub fn tls(&self) -> std::io::Result<Option<rustls::ServerConfig>> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) else {
            return Ok(None);
        };
        let bad = |what: &PathBuf, e: &dyn std::fmt::Display| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", what.display()),
            )
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| bad(cert, &e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(cert, &e))?;
        let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, &e))?;
        rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key_der)
            .map(Some)
            .map_err(|e| bad(cert, &e))
    }
}
