//! Graceful shutdown and requests that reach idle keep-alive connections while the server
//! thread is busy, over real sockets on both drivers.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use connect_engine::runtime::Driver;
use support::{TestServer, post, read_response, text};

fn drivers() -> Vec<Driver> {
    let mut d = vec![Driver::Epoll];
    if Driver::Auto.resolve() == Driver::IoUring {
        d.push(Driver::IoUring);
    }
    d
}

/// Requests written in full on idle keep-alive connections *before* shutdown is requested
/// are answered (with `connection: close`), not dropped, even when they arrive while the
/// server thread is busy (a `Block` call) and shutdown is requested meanwhile: when the thread
/// is free again, a connection's read and the shutdown signal could both be ready. The idle
/// wait (`wait_for_request` in `server/conn.rs`) polls its read first, and the signal wakes
/// idle connections only a moment (`shutdown::SETTLE`) after shutdown is requested, so that
/// the driver has reported what had already arrived; a connection that took the signal
/// first would close with the request unread. This test keeps it so.
#[test]
fn requests_sent_before_shutdown_on_idle_connections_are_answered() {
    const IDLE: usize = 40;
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut idle: Vec<TcpStream> = (0..IDLE)
            .map(|_| {
                let mut s = server.connect();
                s.write_all(&post(
                    "/test.Test/Echo",
                    "application/proto",
                    "",
                    &text("a"),
                ))
                .unwrap();
                assert_eq!(read_response(&mut s).0, 200);
                s
            })
            .collect();
        // Hold the (only) server thread for 500 ms.
        let mut busy = server.connect();
        busy.write_all(&post(
            "/test.Test/Block",
            "application/proto",
            "",
            &text("500"),
        ))
        .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        for s in &mut idle {
            s.write_all(&post(
                "/test.Test/Echo",
                "application/proto",
                "",
                &text("b"),
            ))
            .unwrap();
        }
        server.request_shutdown();
        assert_eq!(read_response(&mut busy).0, 200);
        let mut dropped = 0;
        for s in &mut idle {
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_response(s))) {
                Ok((200, _, body)) if body == text("b") => {}
                Ok(other) => panic!("{driver:?}: {other:?}"),
                Err(_) => dropped += 1,
            }
        }
        assert_eq!(
            dropped, 0,
            "{driver:?}: {dropped} of {IDLE} requests sent before shutdown got no response"
        );
    }
}
