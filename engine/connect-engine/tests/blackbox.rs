//! Black-box tests over real sockets: raw HTTP/1.1 bytes in, exact responses out, on both
//! drivers. Hostile requests get the right status or code, and the server keeps serving.

mod support;

use std::io::{Read, Write};
use std::time::Duration;

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

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The server still answers a normal request on a new connection.
fn still_serving(server: &TestServer) {
    let mut s = server.connect();
    s.write_all(&post(
        "/test.Test/Echo",
        "application/proto",
        "",
        &text("alive"),
    ))
    .unwrap();
    let (status, _, body) = read_response(&mut s);
    assert_eq!(status, 200);
    assert_eq!(body, text("alive"));
}

#[test]
fn unary_proto_json_and_get() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        s.write_all(&post(
            "/test.Test/Echo",
            "application/proto",
            "connect-protocol-version: 1\r\n",
            &text("hello"),
        ))
        .unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, 200, "{driver:?}");
        assert_eq!(header(&headers, "content-type"), Some("application/proto"));
        assert_eq!(body, text("hello"));

        s.write_all(&post(
            "/test.Test/Echo",
            "application/json",
            "",
            br#"{"text":"h\u00e9"}"#,
        ))
        .unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), Some("application/json"));
        assert_eq!(body, "{\"text\":\"h\u{e9}\"}".as_bytes());

        s.write_all(b"GET /test.Test/Echo?encoding=json&message=%7B%22text%22%3A%22q%22%7D&connect=v1 HTTP/1.1\r\nhost: t\r\n\r\n").unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 200);
        assert_eq!(body, br#"{"text":"q"}"#);
    }
}

#[test]
fn pipelined_requests_answer_in_order() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        let mut batch = Vec::new();
        for i in 0..5 {
            batch.extend_from_slice(&post(
                "/test.Test/Echo",
                "application/proto",
                "",
                &text(&format!("m{i}")),
            ));
        }
        s.write_all(&batch).unwrap();
        for i in 0..5 {
            let (status, _, body) = read_response(&mut s);
            assert_eq!(status, 200);
            assert_eq!(body, text(&format!("m{i}")));
        }
    }
}

/// Bursts larger than the buffer an idle connection waits with (so the connection switches
/// to waiting with its full read buffer), then single requests (so it switches back), then
/// bursts again: every response in order, on both drivers.
#[test]
fn bursts_and_single_requests_alternate() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        let mut n = 0;
        for round in 0..6 {
            let count = if round % 3 == 2 { 1 } else { 40 };
            let mut batch = Vec::new();
            for i in 0..count {
                batch.extend_from_slice(&post(
                    "/test.Test/Echo",
                    "application/proto",
                    "",
                    &text(&format!("r{round}-{i}-{}", "x".repeat(n % 50))),
                ));
                n += 1;
            }
            if count > 1 {
                assert!(batch.len() > 4096, "a burst of {} bytes", batch.len());
            }
            s.write_all(&batch).unwrap();
            for i in 0..count {
                let (status, _, body) = read_response(&mut s);
                assert_eq!(status, 200, "{driver:?} round {round} response {i}");
                assert!(
                    String::from_utf8_lossy(&body).contains(&format!("r{round}-{i}-")),
                    "{driver:?} round {round} response {i}"
                );
            }
        }
    }
}

#[test]
fn chunked_unary_body() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        let body = text("chunky");
        let mut req = b"POST /test.Test/Echo HTTP/1.1\r\nhost: t\r\ncontent-type: application/proto\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        for part in body.chunks(3) {
            req.extend_from_slice(format!("{:x};ext=1\r\n", part.len()).as_bytes());
            req.extend_from_slice(part);
            req.extend_from_slice(b"\r\n");
        }
        req.extend_from_slice(b"0\r\n\r\n");
        // Byte by byte, to cross every split point of the chunk framing.
        for b in &req {
            s.write_all(std::slice::from_ref(b)).unwrap();
        }
        let (status, _, got) = read_response(&mut s);
        assert_eq!(status, 200);
        assert_eq!(got, body);
    }
}

#[test]
fn protocol_refusals() {
    type Case<'a> = (&'a [u8], u16, Option<(&'a str, &'a str)>);
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let cases: &[Case<'_>] = &[
            (
                &post("/test.Unknown/Method", "application/proto", "", b""),
                404,
                None,
            ),
            (
                b"DELETE /test.Test/Echo HTTP/1.1\r\nhost: t\r\ncontent-length: 0\r\n\r\n",
                405,
                Some(("allow", "GET, POST")),
            ),
            (
                b"GET /test.Test/Sleep?encoding=proto&message= HTTP/1.1\r\nhost: t\r\n\r\n",
                405,
                Some(("allow", "POST")),
            ),
            (
                &post("/test.Test/Echo", "image/jpeg", "", b"12345678"),
                415,
                None,
            ),
            (
                &post(
                    "/test.Test/Echo",
                    "application/foo",
                    "connect-protocol-version: 1\r\n",
                    b"",
                ),
                415,
                None,
            ),
            (
                &post("/test.Test/Repeat", "application/proto", "", b""),
                415,
                None,
            ),
            (
                &post(
                    "/test.Test/Echo",
                    "application/proto",
                    "content-encoding: foo\r\n",
                    b"x",
                ),
                501,
                None,
            ),
            (
                &post(
                    "/test.Test/Echo",
                    "application/proto",
                    "connect-protocol-version: 2\r\n",
                    b"",
                ),
                400,
                None,
            ),
            (
                &post(
                    "/test.Test/Echo",
                    "application/proto",
                    "connect-timeout-ms: soon\r\n",
                    b"",
                ),
                400,
                None,
            ),
            (
                &post("/test.Test/Echo", "application/proto", "", b"\xff\xff\xff"),
                400,
                None,
            ),
        ];
        let mut s = server.connect();
        for (req, want, want_header) in cases {
            s.write_all(req).unwrap();
            let (status, headers, body) = read_response(&mut s);
            assert_eq!(status, *want, "{driver:?} {}", String::from_utf8_lossy(req));
            if let Some((k, v)) = want_header {
                assert_eq!(header(&headers, k), Some(*v));
            }
            if status == 501 {
                let body = String::from_utf8(body).unwrap();
                assert!(
                    body.contains("\"code\":\"unimplemented\"") && body.contains("foo"),
                    "{body}"
                );
            }
        }
        still_serving(&server);
    }
}

