//! Server interceptors over real sockets: an auth check that refuses every stream kind
//! before the body is read, outcomes (success, handler error, deadline, a client that goes
//! away), order, per-service chains, the peer's address. Both drivers.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connect_engine::runtime::Driver;
use connect_engine::server::{Interceptor, RequestInfo, ResponseInfo, Router, ServerConfig};
use connect_engine::{Code, ConnectError};
use support::{TestServer, TestService, envelope, envelopes, post, read_response, text};

fn drivers() -> Vec<Driver> {
    let mut d = vec![Driver::Epoll];
    if Driver::Auto.resolve() == Driver::IoUring {
        d.push(Driver::IoUring);
    }
    d
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Admits calls with `authorization: Bearer tok` and tags their responses.
struct Bearer;

impl Interceptor for Bearer {
    fn on_request(&self, call: &mut RequestInfo<'_>) -> Result<(), ConnectError> {
        match call.headers.get_str("authorization") {
            Some("Bearer tok") => {
                call.response_headers
                    .insert("x-checked", http::HeaderValue::from_static("yes"));
                call.response_trailers
                    .insert("x-checked-trailer", http::HeaderValue::from_static("yes"));
                Ok(())
            }
            Some(_) => Err(ConnectError::new(Code::PermissionDenied, "wrong token")),
            None => Err(ConnectError::new(Code::Unauthenticated, "no token")),
        }
    }
}

/// The end-of-stream JSON of a streaming response body.
fn end_of_stream(body: &[u8]) -> String {
    let frames = envelopes(body);
    let (flags, json) = frames.last().expect("no end-of-stream message");
    assert_eq!(flags & 2, 2, "last envelope is not the end of the stream");
    String::from_utf8(json.clone()).unwrap()
}

fn stream_request(path: &str, auth: &str, messages: &[&str]) -> Vec<u8> {
    let mut body = Vec::new();
    for m in messages {
        body.extend(envelope(0, &text(m)));
    }
    post(path, "application/connect+proto", auth, &body)
}

#[test]
fn an_auth_interceptor_refuses_every_stream_kind_before_the_body_is_read() {
    for driver in drivers() {
        let server = TestServer::with_router(ServerConfig::new().with_driver(driver), || {
            Router::new().add(TestService).with_interceptor(Bearer)
        });
        for (auth, code, status) in [
            ("", "unauthenticated", 401),
            ("authorization: Bearer nope\r\n", "permission_denied", 403),
        ] {
            let mut s = server.connect();
            s.write_all(&post(
                "/test.Test/Echo",
                "application/proto",
                auth,
                &text("x"),
            ))
            .unwrap();
            let (st, _, body) = read_response(&mut s);
            assert_eq!(st, status, "{driver:?} unary {auth:?}");
            assert!(String::from_utf8_lossy(&body).contains(code), "{body:?}");
            for (path, msgs) in [
                ("/test.Test/Concat", &["a", "b"][..]),
                ("/test.Test/Repeat", &["a"][..]),
                ("/test.Test/Chat", &["a", "b"][..]),
            ] {
                s.write_all(&stream_request(path, auth, msgs)).unwrap();
                let (st, _, body) = read_response(&mut s);
                assert_eq!(st, 200, "{driver:?} {path}");
                let end = end_of_stream(&body);
                assert!(end.contains(code), "{driver:?} {path}: {end}");
            }
        }

        // A 4 MiB body behind a refused head: the answer comes after the first 64 KiB,
        // so nothing waited for (let alone decoded) the rest.
        let mut s = server.connect();
        s.write_all(
            b"POST /test.Test/Echo HTTP/1.1\r\nhost: t\r\ncontent-type: application/proto\r\n\
              content-length: 4194304\r\n\r\n",
        )
        .unwrap();
        s.write_all(&vec![0u8; 64 << 10]).unwrap();
        let (st, headers, _) = read_response(&mut s);
        assert_eq!(st, 401, "{driver:?}");
        assert_eq!(header(&headers, "connection"), Some("close"), "{driver:?}");

        // With the token: every kind runs, with the interceptor's fields on the response.
        let auth = "authorization: Bearer tok\r\n";
        let mut s = server.connect();
        s.write_all(&post(
            "/test.Test/Echo",
            "application/proto",
            auth,
            &text("hi"),
        ))
        .unwrap();
        let (st, headers, body) = read_response(&mut s);
        assert_eq!((st, body), (200, text("hi")), "{driver:?}");
        assert_eq!(header(&headers, "x-checked"), Some("yes"));
        assert_eq!(header(&headers, "trailer-x-checked-trailer"), Some("yes"));
        for (path, msgs, expect) in [
            ("/test.Test/Concat", &["a", "b"][..], 1),
            ("/test.Test/Repeat", &["r"][..], 3),
            ("/test.Test/Chat", &["a", "b"][..], 2),
        ] {
            s.write_all(&stream_request(path, auth, msgs)).unwrap();
            let (st, headers, body) = read_response(&mut s);
            assert_eq!(st, 200, "{driver:?} {path}");
            assert_eq!(header(&headers, "x-checked"), Some("yes"), "{path}");
            let frames = envelopes(&body);
            assert_eq!(frames.len(), expect + 1, "{driver:?} {path}");
            let end = end_of_stream(&body);
            assert!(!end.contains("error"), "{driver:?} {path}: {end}");
            assert!(
                end.contains("x-checked-trailer"),
                "{driver:?} {path}: {end}"
            );
        }
        server.shutdown().unwrap();
    }
}

/// What an outcome interceptor saw of one call.
#[derive(Clone, Debug, PartialEq)]
struct Outcome {
    path: &'static str,
    code: Option<Code>,
    received: u64,
    sent: u64,
}

struct Record(Arc<Mutex<Vec<Outcome>>>);

impl Interceptor for Record {
    fn on_response(&self, call: &ResponseInfo<'_>) {
        self.0.lock().unwrap().push(Outcome {
            path: call.method.path,
            code: call.code(),
            received: call.messages_received,
            sent: call.messages_sent,
        });
    }
}

/// Waits until `log` has `n` entries (interceptors run on the server's thread).
fn wait_for<T: Clone>(log: &Mutex<Vec<T>>, n: usize) -> Vec<T> {
    for _ in 0..1000 {
        let seen = log.lock().unwrap().clone();
        if seen.len() >= n {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("interceptor saw fewer than {n} calls");
}

#[test]
fn outcomes_carry_the_right_code_and_counts() {
    for driver in drivers() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let server = TestServer::with_router(ServerConfig::new().with_driver(driver), move || {
            Router::new()
                .add(TestService)
                .with_interceptor(Record(l.clone()))
        });
        let mut s = server.connect();
        s.write_all(&post(
            "/test.Test/Echo",
            "application/proto",
            "",
            &text("ok"),
        ))
        .unwrap();
        assert_eq!(read_response(&mut s).0, 200);
        s.write_all(&post(
            "/test.Test/Fail",
            "application/proto",
            "",
            &text("x"),
        ))
        .unwrap();
        assert_ne!(read_response(&mut s).0, 200);
        s.write_all(&post(
            "/test.Test/Sleep",
            "application/proto",
            "connect-timeout-ms: 50\r\n",
            &text("5000"),
        ))
        .unwrap();
        assert_ne!(read_response(&mut s).0, 200);
        s.write_all(&stream_request("/test.Test/Chat", "", &["a", "b", "c"]))
            .unwrap();
        assert_eq!(read_response(&mut s).0, 200);

        // A client that goes away in the middle of a large server stream.
        let mut gone = server.connect();
        let big = "x".repeat(2 << 20);
        gone.write_all(&stream_request("/test.Test/Repeat", "", &[&big]))
            .unwrap();
        let mut first = [0u8; 64];
        gone.read_exact(&mut first).unwrap();
        drop(gone);

        let seen = wait_for(&log, 5);
        let expect = [
            ("/test.Test/Echo", None, 1, 1),
            ("/test.Test/Fail", Some(Code::NotFound), 1, 0),
            ("/test.Test/Sleep", Some(Code::DeadlineExceeded), 1, 0),
            ("/test.Test/Chat", None, 3, 3),
        ];
        for (got, (path, code, received, sent)) in seen.iter().zip(expect) {
            assert_eq!(
                got,
                &Outcome {
                    path,
                    code,
                    received,
                    sent
                },
                "{driver:?}"
            );
        }
        let last = &seen[4];
        assert_eq!(last.path, "/test.Test/Repeat");
        assert_eq!(last.code, Some(Code::Canceled), "{driver:?}: {last:?}");
        assert!(last.sent < 3, "{driver:?}: {last:?}");
        server.shutdown().unwrap();
    }
}

/// Logs `name>` on request and `<name` on response.
struct Tag(&'static str, Arc<Mutex<Vec<String>>>);

impl Interceptor for Tag {
    fn on_request(&self, _call: &mut RequestInfo<'_>) -> Result<(), ConnectError> {
        self.1.lock().unwrap().push(format!("{}>", self.0));
        if self.0 == "refuse" {
            return Err(ConnectError::new(Code::Unavailable, "refused"));
        }
        Ok(())
    }

    fn on_response(&self, _call: &ResponseInfo<'_>) {
        self.1.lock().unwrap().push(format!("<{}", self.0));
    }
}

#[test]
fn interceptors_run_in_order_router_ones_first() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let server = TestServer::with_router(ServerConfig::new(), move || {
        Router::new()
            .with_interceptor(Tag("a", l.clone()))
            .add_with_interceptors(
                TestService,
                vec![std::rc::Rc::new(Tag("svc", l.clone())) as _],
            )
            .with_interceptor(Tag("b", l.clone()))
    });
    let mut s = server.connect();
    s.write_all(&post(
        "/test.Test/Echo",
        "application/proto",
        "",
        &text("1"),
    ))
    .unwrap();
    assert_eq!(read_response(&mut s).0, 200);
    assert_eq!(wait_for(&log, 6), ["a>", "b>", "svc>", "<svc", "<b", "<a"]);
    server.shutdown().unwrap();

    // A refusal stops the request side; the response side runs for those that ran.
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let server = TestServer::with_router(ServerConfig::new(), move || {
        Router::new()
            .add(TestService)
            .with_interceptor(Tag("a", l.clone()))
            .with_interceptor(Tag("refuse", l.clone()))
            .with_interceptor(Tag("never", l.clone()))
    });
    let mut s = server.connect();
    s.write_all(&post(
        "/test.Test/Echo",
        "application/proto",
        "",
        &text("1"),
    ))
    .unwrap();
    assert_eq!(read_response(&mut s).0, 503);
    assert_eq!(wait_for(&log, 4), ["a>", "refuse>", "<refuse", "<a"]);
    server.shutdown().unwrap();
}

struct Peers(Arc<Mutex<Vec<(std::net::SocketAddr, std::net::SocketAddr)>>>);

impl Interceptor for Peers {
    fn on_request(&self, call: &mut RequestInfo<'_>) -> Result<(), ConnectError> {
        assert!(call.peer.tls.is_none());
        self.0
            .lock()
            .unwrap()
            .push((call.peer.remote, call.peer.local));
        Ok(())
    }
}

#[test]
fn interceptors_see_the_peer() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let server = TestServer::with_router(ServerConfig::new(), move || {
        Router::new()
            .add(TestService)
            .with_interceptor(Peers(l.clone()))
    });
    let mut s: TcpStream = server.connect();
    s.write_all(&post(
        "/test.Test/Echo",
        "application/proto",
        "",
        &text("1"),
    ))
    .unwrap();
    assert_eq!(read_response(&mut s).0, 200);
    let seen = wait_for(&log, 1);
    assert_eq!(seen[0], (s.local_addr().unwrap(), server.addr));
    server.shutdown().unwrap();
}

/// Records the `x-id` request header `on_response` sees.
struct SeenId(Arc<Mutex<Vec<String>>>);

impl Interceptor for SeenId {
    fn on_response(&self, call: &ResponseInfo<'_>) {
        let id = call.headers.get_str("x-id").unwrap_or("<none>").to_owned();
        self.0.lock().unwrap().push(id);
    }
}

/// `on_response` reads the call's own request headers: alone, pipelined behind and ahead of
/// other calls (same head layout, so stale offsets would read a neighbour's value), unary
/// and streaming.
#[test]
fn on_response_sees_the_calls_own_headers() {
    for driver in drivers() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        let server = TestServer::with_router(ServerConfig::new().with_driver(driver), move || {
            Router::new()
                .add(TestService)
                .with_interceptor(SeenId(l.clone()))
        });
        let mut s = server.connect();
        let unary = |id: usize| {
            post(
                "/test.Test/Echo",
                "application/proto",
                &format!("x-id: u{id}\r\n"),
                &text("same"),
            )
        };
        s.write_all(&unary(0)).unwrap();
        assert_eq!(read_response(&mut s).0, 200);
        let mut batch = Vec::new();
        for id in 1..=4 {
            batch.extend(unary(id));
        }
        let mut stream = stream_request("/test.Test/Chat", "", &["a", "b"]);
        let at = stream.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 2;
        stream.splice(at..at, b"x-id: s5\r\n".iter().copied());
        batch.extend(stream);
        batch.extend(unary(6));
        s.write_all(&batch).unwrap();
        for _ in 1..=6 {
            assert_eq!(read_response(&mut s).0, 200);
        }
        let seen = wait_for(&log, 7);
        assert_eq!(
            seen,
            ["u0", "u1", "u2", "u3", "u4", "s5", "u6"],
            "{driver:?}"
        );
        server.shutdown().unwrap();
    }
}
