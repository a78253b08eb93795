//! Black-box tests of the async client: against our server (every stream kind, codecs,
//! compression, GET, metadata, deadlines, cancellation, connection reuse) and against a
//! scripted raw-socket server that answers with whatever bytes a test wants (wrong
//! statuses, content types, compression, truncated and oversized bodies, closed pooled
//! connections, a server that never answers). Both drivers.

mod support;

#[path = "support/scripted.rs"]
mod scripted;

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connect_engine::Compression;
use connect_engine::client::{
    CallOptions, CancelToken, Client, ClientConfig, Interceptor, RequestInfo, ResponseInfo,
};
use connect_engine::runtime::{self, Driver};
use connect_engine::{Code, Codec, ConnectError};
use http::HeaderValue;
use scripted::{Answer, clone_answer, endless_chunked, scripted, unary_response};
use support::{CHAT, CONCAT, ECHO, FAIL, REPEAT, SLEEP, TestServer, Text};

fn drivers() -> Vec<Driver> {
    let mut d = vec![Driver::Epoll];
    if Driver::Auto.resolve() == Driver::IoUring {
        d.push(Driver::IoUring);
    }
    d
}

fn text(s: &str) -> Text<'static> {
    Text {
        text: Cow::Owned(s.to_owned()),
        ..Default::default()
    }
}

fn run<T>(driver: Driver, f: impl std::future::Future<Output = T>) -> T {
    runtime::block_on(driver, f).unwrap()
}

#[test]
fn every_stream_kind_against_our_server() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let url = format!("http://{}", server.addr);
        for codec in [Codec::Proto, Codec::Json] {
            for compression in [Compression::Identity, Compression::Gzip] {
                let config = ClientConfig::new()
                    .with_codec(codec)
                    .with_send_compression(compression);
                let client = Client::new(&url, config).unwrap();
                run(driver, async {
                    let out = client
                        .unary::<Text<'_>, Text<'static>>(&ECHO, &text("héllo"), CallOptions::new())
                        .await;
                    assert_eq!(
                        out.result.unwrap().text,
                        "héllo",
                        "{driver:?} {codec:?} {compression:?}"
                    );

                    let mut s = client
                        .server_stream::<Text<'_>, Text<'static>>(
                            &REPEAT,
                            &text("r"),
                            CallOptions::new(),
                        )
                        .await;
                    let mut got = Vec::new();
                    while let Some(m) = s.next().await {
                        got.push(m.unwrap().text.into_owned());
                    }
                    assert_eq!(got, ["r", "r", "r"]);
                    assert!(s.error().is_none() && s.is_done());

                    let parts = [text("a"), text("b"), text("c")];
                    let out = client
                        .client_stream::<Text<'_>, Text<'static>, _>(
                            &CONCAT,
                            &parts,
                            CallOptions::new(),
                        )
                        .await;
                    assert_eq!(out.result.unwrap().text, "abc");

                    let (msgs, err) = client
                        .bidi_stream::<Text<'_>, Text<'static>, _>(
                            &CHAT,
                            &parts,
                            CallOptions::new(),
                        )
                        .await
                        .collect()
                        .await;
                    assert!(err.is_none());
                    let texts: Vec<_> = msgs.iter().map(|m| m.text.as_ref()).collect();
                    assert_eq!(texts, ["re: a", "re: b", "re: c"]);
                });
                // Every call above reused one keep-alive connection.
                assert_eq!(client.idle_connections(), 1, "{driver:?}");
            }
        }
        // GET for a NO_SIDE_EFFECTS method.
        let client = Client::new(&url, ClientConfig::new().with_get(true)).unwrap();
        run(driver, async {
            let out = client
                .unary::<Text<'_>, Text<'static>>(&ECHO, &text("got"), CallOptions::new())
                .await;
            assert_eq!(out.result.unwrap().text, "got");
        });
    }
}

