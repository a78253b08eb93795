//! Wire primitives: is quick-protobuf's `BytesReader` / `Writer` worth keeping under our
//! `Decoder` / `Encoder`?
//!
//! * `varint_decode/1000`: 1000 varints of mixed sizes (1–10 bytes, mostly short) read with
//!   quick-protobuf `BytesReader::read_varint64`, with a straightforward slice-based loop
//!   written here, and through our `Decoder::uint64` (which wraps the `BytesReader`).
//! * `len_delimited_decode/1000`: 1000 length-delimited fields of 0–60 bytes read as borrowed
//!   slices: `BytesReader::read_bytes`, the same loop plus a bounds check, and our
//!   `Decoder::raw_bytes` (which reads the length twice: a 64-bit probe, then `read_unknown`).
//! * `varint_encode/1000`: the same 1000 values written with quick-protobuf's
//!   `Writer<&mut Vec<u8>>::write_varint`, its `BytesWriter` over a pre-sized slice, and our
//!   `Encoder::varint`.

use std::hint::black_box;

use connect_wire::proto::{Decoder, Encoder, SizeCache};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use quick_protobuf::{BytesReader, BytesWriter, Writer};

const N: usize = 1000;

/// Deterministic values whose varint sizes are skewed to short ones, as in real messages:
/// 40 % 1 byte, 25 % 2 bytes, 15 % 3 bytes, 10 % 4–5 bytes, 10 % 6–10 bytes.
fn values() -> Vec<u64> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..N)
        .map(|_| {
            // xorshift64
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let bits = match x % 100 {
                0..40 => 7,
                40..65 => 14,
                65..80 => 21,
                80..90 => 35,
                _ => 64,
            };
            let v = (x >> 8) & (u64::MAX >> (64 - bits));
            // Keep the size class: at least the lowest value of that many bytes.
            if bits == 7 { v } else { v | (1 << (bits - 7)) }
        })
        .collect()
}

fn encode_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A straightforward varint reader over a slice: returns the value and its length.
#[inline]
fn read_varint(buf: &[u8]) -> Option<(u64, usize)> {
    // One-byte values (most tags and lengths) take no loop.
    match buf.first() {
        Some(&b) if b < 0x80 => return Some((u64::from(b), 1)),
        None => return None,
        Some(_) => {}
    }
    let mut v = 0u64;
    for (i, &b) in buf.iter().take(10).enumerate() {
        v |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Some((v, i + 1));
        }
    }
    None
}

fn varint_decode(c: &mut Criterion) {
    let values = values();
    let mut buf = Vec::new();
    for &v in &values {
        encode_varint(&mut buf, v);
    }
    let expected: u64 = values.iter().fold(0, |a, &v| a.wrapping_add(v));

    let qp = |buf: &[u8]| {
        let mut r = BytesReader::from_bytes(buf);
        let mut sum = 0u64;
        while !r.is_eof() {
            sum = sum.wrapping_add(r.read_varint64(buf).unwrap());
        }
        sum
    };
    let own = |buf: &[u8]| {
        let mut pos = 0;
        let mut sum = 0u64;
        while pos < buf.len() {
            let (v, n) = read_varint(&buf[pos..]).unwrap();
            sum = sum.wrapping_add(v);
            pos += n;
        }
        sum
    };
    let ours = |buf: &[u8]| {
        let mut d = Decoder::new(buf);
        let mut sum = 0u64;
        while !d.is_eof() {
            sum = sum.wrapping_add(d.uint64().unwrap());
        }
        sum
    };
    assert_eq!(qp(&buf), expected);
    assert_eq!(own(&buf), expected);
    assert_eq!(ours(&buf), expected);

    let mut g = c.benchmark_group("varint_decode/1000");
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.bench_function("quick_protobuf", |b| b.iter(|| qp(black_box(&buf))));
    g.bench_function("own_loop", |b| b.iter(|| own(black_box(&buf))));
    g.bench_function("connect_decoder", |b| b.iter(|| ours(black_box(&buf))));
    g.finish();
}

