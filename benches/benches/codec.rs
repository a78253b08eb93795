//! Our generated codecs against the peers, side by side in one group per (operation, size):
//! binary decode/encode against prost, JSON decode/encode against pbjson (serde on the prost
//! types, with serde_json).
//!
//! Group names are `{binary,json}_{decode,encode}/{small,1k}`; functions are `connect` (ours)
//! and `prost` / `pbjson` (the peer). Every input is produced by our encoder and checked first
//! (`connect_bench::fixtures`): both sides decode it to the same content, and both encoders
//! produce the same bytes.

use std::hint::black_box;

use connect_bench::connect::connectengine::bench::v1 as ours;
use connect_bench::fixtures::{self, Encoded, Notes};
use connect_bench::peer;
use connect_engine::{JsonOptions, Message as _};
use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use prost::Message as _;

fn group<'c>(
    c: &'c mut Criterion,
    op: &str,
    size: &str,
    bytes: usize,
) -> BenchmarkGroup<'c, WallTime> {
    let mut g = c.benchmark_group(format!("{op}/{size}"));
    g.throughput(Throughput::Bytes(bytes as u64));
    g
}

/// Registers the eight comparisons for one message type.
macro_rules! bench_message {
    ($c:expr, $size:literal, $ours:ty, $peer:ty, $input:expr) => {{
        let c: &mut Criterion = $c;
        let input: &Encoded = $input;
        let opts = JsonOptions::default();

        let mut g = group(c, "binary_decode", $size, input.binary.len());
        g.bench_function("connect", |b| {
            b.iter(|| <$ours>::decode(black_box(&input.binary)).unwrap())
        });
        g.bench_function("prost", |b| {
            b.iter(|| <$peer>::decode(black_box(input.binary.as_slice())).unwrap())
        });
        g.finish();

        // Encoders write into a vector reused across iterations (cleared, capacity kept).
        let ours_msg = <$ours>::decode(&input.binary).unwrap();
        let peer_msg = <$peer>::decode(input.binary.as_slice()).unwrap();
        let mut g = group(c, "binary_encode", $size, input.binary.len());
        let mut out = Vec::with_capacity(4096);
        g.bench_function("connect", |b| {
            b.iter(|| {
                out.clear();
                black_box(&ours_msg).encode(&mut out);
                black_box(out.len())
            });
        });
        g.bench_function("prost", |b| {
            b.iter(|| {
                out.clear();
                black_box(&peer_msg).encode(&mut out).unwrap();
                black_box(out.len())
            });
        });
        g.finish();

        // simd-json parses in place, so our decoder needs a mutable copy of the input every
        // iteration: the copy into a reused buffer is inside the timed loop. The peer
        // (serde_json) could parse the shared input directly, but does the same copy so that
        // both sides pay for it and the comparison stays fair.
        let mut g = group(c, "json_decode", $size, input.json.len());
        let mut scratch = Vec::with_capacity(4096);
        g.bench_function("connect", |b| {
            b.iter(|| {
                scratch.clear();
                scratch.extend_from_slice(black_box(&input.json));
                let m = <$ours>::decode_json(&mut scratch, &opts).unwrap();
                black_box(&m);
            });
        });
        g.bench_function("pbjson", |b| {
            b.iter(|| {
                scratch.clear();
                scratch.extend_from_slice(black_box(&input.json));
                let m: $peer = serde_json::from_slice(&scratch).unwrap();
                black_box(&m);
            });
        });
        g.finish();

        let mut g = group(c, "json_encode", $size, input.json.len());
        g.bench_function("connect", |b| {
            b.iter(|| {
                out.clear();
                black_box(&ours_msg).encode_json(&mut out, &opts).unwrap();
                black_box(out.len())
            });
        });
        g.bench_function("pbjson", |b| {
            b.iter(|| {
                out.clear();
                serde_json::to_writer(&mut out, black_box(&peer_msg)).unwrap();
                black_box(out.len())
            });
        });
        g.finish();
    }};
}

fn codecs(c: &mut Criterion) {
    let mut notes = Notes::default();
    let small = fixtures::small_encoded(&mut notes);
    let order = fixtures::order_encoded(&mut notes);
    eprintln!(
        "connect-bench: small = {} B binary / {} B JSON; 1k = {} B binary / {} B JSON",
        small.binary.len(),
        small.json.len(),
        order.binary.len(),
        order.json.len()
    );
    if !notes.binary_differs.is_empty() || !notes.json_differs.is_empty() {
        eprintln!("connect-bench: same content, different bytes: {notes:?}");
    }
    bench_message!(
        c,
        "small",
        ours::SmallRequest<'_>,
        peer::SmallRequest,
        &small
    );
    bench_message!(c, "1k", ours::Order<'_>, peer::Order, &order);
}

criterion_group!(benches, codecs);
criterion_main!(benches);
