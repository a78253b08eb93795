//! Both clients against hostile or merely unusual servers, scripted over real sockets: TLS
//! servers that trickle the handshake or the response, one that keeps the socket open after
//! the client refused its certificate, a server that sends an unasked response on a
//! keep-alive connection, error bodies with invalid UTF-8, many header fields, folded
//! header lines, a server that trickles a plain response with no deadline set, and one that
//! keeps the connection open after a close-delimited stream's end-stream message.
//!
//! Every case runs on the async client (epoll, and io_uring where the kernel has it) and on
//! the blocking client.

mod support;

#[path = "support/scripted.rs"]
mod scripted;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use connect_engine::blocking::BlockingClient;
use connect_engine::client::{CallOptions, Client, ClientConfig, UnaryOutput};
use connect_engine::runtime::Driver;
use connect_engine::{Code, ConnectError};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use scripted::{read_request, unary_response};
use support::Text;

#[derive(Clone, Copy, Debug)]
enum Flavor {
    Async(Driver),
    Blocking,
}

fn flavors() -> Vec<Flavor> {
    let mut f = vec![Flavor::Async(Driver::Epoll), Flavor::Blocking];
    if Driver::Auto.resolve() == Driver::IoUring {
        f.push(Flavor::Async(Driver::IoUring));
    }
    f
}

fn msg(t: &str) -> Text<'static> {
    Text {
        text: t.to_owned().into(),
        ..Default::default()
    }
}

/// What a client does between two calls.
#[derive(Clone, Copy, Debug)]
enum Gap {
    /// Waits (the async client's runtime turns meanwhile).
    Wait(Duration),
    /// Stays busy without awaiting (the async client's runtime does not turn).
    Busy(Duration),
}

const NO_GAP: Gap = Gap::Wait(Duration::ZERO);

