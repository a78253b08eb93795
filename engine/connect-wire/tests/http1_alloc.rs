//! Steady-state allocation check: parsing a typical request head with a reused `RequestHead`,
//! decoding a chunked body and writing a response head into a reserved buffer allocate nothing.
//!
//! Counting allocations needs a global allocator, which needs `unsafe impl`: this test binary is
//! the only place in the crate that uses `unsafe`, and only to delegate to `System`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use connect_wire::http1::{
    BodyDecoder, BodyFraming, DecodeBody, Limits, RequestHead, RequestParser, ResponseHead,
    ResponseParser, Status, write_chunk, write_last_chunk, write_response_head,
};
use http::{Method, StatusCode};

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

struct Counting;

// SAFETY: every method delegates to `System` with the caller's arguments unchanged; the counter
// is a thread-local `Cell` (const-initialised, so touching it does not allocate).
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        // SAFETY: forwarded contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let before = ALLOCS.with(Cell::get);
    let r = f();
    (ALLOCS.with(Cell::get) - before, r)
}

/// A ~300-byte Connect unary request head, as connect-go sends it.
const REQUEST: &[u8] = b"POST /connectrpc.conformance.v1.ConformanceService/Unary HTTP/1.1\r\n\
Host: 127.0.0.1:43567\r\n\
User-Agent: connect-go/1.16.2 (go1.24.1)\r\n\
Content-Length: 42\r\n\
Accept-Encoding: gzip\r\n\
Connect-Protocol-Version: 1\r\n\
Connect-Timeout-Ms: 9998\r\n\
Content-Type: application/proto\r\n\
X-Test-Case-Name: basic/unary\r\n\
\r\n";

#[test]
fn steady_state_does_not_allocate() {
    assert!((280..=340).contains(&REQUEST.len()), "{}", REQUEST.len());
    let limits = Limits::default();
    let mut parser = RequestParser::new(limits);
    let mut head = RequestHead::new();
    // Warm up once (nothing should be needed, but the first call may touch lazy statics).
    assert!(parser.parse(REQUEST, &mut head).unwrap().is_complete());

    let (n, ()) = allocations(|| {
        for _ in 0..100 {
            let r = parser.parse(REQUEST, &mut head).unwrap();
            assert_eq!(r, Status::Complete(REQUEST.len()));
            assert_eq!(
                head.header(REQUEST, "content-type"),
                Some(&b"application/proto"[..])
            );
            assert_eq!(
                head.path(REQUEST),
                "/connectrpc.conformance.v1.ConformanceService/Unary"
            );
            assert_eq!(head.body_framing(), BodyFraming::Length(42));
            assert_eq!(head.headers(REQUEST).count(), 8);
        }
    });
    assert_eq!(n, 0, "request head parsing allocated");

    // Byte by byte too (the scan position is kept, nothing is buffered by the parser).
    let (n, ()) = allocations(|| {
        for end in 0..REQUEST.len() {
            assert_eq!(
                parser.parse(&REQUEST[..end], &mut head).unwrap(),
                Status::Partial
            );
        }
        assert!(parser.parse(REQUEST, &mut head).unwrap().is_complete());
    });
    assert_eq!(n, 0, "incremental parsing allocated");

    // Chunked body decoding in place.
    let mut wire = Vec::with_capacity(1024);
    for _ in 0..10 {
        write_chunk(&mut wire, b"0123456789abcdef0123456789");
    }
    write_last_chunk(&mut wire);
    let mut scratch = wire.clone();
    let (n, ()) = allocations(|| {
        for _ in 0..10 {
            scratch.copy_from_slice(&wire);
            let mut d = BodyDecoder::new(BodyFraming::Chunked, &limits).unwrap();
            let r = d.decode_in_place(&mut scratch).unwrap();
            assert!(r.done);
            assert_eq!(r.data_len, 260);
        }
    });
    assert_eq!(n, 0, "chunked decoding allocated");

    // Response head writing into a buffer with room.
    let mut out = Vec::with_capacity(1024);
    let (n, ()) = allocations(|| {
        for _ in 0..10 {
            out.clear();
            write_response_head(
                &mut out,
                StatusCode::OK,
                [
                    (&b"content-type"[..], &b"application/proto"[..]),
                    (b"connect-accept-encoding", b"gzip"),
                ],
                BodyFraming::Length(42),
                false,
            )
            .unwrap();
        }
    });
    assert_eq!(n, 0, "response head writing allocated");

    // Client side: response head parsing.
    let response: &[u8] =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/proto\r\nContent-Length: 2\r\n\r\nok";
    let mut rp = ResponseParser::new(limits);
    let mut rh = ResponseHead::new();
    assert!(rp.parse(response, &mut rh).unwrap().is_complete());
    let (n, ()) = allocations(|| {
        for _ in 0..10 {
            assert!(rp.parse(response, &mut rh).unwrap().is_complete());
            assert_eq!(rh.body_framing(&Method::POST), BodyFraming::Length(2));
        }
    });
    assert_eq!(n, 0, "response head parsing allocated");
}