#[test]
fn handler_errors_carry_code_and_metadata() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        s.write_all(&post("/test.Test/Fail", "application/proto", "", b""))
            .unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, 404);
        assert_eq!(header(&headers, "content-type"), Some("application/json"));
        assert_eq!(header(&headers, "x-why"), Some("test"));
        assert_eq!(body, br#"{"code":"not_found","message":"no such thing"}"#);
    }
}

#[test]
fn request_smuggling_attempts_are_refused() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let attacks: &[(&[u8], u16)] = &[
            (b"POST /test.Test/Echo HTTP/1.1\r\nhost: t\r\ncontent-type: application/proto\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n", 400),
            (b"POST /test.Test/Echo HTTP/1.1\r\nhost: t\r\ncontent-type: application/proto\r\ncontent-length: 3\r\ncontent-length: 3\r\n\r\nabc", 400),
            (b"POST /test.Test/Echo HTTP/1.1\r\nhost: t\r\ncontent-type: application/proto\r\ncontent-length: 3, 3\r\n\r\nabc", 400),
            (b"POST /test.Test/Echo HTTP/1.1\r\nhost: t\r\ncontent-type: application/proto\r\ncontent-length: +3\r\n\r\nabc", 400),
            (b"POST /test.Test/Echo HTTP/1.1\r\nhost: t\r\ncontent-type: application/proto\r\ntransfer-encoding: gzip, chunked\r\n\r\n", 501),
            (b"POST /test.Test/Echo HTTP/1.1\nhost: t\ncontent-length: 0\n\n", 400),
            (b"POST /test.Test/Echo HTTP/1.1\r\nhost: t\r\ncontent-type: application/proto\r\n folded: yes\r\ncontent-length: 0\r\n\r\n", 400),
            (b"POST /test.Test/Echo HTTP/2.0\r\nhost: t\r\n\r\n", 505),
            (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", 400),
        ];
        for (req, want) in attacks {
            let out = server.roundtrip_close(req);
            let text = String::from_utf8_lossy(&out);
            assert!(
                text.starts_with(&format!("HTTP/1.1 {want} ")),
                "{driver:?} {:?} -> {text}",
                String::from_utf8_lossy(req)
            );
            // Exactly one response: nothing smuggled through.
            assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "{text}");
        }
        still_serving(&server);
    }
}

#[test]
fn oversized_heads_get_431() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let big = format!(
            "POST /test.Test/Echo HTTP/1.1\r\nhost: t\r\nx-big: {}\r\n\r\n",
            "a".repeat(20 << 10)
        );
        let out = server.roundtrip_close(big.as_bytes());
        assert!(
            out.starts_with(b"HTTP/1.1 431 "),
            "{}",
            String::from_utf8_lossy(&out)
        );
        let mut many = String::from("POST /test.Test/Echo HTTP/1.1\r\nhost: t\r\n");
        for i in 0..100 {
            std::fmt::Write::write_fmt(&mut many, format_args!("x-h{i}: v\r\n")).unwrap();
        }
        many.push_str("\r\n");
        let out = server.roundtrip_close(many.as_bytes());
        assert!(
            out.starts_with(b"HTTP/1.1 431 "),
            "{}",
            String::from_utf8_lossy(&out)
        );
        still_serving(&server);
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut c = libdeflater::Compressor::new(libdeflater::CompressionLvl::default());
    let mut out = vec![0; c.gzip_compress_bound(data.len())];
    let n = c.gzip_compress(data, &mut out).unwrap();
    out.truncate(n);
    out
}

