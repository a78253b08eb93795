//! `connect-load`: a Connect-native load generator.
//!
//! ```text
//! connect-load --url http://127.0.0.1:8080 \
//!     --proto proto/connectrpc/eliza/v1/eliza.proto --import-path proto \
//!     --method connectrpc.eliza.v1.ElizaService/Say --data '{"sentence":"hi"}' \
//!     -c 64 -n 100000
//! ```
//!
//! Any unary or streaming method of any schema (`.proto` files compiled in-process, or a
//! descriptor set), requests from JSON converted once to the wire codec; closed loop
//! (`-c` calls in flight) or open loop (`--rate`, latency from each call's due time); a
//! summary with percentiles, a histogram and errors by Connect code, as text or JSON.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use connect_engine::Compression;
use connect_engine::client::ClientConfig;
use connect_engine::runtime::Driver;
use connect_engine::{Code, Codec};
use http::{HeaderMap, HeaderName, HeaderValue};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use connect_load::load::{self, Plan, Progress, Until};
use connect_load::report::Summary;
use connect_load::schema::{self, Source};

/// A Connect-native load generator.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The server's base URL (`http://` or `https://`).
    #[arg(long)]
    url: String,
    /// The procedure: `pkg.Service/Method`.
    #[arg(long)]
    method: String,
    /// A `.proto` file with the service (repeatable).
    #[arg(long = "proto")]
    protos: Vec<PathBuf>,
    /// A directory imports are searched in (repeatable; the files' directories are added).
    #[arg(long = "import-path")]
    import_paths: Vec<PathBuf>,
    /// A serialized FileDescriptorSet instead of `.proto` files.
    #[arg(long, conflicts_with = "protos")]
    descriptor_set: Option<PathBuf>,
    /// The request message(s) as JSON: one object, or several (an array, or objects one
    /// after the other) for client and bidi streams.
    #[arg(long, conflicts_with = "data_file")]
    data: Option<String>,
    /// A file holding the request JSON.
    #[arg(long)]
    data_file: Option<PathBuf>,
    /// The codec.
    #[arg(long, value_enum, default_value_t = CodecArg::Proto)]
    codec: CodecArg,
    /// Compress request messages.
    #[arg(long, value_enum)]
    compress: Option<CompressArg>,
    /// Response compressions to accept (comma-separated, preference order; `identity` for
    /// none). Default: the `--compress` algorithm if given, else none, so that a server is
    /// not asked to compress what the run did not ask for.
    #[arg(long, value_enum, value_delimiter = ',')]
    accept_compression: Vec<AcceptArg>,
    /// Use HTTP GET (methods marked NO_SIDE_EFFECTS).
    #[arg(long)]
    get: bool,
    /// A request header `name: value` (repeatable).
    #[arg(short = 'H', long = "header", value_parser = parse_header)]
    headers: Vec<(HeaderName, HeaderValue)>,
    /// Each call's timeout in milliseconds.
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// A PEM file of certificates to trust for `https://`.
    #[arg(long)]
    cacert: Option<PathBuf>,
    /// Skip TLS certificate verification (testing only).
    #[arg(long)]
    insecure: bool,
    /// Calls in flight at once (closed loop: workers calling back to back).
    #[arg(short = 'c', long, default_value_t = 16)]
    concurrency: usize,
    /// Connections at most (default: one per call in flight).
    #[arg(long)]
    connections: Option<usize>,
    /// Open loop: calls per second (latency counts from when each call was due).
    #[arg(long)]
    rate: Option<f64>,
    /// Stop after this many calls.
    #[arg(short = 'n', long, conflicts_with = "duration")]
    calls: Option<u64>,
    /// Stop after this long (e.g. `10s`, `2m`, `500ms`).
    #[arg(short = 'z', long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Calls made first and not counted, for this long (closed loop).
    #[arg(long, value_parser = parse_duration, default_value = "0s")]
    warmup: Duration,
    /// Runtime threads (each with its share of the calls and connections).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// The monoio driver.
    #[arg(long, value_enum, default_value_t = DriverArg::Auto)]
    driver: DriverArg,
    /// Output format of the summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CodecArg {
    Proto,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CompressArg {
    Gzip,
    Br,
    Zstd,
}