#[test]
fn errors_carry_code_message_and_metadata() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let client = Client::new(&format!("http://{}", server.addr), ClientConfig::new()).unwrap();
        run(driver, async {
            let out = client
                .unary::<Text<'_>, Text<'static>>(&FAIL, &text(""), CallOptions::new())
                .await;
            let e = out.result.unwrap_err();
            assert_eq!((e.code(), e.message()), (Code::NotFound, "no such thing"));
            assert_eq!(out.headers.get("x-why").unwrap(), "test");
            assert_eq!(e.metadata().get("x-why").unwrap(), "test");
            assert!(e.is_from_wire());
            // Unknown procedure: 404 → unimplemented.
            let missing = connect_engine::wire::service::MethodDescriptor {
                path: "/test.Test/Missing",
                ..ECHO
            };
            let leaked: &'static _ = Box::leak(Box::new(missing));
            let e = client
                .unary::<Text<'_>, Text<'static>>(leaked, &text(""), CallOptions::new())
                .await
                .result
                .unwrap_err();
            assert_eq!(e.code(), Code::Unimplemented);
        });
    }
}

#[test]
fn deadlines_and_cancellation() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let client = Client::new(&format!("http://{}", server.addr), ClientConfig::new()).unwrap();
        run(driver, async {
            // The server sleeps 2 s; the client gives up at 100 ms (a silent server is in
            // `silent_servers_hit_the_deadline_or_the_io_timeout`).
            let out = client
                .unary::<Text<'_>, Text<'static>>(
                    &SLEEP,
                    &text("2000"),
                    CallOptions::new().with_timeout(Duration::from_millis(100)),
                )
                .await;
            assert_eq!(out.result.unwrap_err().code(), Code::DeadlineExceeded);
            // A canceled call is `canceled`.
            let token = CancelToken::new();
            let cancel = token.clone();
            monoio::spawn(async move {
                monoio::time::sleep(Duration::from_millis(50)).await;
                cancel.cancel();
            });
            let out = client
                .unary::<Text<'_>, Text<'static>>(
                    &SLEEP,
                    &text("2000"),
                    CallOptions::new().with_cancel(token.clone()),
                )
                .await;
            assert_eq!(out.result.unwrap_err().code(), Code::Canceled);
            // A token canceled before the call: nothing is sent.
            let out = client
                .unary::<Text<'_>, Text<'static>>(
                    &ECHO,
                    &text("x"),
                    CallOptions::new().with_cancel(token),
                )
                .await;
            assert_eq!(out.result.unwrap_err().code(), Code::Canceled);
            // Interrupted connections are not pooled; the next call opens a fresh one.
            let out = client
                .unary::<Text<'_>, Text<'static>>(&ECHO, &text("after"), CallOptions::new())
                .await;
            assert_eq!(out.result.unwrap().text, "after");
            // A stream canceled locally after one message.
            let mut s = client
                .server_stream::<Text<'_>, Text<'static>>(&REPEAT, &text("r"), CallOptions::new())
                .await;
            assert!(s.next().await.unwrap().is_ok());
            s.cancel();
            assert_eq!(s.next().await.unwrap().unwrap_err().code(), Code::Canceled);
            assert!(s.next().await.is_none());
        });
    }
}

/// Counts what interceptors see.
#[derive(Default)]
struct Recorder {
    log: Mutex<Vec<String>>,
}

