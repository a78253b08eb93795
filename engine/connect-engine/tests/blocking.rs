//! Black-box tests of the blocking client: against our server (every stream kind, codecs,
//! compression, errors, pool shared by threads), against broken and hostile scripted
//! servers, and cancellation from a second thread at every point of a call.

mod support;

#[path = "support/scripted.rs"]
mod scripted;

use std::borrow::Cow;
use std::time::Duration;

use connect_engine::Compression;
use connect_engine::blocking::BlockingClient;
use connect_engine::client::{CallOptions, CancelToken, ClientConfig};
use connect_engine::{Code, Codec};
use scripted::{Answer, clone_answer, endless_chunked, scripted, unary_response};
use support::{CHAT, CONCAT, ECHO, FAIL, REPEAT, SLEEP, TestServer, Text};

fn text(s: &str) -> Text<'static> {
    Text {
        text: Cow::Owned(s.to_owned()),
        ..Default::default()
    }
}

#[test]
fn every_stream_kind_against_our_server() {
    let server = TestServer::with_driver(connect_engine::runtime::Driver::Epoll);
    let url = format!("http://{}", server.addr);
    for codec in [Codec::Proto, Codec::Json] {
        for compression in [Compression::Identity, Compression::Gzip] {
            let config = ClientConfig::new()
                .with_codec(codec)
                .with_send_compression(compression);
            let client = BlockingClient::new(&url, config).unwrap();
            let out =
                client.unary::<Text<'_>, Text<'static>>(&ECHO, &text("héllo"), CallOptions::new());
            assert_eq!(
                out.result.unwrap().text,
                "héllo",
                "{codec:?} {compression:?}"
            );
            let got: Vec<String> = client
                .server_stream::<Text<'_>, Text<'static>>(&REPEAT, &text("r"), CallOptions::new())
                .map(|m| m.unwrap().text.into_owned())
                .collect();
            assert_eq!(got, ["r", "r", "r"]);
            let parts = [text("a"), text("b"), text("c")];
            let out = client.client_stream::<Text<'_>, Text<'static>, _>(
                &CONCAT,
                &parts,
                CallOptions::new(),
            );
            assert_eq!(out.result.unwrap().text, "abc");
            let replies: Vec<String> = client
                .bidi_stream::<Text<'_>, Text<'static>, _>(&CHAT, &parts, CallOptions::new())
                .map(|m| m.unwrap().text.into_owned())
                .collect();
            assert_eq!(replies, ["re: a", "re: b", "re: c"]);
            assert_eq!(client.idle_connections(), 1);
        }
    }
    let client = BlockingClient::new(&url, ClientConfig::new().with_get(true)).unwrap();
    let out = client.unary::<Text<'_>, Text<'static>>(&ECHO, &text("got"), CallOptions::new());
    assert_eq!(out.result.unwrap().text, "got");
    let out = client.unary::<Text<'_>, Text<'static>>(&FAIL, &text(""), CallOptions::new());
    assert_eq!(out.headers.get("x-why").unwrap(), "test");
    let e = out.result.unwrap_err();
    assert_eq!((e.code(), e.message()), (Code::NotFound, "no such thing"));
}

#[test]
fn many_threads_share_one_client() {
    let server = TestServer::with_driver(connect_engine::runtime::Driver::Epoll);
    let client =
        BlockingClient::new(&format!("http://{}", server.addr), ClientConfig::new()).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let client = client.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let s = format!("{t}-{i}");
                    let out = client.unary::<Text<'_>, Text<'static>>(
                        &ECHO,
                        &text(&s),
                        CallOptions::new(),
                    );
                    assert_eq!(out.result.unwrap().text, s);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let idle = client.idle_connections();
    assert!((1..=8).contains(&idle), "{idle} idle connections");
}

/// Cancels `token` from another thread after `ms`.
fn cancel_after(token: &CancelToken, ms: u64) -> std::thread::JoinHandle<()> {
    let token = token.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(ms));
        token.cancel();
    })
}

