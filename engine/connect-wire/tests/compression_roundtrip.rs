//! Compression names, negotiation, round trips, limits, truncated and corrupt inputs.

use connect_wire::Code;
use connect_wire::compression::{
    ACCEPT_ENCODING, Codecs, CompressError, Compression, DecompressError, Levels,
};

/// Every compiled-in algorithm, identity included.
fn algorithms() -> Vec<Compression> {
    let mut all = vec![Compression::Identity];
    all.extend_from_slice(Compression::supported());
    all
}

/// Deterministic test data: `compressible` mixes text-like runs, otherwise pseudo-random.
fn data(len: usize, compressible: bool) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if compressible {
                b"connect rpc "[(i / 7 + (x as usize & 1)) % 12]
            } else {
                x as u8
            }
        })
        .collect()
}

const SIZES: [usize; 9] = [1, 2, 100, 4095, 4096, 4097, 65_536, 300_000, 1 << 20];

#[test]
fn names() {
    for c in [
        Compression::Identity,
        Compression::Gzip,
        Compression::Br,
        Compression::Zstd,
        Compression::Deflate,
        Compression::Snappy,
    ] {
        let expected = if c.is_available() { Some(c) } else { None };
        assert_eq!(Compression::from_name(c.name()), expected, "{c}");
        assert_eq!(Compression::from_name(&c.name().to_uppercase()), expected);
    }
    assert_eq!(Compression::Identity.name(), "identity");
    assert_eq!(Compression::Gzip.name(), "gzip");
    assert_eq!(Compression::Br.name(), "br");
    assert_eq!(Compression::Zstd.name(), "zstd");
    assert_eq!(Compression::from_name("foo"), None);
    assert_eq!(Compression::from_name(""), None);
    assert_eq!(Compression::Deflate.name(), "deflate");
    assert_eq!(Compression::Snappy.name(), "snappy");
    assert_eq!(Compression::from_name("lz4"), None);
    assert_eq!(
        Compression::from_name(" gzip "),
        Compression::from_name("gzip")
    );

    assert_eq!(cfg!(feature = "br"), Compression::from_name("br").is_some());
    assert_eq!(
        cfg!(feature = "zstd"),
        Compression::from_name("zstd").is_some()
    );
    assert_eq!(
        cfg!(feature = "gzip"),
        Compression::from_name("gzip").is_some()
    );
    assert_eq!(
        cfg!(feature = "deflate"),
        Compression::from_name("deflate").is_some()
    );
    assert_eq!(
        cfg!(feature = "snappy"),
        Compression::from_name("snappy").is_some()
    );

    let expected: Vec<&str> = [
        ("zstd", cfg!(feature = "zstd")),
        ("gzip", cfg!(feature = "gzip")),
        ("br", cfg!(feature = "br")),
        ("deflate", cfg!(feature = "deflate")),
        ("snappy", cfg!(feature = "snappy")),
    ]
    .into_iter()
    .filter_map(|(n, on)| on.then_some(n))
    .collect();
    assert_eq!(ACCEPT_ENCODING, expected.join(","));
}