/// Makes `requests.len()` unary `Echo` calls on one client (so connections are reused),
/// `gap` apart; returns each call's output and the time all of them took.
fn calls(
    flavor: Flavor,
    url: &str,
    config: ClientConfig,
    options: &CallOptions,
    requests: &[Text<'static>],
    gap: Gap,
) -> (Vec<UnaryOutput<Text<'static>>>, Duration) {
    calls_after(flavor, url, config, options, requests, gap, &|_| true)
}

/// [`calls`], each gap starting only once `ready(calls made so far)` (polled every
/// millisecond, for up to 5 s): the test's server has done what it does after an answer.
fn calls_after(
    flavor: Flavor,
    url: &str,
    config: ClientConfig,
    options: &CallOptions,
    requests: &[Text<'static>],
    gap: Gap,
    ready: &dyn Fn(usize) -> bool,
) -> (Vec<UnaryOutput<Text<'static>>>, Duration) {
    let settle = |made: usize| {
        let until = Instant::now() + Duration::from_secs(5);
        while !ready(made) && Instant::now() < until {
            thread::sleep(Duration::from_millis(1));
        }
    };
    let started = Instant::now();
    let outs = match flavor {
        Flavor::Async(driver) => {
            let client = Client::new(url, config).unwrap();
            connect_engine::runtime::block_on(driver, async {
                let mut outs = Vec::new();
                for r in requests {
                    if !outs.is_empty() {
                        settle(outs.len());
                        match gap {
                            Gap::Wait(d) => monoio::time::sleep(d).await,
                            Gap::Busy(d) => thread::sleep(d),
                        }
                    }
                    outs.push(
                        client
                            .unary::<Text<'_>, Text<'static>>(&support::ECHO, r, options.clone())
                            .await,
                    );
                }
                outs
            })
            .unwrap()
        }
        Flavor::Blocking => {
            let client = BlockingClient::new(url, config).unwrap();
            let mut outs = Vec::new();
            for r in requests {
                if !outs.is_empty() {
                    settle(outs.len());
                    let (Gap::Wait(d) | Gap::Busy(d)) = gap;
                    thread::sleep(d);
                }
                outs.push(client.unary::<Text<'_>, Text<'static>>(
                    &support::ECHO,
                    r,
                    options.clone(),
                ));
            }
            outs
        }
    };
    (outs, started.elapsed())
}

/// One unary call; its result and how long it took.
fn call(
    flavor: Flavor,
    url: &str,
    config: ClientConfig,
    options: &CallOptions,
) -> (Result<Text<'static>, ConnectError>, Duration) {
    let (mut outs, took) = calls(flavor, url, config, options, &[msg("hi")], NO_GAP);
    (outs.remove(0).result, took)
}

/// A plain server that runs `serve` on each accepted connection, each on its own thread.
fn plain_server(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let serve = Arc::new(serve);
    thread::spawn(move || {
        for s in listener.incoming() {
            // Under a full parallel test run an accept can fail for a moment (descriptors
            // or memory running short): the listener must outlive that, or every later
            // call of the test fails to connect.
            let Ok(s) = s else {
                thread::sleep(Duration::from_millis(5));
                continue;
            };
            let serve = serve.clone();
            if let Err(e) = thread::Builder::new().spawn(move || serve(s)) {
                eprintln!("scripted server: no thread for a connection: {e}");
            }
        }
    });
    url
}

fn proto_ok(body: &[u8]) -> Vec<u8> {
    unary_response("200 OK", "content-type: application/proto\r\n", body)
}

// ---------------------------------------------------------------------------------------
// TLS

struct Tls {
    server: Arc<rustls::ServerConfig>,
    /// Trusts the server's certificate.
    client: rustls::ClientConfig,
}

fn tls() -> Tls {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let der = CertificateDer::from(cert.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.signing_key.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Tls {
        server: Arc::new(server),
        client,
    }
}

/// Sends `bytes` one at a time, `gap` apart (until the peer goes away).
fn trickle(s: &mut TcpStream, bytes: &[u8], gap: Duration) {
    for b in bytes {
        if s.write_all(&[*b]).is_err() {
            return;
        }
        thread::sleep(gap);
    }
}

/// Runs a TLS server handshake over `s` with rustls, each flight of the server's
/// handshake trickled `gap` per byte (no trickle for zero).
fn handshake(s: &mut TcpStream, session: &mut rustls::ServerConnection, gap: Duration) -> bool {
    while session.is_handshaking() {
        let mut out = Vec::new();
        while session.wants_write() {
            session.write_tls(&mut out).unwrap();
        }
        if gap.is_zero() {
            if s.write_all(&out).is_err() {
                return false;
            }
        } else {
            trickle(s, &out, gap);
        }
        if !session.is_handshaking() {
            break;
        }
        match session.read_tls(s) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        if session.process_new_packets().is_err() {
            return false;
        }
    }
    let mut out = Vec::new();
    while session.wants_write() {
        session.write_tls(&mut out).unwrap();
    }
    s.write_all(&out).is_ok()
}

/// Reads one request head (and body) through the TLS session.
fn tls_read_request(s: &mut TcpStream, session: &mut rustls::ServerConnection) -> bool {
    let mut plain = Vec::new();
    loop {
        let mut buf = [0u8; 4096];
        match session.reader().read(&mut buf) {
            Ok(n) if n > 0 => plain.extend_from_slice(&buf[..n]),
            _ => {}
        }
        if let Some(end) = plain.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&plain[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if plain.len() >= end + 4 + len {
                return true;
            }
        }
        match session.read_tls(s) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        if session.process_new_packets().is_err() {
            return false;
        }
    }
}

/// A TLS server: `serve` runs on each accepted connection, on its own thread.
fn tls_server(
    config: Arc<rustls::ServerConfig>,
    serve: impl Fn(TcpStream, rustls::ServerConnection) + Send + Sync + 'static,
) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let serve = Arc::new(serve);
    thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { return };
            let serve = serve.clone();
            let session = rustls::ServerConnection::new(config.clone()).unwrap();
            thread::spawn(move || serve(s, session));
        }
    });
    url
}

/// Item 1: the call's deadline holds over TLS while the server trickles the response one
/// TLS byte every 200 ms (the blocking client used to read on to the end, 20 s).
#[test]
fn tls_deadline_holds_against_a_trickled_response() {
    let tls = tls();
    let url = tls_server(tls.server.clone(), |mut s, mut session| {
        if !handshake(&mut s, &mut session, Duration::ZERO)
            || !tls_read_request(&mut s, &mut session)
        {
            return;
        }
        session
            .writer()
            .write_all(&proto_ok(&support::text("slow")))
            .unwrap();
        let mut out = Vec::new();
        while session.wants_write() {
            session.write_tls(&mut out).unwrap();
        }
        trickle(&mut s, &out, Duration::from_millis(200));
    });
    for flavor in flavors() {
        let config = ClientConfig::new().with_tls(tls.client.clone());
        let options = CallOptions::new().with_timeout(Duration::from_millis(1500));
        let (result, took) = call(flavor, &url, config, &options);
        let e = result.expect_err("a trickled response must not beat the deadline");
        assert_eq!(e.code(), Code::DeadlineExceeded, "{flavor:?}: {e}");
        assert!(took < Duration::from_secs(4), "{flavor:?}: took {took:?}");
    }
}