#[test]
fn cancellation_from_another_thread_at_every_point() {
    let server = TestServer::with_driver(connect_engine::runtime::Driver::Epoll);
    let client =
        BlockingClient::new(&format!("http://{}", server.addr), ClientConfig::new()).unwrap();
    // Before the request is sent: nothing happens at all.
    let token = CancelToken::new();
    token.cancel();
    let out = client.unary::<Text<'_>, Text<'static>>(
        &ECHO,
        &text("x"),
        CallOptions::new().with_cancel(token),
    );
    assert_eq!(out.result.unwrap_err().code(), Code::Canceled);
    // After the request is sent, while the server works on it (unary).
    let token = CancelToken::new();
    let t = cancel_after(&token, 100);
    let out = client.unary::<Text<'_>, Text<'static>>(
        &SLEEP,
        &text("5000"),
        CallOptions::new().with_cancel(token),
    );
    assert_eq!(out.result.unwrap_err().code(), Code::Canceled);
    t.join().unwrap();
    // The same for a client stream and a bidi stream.
    let parts = [text("5000")];
    let token = CancelToken::new();
    let t = cancel_after(&token, 100);
    let stalled = scripted(vec![Answer::Stall(Vec::new())]).0;
    let stall_client = BlockingClient::new(&stalled, ClientConfig::new()).unwrap();
    let out = stall_client.client_stream::<Text<'_>, Text<'static>, _>(
        &CONCAT,
        &parts,
        CallOptions::new().with_cancel(token),
    );
    assert_eq!(out.result.unwrap_err().code(), Code::Canceled);
    t.join().unwrap();
    let token = CancelToken::new();
    let t = cancel_after(&token, 100);
    let stalled = scripted(vec![Answer::Stall(Vec::new())]).0;
    let stall_client = BlockingClient::new(&stalled, ClientConfig::new()).unwrap();
    let mut s = stall_client.bidi_stream::<Text<'_>, Text<'static>, _>(
        &CHAT,
        &parts,
        CallOptions::new().with_cancel(token),
    );
    assert_eq!(s.next().unwrap().unwrap_err().code(), Code::Canceled);
    t.join().unwrap();
    // While the request is being sent: the server reads nothing, a 32 MiB client stream
    // fills the socket buffers, the send blocks; cancellation unblocks it.
    let (url, _) = scripted(vec![Answer::Stall(Vec::new())]);
    let stuck = BlockingClient::new(&url, ClientConfig::new()).unwrap();
    let big: Vec<Text<'static>> = (0..32).map(|_| text(&"z".repeat(1 << 20))).collect();
    let token = CancelToken::new();
    let t = cancel_after(&token, 200);
    let out = stuck.client_stream::<Text<'_>, Text<'static>, _>(
        &CONCAT,
        &big,
        CallOptions::new().with_cancel(token),
    );
    assert_eq!(out.result.unwrap_err().code(), Code::Canceled);
    t.join().unwrap();
    // Between received messages: one message arrives, then the server stalls.
    let mut env = vec![0u8, 0, 0, 0, 6];
    env.extend_from_slice(&support::text("half"));
    let mut body = b"HTTP/1.1 200 OK\r\ncontent-type: application/connect+proto\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    body.extend_from_slice(format!("{:x}\r\n", env.len()).as_bytes());
    body.extend_from_slice(&env);
    body.extend_from_slice(b"\r\n");
    let (url, _) = scripted(vec![Answer::Stall(body)]);
    let c = BlockingClient::new(&url, ClientConfig::new()).unwrap();
    let token = CancelToken::new();
    let mut s = c.server_stream::<Text<'_>, Text<'static>>(
        &REPEAT,
        &text("x"),
        CallOptions::new().with_cancel(token.clone()),
    );
    assert_eq!(s.next().unwrap().unwrap().text, "half");
    let t = cancel_after(&token, 100);
    assert_eq!(s.next().unwrap().unwrap_err().code(), Code::Canceled);
    assert!(s.next().is_none());
    t.join().unwrap();
    // A stream canceled locally.
    let mut s =
        client.server_stream::<Text<'_>, Text<'static>>(&REPEAT, &text("r"), CallOptions::new());
    assert!(s.next().unwrap().is_ok());
    s.cancel();
    assert_eq!(s.next().unwrap().unwrap_err().code(), Code::Canceled);
    // The client keeps working.
    let out = client.unary::<Text<'_>, Text<'static>>(&ECHO, &text("after"), CallOptions::new());
    assert_eq!(out.result.unwrap().text, "after");
}

