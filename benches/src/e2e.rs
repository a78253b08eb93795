//! Command line of the end-to-end benchmark servers (`perf-server`, `canned-server`).

use std::net::SocketAddr;

use connect_engine::runtime::Driver;

/// `--addr HOST:PORT [--driver auto|epoll|io_uring] [--threads N]`.
#[derive(Clone, Copy, Debug)]
pub struct Args {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The monoio driver.
    pub driver: Driver,
    /// Threads (default 1: the benchmark pins the server to one core).
    pub threads: usize,
}

impl Args {
    /// Parses the process arguments; exits with a usage message on error.
    #[must_use]
    pub fn parse() -> Args {
        let mut args = Args {
            addr: ([127, 0, 0, 1], 18181).into(),
            driver: Driver::Auto,
            threads: 1,
        };
        let mut it = std::env::args().skip(1);
        while let Some(flag) = it.next() {
            let value = it.next().unwrap_or_default();
            let ok = match flag.as_str() {
                "--addr" => value.parse().map(|a| args.addr = a).is_ok(),
                "--threads" => value.parse().map(|n| args.threads = n).is_ok(),
                "--driver" => match value.as_str() {
                    "auto" => Some(Driver::Auto),
                    "epoll" => Some(Driver::Epoll),
                    "io_uring" => Some(Driver::IoUring),
                    _ => None,
                }
                .map(|d| args.driver = d)
                .is_some(),
                _ => false,
            };
            if !ok {
                eprintln!("usage: --addr HOST:PORT [--driver auto|epoll|io_uring] [--threads N]");
                std::process::exit(2);
            }
        }
        args
    }
}