#[test]
fn message_size_limits_and_compression_bombs() {
    for driver in drivers() {
        let limit = 64 << 10;
        let server = TestServer::start(
            ServerConfig::new()
                .with_driver(driver)
                .with_max_message_size(limit),
        );
        // Tag (1 byte) + length varint (3 bytes) + text.
        let at_limit = text(&"x".repeat(limit - 4));
        assert_eq!(at_limit.len(), limit);
        let over = text(&"x".repeat(limit - 3));
        assert_eq!(over.len(), limit + 1);
        let mut s = server.connect();
        s.write_all(&post("/test.Test/Echo", "application/proto", "", &at_limit))
            .unwrap();
        assert_eq!(read_response(&mut s).0, 200);
        // Over the limit: refused from the content-length, before the body is read.
        let out = server.roundtrip_close(&post("/test.Test/Echo", "application/proto", "", &over));
        assert!(
            out.starts_with(b"HTTP/1.1 429 "),
            "{}",
            String::from_utf8_lossy(&out)
        );
        // A small gzip body that inflates past the limit.
        let bomb = gzip(&vec![0u8; 10 << 20]);
        assert!(bomb.len() < limit);
        // The body was read whole, so the connection stays usable.
        let mut s = server.connect();
        s.write_all(&post(
            "/test.Test/Echo",
            "application/proto",
            "content-encoding: gzip\r\n",
            &bomb,
        ))
        .unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 429);
        assert!(String::from_utf8_lossy(&body).contains("resource_exhausted"));
        // A compressed message exactly at the limit is fine.
        let ok = gzip(&at_limit);
        let mut s = server.connect();
        s.write_all(&post(
            "/test.Test/Echo",
            "application/proto",
            "content-encoding: gzip\r\n",
            &ok,
        ))
        .unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-encoding"), Some("gzip"));
        assert_eq!(
            libdeflater::Decompressor::new()
                .gzip_decompress(&body, &mut vec![0; limit])
                .unwrap(),
            limit
        );
        // A stream message over the limit.
        let env = envelope(0, &over);
        s.write_all(&post(
            "/test.Test/Concat",
            "application/connect+proto",
            "",
            &env,
        ))
        .unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 200);
        let frames = envelopes(&body);
        assert!(String::from_utf8_lossy(&frames[0].1).contains("resource_exhausted"));
        still_serving(&server);
    }
}

#[test]
fn slow_clients_time_out() {
    for driver in drivers() {
        let server = TestServer::start(
            ServerConfig::new()
                .with_driver(driver)
                .with_header_read_timeout(Duration::from_millis(200)),
        );
        let mut s = server.connect();
        s.write_all(b"POST /test.Test/Echo HTTP/1.1\r\nhost: t\r\n")
            .unwrap();
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut s, &mut out).unwrap();
        assert!(
            out.starts_with(b"HTTP/1.1 408 "),
            "{}",
            String::from_utf8_lossy(&out)
        );
        still_serving(&server);
    }
}

#[test]
fn deadlines_are_enforced() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        s.write_all(&post(
            "/test.Test/Sleep",
            "application/proto",
            "connect-timeout-ms: 50\r\n",
            &text("2000"),
        ))
        .unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 504);
        assert!(String::from_utf8_lossy(&body).contains("deadline_exceeded"));
        // The connection stays usable.
        s.write_all(&post(
            "/test.Test/Echo",
            "application/proto",
            "",
            &text("after"),
        ))
        .unwrap();
        assert_eq!(read_response(&mut s).2, text("after"));
    }
}

#[test]
fn streams() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        // Server stream: three copies, then an empty end-stream.
        s.write_all(&post(
            "/test.Test/Repeat",
            "application/connect+proto",
            "",
            &envelope(0, &text("r")),
        ))
        .unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, 200);
        assert_eq!(
            header(&headers, "content-type"),
            Some("application/connect+proto")
        );
        let frames = envelopes(&body);
        assert_eq!(frames.len(), 4);
        assert!(frames[..3].iter().all(|(f, p)| *f == 0 && *p == text("r")));
        assert_eq!(frames[3], (2, b"{}".to_vec()));

        // Client stream over a chunked body split inside envelopes.
        let mut payload = Vec::new();
        for part in ["a", "b", "c"] {
            payload.extend_from_slice(&envelope(0, &text(part)));
        }
        let mut req = b"POST /test.Test/Concat HTTP/1.1\r\nhost: t\r\ncontent-type: application/connect+proto\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        for part in payload.chunks(4) {
            req.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            req.extend_from_slice(part);
            req.extend_from_slice(b"\r\n");
        }
        req.extend_from_slice(b"0\r\n\r\n");
        s.write_all(&req).unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 200);
        let frames = envelopes(&body);
        assert_eq!(frames[0], (0, text("abc")));
        assert_eq!(frames[1].0, 2);

        // Bidi (half-duplex), JSON.
        let mut body = Vec::new();
        for m in ["x", "y"] {
            body.extend_from_slice(&envelope(0, format!("{{\"text\":\"{m}\"}}").as_bytes()));
        }
        s.write_all(&post(
            "/test.Test/Chat",
            "application/connect+json",
            "",
            &body,
        ))
        .unwrap();
        let (_, _, body) = read_response(&mut s);
        let frames = envelopes(&body);
        assert_eq!(frames[0].1, br#"{"text":"re: x"}"#);
        assert_eq!(frames[1].1, br#"{"text":"re: y"}"#);
        assert_eq!(frames[2], (2, b"{}".to_vec()));
    }
}

