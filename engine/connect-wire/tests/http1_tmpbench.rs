#![allow(missing_docs, clippy::pedantic)]
use connect_wire::http1::*;
use std::hint::black_box;
use std::time::Instant;

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
fn bench() {
    let mut p = RequestParser::default();
    let mut h = RequestHead::new();
    let n = 2_000_000;
    let t = Instant::now();
    for _ in 0..n {
        let r = p.parse(black_box(REQUEST), &mut h).unwrap();
        black_box(&r);
    }
    println!("request head {} bytes: {:?}/parse", REQUEST.len(), t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        p.reset();
        let r = p.parse(black_box(&REQUEST[..REQUEST.len() - 2]), &mut h).unwrap();
        black_box(&r);
    }
    println!("scan only: {:?}/parse", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let mut hs = [httparse::EMPTY_HEADER; 64];
        let mut r = httparse::Request::new(&mut hs);
        black_box(r.parse(black_box(REQUEST)).unwrap());
    }
    println!("bare httparse: {:?}/parse", t.elapsed() / n);
    let mut wire = Vec::new();
    let body = vec![7u8; 16 * 1024];
    for c in body.chunks(1000) { write_chunk(&mut wire, c); }
    write_last_chunk(&mut wire);
    let mut scratch = wire.clone();
    let m = 20_000;
    let t = Instant::now();
    for _ in 0..m {
        scratch.copy_from_slice(&wire);
        let mut d = ChunkedDecoder::new(&Limits::default());
        black_box(d.decode_in_place(&mut scratch).unwrap());
    }
    let e = t.elapsed();
    println!("chunked 16 KiB in 1000-byte chunks in place: {:?}/body ({:.2} GB/s)", e / m, (m as f64 * wire.len() as f64) / e.as_secs_f64() / 1e9);
    let mut out = Vec::with_capacity(256);
    let t = Instant::now();
    for _ in 0..n {
        out.clear();
        write_response_head(&mut out, http::StatusCode::OK, [(&b"content-type"[..], &b"application/proto"[..])], BodyFraming::Length(42), false).unwrap();
        black_box(&out);
    }
    println!("response head write: {:?}", t.elapsed() / n);
}