fn len_delimited_decode(c: &mut Criterion) {
    let values = values();
    let mut buf = Vec::new();
    let mut expected = 0usize;
    for (i, &v) in values.iter().enumerate() {
        let len = (v % 61) as usize;
        encode_varint(&mut buf, len as u64);
        buf.extend((0..len).map(|j| (i + j) as u8));
        expected += len;
    }

    let qp = |buf: &[u8]| {
        let mut r = BytesReader::from_bytes(buf);
        let mut total = 0usize;
        while !r.is_eof() {
            total += r.read_bytes(buf).unwrap().len();
        }
        total
    };
    let own = |buf: &[u8]| {
        let mut pos = 0;
        let mut total = 0usize;
        while pos < buf.len() {
            let (len, n) = read_varint(&buf[pos..]).unwrap();
            let start = pos + n;
            let end = usize::try_from(len)
                .ok()
                .and_then(|l| start.checked_add(l))
                .filter(|&e| e <= buf.len())
                .unwrap();
            total += buf[start..end].len();
            pos = end;
        }
        total
    };
    let ours = |buf: &[u8]| {
        let mut d = Decoder::new(buf);
        let mut total = 0usize;
        while !d.is_eof() {
            total += d.raw_bytes().unwrap().len();
        }
        total
    };
    assert_eq!(qp(&buf), expected);
    assert_eq!(own(&buf), expected);
    assert_eq!(ours(&buf), expected);

    let mut g = c.benchmark_group("len_delimited_decode/1000");
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.bench_function("quick_protobuf", |b| b.iter(|| qp(black_box(&buf))));
    g.bench_function("own_loop", |b| b.iter(|| own(black_box(&buf))));
    g.bench_function("connect_decoder", |b| b.iter(|| ours(black_box(&buf))));
    g.finish();
}

fn qp_writer(out: &mut Vec<u8>, values: &[u64]) {
    out.clear();
    let mut w = Writer::new(out);
    for &v in values {
        w.write_varint(v).unwrap();
    }
}

fn qp_bytes_writer(slice: &mut [u8], values: &[u64]) {
    let mut w = Writer::new(BytesWriter::new(slice));
    for &v in values {
        w.write_varint(v).unwrap();
    }
}

fn connect_encoder(out: &mut Vec<u8>, sizes: &SizeCache, values: &[u64]) {
    out.clear();
    let mut e = Encoder::new(out, sizes);
    for &v in values {
        e.varint(v);
    }
}

fn varint_encode(c: &mut Criterion) {
    let values = values();
    let mut expected = Vec::new();
    for &v in &values {
        encode_varint(&mut expected, v);
    }
    let sizes = SizeCache::new();
    // Each writes into a vector (or slice) reused across iterations.
    let mut out = Vec::with_capacity(expected.len());
    let mut slice = vec![0u8; expected.len()];
    qp_writer(&mut out, &values);
    assert_eq!(out, expected);
    connect_encoder(&mut out, &sizes, &values);
    assert_eq!(out, expected);
    qp_bytes_writer(&mut slice, &values);
    assert_eq!(slice, expected);

    let mut g = c.benchmark_group("varint_encode/1000");
    g.throughput(Throughput::Bytes(expected.len() as u64));
    g.bench_function("quick_protobuf_writer", |b| {
        b.iter(|| qp_writer(black_box(&mut out), black_box(&values)));
    });
    g.bench_function("quick_protobuf_bytes_writer", |b| {
        b.iter(|| qp_bytes_writer(black_box(&mut slice), black_box(&values)));
    });
    g.bench_function("connect_encoder", |b| {
        b.iter(|| connect_encoder(black_box(&mut out), &sizes, black_box(&values)));
    });
    g.finish();
}

criterion_group!(benches, varint_decode, len_delimited_decode, varint_encode);
criterion_main!(benches);