#[test]
fn stream_protocol_errors() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        let two = [envelope(0, &text("a")), envelope(0, &text("b"))].concat();
        let cases: &[(&[u8], &str)] = &[
            (b"", "unimplemented"),
            (&two, "unimplemented"),
            (&envelope(1, &text("a")), "internal"),
            (&envelope(0x80, b""), "internal"),
            (&[0, 0, 0], "invalid_argument"),
        ];
        for (body, code) in cases {
            s.write_all(&post(
                "/test.Test/Repeat",
                "application/connect+proto",
                "",
                body,
            ))
            .unwrap();
            let (status, _, got) = read_response(&mut s);
            assert_eq!(status, 200);
            let frames = envelopes(&got);
            let (flags, end) = frames.last().unwrap();
            assert_eq!(*flags, 2);
            let end = String::from_utf8_lossy(end);
            assert!(
                end.contains(&format!("\"code\":\"{code}\"")),
                "{driver:?} {body:?} -> {end}"
            );
        }
    }
}

#[test]
fn graceful_shutdown_finishes_in_flight_calls() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        s.write_all(&post(
            "/test.Test/Sleep",
            "application/proto",
            "",
            &text("300"),
        ))
        .unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let done = std::thread::spawn(move || server.shutdown());
        let (status, headers, _) = read_response(&mut s);
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "connection"), Some("close"));
        done.join().unwrap().unwrap();
    }
}

#[test]
fn stalled_uploads_are_not_drained_forever() {
    for driver in drivers() {
        let server = TestServer::start(
            ServerConfig::new()
                .with_driver(driver)
                .with_header_read_timeout(Duration::from_millis(200)),
        );
        let mut s = server.connect();
        // Refused before the body is read; the client then stalls mid-body without closing.
        s.write_all(
            b"POST /test.Unknown/Method HTTP/1.1\r\nhost: t\r\ncontent-length: 1000\r\n\r\npartial",
        )
        .unwrap();
        let (status, headers, _) = read_response(&mut s);
        assert_eq!(status, 404);
        assert_eq!(header(&headers, "connection"), Some("close"));
        still_serving(&server);
    }
}

#[test]
fn server_stream_request_whose_last_chunk_comes_late() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        let env = envelope(0, &text("late"));
        let mut req = b"POST /test.Test/Repeat HTTP/1.1\r\nhost: t\r\ncontent-type: application/connect+proto\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        req.extend_from_slice(format!("{:x}\r\n", env.len()).as_bytes());
        req.extend_from_slice(&env);
        req.extend_from_slice(b"\r\n");
        s.write_all(&req).unwrap();
        // The server reads the message, then must wait for the end of the body to know that
        // no second message follows — without losing the first one meanwhile.
        std::thread::sleep(Duration::from_millis(100));
        s.write_all(b"0\r\n\r\n").unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 200);
        let frames = envelopes(&body);
        assert_eq!(frames.len(), 4, "{driver:?}");
        assert!(frames[..3].iter().all(|(_, p)| *p == text("late")));
        still_serving(&server);
    }
}

#[test]
fn deadline_while_reading_a_stream_body_closes_the_connection() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        // 100 bytes announced, 3 sent, deadline 200 ms: the handler is cut off mid-read.
        s.write_all(b"POST /test.Test/Concat HTTP/1.1\r\nhost: t\r\ncontent-type: application/connect+proto\r\nconnect-timeout-ms: 200\r\ncontent-length: 100\r\n\r\n\x00\x00\x00")
            .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.starts_with("HTTP/1.1 200 ") && text.contains("deadline_exceeded"),
            "{driver:?}: {text}"
        );
        still_serving(&server);
        // Unary: the deadline also bounds reading the body.
        let mut s = server.connect();
        s.write_all(b"POST /test.Test/Echo HTTP/1.1\r\nhost: t\r\ncontent-type: application/proto\r\nconnect-timeout-ms: 200\r\ncontent-length: 100\r\n\r\nabc")
            .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.starts_with("HTTP/1.1 504 ") && text.contains("deadline_exceeded"),
            "{driver:?}: {text}"
        );
        still_serving(&server);
    }
}

#[test]
fn clients_that_stop_reading_are_dropped() {
    for driver in drivers() {
        let server = TestServer::start(
            ServerConfig::new()
                .with_driver(driver)
                .with_io_timeout(Duration::from_millis(300)),
        );
        let mut s = server.connect();
        // A 3 MiB message echoed three times: far more than the socket buffers hold while the
        // client reads nothing.
        let big = text(&"x".repeat(3 << 20));
        s.write_all(&post(
            "/test.Test/Repeat",
            "application/connect+proto",
            "",
            &envelope(0, &big),
        ))
        .unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        // The server gave up writing and closed: the stream ends without an end-stream message.
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        assert!(out.starts_with(b"HTTP/1.1 200 "));
        assert!(
            out.len() < 3 * big.len(),
            "{driver:?}: the whole response arrived"
        );
        still_serving(&server);
    }
}