struct Recording(Arc<Recorder>, &'static str);

impl Interceptor for Recording {
    fn on_request(&self, call: &mut RequestInfo<'_>) -> Result<(), ConnectError> {
        self.0
            .log
            .lock()
            .unwrap()
            .push(format!("{} req {}", self.1, call.method.name));
        call.headers.insert("x-seen", HeaderValue::from_static("1"));
        if call.method.name == "Sleep" {
            return Err(ConnectError::permission_denied("no sleeping"));
        }
        Ok(())
    }

    fn on_response(&self, call: &ResponseInfo<'_>) {
        let code = call.error.map_or("ok", |e| e.code().as_str());
        self.0.log.lock().unwrap().push(format!(
            "{} resp {} {code} sent={} received={}",
            self.1, call.method.name, call.messages_sent, call.messages_received
        ));
    }
}

#[test]
fn interceptors_run_in_order_around_calls() {
    let server = TestServer::with_driver(Driver::Epoll);
    let rec = Arc::new(Recorder::default());
    let config = ClientConfig::new()
        .with_interceptor(Recording(rec.clone(), "outer"))
        .with_interceptor(Recording(rec.clone(), "inner"));
    let client = Client::new(&format!("http://{}", server.addr), config).unwrap();
    run(Driver::Epoll, async {
        client
            .unary::<Text<'_>, Text<'static>>(&ECHO, &text("i"), CallOptions::new())
            .await
            .result
            .unwrap();
        let e = client
            .unary::<Text<'_>, Text<'static>>(&SLEEP, &text("1"), CallOptions::new())
            .await
            .result
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied);
        let (m, _) = client
            .server_stream::<Text<'_>, Text<'static>>(&REPEAT, &text("r"), CallOptions::new())
            .await
            .collect()
            .await;
        assert_eq!(m.len(), 3);
        let parts = [text("a"), text("b")];
        client
            .client_stream::<Text<'_>, Text<'static>, _>(&CONCAT, &parts, CallOptions::new())
            .await
            .result
            .unwrap();
    });
    assert_eq!(
        *rec.log.lock().unwrap(),
        [
            "outer req Echo",
            "inner req Echo",
            "inner resp Echo ok sent=0 received=1",
            "outer resp Echo ok sent=0 received=1",
            "outer req Sleep",
            "inner resp Sleep permission_denied sent=0 received=0",
            "outer resp Sleep permission_denied sent=0 received=0",
            "outer req Repeat",
            "inner req Repeat",
            "inner resp Repeat ok sent=1 received=3",
            "outer resp Repeat ok sent=1 received=3",
            "outer req Concat",
            "inner req Concat",
            "inner resp Concat ok sent=2 received=1",
            "outer resp Concat ok sent=2 received=1",
        ]
    );
}

async fn call(url: &str, config: ClientConfig) -> Result<Text<'static>, ConnectError> {
    let client = Client::new(url, config).unwrap();
    client
        .unary::<Text<'_>, Text<'static>>(&ECHO, &text("q"), CallOptions::new())
        .await
        .result
}