#[test]
fn negotiation() {
    use Compression::Identity;
    let negotiate = Compression::negotiate_response;
    let gzip = Compression::from_name("gzip").unwrap_or(Identity);
    // A compressed request is answered in kind unless the accept list says otherwise.
    for &c in Compression::supported() {
        assert_eq!(negotiate(c, None), c);
        assert_eq!(negotiate(c, Some("foo")), c);
        assert_eq!(
            negotiate(c, Some("identity")),
            c,
            "the client just used {c}"
        );
        let refused = format!("{c};q=0");
        assert_eq!(negotiate(c, Some(&refused)), Identity);
        assert_eq!(negotiate(c, Some("*;q=0")), Identity);
        let refused = format!("{c};q=0, identity");
        assert_eq!(negotiate(c, Some(&refused)), Identity);
    }
    // An identity request takes the best-weighted available algorithm of the accept list.
    assert_eq!(negotiate(Identity, None), Identity);
    assert_eq!(negotiate(Identity, Some("")), Identity);
    assert_eq!(negotiate(Identity, Some("foo, bar")), Identity);
    assert_eq!(negotiate(Identity, Some("foo, gzip")), gzip);
    assert_eq!(negotiate(Identity, Some("identity, gzip")), gzip);
    assert_eq!(negotiate(Identity, Some("gzip;q=0")), Identity);
    assert_eq!(negotiate(Identity, Some("gzip; q=0.000")), Identity);
    assert_eq!(negotiate(Identity, Some("gzip;Q=0.001")), gzip);
    assert_eq!(negotiate(Identity, Some("gzip;q=0.5, identity")), Identity);
    assert_eq!(
        negotiate(Identity, Some("identity;q=0.2, gzip;q=0.3")),
        gzip
    );
    assert_eq!(
        negotiate(Identity, Some("*")),
        Compression::supported()
            .first()
            .copied()
            .unwrap_or(Identity)
    );
    assert_eq!(
        negotiate(Identity, Some("gzip;q=0, *")),
        Compression::supported()
            .iter()
            .copied()
            .find(|c| *c != gzip)
            .unwrap_or(Identity)
    );
    // Malformed weights drop their entry.
    for bad in [
        "gzip;q=2",
        "gzip;q=1.5",
        "gzip;q=0.1234",
        "gzip;q=",
        "gzip;q=abc",
        "gzip;q=-1",
    ] {
        assert_eq!(negotiate(Identity, Some(bad)), Identity, "{bad}");
    }
    #[cfg(all(feature = "gzip", feature = "br", feature = "zstd"))]
    {
        assert_eq!(
            negotiate(Identity, Some("br;q=0.9, zstd;q=0.8, gzip")),
            Compression::Gzip
        );
        assert_eq!(negotiate(Identity, Some("br, zstd")), Compression::Br);
        assert_eq!(
            negotiate(Compression::Zstd, Some("br;q=0.5")),
            Compression::Zstd
        );
        assert_eq!(
            negotiate(Compression::Zstd, Some("br, zstd;q=0.5")),
            Compression::Br
        );
        assert_eq!(
            negotiate(Compression::Zstd, Some("*;q=0.4, br;q=0.5")),
            Compression::Br
        );
    }
    let entries: Vec<_> =
        connect_wire::compression::accept_entries(" gzip ;q=0.5,, br;level=1 ,x;q=9").collect();
    assert_eq!(entries, [("gzip", 500), ("br", 1000)]);
}

#[test]
fn round_trips_at_several_sizes() {
    let mut codecs = Codecs::new();
    for alg in algorithms() {
        for &size in &SIZES {
            for compressible in [true, false] {
                let input = data(size, compressible);
                let mut packed = b"prefix".to_vec();
                codecs.compress(alg, &input, &mut packed).unwrap();
                assert_eq!(&packed[..6], b"prefix");
                let packed = &packed[6..];
                if alg != Compression::Identity && compressible && size >= 4096 {
                    assert!(packed.len() < size / 2, "{alg} {size}: {}", packed.len());
                }
                let mut out = b"out".to_vec();
                codecs.decompress(alg, packed, &mut out, size).unwrap();
                assert!(out[3..] == input[..], "{alg} {size} {compressible}");
                assert_eq!(&out[..3], b"out");
                // exactly at the limit succeeds (above), one byte less fails
                let mut out = b"keep".to_vec();
                let err = codecs
                    .decompress(alg, packed, &mut out, size - 1)
                    .unwrap_err();
                assert_eq!(err, DecompressError::TooLarge, "{alg} {size}");
                assert_eq!(out, b"keep", "output untouched on error");
            }
        }
    }
}

#[test]
fn empty_messages() {
    let mut codecs = Codecs::new();
    for alg in algorithms() {
        // A 0-byte input is an empty message: never decoded, whatever the algorithm.
        let mut out = Vec::new();
        codecs.decompress(alg, &[], &mut out, 0).unwrap();
        assert!(out.is_empty());
        // A compressed empty message round-trips with a zero limit.
        let mut packed = Vec::new();
        codecs.compress(alg, &[], &mut packed).unwrap();
        codecs.decompress(alg, &packed, &mut out, 0).unwrap();
        assert!(out.is_empty(), "{alg}");
    }
}

#[test]
fn levels_are_clamped() {
    let levels = Levels {
        gzip: 200,
        br: 200,
        zstd: 100,
    };
    let mut codecs = Codecs::with_levels(levels);
    assert_eq!(codecs.levels(), levels);
    let input = data(10_000, true);
    for alg in algorithms() {
        let mut packed = Vec::new();
        codecs.compress(alg, &input, &mut packed).unwrap();
        let mut out = Vec::new();
        codecs
            .decompress(alg, &packed, &mut out, input.len())
            .unwrap();
        assert_eq!(out, input);
    }
    assert_eq!(
        Levels::default(),
        Levels {
            gzip: 3,
            br: 4,
            zstd: 1
        }
    );
}

