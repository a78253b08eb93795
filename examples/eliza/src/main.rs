//! `eliza serve --addr 127.0.0.1:8080`: the Eliza demo server.

use std::net::SocketAddr;
use std::process::ExitCode;

use connect_engine::runtime::Driver;
use connect_engine::server::{Router, Server, ServerConfig};
use eliza::Eliza;
use eliza::connectrpc::eliza::v1::ElizaServiceServer;

mod malloc_tuning;

const USAGE: &str =
    "usage: eliza serve [--addr HOST:PORT] [--threads N] [--driver auto|io_uring|epoll]";

fn main() -> ExitCode {
    malloc_tuning::return_large_blocks();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("serve") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut addr: SocketAddr = ([127, 0, 0, 1], 8080).into();
    let mut config = ServerConfig::new();
    while let Some(flag) = args.next() {
        let value = args.next();
        let parsed = match (flag.as_str(), value.as_deref()) {
            ("--addr", Some(v)) => v.parse().map(|a| addr = a).map_err(|e| e.to_string()),
            ("--threads", Some(v)) => v
                .parse()
                .map(|n| config.threads = n)
                .map_err(|e: std::num::ParseIntError| e.to_string()),
            ("--driver", Some(d)) => match d {
                "auto" => Ok(Driver::Auto),
                "io_uring" => Ok(Driver::IoUring),
                "epoll" => Ok(Driver::Epoll),
                _ => Err(format!("unknown driver {d}")),
            }
            .map(|d| config.driver = d),
            _ => Err(format!("unexpected argument {flag}")),
        };
        if let Err(e) = parsed {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let server = match Server::bind(addr, config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let shutdown = server.shutdown_handle();
    if let Err(e) = shutdown.on_signals() {
        eprintln!("cannot install signal handlers: {e}");
    }
    eprintln!("eliza listening on http://{}", server.local_addr());
    match server.serve(|| Router::new().add(ElizaServiceServer::new(Eliza))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}
