//! Hot-path wire pieces: HTTP/1.1 request head parsing (ours vs bare httparse as the ceiling)
//! and Connect envelope decoding. See `PERF.md`, "Wire".

use std::hint::black_box;

use connect_wire::envelope::{self, Decoded, EnvelopeDecoder};
use connect_wire::http1::{Limits, RequestHead, RequestParser, Status};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// A typical Connect unary request head (what connect-go's client sends, ~300 bytes).
const HEAD: &[u8] = b"POST /connectrpc.eliza.v1.ElizaService/Say HTTP/1.1\r\n\
Host: 127.0.0.1:8080\r\n\
User-Agent: connect-go/1.18.1 (go1.24.0)\r\n\
Content-Length: 14\r\n\
Accept-Encoding: gzip\r\n\
Connect-Protocol-Version: 1\r\n\
Connect-Timeout-Ms: 15000\r\n\
Content-Type: application/proto\r\n\
X-Request-Id: 5f0c6a8e-4b7b-4c1e-9a7f-0d2c3e4f5a6b\r\n\r\n";

fn head(c: &mut Criterion) {
    let mut g = c.benchmark_group("http1_head");
    g.throughput(Throughput::Bytes(HEAD.len() as u64));
    let mut parser = RequestParser::new(Limits::default());
    let mut parsed = RequestHead::new();
    g.bench_function("connect_wire", |b| {
        b.iter(|| {
            parser.reset();
            let r = parser.parse(black_box(HEAD), &mut parsed);
            assert!(matches!(r, Ok(Status::Complete(_))));
            black_box(parsed.body_framing());
        });
    });
    g.bench_function("httparse", |b| {
        b.iter(|| {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut req = httparse::Request::new(&mut headers);
            let r = req.parse(black_box(HEAD));
            assert!(matches!(r, Ok(httparse::Status::Complete(_))));
            black_box(req.headers.len());
        });
    });
    g.finish();
}

fn envelopes(c: &mut Criterion) {
    let mut g = c.benchmark_group("envelope_decode");
    for (name, payload, count) in [("small x100", 24, 100), ("1KiB x100", 1024, 100)] {
        let mut buf = Vec::new();
        for _ in 0..count {
            envelope::write(&mut buf, 0, &vec![7u8; payload]).unwrap();
        }
        g.throughput(Throughput::Bytes(buf.len() as u64));
        let decoder = EnvelopeDecoder::new(1 << 20);
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut rest = black_box(&buf[..]);
                let mut n = 0;
                while let Ok(Decoded::Frame(f)) = decoder.decode(rest) {
                    n += f.len();
                    rest = &rest[f.consumed()..];
                }
                black_box(n)
            });
        });
    }
    g.finish();
}

criterion_group!(benches, head, envelopes);
criterion_main!(benches);