/// Item 1: a handshake trickled a byte every 20 ms is bounded by the deadline, and without
/// a deadline by the connect timeout (which covers the TLS handshake).
#[test]
fn tls_handshake_is_bounded_by_the_deadline_and_the_connect_timeout() {
    let tls = tls();
    let url = tls_server(tls.server.clone(), |mut s, mut session| {
        if handshake(&mut s, &mut session, Duration::from_millis(20)) {
            let _ = tls_read_request(&mut s, &mut session);
        }
    });
    for flavor in flavors() {
        let config = ClientConfig::new().with_tls(tls.client.clone());
        let options = CallOptions::new().with_timeout(Duration::from_secs(1));
        let (result, took) = call(flavor, &url, config, &options);
        let e = result.expect_err("the handshake alone outlasts the deadline");
        assert_eq!(e.code(), Code::DeadlineExceeded, "{flavor:?}: {e}");
        assert!(took < Duration::from_secs(3), "{flavor:?}: took {took:?}");

        let config = ClientConfig::new()
            .with_tls(tls.client.clone())
            .with_connect_timeout(Duration::from_secs(1));
        let (result, took) = call(flavor, &url, config, &CallOptions::new());
        let e = result.expect_err("the handshake alone outlasts the connect timeout");
        assert_eq!(e.code(), Code::Unavailable, "{flavor:?}: {e}");
        assert!(e.message().contains("connect to"), "{flavor:?}: {e}");
        assert!(took < Duration::from_secs(3), "{flavor:?}: took {took:?}");
    }
}

/// Items 2 and 3: a certificate the client does not trust fails the call at once (the
/// server keeps the socket open after the client's alert), saying why.
#[test]
fn an_untrusted_certificate_fails_at_once_with_the_reason() {
    let tls = tls();
    let url = tls_server(tls.server.clone(), |mut s, mut session| {
        let _ = handshake(&mut s, &mut session, Duration::ZERO);
        // Keep the socket open, silent, whatever the client said.
        thread::sleep(Duration::from_secs(20));
    });
    for flavor in flavors() {
        // The default roots do not know this self-signed certificate.
        let (result, took) = call(flavor, &url, ClientConfig::new(), &CallOptions::new());
        let e = result.expect_err("untrusted certificate");
        assert_eq!(e.code(), Code::Unavailable, "{flavor:?}: {e}");
        assert!(
            e.message().contains("invalid peer certificate")
                && e.message().contains("UnknownIssuer"),
            "{flavor:?}: {e}"
        );
        assert!(took < Duration::from_secs(3), "{flavor:?}: took {took:?}");
    }
}

// ---------------------------------------------------------------------------------------
// Plain

/// Item 4: a server that follows each response with an unasked second one, 2 ms later. A
/// call on a reused connection must never read the earlier bytes as its own response. Each
/// next call waits until the unasked response is out (under load the server's 2 ms can run
/// past the gap, and bytes that arrive after a request is written are its answer as far as
/// any client can tell).
#[test]
fn an_unasked_response_on_a_pooled_connection_is_never_taken_as_the_next_calls() {
    let unasked = Arc::new(AtomicUsize::new(0));
    let written = unasked.clone();
    let url = plain_server(move |mut s| {
        loop {
            let request = read_request(&mut s);
            if request.is_empty() {
                return;
            }
            // The request's message, echoed; then the same again, unasked.
            let at = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            let response = proto_ok(&request[at..]);
            if s.write_all(&response).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(2));
            if s.write_all(&proto_ok(&support::text("stale"))).is_err() {
                return;
            }
            written.fetch_add(1, Ordering::SeqCst);
        }
    });
    let requests: Vec<Text<'static>> = (0..30).map(|i| msg(&format!("call {i}"))).collect();
    // Waiting between calls, and busy between them (the async client's runtime does not
    // turn, so its posted read cannot have seen the stale bytes: the peek must).
    for gap in [
        Gap::Wait(Duration::from_millis(10)),
        Gap::Busy(Duration::from_millis(10)),
    ] {
        for flavor in flavors() {
            let before = unasked.load(Ordering::SeqCst);
            let (outs, _) = calls_after(
                flavor,
                &url,
                ClientConfig::new(),
                &CallOptions::new(),
                &requests,
                gap,
                &|made| unasked.load(Ordering::SeqCst) >= before + made,
            );
            for (i, out) in outs.into_iter().enumerate() {
                let got = out
                    .result
                    .unwrap_or_else(|e| panic!("{flavor:?} {gap:?}: call {i}: {e:?}"));
                assert_eq!(
                    got.text,
                    format!("call {i}"),
                    "{flavor:?} {gap:?}: call {i}"
                );
            }
        }
    }
}