#[test]
fn handler_panics_fail_the_call_not_the_server() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        // A connection that stays open (idle) across the panics.
        let mut idle = server.connect();
        idle.write_all(&post(
            "/test.Test/Echo",
            "application/proto",
            "",
            &text("a"),
        ))
        .unwrap();
        assert_eq!(read_response(&mut idle).0, 200);

        let mut s = server.connect();
        for _ in 0..3 {
            // The Kelvin sign is 3 bytes: slicing at byte 1 panics.
            s.write_all(&post(
                "/test.Test/Panic",
                "application/proto",
                "",
                &text("\u{212a}"),
            ))
            .unwrap();
            let (status, headers, body) = read_response(&mut s);
            assert_eq!(status, 500, "{driver:?}");
            assert_eq!(header(&headers, "content-type"), Some("application/json"));
            assert_eq!(body, br#"{"code":"internal","message":"handler panicked"}"#);
            assert_eq!(header(&headers, "connection"), None, "{driver:?}");
        }
        // The same connection still serves, and so does the idle one.
        s.write_all(&post(
            "/test.Test/Panic",
            "application/proto",
            "",
            &text("ok"),
        ))
        .unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!((status, body), (200, text("k")));
        idle.write_all(&post(
            "/test.Test/Echo",
            "application/proto",
            "",
            &text("b"),
        ))
        .unwrap();
        let (status, mut headers, body) = read_response(&mut idle);
        headers.retain(|(name, _)| name != "date");
        assert_eq!((status, headers, body), read_response_of(200, &text("b")));

        // A stream handler that panics after two messages ends its stream with `internal`.
        s.write_all(&post(
            "/test.Test/PanicStream",
            "application/connect+proto",
            "",
            &envelope(0, &text("two")),
        ))
        .unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 200);
        let frames = envelopes(&body);
        assert_eq!(frames.len(), 3, "{driver:?}");
        assert_eq!(frames[1], (0, text("two")));
        assert_eq!(
            frames[2],
            (
                2,
                br#"{"error":{"code":"internal","message":"handler panicked"}}"#.to_vec()
            )
        );
        // An encoder panic half-way through a message: the partial message is dropped.
        s.write_all(&post(
            "/test.Test/PanicStream",
            "application/connect+proto",
            "",
            &envelope(0, &raw_text(support::PANIC_IN_ENCODE)),
        ))
        .unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 200);
        let frames = envelopes(&body);
        assert_eq!(frames.len(), 2, "{driver:?}");
        assert_eq!(frames[0], (0, Vec::new()));
        assert_eq!(frames[1].0, 2);
        still_serving(&server);
        server.shutdown().unwrap();
    }
}

/// The binary encoding of `Text { text }`, by hand (for texts the encoder refuses).
fn raw_text(t: &str) -> Vec<u8> {
    let mut out = vec![0x0a, u8::try_from(t.len()).unwrap()];
    out.extend_from_slice(t.as_bytes());
    out
}

/// What `read_response` returns for a unary proto success with `body` (less `date`).
fn read_response_of(status: u16, body: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let headers = vec![
        ("content-type".to_owned(), "application/proto".to_owned()),
        ("content-length".to_owned(), body.len().to_string()),
    ];
    (status, headers, body.to_vec())
}

#[test]
fn stream_requests_that_outlive_the_deadline_get_deadline_exceeded() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        // Server stream: the message arrives, the end of the body does not (before the
        // deadline): the server cannot know there is no second message.
        let mut s = server.connect();
        let env = envelope(0, &text("late"));
        let mut req = b"POST /test.Test/Repeat HTTP/1.1\r\nhost: t\r\ncontent-type: application/connect+proto\r\nconnect-timeout-ms: 300\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        req.extend_from_slice(format!("{:x}\r\n", env.len()).as_bytes());
        req.extend_from_slice(&env);
        req.extend_from_slice(b"\r\n");
        s.write_all(&req).unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, 200, "{driver:?}");
        assert_eq!(header(&headers, "connection"), Some("close"), "{driver:?}");
        let frames = envelopes(&body);
        assert_eq!(frames.len(), 1, "{driver:?}");
        assert_eq!(frames[0].0, 2);
        let end = String::from_utf8(frames[0].1.clone()).unwrap();
        assert!(end.contains("\"deadline_exceeded\""), "{driver:?}: {end}");
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        assert!(rest.is_empty(), "{driver:?}");
        // The same with nothing of the body sent, for every stream kind.
        for path in ["/test.Test/Repeat", "/test.Test/Concat", "/test.Test/Chat"] {
            let mut s = server.connect();
            s.write_all(format!("POST {path} HTTP/1.1\r\nhost: t\r\ncontent-type: application/connect+proto\r\nconnect-timeout-ms: 200\r\ncontent-length: 50\r\n\r\n").as_bytes()).unwrap();
            let (status, _, body) = read_response(&mut s);
            assert_eq!(status, 200, "{driver:?} {path}");
            let frames = envelopes(&body);
            let end = String::from_utf8(frames.last().unwrap().1.clone()).unwrap();
            assert!(
                end.contains("\"deadline_exceeded\""),
                "{driver:?} {path}: {end}"
            );
        }
        still_serving(&server);
    }
}

