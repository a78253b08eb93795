//! Zero heap allocations per unary proto request in steady state, on both drivers.
//!
//! A counting global allocator counts every allocation in the process. The client side of
//! the measured window only writes a prepared buffer and reads into a preallocated one, so
//! whatever is counted comes from the server.

mod support;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use std::cell::Cell;
use std::io::{Read, Write};

use connect_engine::ConnectError;
use connect_engine::client::{CallOptions, Client, ClientConfig};
use connect_engine::runtime::Driver;
use connect_engine::server::{Interceptor, RequestInfo, ResponseInfo, Router, ServerConfig};
use support::{TestServer, post, text};

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

/// The allocation counter is process-wide: the tests take turns.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Sends `n` requests on `s` (pipelined in batches) and reads the responses, without
/// allocating.
fn exchange(
    s: &mut std::net::TcpStream,
    batch: &[u8],
    response_len: usize,
    rounds: usize,
    scratch: &mut [u8],
) {
    for _ in 0..rounds {
        s.write_all(batch).unwrap();
        let mut need = response_len;
        while need > 0 {
            let cap = need.min(scratch.len());
            let n = match s.read(&mut scratch[..cap]) {
                Ok(0) => panic!("server closed the connection"),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => 0,
                Err(e) => panic!("{e}"),
            };
            need -= n;
        }
    }
}

/// Counts calls and their errors, as a metrics interceptor would (no allocation).
struct Counting(Cell<u64>);

impl Interceptor for Counting {
    fn on_request(&self, call: &mut RequestInfo<'_>) -> Result<(), ConnectError> {
        assert!(call.headers.get("content-type").is_some());
        Ok(())
    }

    fn on_response(&self, call: &ResponseInfo<'_>) {
        assert!(call.error.is_none() && call.messages_sent == 1);
        self.0.set(self.0.get() + 1);
    }
}

#[test]
fn unary_proto_requests_do_not_allocate() {
    let _turn = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut drivers = vec![Driver::Epoll];
    if Driver::Auto.resolve() == Driver::IoUring {
        drivers.push(Driver::IoUring);
    }
    for (driver, intercepted) in drivers.into_iter().flat_map(|d| [(d, false), (d, true)]) {
        // A non-allocating interceptor keeps unary calls allocation-free.
        let server = if intercepted {
            TestServer::with_router(ServerConfig::new().with_driver(driver), || {
                Router::new()
                    .add(support::TestService)
                    .with_interceptor(Counting(Cell::new(0)))
            })
        } else {
            TestServer::with_driver(driver)
        };
        let mut s = server.connect();
        let one = post(
            "/test.Test/Echo",
            "application/proto",
            "connect-protocol-version: 1\r\n",
            &text("hello, allocation-free world"),
        );
        // Learn the exact response length from one request.
        s.write_all(&one).unwrap();
        let (status, _, _) = support::read_response(&mut s);
        assert_eq!(status, 200);
        let mut probe = server.connect();
        probe.write_all(&one).unwrap();
        let mut buf = vec![0u8; 4096];
        let n = probe.read(&mut buf).unwrap();
        let response_len = n;
        drop(probe);

        let batch: Vec<u8> = one.repeat(4);
        let mut scratch = vec![0u8; 64 * 1024];
        // Warm up: buffers grow to their steady-state sizes.
        exchange(&mut s, &batch, response_len * 4, 500, &mut scratch);
        let before = counting_alloc::allocations();
        exchange(&mut s, &batch, response_len * 4, 1000, &mut scratch);
        let after = counting_alloc::allocations();
        assert_eq!(
            after - before,
            0,
            "{driver:?} (interceptor: {intercepted}): {} allocations over 4000 unary requests",
            after - before
        );
    }
}

/// A unary client call in steady state allocates only what the owned response needs: here
/// the response's one `String` (the server side allocates nothing, as the test above shows).
#[test]
fn unary_client_calls_allocate_only_the_response() {
    let _turn = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut drivers = vec![Driver::Epoll];
    if Driver::Auto.resolve() == Driver::IoUring {
        drivers.push(Driver::IoUring);
    }
    for driver in drivers {
        // Each response field the client is sent is kept in the call's response metadata
        // (a `HeaderMap`, which allocates); a server without `Date` sends none, so what is
        // counted is the client's own work.
        let server = TestServer::start(ServerConfig::new().with_driver(driver).with_date(false));
        let client = Client::new(&format!("http://{}", server.addr), ClientConfig::new()).unwrap();
        let request = support::Text {
            text: "hello, allocation-free world".into(),
            ..Default::default()
        };
        let per_call = connect_engine::runtime::block_on(driver, async {
            let call = || {
                client.unary::<support::Text<'_>, support::Text<'static>>(
                    &support::ECHO,
                    &request,
                    CallOptions::new(),
                )
            };
            for _ in 0..500 {
                assert!(call().await.result.is_ok());
            }
            let before = counting_alloc::allocations();
            let calls = 2000;
            for _ in 0..calls {
                let out = call().await;
                assert_eq!(out.result.unwrap().text, "hello, allocation-free world");
            }
            (counting_alloc::allocations() - before) as f64 / f64::from(calls)
        })
        .unwrap();
        eprintln!("{driver:?}: {per_call} allocations per unary client call");
        assert!(
            per_call <= 1.0,
            "{driver:?}: {per_call} allocations per call"
        );
    }
}