/// A server that closes each keep-alive connection a few milliseconds after answering: a
/// call must not start on the closed connection (it would fail with no response), whether
/// the client waited or stayed busy in between; and a connection the server keeps open is
/// reused, not replaced every call.
#[test]
fn a_connection_the_server_closed_while_idle_is_not_reused() {
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    let url = plain_server(move |mut s| {
        count.fetch_add(1, Ordering::SeqCst);
        let request = read_request(&mut s);
        let at = request
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(0)
            + 4;
        let _ = s.write_all(&proto_ok(request.get(at..).unwrap_or_default()));
        thread::sleep(Duration::from_millis(5));
    });
    let requests: Vec<Text<'static>> = (0..6).map(|i| msg(&format!("call {i}"))).collect();
    for gap in [
        Gap::Wait(Duration::from_millis(30)),
        Gap::Busy(Duration::from_millis(30)),
    ] {
        for flavor in flavors() {
            let before = accepted.load(Ordering::SeqCst);
            let (outs, _) = calls(
                flavor,
                &url,
                ClientConfig::new(),
                &CallOptions::new(),
                &requests,
                gap,
            );
            for (i, out) in outs.into_iter().enumerate() {
                let got = out
                    .result
                    .unwrap_or_else(|e| panic!("{flavor:?} {gap:?}: call {i}: {e:?}"));
                assert_eq!(got.text, format!("call {i}"), "{flavor:?} {gap:?}");
            }
            assert_eq!(
                accepted.load(Ordering::SeqCst) - before,
                requests.len(),
                "{flavor:?} {gap:?}: one connection per call"
            );
        }
    }
    // A well-behaved keep-alive server: one connection carries every call.
    let kept = Arc::new(AtomicUsize::new(0));
    let count = kept.clone();
    let url = plain_server(move |mut s| {
        count.fetch_add(1, Ordering::SeqCst);
        loop {
            let request = read_request(&mut s);
            let Some(at) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
                return;
            };
            if s.write_all(&proto_ok(&request[at + 4..])).is_err() {
                return;
            }
        }
    });
    for gap in [
        Gap::Wait(Duration::from_millis(5)),
        Gap::Busy(Duration::from_millis(5)),
    ] {
        for flavor in flavors() {
            let before = kept.load(Ordering::SeqCst);
            let (outs, _) = calls(
                flavor,
                &url,
                ClientConfig::new(),
                &CallOptions::new(),
                &requests,
                gap,
            );
            assert!(outs.iter().all(|o| o.result.is_ok()), "{flavor:?} {gap:?}");
            assert_eq!(
                kept.load(Ordering::SeqCst) - before,
                1,
                "{flavor:?} {gap:?}: connections opened"
            );
        }
    }
}

