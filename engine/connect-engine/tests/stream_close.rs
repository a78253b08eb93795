//! A streaming call that fails before reading its whole request body: the response says
//! `connection: close` when the rest of the body cannot be drained (a client would otherwise
//! reuse a connection the server is closing), and keeps the connection when it can.

mod support;

use std::io::{Read, Write};

use connect_engine::runtime::Driver;
use connect_engine::server::ServerConfig;
use support::{TestServer, envelope, envelopes, post, read_response, text};

fn drivers() -> Vec<Driver> {
    let mut d = vec![Driver::Epoll];
    if Driver::Auto.resolve() == Driver::IoUring {
        d.push(Driver::IoUring);
    }
    d
}

/// Sends a stream whose only message is `size` bytes (over the 1 KiB limit) and returns the
/// response's `connection` header and end-stream JSON.
fn oversized(s: &mut std::net::TcpStream, path: &str, size: usize) -> (Option<String>, String) {
    let body = envelope(0, &vec![b'x'; size]);
    s.write_all(&post(path, "application/connect+proto", "", &body))
        .unwrap();
    let (status, headers, got) = read_response(s);
    assert_eq!(status, 200);
    let connection = headers
        .iter()
        .find(|(n, _)| n == "connection")
        .map(|(_, v)| v.clone());
    let (flags, end) = envelopes(&got).pop().unwrap();
    assert_eq!(flags, 2);
    (connection, String::from_utf8(end).unwrap())
}

#[test]
fn undrainable_request_body_closes_the_connection() {
    for driver in drivers() {
        let config = ServerConfig::new()
            .with_driver(driver)
            .with_max_message_size(1024);
        let server = TestServer::start(config);
        // Server stream (rejected before the handler) and client stream (rejected by it).
        for path in ["/test.Test/Repeat", "/test.Test/Concat"] {
            // The rest of the body is more than the server drains (64 KiB).
            let mut s = server.connect();
            let (connection, end) = oversized(&mut s, path, 256 << 10);
            assert_eq!(connection.as_deref(), Some("close"), "{driver:?} {path}");
            assert!(
                end.contains("resource_exhausted"),
                "{driver:?} {path}: {end}"
            );
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).unwrap();
            assert!(rest.is_empty(), "{driver:?} {path}");

            // A small rest is drained and the connection stays usable.
            let mut s = server.connect();
            let (connection, end) = oversized(&mut s, path, 8 << 10);
            assert_eq!(connection, None, "{driver:?} {path}");
            assert!(
                end.contains("resource_exhausted"),
                "{driver:?} {path}: {end}"
            );
            s.write_all(&post(
                "/test.Test/Echo",
                "application/proto",
                "",
                &text("again"),
            ))
            .unwrap();
            let (status, _, body) = read_response(&mut s);
            assert_eq!((status, body), (200, text("again")), "{driver:?} {path}");
        }
    }
}