#[test]
fn multi_member_gzip_bodies_and_envelopes() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        // `Text { text: "ab" }` is 0a 02 61 62: split into two 2-byte members, the last
        // member's ISIZE equals the first's size (the case that used to lose the second).
        let msg = text("ab");
        let mut body = gzip(&msg[..2]);
        body.extend_from_slice(&gzip(&msg[2..]));
        s.write_all(&post(
            "/test.Test/Echo",
            "application/proto",
            "content-encoding: gzip\r\naccept-encoding: gzip;q=0\r\n",
            &body,
        ))
        .unwrap();
        let (status, _, out) = read_response(&mut s);
        assert_eq!((status, out), (200, text("ab")), "{driver:?}");
        // Members of different sizes, in a stream envelope.
        let msg = text("members of different sizes");
        let mut payload = gzip(&msg[..5]);
        payload.extend_from_slice(&gzip(&msg[5..]));
        payload.extend_from_slice(&gzip(b""));
        s.write_all(&post(
            "/test.Test/Concat",
            "application/connect+proto",
            "connect-content-encoding: gzip\r\nconnect-accept-encoding: gzip;q=0\r\n",
            &envelope(1, &payload),
        ))
        .unwrap();
        let (status, _, out) = read_response(&mut s);
        assert_eq!(status, 200);
        let frames = envelopes(&out);
        assert_eq!(frames[0], (0, msg.clone()), "{driver:?}");
        // A corrupt second member is an error, never a shorter message.
        let mut bad = gzip(&msg[..5]);
        let mut second = gzip(&msg[5..]);
        let n = second.len();
        second[n - 5] ^= 1;
        bad.extend_from_slice(&second);
        s.write_all(&post(
            "/test.Test/Echo",
            "application/proto",
            "content-encoding: gzip\r\n",
            &bad,
        ))
        .unwrap();
        let (status, _, out) = read_response(&mut s);
        assert_eq!(status, 400, "{driver:?}: {}", String::from_utf8_lossy(&out));
        still_serving(&server);
    }
}

#[test]
fn accept_encoding_weights_are_honoured() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        for (accept, want) in [
            ("gzip;q=0", None),
            ("gzip; q=0, identity", None),
            ("identity;q=0.5, gzip;q=0.6", Some("gzip")),
            ("gzip", Some("gzip")),
        ] {
            s.write_all(&post(
                "/test.Test/Echo",
                "application/proto",
                &format!("accept-encoding: {accept}\r\n"),
                &text("q"),
            ))
            .unwrap();
            let (status, headers, _) = read_response(&mut s);
            assert_eq!(status, 200);
            assert_eq!(
                header(&headers, "content-encoding"),
                want,
                "{driver:?} {accept}"
            );
            s.write_all(&post(
                "/test.Test/Repeat",
                "application/connect+proto",
                &format!("connect-accept-encoding: {accept}\r\n"),
                &envelope(0, &text("q")),
            ))
            .unwrap();
            let (status, headers, body) = read_response(&mut s);
            assert_eq!(status, 200);
            assert_eq!(
                header(&headers, "connect-content-encoding"),
                want,
                "{driver:?} {accept}"
            );
            let flags = u8::from(want.is_some());
            assert!(envelopes(&body)[..3].iter().all(|(f, _)| *f == flags));
        }
    }
}

#[test]
fn http_1_x_versions() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        // RFC 9110 §2.5: HTTP/1.2 is processed as 1.1 (keep-alive, Host required).
        let mut s = server.connect();
        for _ in 0..2 {
            let mut req = post("/test.Test/Echo", "application/proto", "", &text("v"));
            let at = req.windows(8).position(|w| w == b"HTTP/1.1").unwrap();
            req[at + 7] = b'2';
            s.write_all(&req).unwrap();
            let (status, headers, body) = read_response(&mut s);
            assert_eq!((status, body), (200, text("v")), "{driver:?}");
            assert_eq!(header(&headers, "connection"), None);
        }
        // HTTP/1.0 with keep-alive: the response says so, and the connection stays open.
        let mut s = server.connect();
        let body = text("ten");
        let req = |ka: &str| {
            let mut r = format!("POST /test.Test/Echo HTTP/1.0\r\ncontent-type: application/proto\r\ncontent-length: {}\r\n{ka}\r\n", body.len()).into_bytes();
            r.extend_from_slice(&body);
            r
        };
        for _ in 0..2 {
            s.write_all(&req("connection: keep-alive\r\n")).unwrap();
            let (status, headers, out) = read_response(&mut s);
            assert_eq!((status, &out), (200, &body), "{driver:?}");
            assert_eq!(
                header(&headers, "connection"),
                Some("keep-alive"),
                "{driver:?}"
            );
        }
        // HTTP/1.0 without it: the response closes.
        s.write_all(&req("")).unwrap();
        let (status, headers, _) = read_response(&mut s);
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "connection"), Some("close"), "{driver:?}");
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
        assert!(rest.is_empty());
        // An HTTP/1.0 stream: no chunked coding (RFC 9112 §6.1), the body ends at close.
        let env = envelope(0, &text("s"));
        let mut r = format!("POST /test.Test/Repeat HTTP/1.0\r\ncontent-type: application/connect+proto\r\nconnection: keep-alive\r\ncontent-length: {}\r\n\r\n", env.len()).into_bytes();
        r.extend_from_slice(&env);
        let out = server.roundtrip_close(&r);
        let split = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&out[..split]).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200 "), "{head}");
        assert!(!head.contains("transfer-encoding"), "{driver:?}: {head}");
        assert!(head.contains("connection: close"), "{driver:?}: {head}");
        let frames = envelopes(&out[split..]);
        assert_eq!(frames.len(), 4, "{driver:?}");
        assert_eq!(frames[3], (2, b"{}".to_vec()));
        still_serving(&server);
    }
}