#[test]
fn truncated_inputs_are_rejected() {
    let mut codecs = Codecs::new();
    for &alg in Compression::supported() {
        for size in [0, 10, 5000] {
            let input = data(size, true);
            let mut packed = Vec::new();
            codecs.compress(alg, &input, &mut packed).unwrap();
            for cut in 1..packed.len() {
                let mut out = Vec::new();
                let r = codecs.decompress(alg, &packed[..cut], &mut out, 1 << 20);
                if alg == Compression::Snappy && r.is_ok() {
                    // The framing format has no end marker: a cut between chunks is a
                    // shorter valid stream (as Go's reader has it too), never the message.
                    assert!(out.len() < input.len(), "snappy size {size} cut {cut}");
                    continue;
                }
                assert!(r.is_err(), "{alg} size {size} cut {cut}");
                assert!(out.is_empty());
            }
            // and the context is still usable afterwards
            let mut out = Vec::new();
            codecs.decompress(alg, &packed, &mut out, size).unwrap();
            assert_eq!(out, input);
        }
    }
}

#[test]
fn corrupt_inputs_are_rejected() {
    let mut codecs = Codecs::new();
    let garbage = b"this is not compressed data, not even close to it.".repeat(3);
    for &alg in Compression::supported() {
        let mut out = Vec::new();
        let err = codecs
            .decompress(alg, &garbage, &mut out, 1 << 20)
            .unwrap_err();
        assert_eq!(err, DecompressError::Corrupt, "{alg}");
        assert_eq!(err.server_code(), Code::InvalidArgument);
        assert_eq!(err.client_code(), Code::Internal);

        // trailing garbage after a valid stream
        let input = data(1000, true);
        let mut packed = Vec::new();
        codecs.compress(alg, &input, &mut packed).unwrap();
        let mut trailing = packed.clone();
        trailing.extend_from_slice(b"xyz");
        let r = codecs.decompress(alg, &trailing, &mut out, 1 << 20);
        if alg == Compression::Deflate {
            // A zlib stream ends with its checksum; what follows is not read (as Go's zlib
            // reader has it).
            assert_eq!(out, input);
            out.clear();
        } else {
            assert!(r.is_err(), "{alg}");
            assert!(out.is_empty());
        }

        // flipped bits in the body (checksums: gzip CRC-32, zstd XXH64; brotli has none, but
        // this flip lands in its entropy-coded header area and breaks the stream)
        if alg != Compression::Br {
            for i in [packed.len() / 2, packed.len() - 5] {
                let mut bad = packed.clone();
                bad[i] ^= 0x55;
                assert!(
                    codecs.decompress(alg, &bad, &mut out, 1 << 20).is_err(),
                    "{alg} at {i}"
                );
                assert!(out.is_empty());
            }
        }
        let mut bad = packed.clone();
        bad[0] ^= 0xff;
        assert!(
            codecs.decompress(alg, &bad, &mut out, 1 << 20).is_err(),
            "{alg} header"
        );
    }
    #[cfg(feature = "gzip")]
    {
        let mut out = Vec::new();
        // shorter than a gzip header + trailer
        let err = codecs.decompress(Compression::Gzip, &[0x1f, 0x8b, 8, 0], &mut out, 100);
        assert_eq!(err, Err(DecompressError::Corrupt));
    }
}

