//! `client-bench --url URL --calls N --concurrency C [--json] [--gzip] [--stream-count K]`:
//! the client side of the client benchmark (PERF.md, "Clients"). N unary `Echo` calls (or
//! `Repeat` server streams of K messages) with C in flight at once on one thread, then one
//! line of JSON: calls, errors, elapsed time and this process's CPU time over the measured
//! calls (a warm-up of min(1000, N/10) calls is not counted). The peers' clients under
//! `benches/peers/` take the same flags and print the same line.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use clap::Parser;
use connect_bench::echo::{EchoServiceBlockingClient, EchoServiceClient, RepeatRequest, Text};
use connect_engine::Codec;
use connect_engine::Compression;
use connect_engine::client::{Client, ClientConfig};
use connect_engine::runtime::{self, Driver};

/// Client benchmark loop.
#[derive(Parser, Debug)]
struct Args {
    /// The server's base URL.
    #[arg(long)]
    url: String,
    /// Calls measured.
    #[arg(long, default_value_t = 100_000)]
    calls: u64,
    /// Calls in flight at once.
    #[arg(long, default_value_t = 1)]
    concurrency: u64,
    /// JSON instead of protobuf binary.
    #[arg(long)]
    json: bool,
    /// gzip request messages.
    #[arg(long)]
    gzip: bool,
    /// Server-stream calls of this many messages instead of unary calls.
    #[arg(long)]
    stream_count: Option<u32>,
    /// The monoio driver.
    #[arg(long, default_value = "auto", value_parser = ["auto", "epoll", "io_uring"])]
    driver: String,
    /// The blocking client, one thread per concurrent call, instead of the async one.
    #[arg(long)]
    blocking: bool,
}

/// This process's user and system CPU seconds (from `/proc/self/stat`).
fn cpu_times() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = 100.0; // CLK_TCK on Linux.
    let get = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0) / tick;
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after `)` and state.
    (get(11), get(12))
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let driver = match args.driver.as_str() {
        "epoll" => Driver::Epoll,
        "io_uring" => Driver::IoUring,
        _ => Driver::Auto,
    };
    let mut config =
        ClientConfig::new().with_codec(if args.json { Codec::Json } else { Codec::Proto });
    if args.gzip {
        config = config.with_send_compression(Compression::Gzip);
    }
    config.max_idle_connections = config.max_idle_connections.max(args.concurrency as usize);
    if args.blocking {
        return blocking_main(&args, config);
    }
    let client = match Client::new(&args.url, config) {
        Ok(c) => EchoServiceClient::new(c),
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime::block_on(driver, async move {
        let warmup = (args.calls / 10).min(1000);
        run(&client, warmup, args.concurrency, args.stream_count).await;
        let (u0, s0) = cpu_times();
        let t0 = Instant::now();
        let (errors, messages) =
            run(&client, args.calls, args.concurrency, args.stream_count).await;
        let elapsed = t0.elapsed().as_secs_f64();
        let (u1, s1) = cpu_times();
        (errors, messages, elapsed, u1 - u0, s1 - s0)
    });
    let Ok((errors, messages, elapsed, user, sys)) = result else {
        eprintln!("error: cannot start the runtime");
        return std::process::ExitCode::FAILURE;
    };
    let stream = if args.stream_count.is_some() {
        format!(",\"messages\":{messages}")
    } else {
        String::new()
    };
    println!(
        "{{\"calls\":{},\"errors\":{errors},\"elapsed_s\":{elapsed:.3},\"user_s\":{user:.3},\"sys_s\":{sys:.3}{stream}}}",
        args.calls
    );
    if errors > 0 {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}

/// Runs `calls` calls, `concurrency` at a time; returns (errors, stream messages received).
async fn run(
    client: &EchoServiceClient,
    calls: u64,
    concurrency: u64,
    stream: Option<u32>,
) -> (u64, u64) {
    let next = Rc::new(Cell::new(0u64));
    let errors = Rc::new(Cell::new(0u64));
    let messages = Rc::new(Cell::new(0u64));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (client, next, errors, messages) = (
            client.clone(),
            next.clone(),
            errors.clone(),
            messages.clone(),
        );
        tasks.push(monoio::spawn(async move {
            let request = Text {
                text: "hello, world".into(),
                ..Default::default()
            };
            let repeat = RepeatRequest {
                text: "hello, world".into(),
                count: stream.unwrap_or(0),
                ..Default::default()
            };
            loop {
                let i = next.get();
                if i >= calls {
                    break;
                }
                next.set(i + 1);
                if stream.is_some() {
                    match client.repeat(&repeat).await {
                        Ok(mut s) => {
                            while let Some(m) = s.next().await {
                                match m {
                                    Ok(_) => messages.set(messages.get() + 1),
                                    Err(_) => errors.set(errors.get() + 1),
                                }
                            }
                        }
                        Err(_) => errors.set(errors.get() + 1),
                    }
                } else if client.echo(&request).await.is_err() {
                    errors.set(errors.get() + 1);
                }
            }
        }));
    }
    for t in tasks {
        t.await;
    }
    (errors.get(), messages.get())
}

fn blocking_main(args: &Args, config: ClientConfig) -> std::process::ExitCode {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let client = match connect_engine::blocking::BlockingClient::new(&args.url, config) {
        Ok(c) => EchoServiceBlockingClient::new(c),
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let run = |calls: u64| {
        let next = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let messages = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..args.concurrency.max(1))
            .map(|_| {
                let (client, next, errors, messages) = (
                    client.clone(),
                    next.clone(),
                    errors.clone(),
                    messages.clone(),
                );
                let stream = args.stream_count;
                std::thread::spawn(move || {
                    let request = Text {
                        text: "hello, world".into(),
                        ..Default::default()
                    };
                    let repeat = RepeatRequest {
                        text: "hello, world".into(),
                        count: stream.unwrap_or(0),
                        ..Default::default()
                    };
                    while next.fetch_add(1, Ordering::Relaxed) < calls {
                        if stream.is_some() {
                            match client.repeat(&repeat) {
                                Ok(s) => {
                                    for m in s {
                                        if m.is_ok() {
                                            messages.fetch_add(1, Ordering::Relaxed);
                                        } else {
                                            errors.fetch_add(1, Ordering::Relaxed);
                                        }
                                    }
                                }
                                Err(_) => {
                                    errors.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        } else if client.echo(&request).is_err() {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            let _ = t.join();
        }
        (
            errors.load(Ordering::Relaxed),
            messages.load(Ordering::Relaxed),
        )
    };
    run((args.calls / 10).min(1000));
    let (u0, s0) = cpu_times();
    let t0 = Instant::now();
    let (errors, messages) = run(args.calls);
    let elapsed = t0.elapsed().as_secs_f64();
    let (u1, s1) = cpu_times();
    let stream = if args.stream_count.is_some() {
        format!(",\"messages\":{messages}")
    } else {
        String::new()
    };
    println!(
        "{{\"calls\":{},\"errors\":{errors},\"elapsed_s\":{elapsed:.3},\"user_s\":{:.3},\"sys_s\":{:.3}{stream}}}",
        args.calls,
        u1 - u0,
        s1 - s0
    );
    if errors > 0 {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