#[test]
fn size_errors_name_the_limit_that_was_hit() {
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        // A server stream of a 3 MiB and a 2 MiB message: neither is over the 4 MiB message
        // limit; the second one is refused as a second message.
        let mut body = envelope(0, &text(&"a".repeat(3 << 20)));
        body.extend_from_slice(&envelope(0, &text(&"b".repeat(2 << 20))));
        let mut s = server.connect();
        s.write_all(&post(
            "/test.Test/Repeat",
            "application/connect+proto",
            "",
            &body,
        ))
        .unwrap();
        let (status, _, out) = read_response(&mut s);
        assert_eq!(status, 200);
        let end = String::from_utf8(envelopes(&out).pop().unwrap().1).unwrap();
        assert!(
            end.contains("\"unimplemented\"") && end.contains("more than one message"),
            "{driver:?}: {end}"
        );
        // A client stream whose messages are each small but whose body passes the 16 MiB
        // body limit: the message says which limit.
        let env = envelope(0, &text(&"c".repeat(1 << 20)));
        let mut body = Vec::new();
        while body.len() <= 16 << 20 {
            body.extend_from_slice(&env);
        }
        let out = server.roundtrip_close(&{
            let mut r = b"POST /test.Test/Concat HTTP/1.1\r\nhost: t\r\ncontent-type: application/connect+proto\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
            for part in body.chunks(1 << 20) {
                r.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                r.extend_from_slice(part);
                r.extend_from_slice(b"\r\n");
            }
            r.extend_from_slice(b"0\r\n\r\n");
            r
        });
        let text_out = String::from_utf8_lossy(&out);
        assert!(
            text_out.contains("resource_exhausted")
                && text_out.contains("body size limit of 16777216 bytes"),
            "{driver:?}: {}",
            &text_out[..text_out.len().min(400)]
        );
        // A unary message over the message limit names that limit.
        let big = text(&"d".repeat(5 << 20));
        let out = server.roundtrip_close(&post("/test.Test/Echo", "application/proto", "", &big));
        let text_out = String::from_utf8_lossy(&out);
        assert!(
            text_out.starts_with("HTTP/1.1 429 ")
                && text_out.contains("message size limit of 4194304 bytes"),
            "{driver:?}: {text_out}"
        );
        still_serving(&server);
    }
}

/// RFC 9110 §6.6.1: every final response carries `Date`, an IMF-fixdate close to now.
#[test]
fn responses_carry_a_current_date() {
    fn check(headers: &[(String, String)], what: &str) {
        let date = header(headers, "date").unwrap_or_else(|| panic!("{what}: no date field"));
        let parsed = httpdate::parse_http_date(date)
            .unwrap_or_else(|e| panic!("{what}: {date:?} is not an HTTP date: {e}"));
        assert_eq!(date.len(), 29, "{what}: {date:?} is not an IMF-fixdate");
        let skew = std::time::SystemTime::now()
            .duration_since(parsed)
            .unwrap_or_else(|e| e.duration());
        assert!(skew.as_secs() <= 5, "{what}: {date:?} is {skew:?} from now");
    }
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        s.write_all(&post(
            "/test.Test/Echo",
            "application/proto",
            "",
            &text("hi"),
        ))
        .unwrap();
        let (status, headers, _) = read_response(&mut s);
        assert_eq!(status, 200);
        check(&headers, "unary success");
        s.write_all(&post("/test.Unknown/Method", "application/proto", "", b""))
            .unwrap();
        let (status, headers, _) = read_response(&mut s);
        assert_eq!(status, 404);
        check(&headers, "404");
        s.write_all(&post(
            "/test.Test/Fail",
            "application/json",
            "",
            br#"{"text":"x"}"#,
        ))
        .unwrap();
        let (status, headers, _) = read_response(&mut s);
        assert_ne!(status, 200);
        check(&headers, "Connect error");
        let mut stream_req = envelope(0, &text("a"));
        stream_req.extend(envelope(0, &text("b")));
        s.write_all(&post(
            "/test.Test/Concat",
            "application/connect+proto",
            "",
            &stream_req,
        ))
        .unwrap();
        let (status, headers, _) = read_response(&mut s);
        assert_eq!(status, 200);
        check(&headers, "stream");
        let (status, headers, _) = read_response_of_raw(&server, b"GARBAGE\r\n\r\n");
        assert_eq!(status, 400);
        check(&headers, "400");
        still_serving(&server);
    }
}

fn read_response_of_raw(server: &TestServer, raw: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = server.connect();
    s.write_all(raw).unwrap();
    read_response(&mut s)
}

