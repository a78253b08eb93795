//! `eliza`: the Eliza demo server, and a client for it.
//!
//! ```text
//! eliza serve [--addr 127.0.0.1:8080] [--threads N] [--driver auto|io_uring|epoll] [--shutdown-grace-ms N]
//! eliza say [--url URL] [--json] [--compress gzip|br|zstd] [--get] [--timeout-ms N] [-H 'name: value']... [--blocking] SENTENCE
//! eliza introduce [same flags] NAME
//! eliza converse [same flags]        (sentences from stdin, one a line)
//! ```

mod malloc_tuning;

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use connect_engine::Compression;
use connect_engine::blocking::BlockingClient;
use connect_engine::client::{CallOptions, Client, ClientConfig};
use connect_engine::runtime::Driver;
use connect_engine::server::{Router, Server, ServerConfig, TracingInterceptor};
use connect_engine::{Codec, ConnectError};
use eliza::Eliza;
use eliza::connectrpc::eliza::v1::{
    ConverseRequest, ElizaServiceBlockingClient, ElizaServiceClient, ElizaServiceServer,
    IntroduceRequest, SayRequest,
};
use http::{HeaderName, HeaderValue};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The Eliza demo: a Connect server and a client for it.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serves the Eliza service.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Server threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        /// The monoio driver.
        #[arg(long, value_enum, default_value_t = DriverArg::Auto)]
        driver: DriverArg,
        /// On SIGTERM or SIGINT, how long in-flight calls may take to finish before the
        /// server exits anyway, in milliseconds (default: the server's, 30 s).
        #[arg(long)]
        shutdown_grace_ms: Option<u64>,
        /// Log every call (procedure, peer, code, duration, message counts) to stderr, one
        /// line per call, through the engine's `TracingInterceptor`.
        #[arg(long)]
        log_calls: bool,
    },
    /// Says one sentence and prints Eliza's reply.
    Say {
        #[command(flatten)]
        call: CallArgs,
        /// What to say.
        sentence: String,
    },
    /// Introduces yourself; prints each line of Eliza's introduction.
    Introduce {
        #[command(flatten)]
        call: CallArgs,
        /// Your name.
        name: String,
    },
    /// Reads sentences from stdin (one a line), sends them all, prints each reply.
    Converse {
        #[command(flatten)]
        call: CallArgs,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DriverArg {
    Auto,
    #[value(name = "io_uring")]
    IoUring,
    Epoll,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CompressArg {
    Gzip,
    Br,
    Zstd,
}

/// How to call the server.
#[derive(Args, Debug)]
struct CallArgs {
    /// The server's base URL (`http://` or `https://`).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Use the JSON codec instead of protobuf binary.
    #[arg(long)]
    json: bool,
    /// Compress request messages.
    #[arg(long, value_enum)]
    compress: Option<CompressArg>,
    /// Use HTTP GET (Say only: it has no side effects).
    #[arg(long)]
    get: bool,
    /// The call's timeout in milliseconds.
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// A request header, `name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_parser = parse_header)]
    headers: Vec<(HeaderName, HeaderValue)>,
    /// A PEM file of certificates to trust for `https://` (instead of the web roots).
    #[arg(long)]
    cacert: Option<std::path::PathBuf>,
    /// Use the blocking client (no async runtime) instead of the async one.
    #[arg(long)]
    blocking: bool,
}

fn parse_header(s: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not `name: value`"))?;
    let name =
        HeaderName::from_bytes(name.trim().as_bytes()).map_err(|e| format!("header name: {e}"))?;
    let value = HeaderValue::from_str(value.trim()).map_err(|e| format!("header value: {e}"))?;
    Ok((name, value))
}

fn main() -> ExitCode {
    malloc_tuning::return_large_blocks();
    let cli = Cli::parse();
    let log_calls = matches!(
        cli.command,
        Command::Serve {
            log_calls: true,
            ..
        }
    );
    let filter = tracing_subscriber::EnvFilter::from_default_env();
    if log_calls {
        // One line per call: the interceptor's span, printed when it closes.
        tracing_subscriber::fmt()
            .with_env_filter(
                filter.add_directive(
                    "connect_engine::server=info"
                        .parse()
                        .expect("a valid directive"),
                ),
            )
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .with_writer(std::io::stderr)
            .init();
    }
    match cli.command {
        Command::Serve {
            addr,
            threads,
            driver,
            shutdown_grace_ms,
            log_calls,
        } => serve(addr, threads, driver, shutdown_grace_ms, log_calls),
        Command::Say { call, sentence } if call.blocking => blocking_main(&call, |c, o| {
            let reply = c
                .call_say(
                    &SayRequest {
                        sentence: sentence.into(),
                        ..Default::default()
                    },
                    o,
                )
                .into_result()?;
            print_line(&reply.sentence);
            Ok(())
        }),
        Command::Introduce { call, name } if call.blocking => blocking_main(&call, |c, o| {
            let request = IntroduceRequest {
                name: name.into(),
                ..Default::default()
            };
            for reply in c.call_introduce(&request, o) {
                print_line(&reply?.sentence);
            }
            Ok(())
        }),
        Command::Say { call, sentence } => client_main(&call, |c, o| async move {
            let reply = c
                .call_say(
                    &SayRequest {
                        sentence: sentence.into(),
                        ..Default::default()
                    },
                    o,
                )
                .await
                .into_result()?;
            print_line(&reply.sentence);
            Ok(())
        }),
        Command::Introduce { call, name } => client_main(&call, |c, o| async move {
            let request = IntroduceRequest {
                name: name.into(),
                ..Default::default()
            };
            let mut stream = c.call_introduce(&request, o).await;
            while let Some(reply) = stream.next().await {
                print_line(&reply?.sentence);
            }
            Ok(())
        }),
        Command::Converse { call } => {
            let lines: Result<Vec<String>, _> = std::io::stdin().lock().lines().collect();
            let lines = match lines {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("error: reading stdin: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let requests: Vec<ConverseRequest<'_>> = lines
                .iter()
                .map(|l| ConverseRequest {
                    sentence: l.as_str().into(),
                    ..Default::default()
                })
                .collect();
            if call.blocking {
                return blocking_main(&call, |c, o| {
                    for reply in c.call_converse(&requests, o) {
                        print_line(&reply?.sentence);
                    }
                    Ok(())
                });
            }
            client_main(&call, |c, o| async move {
                let mut stream = c.call_converse(&requests, o).await;
                while let Some(reply) = stream.next().await {
                    print_line(&reply?.sentence);
                }
                Ok(())
            })
        }
    }
}

fn serve(
    addr: SocketAddr,
    threads: Option<usize>,
    driver: DriverArg,
    shutdown_grace_ms: Option<u64>,
    log_calls: bool,
) -> ExitCode {
    let mut config = ServerConfig::new().with_driver(match driver {
        DriverArg::Auto => Driver::Auto,
        DriverArg::IoUring => Driver::IoUring,
        DriverArg::Epoll => Driver::Epoll,
    });
    if let Some(n) = threads {
        config = config.with_threads(n);
    }
    if let Some(ms) = shutdown_grace_ms {
        config.shutdown_grace = Duration::from_millis(ms);
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
    let outcome = if log_calls {
        server.serve(|| {
            Router::new()
                .add(ElizaServiceServer::new(Eliza))
                .with_interceptor(TracingInterceptor)
        })
    } else {
        server.serve(|| Router::new().add(ElizaServiceServer::new(Eliza)))
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The client configuration and call options the flags ask for.
fn client_setup(args: &CallArgs) -> Result<(ClientConfig, CallOptions), ConnectError> {
    let mut config = ClientConfig::new()
        .with_codec(if args.json { Codec::Json } else { Codec::Proto })
        .with_get(args.get);
    if let Some(c) = args.compress {
        config = config.with_send_compression(match c {
            CompressArg::Gzip => Compression::Gzip,
            CompressArg::Br => Compression::Br,
            CompressArg::Zstd => Compression::Zstd,
        });
    }
    if let Some(path) = &args.cacert {
        let bad =
            |e: String| ConnectError::invalid_argument(format!("--cacert {}: {e}", path.display()));
        let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            roots
                .add(cert.map_err(|e| bad(e.to_string()))?)
                .map_err(|e| bad(e.to_string()))?;
        }
        if roots.is_empty() {
            return Err(bad("no certificates in the file".to_owned()));
        }
        config = config.with_tls(
            rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        );
    }
    let mut options = CallOptions::new();
    if let Some(ms) = args.timeout_ms {
        options = options.with_timeout(Duration::from_millis(ms));
    }
    for (name, value) in &args.headers {
        options = options.with_header(name.clone(), value.clone());
    }
    Ok((config, options))
}

/// Runs one client call on a runtime; prints `error: <code>: <message>` and exits 1 on error.
fn client_main<F, Fut>(args: &CallArgs, call: F) -> ExitCode
where
    F: FnOnce(ElizaServiceClient, CallOptions) -> Fut,
    Fut: std::future::Future<Output = Result<(), ConnectError>>,
{
    let result = client_setup(args).and_then(|(config, options)| {
        let client = ElizaServiceClient::new(Client::new(&args.url, config)?);
        connect_engine::runtime::block_on(Driver::Auto, call(client, options))
            .map_err(|e| ConnectError::unavailable(format!("starting the runtime: {e}")))?
    });
    report(result)
}

/// Runs one call on the blocking client (no runtime).
fn blocking_main<F>(args: &CallArgs, call: F) -> ExitCode
where
    F: FnOnce(ElizaServiceBlockingClient, CallOptions) -> Result<(), ConnectError>,
{
    let result = client_setup(args).and_then(|(config, options)| {
        let client = ElizaServiceBlockingClient::new(BlockingClient::new(&args.url, config)?);
        call(client, options)
    });
    report(result)
}

/// Prints a line to stdout, its control characters escaped (see [`terminal_safe`]); a
/// closed stdout (`eliza introduce | head -1`) is not an error.
fn print_line(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{}", terminal_safe(line));
}

/// Text a server sent, made safe to print on a terminal: control characters (C0 but for
/// tab, DEL, C1: escape sequences, carriage returns and newlines that would recolour the
/// terminal or forge lines) and the Unicode bidirectional overrides and isolates (which
/// reorder what is shown) become `\n`, `\r` or `\u{..}` escapes; a backslash before
/// anything is doubled so an escape cannot be faked. Everything else passes unchanged.
fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    use std::fmt::Write as _;
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(|c| unsafe_char(c) || c == '\\') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Prints `error: <code>: <message>` and exits 1 on error.
fn report(result: Result<(), ConnectError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.message().is_empty() {
                eprintln!("error: {}", e.code());
            } else {
                eprintln!("error: {}: {}", e.code(), terminal_safe(e.message()));
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::terminal_safe;

    #[test]
    fn server_text_is_made_terminal_safe() {
        assert_eq!(
            terminal_safe("Why do you feel happy?"),
            "Why do you feel happy?"
        );
        assert_eq!(
            terminal_safe("tab\there, café, 日本"),
            "tab\there, café, 日本"
        );
        assert_eq!(
            terminal_safe("\u{1b}[31mred\u{1b}[0m"),
            "\\u{1b}[31mred\\u{1b}[0m"
        );
        assert_eq!(
            terminal_safe("ok\nerror: forged\r\u{7f}\u{9b}"),
            "ok\\nerror: forged\\r\\u{7f}\\u{9b}"
        );
        assert_eq!(terminal_safe("a\u{202e}b\u{2066}"), "a\\u{202e}b\\u{2066}");
        // A backslash is doubled: "\\n" in the text cannot pass for an escaped newline.
        assert_eq!(terminal_safe("a\\nb"), "a\\\\nb");
    }
}
