//! gzip request decoding: ours (libdeflate, every member, through the `unsafe` leaf
//! `compression/libdeflate.rs`) against the safe alternative, a streaming inflater
//! (flate2's `MultiGzDecoder` on miniz_oxide); and the cost of bodies whose gzip trailer lies
//! about their size (ISIZE claiming the 4 MiB limit) against honest ones, and the same for
//! zstd frames whose content size lies. See PERF.md, "gzip".

use std::hint::black_box;
use std::io::Read;

use connect_wire::compression::{Codecs, Compression};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Protobuf-like data: field tags, short strings and numbers (compresses about 4:1).
fn message(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    let mut i = 0u64;
    while out.len() < len {
        out.push(0x0a);
        let s = format!("user-{}-{}", i % 97, i.wrapping_mul(0x9e37_79b9) % 10_007);
        out.push(s.len() as u8);
        out.extend_from_slice(s.as_bytes());
        out.push(0x10);
        out.push((i % 128) as u8);
        i += 1;
    }
    out.truncate(len);
    out
}

fn decode(c: &mut Criterion) {
    let mut codecs = Codecs::new();
    let mut g = c.benchmark_group("gunzip");
    for size in [1 << 10, 64 << 10, 1 << 20] {
        let data = message(size);
        let mut packed = Vec::new();
        codecs
            .compress(Compression::Gzip, &data, &mut packed)
            .unwrap();
        g.throughput(Throughput::Bytes(size as u64));
        let mut out = Vec::with_capacity(size);
        g.bench_function(format!("connect_wire/{size}"), |b| {
            b.iter(|| {
                out.clear();
                codecs
                    .decompress(Compression::Gzip, black_box(&packed), &mut out, 4 << 20)
                    .unwrap();
                black_box(out.len());
            });
        });
        let mut out = Vec::with_capacity(size);
        g.bench_function(format!("flate2_miniz/{size}"), |b| {
            b.iter(|| {
                out.clear();
                flate2::read::MultiGzDecoder::new(black_box(&packed[..]))
                    .take(4 << 20)
                    .read_to_end(&mut out)
                    .unwrap();
                black_box(out.len());
            });
        });
    }
    g.finish();
}

/// A 64-byte message gzipped (about 80 bytes), honest, and with its ISIZE claiming 4 MiB:
/// the lie must not cost a 4 MiB allocation per request.
fn lying_sizes(c: &mut Criterion) {
    let mut codecs = Codecs::new();
    let data = message(64);
    let mut honest = Vec::new();
    codecs
        .compress(Compression::Gzip, &data, &mut honest)
        .unwrap();
    let mut lying = honest.clone();
    let n = lying.len();
    lying[n - 4..].copy_from_slice(&(4u32 << 20).to_le_bytes());
    let mut g = c.benchmark_group("gunzip_small");
    let mut out = Vec::new();
    g.bench_function("honest", |b| {
        b.iter(|| {
            out = Vec::new();
            codecs
                .decompress(Compression::Gzip, black_box(&honest), &mut out, 4 << 20)
                .unwrap();
        });
    });
    g.bench_function("isize_claims_4MiB", |b| {
        b.iter(|| {
            out = Vec::new();
            let r = codecs.decompress(Compression::Gzip, black_box(&lying), &mut out, 4 << 20);
            assert!(r.is_err());
        });
    });
    g.finish();
}

/// A zstd frame holding `body` as one raw block, whose header declares `declared` bytes of
/// content (single segment, 4-byte content size field).
fn zstd_frame(body: &[u8], declared: u32) -> Vec<u8> {
    let mut f = 0xFD2F_B528u32.to_le_bytes().to_vec();
    f.push(0b1010_0000);
    f.extend_from_slice(&declared.to_le_bytes());
    let header = 1 | (u32::try_from(body.len()).unwrap() << 3);
    f.extend_from_slice(&header.to_le_bytes()[..3]);
    f.extend_from_slice(body);
    f
}

/// The same for zstd: a 64-byte message in a frame that declares its size, honestly and
/// claiming 4 MiB (the limit). The declared size refuses but does not allocate.
fn zstd_lying_sizes(c: &mut Criterion) {
    let mut codecs = Codecs::new();
    let data = message(64);
    let honest = zstd_frame(&data, 64);
    let lying = zstd_frame(&data, 4 << 20);
    let mut out = Vec::new();
    codecs
        .decompress(Compression::Zstd, &honest, &mut out, 4 << 20)
        .unwrap();
    assert_eq!(out, data);
    let mut g = c.benchmark_group("unzstd_small");
    g.bench_function("honest", |b| {
        b.iter(|| {
            out = Vec::new();
            codecs
                .decompress(Compression::Zstd, black_box(&honest), &mut out, 4 << 20)
                .unwrap();
        });
    });
    g.bench_function("content_size_claims_4MiB", |b| {
        b.iter(|| {
            out = Vec::new();
            let r = codecs.decompress(Compression::Zstd, black_box(&lying), &mut out, 4 << 20);
            assert!(r.is_err());
        });
    });
    g.finish();
}

criterion_group!(benches, decode, lying_sizes, zstd_lying_sizes);
criterion_main!(benches);
