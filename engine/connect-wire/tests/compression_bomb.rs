//! Decompression bombs: 64 MiB of zeros, compressed, decoded with a 1 MiB limit. Each must
//! fail with `TooLarge` without allocating much beyond the limit (how fast is a benchmark's
//! business: `benches/benches/gzip.rs`).
//!
//! One test function, so nothing else runs in this process while the peak resident set size
//! is measured (Linux: `/proc/self/clear_refs` resets `VmHWM`; elsewhere the memory check is
//! skipped and only the output buffer is checked).

use connect_wire::compression::{Codecs, Compression, DecompressError};

const BOMB: usize = 64 << 20;
const LIMIT: usize = 1 << 20;
/// The decoders' own state on top of the output: the zstd window (8 MiB at most), the brotli
/// ring buffer (at most the window the encoder chose), tables; plus allocator slack.
const MEMORY_BUDGET: usize = 24 << 20;

/// Peak RSS in bytes since the last reset, if the platform tells.
fn peak_rss() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn current_rss() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

struct Bomb {
    name: &'static str,
    alg: Compression,
    packed: Vec<u8>,
    expected: DecompressError,
}

fn bombs() -> Vec<Bomb> {
    let zeros = vec![0u8; BOMB];
    let mut codecs = Codecs::new();
    let mut bombs = Vec::new();
    for &alg in Compression::supported() {
        let mut packed = Vec::new();
        codecs.compress(alg, &zeros, &mut packed).unwrap();
        // Snappy cannot pack more than about 21:1 (a copy codes at most 64 bytes in 3).
        let ratio = if alg == Compression::Snappy { 10 } else { 100 };
        assert!(packed.len() < BOMB / ratio, "{alg}: {}", packed.len());
        if alg == Compression::Gzip {
            // The same bomb with a trailer claiming 1000 bytes: the output grows past the
            // claim only as the data needs it, and stops at the limit.
            let mut lying = packed.clone();
            let n = lying.len();
            lying[n - 4..].copy_from_slice(&1000u32.to_le_bytes());
            bombs.push(Bomb {
                name: "gzip, lying ISIZE",
                alg,
                packed: lying,
                expected: DecompressError::TooLarge,
            });
        }
        bombs.push(Bomb {
            name: alg.name(),
            alg,
            packed,
            expected: DecompressError::TooLarge,
        });
    }
    #[cfg(feature = "zstd")]
    {
        // Streamed: no content size in the frame header, so the decoder has to run.
        use std::io::Write;
        let mut packed = Vec::new();
        let mut enc = zstd::stream::write::Encoder::new(&mut packed, 1).unwrap();
        for chunk in zeros.chunks(1 << 20) {
            enc.write_all(chunk).unwrap();
        }
        enc.finish().unwrap();
        assert!(matches!(
            zstd::zstd_safe::get_frame_content_size(&packed),
            Ok(None)
        ));
        bombs.push(Bomb {
            name: "zstd, streamed",
            alg: Compression::Zstd,
            packed,
            expected: DecompressError::TooLarge,
        });
    }
    bombs
}

#[test]
fn bombs_fail_fast_within_memory() {
    let bombs = bombs();
    let mut codecs = Codecs::new();
    // Warm the contexts so their creation is not counted.
    for &alg in Compression::supported() {
        let mut packed = Vec::new();
        codecs.compress(alg, b"warm", &mut packed).unwrap();
        codecs
            .decompress(alg, &packed, &mut Vec::new(), 10)
            .unwrap();
    }
    for bomb in &bombs {
        let measured = reset_peak_rss();
        let base = current_rss();
        let mut out = Vec::new();
        let err = codecs
            .decompress(bomb.alg, &bomb.packed, &mut out, LIMIT)
            .unwrap_err();
        assert_eq!(err, bomb.expected, "{}", bomb.name);
        assert!(out.is_empty());
        assert!(
            out.capacity() <= LIMIT + 1,
            "{}: output grew to {}",
            bomb.name,
            out.capacity()
        );
        if let (true, Some(base), Some(peak)) = (measured, base, peak_rss()) {
            let grown = peak.saturating_sub(base);
            eprintln!("{}: peak RSS +{} KiB", bomb.name, grown / 1024);
            assert!(
                grown <= LIMIT + MEMORY_BUDGET,
                "{}: peak RSS grew by {grown}",
                bomb.name
            );
        } else {
            eprintln!("{}: RSS not measured", bomb.name);
        }
    }

    // The same bombs decode in full with a limit of exactly their size, and fail one below.
    for bomb in bombs.iter().filter(|b| !b.name.contains("lying")) {
        let mut out = Vec::new();
        codecs
            .decompress(bomb.alg, &bomb.packed, &mut out, BOMB)
            .unwrap();
        assert_eq!(out.len(), BOMB, "{}", bomb.name);
        assert!(out.iter().all(|&b| b == 0));
        let mut out = Vec::new();
        let err = codecs
            .decompress(bomb.alg, &bomb.packed, &mut out, BOMB - 1)
            .unwrap_err();
        assert_eq!(err, DecompressError::TooLarge, "{}", bomb.name);
    }
}