impl CompressArg {
    fn compression(self) -> Compression {
        match self {
            CompressArg::Gzip => Compression::Gzip,
            CompressArg::Br => Compression::Br,
            CompressArg::Zstd => Compression::Zstd,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum AcceptArg {
    Identity,
    Gzip,
    Br,
    Zstd,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DriverArg {
    Auto,
    #[value(name = "io_uring")]
    IoUring,
    Epoll,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
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

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((s, "s"), |i| (&s[..i], &s[i..]));
    let n: f64 = num.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("bad duration unit in {s:?} (ms, s, m, h)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("bad duration {s:?}: {e}"))
}

/// Accepts any server certificate (`--insecure`).
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_config(args: &Args) -> Result<Option<rustls::ClientConfig>, String> {
    if args.insecure {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth();
        return Ok(Some(config));
    }
    let Some(path) = &args.cacert else {
        return Ok(None);
    };
    let pem = std::fs::read(path).map_err(|e| format!("--cacert {}: {e}", path.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("--cacert {}: {e}", path.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("--cacert {}: {e}", path.display()))?;
    }
    Ok(Some(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

fn plan(args: &Args) -> Result<(Plan, schema::Target), String> {
    if args.protos.is_empty() && args.descriptor_set.is_none() {
        return Err(
            "give the schema: --proto FILE (with --import-path DIR) or --descriptor-set FILE"
                .to_owned(),
        );
    }
    let source = match &args.descriptor_set {
        Some(p) => Source::DescriptorSet(p.clone()),
        None => Source::Protos {
            files: args.protos.clone(),
            includes: args.import_paths.clone(),
        },
    };
    let data = match (&args.data, &args.data_file) {
        (Some(d), _) => d.clone(),
        (None, Some(f)) => {
            std::fs::read_to_string(f).map_err(|e| format!("--data-file {}: {e}", f.display()))?
        }
        (None, None) => "{}".to_owned(),
    };
    let codec = match args.codec {
        CodecArg::Proto => Codec::Proto,
        CodecArg::Json => Codec::Json,
    };
    let target = schema::load(&source, &args.method, &data, codec)?;
    let mut headers = HeaderMap::new();
    for (n, v) in &args.headers {
        headers.append(n.clone(), v.clone());
    }
    let mut config = ClientConfig::new()
        .with_codec(codec)
        .with_get(args.get)
        .with_headers(headers);
    concat!("connect-load/", env!("CARGO_PKG_VERSION")).clone_into(&mut config.user_agent);
    if let Some(c) = args.compress {
        config = config.with_send_compression(c.compression());
    }
    let accept: Vec<Compression> = if args.accept_compression.is_empty() {
        args.compress
            .map(CompressArg::compression)
            .into_iter()
            .collect()
    } else {
        args.accept_compression
            .iter()
            .filter_map(|a| match a {
                AcceptArg::Identity => None,
                AcceptArg::Gzip => Some(Compression::Gzip),
                AcceptArg::Br => Some(Compression::Br),
                AcceptArg::Zstd => Some(Compression::Zstd),
            })
            .collect()
    };
    if let Some(missing) = accept
        .iter()
        .find(|c| !Compression::supported().contains(c))
    {
        return Err(format!(
            "{} is not compiled into this build",
            missing.name()
        ));
    }
    config = config.with_accept_compression(accept);
    if let Some(tls) = tls_config(args)? {
        config = config.with_tls(tls);
    }
    if args.concurrency == 0 {
        return Err("-c must be at least 1".to_owned());
    }
    if args.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err("--rate must be a positive number".to_owned());
    }
    let until = match (args.calls, args.duration) {
        (Some(n), _) => Until::Calls(n),
        (None, Some(d)) => Until::Elapsed(d),
        (None, None) => Until::Elapsed(Duration::from_secs(10)),
    };
    let plan = Plan {
        url: args.url.clone(),
        config,
        timeout: args.timeout_ms.map(Duration::from_millis),
        threads: args.threads.max(1),
        concurrency: args.concurrency,
        connections: args.connections.unwrap_or(args.concurrency).max(1),
        until,
        rate: args.rate,
        warmup: args.warmup,
        driver: match args.driver {
            DriverArg::Auto => Driver::Auto,
            DriverArg::IoUring => Driver::IoUring,
            DriverArg::Epoll => Driver::Epoll,
        },
    };
    Ok((plan, target))
}

/// One call before the run: an unreachable server or a wrong URL is reported at once
/// rather than as a run of errors.
fn preflight(plan: &Plan, target: &'static schema::Target) -> Result<(), String> {
    let mut one = plan.clone();
    one.threads = 1;
    one.concurrency = 1;
    one.connections = 1;
    one.until = Until::Calls(1);
    one.rate = None;
    one.warmup = Duration::ZERO;
    let (tally, _) = load::run(&one, target, &Arc::new(Progress::default()))?;
    let unavailable = tally.errors[usize::from(Code::Unavailable.number())] > 0;
    if unavailable {
        let why = tally.examples.first().map_or("", |(_, m)| m.as_str());
        return Err(format!("cannot reach {}: {why}", plan.url));
    }
    Ok(())
}

fn progress_bar(plan: &Plan, progress: &Arc<Progress>) -> Option<std::thread::JoinHandle<()>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = match plan.until {
        Until::Calls(n) => indicatif::ProgressBar::new(n),
        Until::Elapsed(d) => indicatif::ProgressBar::new(d.as_millis() as u64),
    };
    let by_calls = matches!(plan.until, Until::Calls(_));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = progress.clone();
    Some(std::thread::spawn(move || {
        let start = Instant::now();
        while !progress.stop.load(Ordering::Relaxed) {
            let done = progress.done.load(Ordering::Relaxed);
            let errors = progress.errors.load(Ordering::Relaxed);
            let secs = start.elapsed().as_secs_f64().max(1e-3);
            bar.set_position(if by_calls {
                done
            } else {
                start.elapsed().as_millis() as u64
            });
            bar.set_message(format!(
                "{done} calls, {:.0}/s, {errors} errors",
                done as f64 / secs
            ));
            std::thread::sleep(Duration::from_millis(200));
        }
        bar.finish_and_clear();
    }))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (plan, target) = match plan(&args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let target: &'static schema::Target = Box::leak(Box::new(target));
    if let Err(e) = preflight(&plan, target) {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let progress = Arc::new(Progress::default());
    let bar = progress_bar(&plan, &progress);
    let result = load::run(&plan, target, &progress);
    progress.stop.store(true, Ordering::Relaxed);
    if let Some(b) = bar {
        let _ = b.join();
    }
    let (tally, elapsed) = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let summary = Summary::new(&tally, elapsed);
    match args.format {
        Format::Text => print!("{}", summary.text()),
        Format::Json => match serde_json::to_string(&summary) {
            Ok(j) => println!("{j}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        },
    }
    ExitCode::SUCCESS
}