/// `compress_min_bytes`: responses below it go out uncompressed (unary: no
/// `content-encoding`; streams: the envelope's compressed flag is off), larger ones are
/// compressed as negotiated.
#[test]
fn small_responses_are_not_compressed() {
    for driver in drivers() {
        let server = TestServer::start(
            ServerConfig::new()
                .with_driver(driver)
                .with_compress_min_bytes(1024),
        );
        let mut s = server.connect();
        let big = "y".repeat(4096);
        for (msg, compressed) in [("small", false), (big.as_str(), true)] {
            s.write_all(&post(
                "/test.Test/Echo",
                "application/proto",
                "accept-encoding: gzip\r\n",
                &text(msg),
            ))
            .unwrap();
            let (status, headers, body) = read_response(&mut s);
            assert_eq!(status, 200);
            assert_eq!(
                header(&headers, "content-encoding"),
                compressed.then_some("gzip"),
                "{driver:?} {} bytes",
                msg.len()
            );
            if !compressed {
                assert_eq!(body, text(msg));
            }
            let mut req = envelope(0, &text(msg));
            req.extend(envelope(0, &text(msg)));
            s.write_all(&post(
                "/test.Test/Chat",
                "application/connect+proto",
                "connect-accept-encoding: gzip\r\n",
                &req,
            ))
            .unwrap();
            let (status, headers, body) = read_response(&mut s);
            assert_eq!(status, 200);
            assert_eq!(header(&headers, "connect-content-encoding"), Some("gzip"));
            let frames = envelopes(&body);
            assert_eq!(frames.len(), 3);
            for (flags, _) in &frames[..2] {
                assert_eq!(flags & 1 == 1, compressed, "{driver:?} {} bytes", msg.len());
            }
        }
        still_serving(&server);
    }
}

/// gRPC-web on the same port as Connect: unary and streams enveloped, the status in a
/// trailer block (flag 0x80), errors trailers-only, refusals by `grpc-*` fields.
#[test]
fn grpc_web_calls() {
    let block = |frame: &(u8, Vec<u8>)| {
        assert_eq!(frame.0, 0x80, "a trailer block ends the body");
        String::from_utf8(frame.1.clone()).unwrap()
    };
    for driver in drivers() {
        let server = TestServer::with_driver(driver);
        let mut s = server.connect();
        // Unary, proto, pipelined behind a Connect call on the same connection.
        let mut two = post(
            "/test.Test/Echo",
            "application/grpc-web",
            "x-grpc-web: 1\r\ngrpc-timeout: 5S\r\n",
            &envelope(0, &text("hi")),
        );
        two.extend_from_slice(&post(
            "/test.Test/Echo",
            "application/proto",
            "",
            &text("c"),
        ));
        s.write_all(&two).unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, 200, "{driver:?}");
        assert_eq!(
            header(&headers, "content-type"),
            Some("application/grpc-web+proto")
        );
        let frames = envelopes(&body);
        assert_eq!(frames.len(), 2, "{frames:?}");
        assert_eq!(frames[0], (0, text("hi")));
        assert_eq!(block(&frames[1]), "grpc-status: 0\r\n");
        let (status, _, body) = read_response(&mut s);
        assert_eq!((status, body), (200, text("c")));

        // A gzip-compressed request, answered in gzip.
        s.write_all(&post(
            "/test.Test/Echo",
            "application/grpc-web+proto",
            "grpc-encoding: gzip\r\ngrpc-accept-encoding: gzip\r\n",
            &envelope(1, &gzip(&text(&"z".repeat(2000)))),
        ))
        .unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "grpc-encoding"), Some("gzip"));
        let frames = envelopes(&body);
        assert_eq!(frames[0].0, 1, "the message is flagged compressed");
        assert_eq!(block(&frames[1]), "grpc-status: 0\r\n");

        // Server stream, JSON.
        s.write_all(&post(
            "/test.Test/Repeat",
            "application/grpc-web+json",
            "",
            &envelope(0, br#"{"text":"r"}"#),
        ))
        .unwrap();
        let (status, _, body) = read_response(&mut s);
        assert_eq!(status, 200);
        let frames = envelopes(&body);
        assert_eq!(frames.len(), 4);
        assert!(
            frames[..3]
                .iter()
                .all(|(f, p)| *f == 0 && p == br#"{"text":"r"}"#)
        );
        assert_eq!(block(&frames[3]), "grpc-status: 0\r\n");

        // A handler error: trailers-only, the status and the error's metadata in the head.
        s.write_all(&post(
            "/test.Test/Fail",
            "application/grpc-web",
            "",
            &envelope(0, b""),
        ))
        .unwrap();
        let (status, headers, body) = read_response(&mut s);
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "grpc-status"), Some("5"));
        assert_eq!(header(&headers, "grpc-message"), Some("no such thing"));
        assert_eq!(header(&headers, "x-why"), Some("test"));
        assert!(body.is_empty());

        // Unary bodies with no message or two: unimplemented.
        for body in [Vec::new(), [envelope(0, b""), envelope(0, b"")].concat()] {
            s.write_all(&post("/test.Test/Echo", "application/grpc-web", "", &body))
                .unwrap();
            let (status, headers, _) = read_response(&mut s);
            assert_eq!(status, 200);
            assert_eq!(header(&headers, "grpc-status"), Some("12"));
        }

        // Refused from the head: a bad timeout, an unknown encoding, a bad codec.
        for (extra, code) in [
            ("grpc-timeout: 1x\r\n", "3"),
            ("grpc-encoding: lz4\r\n", "12"),
        ] {
            s.write_all(&post(
                "/test.Test/Repeat",
                "application/grpc-web",
                extra,
                b"",
            ))
            .unwrap();
            let (status, headers, _) = read_response(&mut s);
            assert_eq!(
                (status, header(&headers, "grpc-status")),
                (200, Some(code)),
                "{extra}"
            );
        }
        s.write_all(&post(
            "/test.Test/Echo",
            "application/grpc-web+xml",
            "",
            b"",
        ))
        .unwrap();
        let (status, _, _) = read_response(&mut s);
        assert_eq!(status, 415);
        still_serving(&server);
    }
}
