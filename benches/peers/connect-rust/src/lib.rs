//! The connect-rust peer of the end-to-end benchmarks: generated code of
//! benches/proto/echo.proto and what the server and client binaries share.

/// The generated messages (buffa) and service trait, server and client (connectrpc).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    connectrpc::include_generated!();
}

pub use proto::connectengine::bench::echo::v1::*;

/// The text every call sends (12 bytes).
pub const TEXT: &str = "hello, world";

/// A tiny `--flag value` / `--switch` parser, so the peer needs no argument crate.
pub struct Args {
    args: Vec<String>,
}

impl Args {
    /// This process's arguments.
    #[must_use]
    pub fn from_env() -> Self {
        Self {
            args: std::env::args().skip(1).collect(),
        }
    }

    /// Removes `--name` and returns whether it was there.
    pub fn switch(&mut self, name: &str) -> bool {
        let before = self.args.len();
        self.args.retain(|a| a != name);
        self.args.len() != before
    }

    /// Removes `--name VALUE` (or `--name=VALUE`) and returns the value parsed, or `default`.
    pub fn value<T: std::str::FromStr>(&mut self, name: &str, default: T) -> T {
        let prefix = format!("{name}=");
        let mut found: Option<String> = None;
        let mut i = 0;
        while i < self.args.len() {
            if self.args[i] == name {
                if i + 1 >= self.args.len() {
                    die(&format!("{name} needs a value"));
                }
                found = Some(self.args.remove(i + 1));
                self.args.remove(i);
            } else if let Some(v) = self.args[i].strip_prefix(&prefix) {
                found = Some(v.to_owned());
                self.args.remove(i);
            } else {
                i += 1;
            }
        }
        match found {
            None => default,
            Some(v) => v
                .parse()
                .unwrap_or_else(|_| die(&format!("{name}: cannot parse {v:?}"))),
        }
    }

    /// Fails on anything left over.
    pub fn finish(self) {
        if let Some(a) = self.args.first() {
            die(&format!("unknown argument {a:?}"));
        }
    }
}

/// Prints `message` to stderr and exits with status 2.
pub fn die(message: &str) -> ! {
    eprintln!("{}: {message}", std::env::args().next().unwrap_or_default());
    std::process::exit(2)
}