/// RFC 1952 §2.2: a gzip stream is a series of members whose data is concatenated. Every
/// member is decoded, within the limit over all of them.
#[cfg(feature = "gzip")]
#[test]
fn gzip_members_are_all_decoded() {
    let mut codecs = Codecs::new();
    let gz = |codecs: &mut Codecs, parts: &[&[u8]]| {
        let mut out = Vec::new();
        for p in parts {
            codecs.compress(Compression::Gzip, p, &mut out).unwrap();
        }
        out
    };
    let big = data(300_000, true);
    let cases: Vec<Vec<&[u8]>> = vec![
        // Same lengths: the last ISIZE matches the first member's size.
        vec![b"abcdef", b"ghijkl"],
        vec![b"first member", b"second"],
        vec![b"", b"x", b""],
        vec![&big, b"tail"],
        vec![b"head", &big],
        vec![&big, &big, &big],
        vec![b"a"; 500],
    ];
    for parts in &cases {
        let packed = gz(&mut codecs, parts);
        let want = parts.concat();
        let mut out = b"keep".to_vec();
        codecs
            .decompress(Compression::Gzip, &packed, &mut out, want.len())
            .unwrap_or_else(|e| panic!("{} members: {e}", parts.len()));
        assert_eq!(&out[..4], b"keep");
        assert_eq!(out[4..], want[..], "{} members", parts.len());
        // One byte below the total: too large, output untouched.
        if !want.is_empty() {
            let mut out = b"keep".to_vec();
            assert_eq!(
                codecs.decompress(Compression::Gzip, &packed, &mut out, want.len() - 1),
                Err(DecompressError::TooLarge)
            );
            assert_eq!(out, b"keep");
        }
        // A truncated or corrupted second member is an error, not a shorter message.
        if parts.len() > 1 {
            let first = gz(&mut codecs, &parts[..1]).len();
            for cut in [first + 1, first + 10, packed.len() - 1] {
                if cut < packed.len() {
                    assert!(
                        codecs
                            .decompress(Compression::Gzip, &packed[..cut], &mut Vec::new(), 1 << 24)
                            .is_err(),
                        "cut at {cut}"
                    );
                }
            }
            let mut bad = packed.clone();
            bad[first + 4] ^= 0x40; // the second member's MTIME is not checked; its data is:
            let last = bad.len() - 6;
            bad[last] ^= 0x01; // the last member's CRC-32.
            assert!(
                codecs
                    .decompress(Compression::Gzip, &bad, &mut Vec::new(), 1 << 24)
                    .is_err()
            );
        }
    }
    // Garbage after a complete member.
    let mut packed = gz(&mut codecs, &[b"ok"]);
    packed.extend_from_slice(&[
        0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    assert_eq!(
        codecs.decompress(Compression::Gzip, &packed, &mut Vec::new(), 100),
        Err(DecompressError::Corrupt)
    );
    // Shorter than a gzip header + trailer.
    assert_eq!(
        codecs.decompress(Compression::Gzip, &[0x1f, 0x8b, 8, 0], &mut Vec::new(), 100),
        Err(DecompressError::Corrupt)
    );
}

/// A member claiming a huge size (ISIZE) is decoded into an output bounded by what its
/// input can expand to, never by the claim or the limit alone.
#[cfg(feature = "gzip")]
#[test]
fn lying_gzip_sizes_do_not_allocate_the_limit() {
    let mut codecs = Codecs::new();
    let mut packed = Vec::new();
    codecs
        .compress(Compression::Gzip, b"tiny", &mut packed)
        .unwrap();
    let n = packed.len();
    packed[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut out = Vec::new();
    assert_eq!(
        codecs.decompress(Compression::Gzip, &packed, &mut out, 64 << 20),
        Err(DecompressError::Corrupt)
    );
    assert!(out.capacity() <= packed.len() * 1032, "{}", out.capacity());
    // Claiming less than the truth: the output grows as the data needs.
    let big = data(100_000, true);
    let mut packed = Vec::new();
    codecs
        .compress(Compression::Gzip, &big, &mut packed)
        .unwrap();
    let n = packed.len();
    packed[n - 4..].copy_from_slice(&10u32.to_le_bytes());
    assert_eq!(
        codecs.decompress(Compression::Gzip, &packed, &mut Vec::new(), 1 << 20),
        Err(DecompressError::Corrupt),
        "libdeflate checks ISIZE against the data"
    );
}

/// A zstd frame (one raw block holding `body`) whose header declares `declared` bytes.
#[cfg(feature = "zstd")]
fn zstd_frame(body: &[u8], declared: u32) -> Vec<u8> {
    let mut f = 0xFD2F_B528u32.to_le_bytes().to_vec();
    // Single segment, 4-byte content size, no checksum, no dictionary.
    f.push(0b1010_0000);
    f.extend_from_slice(&declared.to_le_bytes());
    let header = 1 | (u32::try_from(body.len()).unwrap() << 3);
    f.extend_from_slice(&header.to_le_bytes()[..3]);
    f.extend_from_slice(body);
    f
}

/// A frame whose declared content size is within the limit but a lie: the output is sized
/// by what the input can be trusted with, not by the claim; honest frames decode exactly.
#[cfg(feature = "zstd")]
#[test]
fn lying_zstd_sizes_do_not_allocate_the_claim() {
    let mut codecs = Codecs::new();
    let body = data(100, false);
    let mut out = Vec::new();
    codecs
        .decompress(
            Compression::Zstd,
            &zstd_frame(&body, 100),
            &mut out,
            4 << 20,
        )
        .unwrap();
    assert_eq!(out, body);
    let lying = zstd_frame(&body, 4 << 20);
    let mut out = Vec::new();
    assert_eq!(
        codecs.decompress(Compression::Zstd, &lying, &mut out, 4 << 20),
        Err(DecompressError::Corrupt)
    );
    assert!(out.capacity() <= 64 << 10, "{}", out.capacity());
    // Above the limit it is refused before any decoding.
    assert_eq!(
        codecs.decompress(Compression::Zstd, &lying, &mut out, 1 << 20),
        Err(DecompressError::TooLarge)
    );
    // Highly compressible honest data beyond the trusted ratio still decodes, growing.
    let zeros = vec![0u8; 1 << 20];
    let mut packed = Vec::new();
    codecs
        .compress(Compression::Zstd, &zeros, &mut packed)
        .unwrap();
    assert!(packed.len() * 64 < zeros.len(), "{} bytes", packed.len());
    let mut out = Vec::new();
    codecs
        .decompress(Compression::Zstd, &packed, &mut out, 4 << 20)
        .unwrap();
    assert_eq!(out, zeros);
}

#[test]
fn unsupported_algorithms() {
    let mut codecs = Codecs::new();
    for c in [Compression::Gzip, Compression::Br, Compression::Zstd] {
        if c.is_available() {
            continue;
        }
        let mut out = Vec::new();
        assert_eq!(
            codecs.compress(c, b"x", &mut out),
            Err(CompressError::Unsupported)
        );
        assert_eq!(
            codecs.decompress(c, b"x", &mut out, 10),
            Err(DecompressError::Unsupported)
        );
        assert_eq!(
            DecompressError::Unsupported.server_code(),
            Code::Unimplemented
        );
    }
    assert_eq!(CompressError::Failed.code(), Code::Internal);
    assert_eq!(
        DecompressError::TooLarge.server_code(),
        Code::ResourceExhausted
    );
    assert_eq!(
        DecompressError::TooLarge.client_code(),
        Code::ResourceExhausted
    );
}

#[test]
fn identity_respects_the_limit() {
    let mut codecs = Codecs::new();
    let mut out = Vec::new();
    codecs
        .decompress(Compression::Identity, b"abc", &mut out, 3)
        .unwrap();
    assert_eq!(out, b"abc");
    assert_eq!(
        codecs.decompress(Compression::Identity, b"abcd", &mut out, 3),
        Err(DecompressError::TooLarge)
    );
    assert_eq!(out, b"abc");
}

#[cfg(feature = "zstd")]
#[test]
fn zstd_frames_without_content_size_and_concatenated() {
    use zstd::zstd_safe::{CCtx, CParameter};
    let input = data(200_000, true);
    let mut cctx = CCtx::create();
    cctx.set_parameter(CParameter::ContentSizeFlag(false))
        .unwrap();
    let mut frame = vec![0; zstd::zstd_safe::compress_bound(input.len())];
    let n = cctx.compress2(&mut frame[..], &input).unwrap();
    frame.truncate(n);
    let mut codecs = Codecs::new();
    let mut out = Vec::new();
    codecs
        .decompress(Compression::Zstd, &frame, &mut out, input.len())
        .unwrap();
    assert_eq!(out, input);
    out.clear();
    assert_eq!(
        codecs.decompress(Compression::Zstd, &frame, &mut out, input.len() - 1),
        Err(DecompressError::TooLarge)
    );
    // two frames in a row decode as their concatenation
    let mut two = frame.clone();
    two.extend_from_slice(&frame);
    codecs
        .decompress(Compression::Zstd, &two, &mut out, 2 * input.len())
        .unwrap();
    assert_eq!(out.len(), 2 * input.len());
    out.clear();
    assert_eq!(
        codecs.decompress(Compression::Zstd, &two, &mut out, 2 * input.len() - 1),
        Err(DecompressError::TooLarge)
    );
}

#[cfg(feature = "zstd")]
#[test]
fn zstd_window_above_the_maximum_is_refused() {
    use connect_wire::compression::ZSTD_WINDOW_LOG_MAX;
    use zstd::zstd_safe::{CCtx, CParameter};
    // A frame without content size whose header asks for a 2^25 window.
    let input = data(1 << 16, false);
    let mut cctx = CCtx::create();
    cctx.set_parameter(CParameter::ContentSizeFlag(false))
        .unwrap();
    cctx.set_parameter(CParameter::WindowLog(ZSTD_WINDOW_LOG_MAX + 2))
        .unwrap();
    let mut frame = Vec::new();
    {
        use std::io::Write;
        let mut enc = zstd::stream::write::Encoder::with_context(&mut frame, &mut cctx);
        enc.write_all(&input).unwrap();
        enc.finish().unwrap();
    }
    let mut codecs = Codecs::new();
    let mut out = Vec::new();
    let err = codecs
        .decompress(Compression::Zstd, &frame, &mut out, 1 << 30)
        .unwrap_err();
    assert_eq!(err, DecompressError::WindowTooLarge);
    assert_eq!(err.server_code(), Code::ResourceExhausted);
}