/// A large request to a server that reads it steadily but slowly (16 MiB at about 4 MB/s,
/// over 4 s) is not cut off by a 2 s IO timeout: the write's wait grows with its size.
#[test]
fn a_steady_large_upload_is_not_cut_off() {
    let url = plain_server(|mut s| {
        let rate = 4_000_000f64;
        let started = Instant::now();
        let mut all = Vec::new();
        let mut buf = vec![0u8; 16 << 10];
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
            if let Some(h) = all.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&all[..h]).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if all.len() >= h + 4 + len {
                    let _ = s.write_all(&proto_ok(&support::text(&format!("got {len}"))));
                    return;
                }
            }
            // Read no faster than `rate`.
            let due = Duration::from_secs_f64(all.len() as f64 / rate);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                thread::sleep(wait);
            }
        }
    });
    let big = msg(&"u".repeat(16 << 20));
    let handles: Vec<_> = flavors()
        .into_iter()
        .map(|flavor| {
            let (url, big) = (url.clone(), big.clone());
            thread::spawn(move || {
                let config = ClientConfig::new()
                    .with_io_timeout(Duration::from_secs(2))
                    .with_max_message_size(32 << 20);
                let (mut outs, took) =
                    calls(flavor, &url, config, &CallOptions::new(), &[big], NO_GAP);
                let out = outs.remove(0).result;
                let got = out.unwrap_or_else(|e| panic!("{flavor:?} after {took:?}: {e}"));
                assert!(got.text.starts_with("got "), "{flavor:?}: {}", got.text);
                assert!(
                    took > Duration::from_secs(3),
                    "{flavor:?}: the upload took {took:?}"
                );
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

/// Item 5: an error body whose message has invalid UTF-8 keeps its code and message.
#[test]
fn an_error_body_with_invalid_utf8_keeps_code_and_message() {
    let url = plain_server(|mut s| {
        let _ = read_request(&mut s);
        let body = b"{\"code\":\"invalid_argument\",\"message\":\"bad \xff\xfe\"}";
        let _ = s.write_all(&unary_response(
            "400 Bad Request",
            "content-type: application/json\r\n",
            body,
        ));
    });
    for flavor in flavors() {
        let (result, _) = call(flavor, &url, ClientConfig::new(), &CallOptions::new());
        let e = result.unwrap_err();
        assert_eq!(
            (e.code(), e.message()),
            (Code::InvalidArgument, "bad \u{fffd}\u{fffd}"),
            "{flavor:?}"
        );
    }
}

/// Item 6: 80 response header fields (headers and unary trailers together) are accepted.
#[test]
fn a_response_with_80_header_fields_is_accepted() {
    let url = plain_server(|mut s| {
        let _ = read_request(&mut s);
        let mut fields = String::from("content-type: application/proto\r\n");
        for i in 0..40 {
            use std::fmt::Write as _;
            let _ = write!(fields, "x-h-{i}: v{i}\r\ntrailer-x-t-{i}: t{i}\r\n");
        }
        let _ = s.write_all(&unary_response("200 OK", &fields, &support::text("many")));
    });
    for flavor in flavors() {
        let (mut outs, _) = calls(
            flavor,
            &url,
            ClientConfig::new(),
            &CallOptions::new(),
            &[msg("x")],
            NO_GAP,
        );
        let out = outs.remove(0);
        assert_eq!(out.result.unwrap().text, "many", "{flavor:?}");
        assert_eq!(out.headers.get("x-h-39").unwrap(), "v39", "{flavor:?}");
        assert_eq!(out.trailers.get("x-t-39").unwrap(), "t39", "{flavor:?}");
    }
}

/// Item 7: a folded header line (obs-fold) is unfolded into spaces, not refused.
#[test]
fn a_folded_response_header_is_unfolded() {
    let url = plain_server(|mut s| {
        let _ = read_request(&mut s);
        let _ = s.write_all(&unary_response(
            "200 OK",
            "content-type: application/proto\r\nx-folded: first\r\n second\r\n",
            &support::text("folded"),
        ));
    });
    for flavor in flavors() {
        let (mut outs, _) = calls(
            flavor,
            &url,
            ClientConfig::new(),
            &CallOptions::new(),
            &[msg("x")],
            NO_GAP,
        );
        let out = outs.remove(0);
        assert_eq!(out.result.unwrap().text, "folded", "{flavor:?}");
        assert_eq!(
            out.headers.get("x-folded").unwrap(),
            "first   second",
            "{flavor:?}"
        );
    }
}

/// Item 10: with no deadline, a server that trickles its response (a byte every 100 ms,
/// each read well within the IO timeout) is still bounded: the response head as a whole
/// must arrive within the IO timeout.
#[test]
fn a_trickled_response_without_a_deadline_is_bounded_by_the_io_timeout() {
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let url = plain_server(move |mut s| {
        let _ = read_request(&mut s);
        count.fetch_add(1, Ordering::SeqCst);
        trickle(
            &mut s,
            &proto_ok(&support::text("trickled")),
            Duration::from_millis(100),
        );
    });
    for flavor in flavors() {
        let config = ClientConfig::new().with_io_timeout(Duration::from_millis(800));
        let (result, took) = call(flavor, &url, config, &CallOptions::new());
        let e = result.expect_err("a trickled head outlasts the IO timeout");
        assert_eq!(e.code(), Code::Unavailable, "{flavor:?}: {e}");
        assert!(took < Duration::from_secs(3), "{flavor:?}: took {took:?}");
    }
    assert_eq!(served.load(Ordering::SeqCst), flavors().len());
}

/// Item 4 over TLS: the unasked response comes in the same TLS record as the answer, so it
/// is decrypted with it and waits inside the TLS session, where no socket check sees it.
#[test]
fn an_unasked_response_in_the_same_tls_record_is_never_taken_as_the_next_calls() {
    let tls = tls();
    let url = tls_server(tls.server.clone(), |mut s, mut session| {
        if !handshake(&mut s, &mut session, Duration::ZERO) {
            return;
        }
        let mut answered = 0;
        loop {
            if !tls_read_request(&mut s, &mut session) {
                return;
            }
            answered += 1;
            // One plaintext write: the answer and an unasked second response, one record.
            let mut both = proto_ok(&support::text(&format!("answer {answered}")));
            both.extend_from_slice(&proto_ok(&support::text("stale")));
            session.writer().write_all(&both).unwrap();
            let mut out = Vec::new();
            while session.wants_write() {
                session.write_tls(&mut out).unwrap();
            }
            if s.write_all(&out).is_err() {
                return;
            }
        }
    });
    let requests: Vec<Text<'static>> = (0..5).map(|i| msg(&format!("call {i}"))).collect();
    for flavor in flavors() {
        let config = ClientConfig::new().with_tls(tls.client.clone());
        let (outs, _) = calls(
            flavor,
            &url,
            config,
            &CallOptions::new(),
            &requests,
            Gap::Wait(Duration::from_millis(10)),
        );
        for (i, out) in outs.into_iter().enumerate() {
            let got = out
                .result
                .unwrap_or_else(|e| panic!("{flavor:?}: call {i}: {e}"));
            assert_eq!(
                got.text, "answer 1",
                "{flavor:?}: call {i} (each on a new connection)"
            );
        }
    }
}

/// A cancellation while the TLS handshake waits on a silent server ends the call at once
/// (blocking client: the socket is shut down from the canceling thread).
#[test]
fn a_cancellation_during_the_tls_handshake_ends_the_call_at_once() {
    use connect_engine::client::CancelToken;
    let tls = tls();
    let url = tls_server(tls.server.clone(), |_s, _session| {
        thread::sleep(Duration::from_secs(20));
    });
    let token = CancelToken::new();
    let canceler = token.clone();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        canceler.cancel();
    });
    let config = ClientConfig::new().with_tls(tls.client.clone());
    let options = CallOptions::new().with_cancel(token);
    let (result, took) = call(Flavor::Blocking, &url, config, &options);
    let e = result.expect_err("canceled");
    assert_eq!(e.code(), Code::Canceled, "{e}");
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

/// A streaming response with neither a length nor chunks (it ends when the server closes),
/// from a server that keeps the connection open after the end-stream message: the call ends
/// with that message, not at the IO timeout.
#[test]
fn a_close_delimited_stream_ends_with_its_end_stream_message() {
    let url = plain_server(|mut s| {
        let _ = read_request(&mut s);
        let mut response = b"HTTP/1.1 200 OK\r\ncontent-type: application/connect+proto\r\n\
            connection: close\r\n\r\n"
            .to_vec();
        for (flags, payload) in [(0u8, support::text("one")), (2, b"{}".to_vec())] {
            response.push(flags);
            response.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
            response.extend_from_slice(&payload);
        }
        let _ = s.write_all(&response);
        // Held open until the client closes it.
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        let _ = s.read(&mut [0u8; 64]);
    });
    for flavor in flavors() {
        let config = ClientConfig::new().with_io_timeout(Duration::from_secs(2));
        let request = msg("x");
        let got: Vec<Result<String, ConnectError>> = match flavor {
            Flavor::Async(driver) => {
                let client = Client::new(&url, config).unwrap();
                connect_engine::runtime::block_on(driver, async {
                    let mut s = client
                        .server_stream::<Text<'_>, Text<'static>>(
                            &support::REPEAT,
                            &request,
                            CallOptions::new(),
                        )
                        .await;
                    let mut got = Vec::new();
                    while let Some(m) = s.next().await {
                        got.push(m.map(|m| m.text.into_owned()));
                    }
                    if let Some(e) = s.error() {
                        got.push(Err(e.clone()));
                    }
                    got
                })
                .unwrap()
            }
            Flavor::Blocking => BlockingClient::new(&url, config)
                .unwrap()
                .server_stream::<Text<'_>, Text<'static>>(
                    &support::REPEAT,
                    &request,
                    CallOptions::new(),
                )
                .map(|m| m.map(|m| m.text.into_owned()))
                .collect(),
        };
        assert_eq!(got.len(), 1, "{flavor:?}: {got:?}");
        assert_eq!(got[0].as_deref().unwrap(), "one", "{flavor:?}");
    }
}