#[test]
fn hostile_and_broken_servers() {
    let ok_body = support::text("fine");
    let big = vec![b'x'; 2 << 20];
    let mut gz = Vec::new();
    connect_engine::wire::compression::Codecs::new()
        .compress(Compression::Gzip, &vec![0u8; 8 << 20], &mut gz)
        .unwrap();
    let cases: Vec<(&str, Answer, Result<&str, Code>)> = vec![
        ("ok", Answer::Bytes(unary_response("200 OK", "content-type: application/proto\r\n", &ok_body)), Ok("fine")),
        ("html error page", Answer::Bytes(unary_response("502 Bad Gateway", "content-type: text/html\r\n", b"<h1>oops</h1>")), Err(Code::Unavailable)),
        ("status 800", Answer::Bytes(unary_response("800 Odd", "", b"")), Err(Code::Unknown)),
        ("image", Answer::Bytes(unary_response("200 OK", "content-type: image/jpeg\r\n", b"\xff\xd8")), Err(Code::Unknown)),
        ("stream type on a unary call", Answer::Bytes(unary_response("200 OK", "content-type: application/connect+proto\r\n", &ok_body)), Err(Code::Internal)),
        ("other codec", Answer::Bytes(unary_response("200 OK", "content-type: application/json\r\n", b"{}")), Err(Code::Internal)),
        ("unknown compression", Answer::Bytes(unary_response("200 OK", "content-type: application/proto\r\ncontent-encoding: lz4\r\n", &ok_body)), Err(Code::Internal)),
        ("corrupt gzip", Answer::Bytes(unary_response("200 OK", "content-type: application/proto\r\ncontent-encoding: gzip\r\n", b"\x1f\x8b\x08garbage-garbage-garbage")), Err(Code::Internal)),
        ("gzip bomb", Answer::Bytes(unary_response("200 OK", "content-type: application/proto\r\ncontent-encoding: gzip\r\n", &gz)), Err(Code::ResourceExhausted)),
        ("oversized message", Answer::Bytes(unary_response("200 OK", "content-type: application/proto\r\n", &big)), Err(Code::ResourceExhausted)),
        ("garbage message", Answer::Bytes(unary_response("200 OK", "content-type: application/proto\r\n", b"\xff\xff\xff")), Err(Code::Internal)),
        ("truncated body", Answer::Bytes(b"HTTP/1.1 200 OK\r\ncontent-type: application/proto\r\ncontent-length: 100\r\n\r\nabc".to_vec()), Err(Code::Unavailable)),
        ("closes without answering", Answer::Bytes(Vec::new()), Err(Code::Unavailable)),
        ("not HTTP", Answer::Bytes(b"SSH-2.0-OpenSSH\r\n\r\n".to_vec()), Err(Code::Internal)),
        ("huge head", Answer::Bytes([b"HTTP/1.1 200 OK\r\nx: ".to_vec(), vec![b'a'; 64 << 10]].concat()), Err(Code::ResourceExhausted)),
        ("endless chunked", Answer::Bytes(endless_chunked()), Err(Code::ResourceExhausted)),
        ("error JSON", Answer::Bytes(unary_response("429 Too Many Requests", "content-type: application/json\r\n", br#"{"code":"aborted","message":"m","details":[{"type":"x.Y","value":"AQI"}]}"#)), Err(Code::Aborted)),
        ("error JSON without code", Answer::Bytes(unary_response("429 Too Many Requests", "content-type: application/json\r\n", br#"{"message":"m"}"#)), Err(Code::Unavailable)),
    ];
    for driver in drivers() {
        for (name, answer, want) in cases.iter().map(|(n, a, w)| (n, clone_answer(a), w)) {
            let (url, _) = scripted(vec![answer]);
            let got = run(
                driver,
                call(
                    &url,
                    ClientConfig::new()
                        .with_max_message_size(1 << 20)
                        .with_timeout(Duration::from_secs(5)),
                ),
            );
            match (want, got) {
                (Ok(t), Ok(m)) => assert_eq!(m.text, *t, "{name}"),
                (Err(code), Err(e)) => assert_eq!(e.code(), *code, "{driver:?} {name}: {e}"),
                (want, got) => panic!("{driver:?} {name}: want {want:?}, got {got:?}"),
            }
        }
    }
}

#[test]
fn silent_servers_hit_the_deadline_or_the_io_timeout() {
    for driver in drivers() {
        // Nothing at all comes back.
        let (url, _) = scripted(vec![Answer::Stall(Vec::new())]);
        let config = ClientConfig::new().with_timeout(Duration::from_millis(200));
        let e = run(driver, call(&url, config)).unwrap_err();
        assert_eq!(e.code(), Code::DeadlineExceeded, "{driver:?}: {e}");
        // Half a head, then silence; no deadline but a short IO timeout.
        let (url, _) = scripted(vec![Answer::Stall(b"HTTP/1.1 200 OK\r\ncontent-".to_vec())]);
        let config = ClientConfig::new().with_io_timeout(Duration::from_millis(200));
        let e = run(driver, call(&url, config)).unwrap_err();
        assert_eq!(e.code(), Code::Unavailable, "{driver:?}: {e}");
        // A stream whose server stops between messages.
        let mut env = vec![0u8, 0, 0, 0, 6];
        env.extend_from_slice(&support::text("half"));
        let mut body = b"HTTP/1.1 200 OK\r\ncontent-type: application/connect+proto\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        body.extend_from_slice(format!("{:x}\r\n", env.len()).as_bytes());
        body.extend_from_slice(&env);
        body.extend_from_slice(b"\r\n");
        let (url, _) = scripted(vec![Answer::Stall(body)]);
        let client = Client::new(&url, ClientConfig::new()).unwrap();
        run(driver, async {
            let mut s = client
                .server_stream::<Text<'_>, Text<'static>>(
                    &REPEAT,
                    &text("x"),
                    CallOptions::new().with_timeout(Duration::from_millis(300)),
                )
                .await;
            assert_eq!(s.next().await.unwrap().unwrap().text, "half");
            assert_eq!(
                s.next().await.unwrap().unwrap_err().code(),
                Code::DeadlineExceeded
            );
        });
    }
}

#[test]
fn pooled_connections_closed_by_the_server_are_not_reused() {
    for driver in drivers() {
        let ok = unary_response(
            "200 OK",
            "content-type: application/proto\r\n",
            &support::text("one"),
        );
        let ok2 = unary_response(
            "200 OK",
            "content-type: application/proto\r\n",
            &support::text("two"),
        );
        let (url, seen) = scripted(vec![Answer::ThenClose(ok), Answer::Bytes(ok2)]);
        let client = Client::new(&url, ClientConfig::new()).unwrap();
        run(driver, async {
            let first = client
                .unary::<Text<'_>, Text<'static>>(&ECHO, &text("a"), CallOptions::new())
                .await;
            assert_eq!(first.result.unwrap().text, "one");
            assert_eq!(client.idle_connections(), 1);
            // The server closes the idle connection; the client notices before reusing it.
            monoio::time::sleep(Duration::from_millis(300)).await;
            let second = client
                .unary::<Text<'_>, Text<'static>>(&ECHO, &text("b"), CallOptions::new())
                .await;
            assert_eq!(second.result.unwrap().text, "two", "{driver:?}");
        });
        // Exactly one request per connection: nothing was retried.
        assert_eq!(seen.lock().unwrap().len(), 2);
    }
}

#[test]
fn stream_responses_that_break_the_protocol() {
    let env = |flags: u8, payload: &[u8]| {
        let mut e = vec![flags];
        e.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
        e.extend_from_slice(payload);
        e
    };
    let stream = |ct: &str, body: &[u8]| {
        let mut r = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {ct}\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        r.extend_from_slice(body);
        r
    };
    let msg = env(0, &support::text("m"));
    let cases: Vec<(&str, Vec<u8>, Result<usize, Code>)> = vec![
        (
            "ok",
            stream(
                "application/connect+proto",
                &[msg.clone(), env(2, b"{}")].concat(),
            ),
            Ok(1),
        ),
        (
            "error end-stream",
            stream(
                "application/connect+proto",
                &[
                    msg.clone(),
                    env(2, br#"{"error":{"code":"data_loss","message":"d"}}"#),
                ]
                .concat(),
            ),
            Err(Code::DataLoss),
        ),
        (
            "null error",
            stream("application/connect+proto", &env(2, br#"{"error":null}"#)),
            Ok(0),
        ),
        (
            "no end-stream",
            stream("application/connect+proto", &msg),
            Err(Code::Internal),
        ),
        (
            "data after end",
            stream(
                "application/connect+proto",
                &[env(2, b"{}"), msg.clone()].concat(),
            ),
            Err(Code::Internal),
        ),
        (
            "end-stream not JSON",
            stream("application/connect+proto", &env(2, b"nope")),
            Err(Code::Internal),
        ),
        (
            "compressed flag, identity",
            stream(
                "application/connect+proto",
                &[env(1, b"zz"), env(2, b"{}")].concat(),
            ),
            Err(Code::Internal),
        ),
        (
            "bad flags",
            stream("application/connect+proto", &env(0x80, b"")),
            Err(Code::Internal),
        ),
        (
            "envelope claims 4 GiB",
            stream("application/connect+proto", &[0, 0xff, 0xff, 0xff, 0xff]),
            Err(Code::ResourceExhausted),
        ),
        (
            "wrong codec",
            stream("application/connect+json", &env(2, b"{}")),
            Err(Code::Internal),
        ),
        (
            "unary content type",
            stream("application/proto", &env(2, b"{}")),
            Err(Code::Unknown),
        ),
        (
            "status 503",
            b"HTTP/1.1 503 Busy\r\ncontent-length: 0\r\n\r\n".to_vec(),
            Err(Code::Unavailable),
        ),
    ];
    for driver in drivers() {
        for (name, answer, want) in &cases {
            let (url, _) = scripted(vec![Answer::Bytes(answer.clone())]);
            let client = Client::new(&url, ClientConfig::new()).unwrap();
            let got = run(driver, async {
                client
                    .server_stream::<Text<'_>, Text<'static>>(
                        &REPEAT,
                        &text("x"),
                        CallOptions::new(),
                    )
                    .await
                    .collect()
                    .await
            });
            match (want, got) {
                (Ok(n), (msgs, None)) => assert_eq!(msgs.len(), *n, "{name}"),
                (Err(code), (_, Some(e))) => assert_eq!(e.code(), *code, "{driver:?} {name}: {e}"),
                (want, got) => panic!("{driver:?} {name}: want {want:?}, got {got:?}"),
            }
        }
    }
}