#[test]
fn deadlines_and_silent_servers() {
    let (url, _) = scripted(vec![Answer::Stall(Vec::new())]);
    let c = BlockingClient::new(
        &url,
        ClientConfig::new().with_timeout(Duration::from_millis(200)),
    )
    .unwrap();
    let e = c
        .unary::<Text<'_>, Text<'static>>(&ECHO, &text("q"), CallOptions::new())
        .result
        .unwrap_err();
    assert_eq!(e.code(), Code::DeadlineExceeded, "{e}");
    let (url, _) = scripted(vec![Answer::Stall(b"HTTP/1.1 200 OK\r\ncontent-".to_vec())]);
    let c = BlockingClient::new(
        &url,
        ClientConfig::new().with_io_timeout(Duration::from_millis(200)),
    )
    .unwrap();
    let e = c
        .unary::<Text<'_>, Text<'static>>(&ECHO, &text("q"), CallOptions::new())
        .result
        .unwrap_err();
    assert_eq!(e.code(), Code::Unavailable, "{e}");
}

#[test]
fn hostile_and_broken_servers() {
    let ok_body = support::text("fine");
    let mut gz = Vec::new();
    connect_engine::wire::compression::Codecs::new()
        .compress(Compression::Gzip, &vec![0u8; 8 << 20], &mut gz)
        .unwrap();
    let cases: Vec<(&str, Answer, Result<&str, Code>)> = vec![
        ("ok", Answer::Bytes(unary_response("200 OK", "content-type: application/proto\r\n", &ok_body)), Ok("fine")),
        ("html error page", Answer::Bytes(unary_response("502 Bad Gateway", "content-type: text/html\r\n", b"<h1>oops</h1>")), Err(Code::Unavailable)),
        ("image", Answer::Bytes(unary_response("200 OK", "content-type: image/jpeg\r\n", b"\xff\xd8")), Err(Code::Unknown)),
        ("stream type on a unary call", Answer::Bytes(unary_response("200 OK", "content-type: application/connect+proto\r\n", &ok_body)), Err(Code::Internal)),
        ("gzip bomb", Answer::Bytes(unary_response("200 OK", "content-type: application/proto\r\ncontent-encoding: gzip\r\n", &gz)), Err(Code::ResourceExhausted)),
        ("truncated body", Answer::Bytes(b"HTTP/1.1 200 OK\r\ncontent-type: application/proto\r\ncontent-length: 100\r\n\r\nabc".to_vec()), Err(Code::Unavailable)),
        ("closes without answering", Answer::Bytes(Vec::new()), Err(Code::Unavailable)),
        ("huge head", Answer::Bytes([b"HTTP/1.1 200 OK\r\nx: ".to_vec(), vec![b'a'; 64 << 10]].concat()), Err(Code::ResourceExhausted)),
        ("endless chunked", Answer::Bytes(endless_chunked()), Err(Code::ResourceExhausted)),
        ("error JSON", Answer::Bytes(unary_response("429 Too Many Requests", "content-type: application/json\r\n", br#"{"code":"aborted","message":"m"}"#)), Err(Code::Aborted)),
    ];
    for (name, answer, want) in cases.iter().map(|(n, a, w)| (n, clone_answer(a), w)) {
        let (url, _) = scripted(vec![answer]);
        let c = BlockingClient::new(
            &url,
            ClientConfig::new()
                .with_max_message_size(1 << 20)
                .with_timeout(Duration::from_secs(5)),
        )
        .unwrap();
        let got = c
            .unary::<Text<'_>, Text<'static>>(&ECHO, &text("q"), CallOptions::new())
            .result;
        match (want, got) {
            (Ok(t), Ok(m)) => assert_eq!(m.text, *t, "{name}"),
            (Err(code), Err(e)) => assert_eq!(e.code(), *code, "{name}: {e}"),
            (want, got) => panic!("{name}: want {want:?}, got {got:?}"),
        }
    }
}
