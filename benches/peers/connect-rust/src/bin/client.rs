//! `connect-rust-client --url http://127.0.0.1:PORT --calls N --concurrency C [--json] [--gzip]
//! [--stream-count K]`: the connect-rust (`connectrpc` crate) load client of the end-to-end
//! benchmarks, on a tokio current-thread runtime with the crate's pooled HTTP/1.1
//! `HttpClient`.
//!
//! It makes N unary Echo calls with `Text{text: "hello, world"}` (or, with `--stream-count K`,
//! N server-streaming `Repeat{text: "hello, world", count: K}` calls, reading every message),
//! C in flight at once, after a warm-up of min(1000, N/10) calls that are not counted, and
//! prints one line of JSON: `{"calls":N,"errors":E,"elapsed_s":X,"user_s":U,"sys_s":S}` (plus
//! `"messages"` in stream mode), user and system CPU time being this process's own over the
//! counted calls. It exits non-zero if any call failed.
//!
//! Without `--gzip` nothing is compressed either way (no Accept-Encoding); with it, requests
//! are gzipped (whatever their size: connectrpc's default policy would skip messages under
//! 1 KiB) and gzipped responses are accepted.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use connect_rust_peer::{Args, EchoServiceClient, RepeatRequest, TEXT, Text, die};
use connectrpc::CompressionPolicy;
use connectrpc::client::{ClientConfig, HttpClient};
use connectrpc::compression::{CompressionRegistry, GzipProvider};

type Client = EchoServiceClient<HttpClient>;

fn main() {
    let mut args = Args::from_env();
    let url: String = args.value("--url", "http://127.0.0.1:8080".to_owned());
    let calls: u64 = args.value("--calls", 10_000);
    let concurrency: u64 = args.value("--concurrency", 1);
    let json = args.switch("--json");
    let gzip = args.switch("--gzip");
    let stream_count: u32 = args.value("--stream-count", 0);
    args.finish();
    if concurrency == 0 {
        die("--concurrency must be >= 1");
    }
    let uri: http::Uri = url.parse().unwrap_or_else(|e| die(&format!("--url: {e}")));

    let mut config = ClientConfig::new(uri);
    if json {
        config = config.json();
    }
    config = if gzip {
        config
            .with_compression(CompressionRegistry::new().register(GzipProvider::default()))
            .compress_requests("gzip")
            .with_compression_policy(CompressionPolicy::default().with_min_size(0))
    } else {
        config.with_compression(CompressionRegistry::new())
    };

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| die(&format!("runtime: {e}")));
    let code = runtime.block_on(async move {
        let client = EchoServiceClient::new(HttpClient::plaintext(), config);
        let warm = (calls / 10).min(1000);
        let w = run(&client, warm, concurrency, stream_count).await;
        if w.errors > 0 {
            eprintln!("client: {} of {warm} warm-up calls failed; first: {}", w.errors, w.first);
            return 1;
        }
        let cpu0 = cpu_times();
        let start = Instant::now();
        let r = run(&client, calls, concurrency, stream_count).await;
        let elapsed = start.elapsed().as_secs_f64();
        let cpu1 = cpu_times();
        let mut line = format!(
            r#"{{"calls":{calls},"errors":{},"elapsed_s":{elapsed:.6},"user_s":{:.6},"sys_s":{:.6}"#,
            r.errors,
            cpu1.0 - cpu0.0,
            cpu1.1 - cpu0.1,
        );
        if stream_count > 0 {
            line.push_str(&format!(r#","messages":{}"#, r.messages));
        }
        println!("{line}}}");
        if r.errors > 0 {
            eprintln!("client: {} of {calls} calls failed; first: {}", r.errors, r.first);
            return 1;
        }
        0
    });
    std::process::exit(code);
}

struct Outcome {
    errors: u64,
    messages: u64,
    first: String,
}

/// Makes `n` calls, at most `c` in flight at once, each task taking the next call number.
async fn run(client: &Client, n: u64, c: u64, stream_count: u32) -> Outcome {
    let next = Arc::new(AtomicU64::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..c.min(n) {
        let client = client.clone();
        let next = Arc::clone(&next);
        tasks.spawn(async move {
            let mut out = Outcome {
                errors: 0,
                messages: 0,
                first: String::new(),
            };
            while next.fetch_add(1, Ordering::Relaxed) < n {
                let result = if stream_count == 0 {
                    echo(&client).await
                } else {
                    repeat(&client, stream_count).await
                };
                match result {
                    Ok(m) => out.messages += m,
                    Err((m, e)) => {
                        out.messages += m;
                        out.errors += 1;
                        if out.first.is_empty() {
                            out.first = e;
                        }
                    }
                }
            }
            out
        });
    }
    let mut total = Outcome {
        errors: 0,
        messages: 0,
        first: String::new(),
    };
    while let Some(done) = tasks.join_next().await {
        let out = done.unwrap_or_else(|e| die(&format!("task: {e}")));
        total.errors += out.errors;
        total.messages += out.messages;
        if total.first.is_empty() {
            total.first = out.first;
        }
    }
    total
}

async fn echo(client: &Client) -> Result<u64, (u64, String)> {
    let request = Text {
        text: TEXT.to_owned(),
        ..Default::default()
    };
    let response = client.echo(request).await.map_err(|e| (0, e.to_string()))?;
    let got = response.view().text;
    if got != TEXT {
        return Err((0, format!("echo returned {got:?}")));
    }
    Ok(1)
}

async fn repeat(client: &Client, count: u32) -> Result<u64, (u64, String)> {
    let request = RepeatRequest {
        text: TEXT.to_owned(),
        count,
        ..Default::default()
    };
    let mut stream = client
        .repeat(request)
        .await
        .map_err(|e| (0, e.to_string()))?;
    let mut n = 0u64;
    loop {
        match stream.message().await {
            Ok(Some(m)) => {
                let got = m.view().text;
                if got != TEXT {
                    return Err((n, format!("repeat sent {got:?}")));
                }
                n += 1;
            }
            Ok(None) => break,
            Err(e) => return Err((n, e.to_string())),
        }
    }
    if n != u64::from(count) {
        return Err((n, format!("repeat sent {n} messages, want {count}")));
    }
    Ok(n)
}

/// This process's (user, system) CPU seconds so far.
#[allow(unsafe_code)]
fn cpu_times() -> (f64, f64) {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole rusage into the pointer it is given.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, ru.as_mut_ptr()) };
    if rc != 0 {
        die(&format!("getrusage: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: getrusage succeeded, so it filled the struct.
    let ru = unsafe { ru.assume_init() };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (tv(ru.ru_utime), tv(ru.ru_stime))
}
