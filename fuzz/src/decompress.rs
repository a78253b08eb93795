//! The structure-aware decompression target shared by `decompress_gzip`, `decompress_zstd`
//! and `decompress_br`: a payload is compressed with the real compressor (one or more
//! members/frames), then mutated in ways aimed at our limit logic rather than at the C
//! decoders' parsers (lying gzip ISIZE trailers and zstd frame content sizes, truncation,
//! duplicated members, short trailing garbage, flipped and inserted bytes), and decompressed
//! with a fuzzer-chosen limit through one reused [`Codecs`] (as a core does, errors
//! included).
//!
//! Input layout (read with [`Input`]; see `fuzz/seeds/generate.py`):
//!
//! | bytes | meaning |
//! |---|---|
//! | 1 | limit mode: `% 4` = 0 the `u16` below, 1 exactly the payload size, 2 the size minus `1 + u16 % 16`, 3 the size plus `u16 % 16` |
//! | 2 | `u16` limit value |
//! | 1 | compression level (per algorithm range) |
//! | 1 | members: `1 + b % 4` (the payload is split evenly across them) |
//! | 1 | repetition: the payload is repeated `2^(b % 12)` times (capped at 128 KiB) |
//! | 1 | mutations: `b % 5` of them follow, 4 bytes each: kind, `u16` position, value |
//! | rest | the payload |
//!
//! Properties checked:
//! * on success the output is at most the limit, appended after what `out` held; on error
//!   `out` is exactly as it was;
//! * when the compressed bytes are known to decode to `expected` (no mutation, or only
//!   truncations at member boundaries and duplicated members): `Ok(expected)` if it fits the
//!   limit, else [`DecompressError::TooLarge`];
//! * a single lie (ISIZE, frame content size), a truncation inside a member or 1–7 bytes of
//!   trailing garbage is always an error; so is a second brotli stream;
//! * after any error the same `Codecs` still decodes a known-good input.

use std::cell::RefCell;

use connect_wire::compression::{Codecs, Compression, DecompressError, Levels};

use crate::Input;

/// Largest payload after repetition.
const MAX_TOTAL: usize = 128 * 1024;

/// What `out` holds before each call: output must be appended after it.
const PREFIX: &[u8] = b"prefix";

thread_local! {
    /// The decompressor state, reused across runs like a core's.
    static CODECS: RefCell<Codecs> = RefCell::new(Codecs::new());
    /// One compressor per level (index), created on first use.
    static COMPRESSORS: RefCell<Vec<Option<Codecs>>> = const { RefCell::new(Vec::new()) };
}

/// A mutation applied to the compressed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mutation {
    /// Xor a byte with a non-zero value.
    Flip,
    /// Cut the input at a position.
    Truncate,
    /// Rewrite a member's declared size (gzip ISIZE, zstd frame content size).
    Lie,
    /// Insert a byte.
    Insert,
    /// Append a copy of a member.
    Duplicate,
    /// Append 1–7 garbage bytes.
    Garbage,
}

impl Mutation {
    fn from_byte(b: u8) -> Mutation {
        match b % 6 {
            0 => Mutation::Flip,
            1 => Mutation::Truncate,
            2 => Mutation::Lie,
            3 => Mutation::Insert,
            4 => Mutation::Duplicate,
            _ => Mutation::Garbage,
        }
    }
}

/// The compressed stream being mutated: bytes, member boundaries and what it decodes to.
struct Stream {
    bytes: Vec<u8>,
    /// `(start, end, decoded)` of each member, in order, while the layout is known.
    members: Vec<(usize, usize, Vec<u8>)>,
    /// What the bytes decode to, while known.
    expected: Option<Vec<u8>>,
}

impl Stream {
    fn recompute_expected(&mut self) {
        self.expected = Some(self.members.iter().flat_map(|m| m.2.clone()).collect());
    }

    /// The layout is no longer known.
    fn forget(&mut self) {
        self.members.clear();
        self.expected = None;
    }
}

fn level_index(alg: Compression, b: u8) -> (usize, Levels) {
    let mut levels = Levels::default();
    let i = match alg {
        Compression::Gzip => {
            levels.gzip = 1 + b % 12;
            usize::from(levels.gzip)
        }
        Compression::Br => {
            // Quality 10 and 11 are far too slow for a fuzz loop.
            levels.br = b % 10;
            usize::from(levels.br)
        }
        _ => {
            levels.zstd = i32::from(b % 12) - 2;
            usize::from(b % 12)
        }
    };
    (i, levels)
}

fn compress(alg: Compression, level_byte: u8, data: &[u8], out: &mut Vec<u8>) {
    let (i, levels) = level_index(alg, level_byte);
    COMPRESSORS.with_borrow_mut(|all| {
        if all.len() <= i {
            all.resize_with(i + 1, || None);
        }
        all[i]
            .get_or_insert_with(|| Codecs::with_levels(levels))
            .compress(alg, data, out)
            .expect("compression of an in-memory payload succeeds");
    });
}

/// Where a zstd frame header starting at `frame` keeps its content size: `(offset, width)`;
/// `None` when the frame has no content size field.
fn zstd_fcs_field(bytes: &[u8], frame: usize) -> Option<(usize, usize)> {
    let fhd = *bytes.get(frame + 4)?;
    let single_segment = fhd & 0x20 != 0;
    let dict_id_len = [0, 1, 2, 4][usize::from(fhd & 3)];
    let width = match fhd >> 6 {
        0 if single_segment => 1,
        0 => return None,
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let at = frame + 5 + usize::from(!single_segment) + dict_id_len;
    (at + width <= bytes.len()).then_some((at, width))
}

/// Rewrites a zstd content size field with `value`; false if it cannot hold it.
fn write_zstd_fcs(bytes: &mut [u8], at: usize, width: usize, value: u64) -> bool {
    let field = &mut bytes[at..at + width];
    match width {
        1 => match u8::try_from(value) {
            Ok(v) => field[0] = v,
            Err(_) => return false,
        },
        // The 2-byte form stores the size minus 256.
        2 => match value.checked_sub(256).and_then(|v| u16::try_from(v).ok()) {
            Some(v) => field.copy_from_slice(&v.to_le_bytes()),
            None => return false,
        },
        4 => match u32::try_from(value) {
            Ok(v) => field.copy_from_slice(&v.to_le_bytes()),
            Err(_) => return false,
        },
        _ => field.copy_from_slice(&value.to_le_bytes()),
    }
    true
}

/// A size that differs from `truth` by a fuzzer-chosen amount (never 0).
fn lie_about(truth: u64, value: u8) -> u64 {
    let delta = u64::from(value % 128) + 1;
    if value & 0x80 != 0 && truth >= delta {
        truth - delta
    } else if value & 0x40 != 0 {
        // A large lie: a decompression bomb's claim.
        truth.wrapping_add(delta << 24) & 0xffff_ffff
    } else {
        truth + delta
    }
}

/// What one mutation (when it is the only one) certainly does to the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// Nothing certain (or the expected output is still known).
    Unknown,
    /// The input is invalid: some error.
    Fails,
    /// The first zstd frame claims more than the limit: refused before decoding.
    TooLarge,
}

/// Applies one mutation; says what it certainly does (when it is the only one).
fn mutate(
    alg: Compression,
    s: &mut Stream,
    (kind, pos, value): (Mutation, u16, u8),
    limit: usize,
) -> Verdict {
    let len = s.bytes.len();
    let pos = usize::from(pos);
    match kind {
        Mutation::Flip => {
            if len > 0 {
                s.bytes[pos % len] ^= value | 1;
                s.forget();
            }
            Verdict::Unknown
        }
        Mutation::Insert => {
            s.bytes.insert(pos % (len + 1), value);
            s.forget();
            Verdict::Unknown
        }
        Mutation::Truncate => {
            if len == 0 {
                return Verdict::Unknown;
            }
            let at = pos % len;
            s.bytes.truncate(at);
            if s.members.is_empty() {
                s.expected = None;
                return Verdict::Unknown;
            }
            let kept = s.members.iter().take_while(|m| m.1 <= at).count();
            if s.members.get(kept).is_some_and(|m| m.0 == at) || kept == s.members.len() {
                // Cut at a member boundary: the members before it remain.
                s.members.truncate(kept);
                s.recompute_expected();
                Verdict::Unknown
            } else {
                s.forget();
                Verdict::Fails
            }
        }
        Mutation::Duplicate => {
            if s.members.is_empty() {
                return Verdict::Unknown;
            }
            let (start, end, decoded) = s.members[pos % s.members.len()].clone();
            let at = s.bytes.len();
            s.bytes.extend_from_within(start..end);
            if alg == Compression::Br {
                // A second brotli stream is trailing garbage.
                s.forget();
                return Verdict::Fails;
            }
            s.members.push((at, at + end - start, decoded));
            s.recompute_expected();
            Verdict::Unknown
        }
        Mutation::Garbage => {
            let n = 1 + value % 7;
            s.bytes.extend((0..n).map(|i| value.wrapping_add(i)));
            s.forget();
            Verdict::Fails
        }
        Mutation::Lie => {
            if s.members.is_empty() {
                return Verdict::Unknown;
            }
            let index = pos % s.members.len();
            let (start, end, ref decoded) = s.members[index];
            let truth = decoded.len() as u64;
            let lie = lie_about(truth, value);
            let verdict = match alg {
                Compression::Gzip => {
                    // ISIZE: the last 4 bytes of the member, the size mod 2^32 (checked by
                    // libdeflate).
                    let isize = u32::try_from(lie & 0xffff_ffff).unwrap_or(0);
                    s.bytes[end - 4..end].copy_from_slice(&isize.to_le_bytes());
                    Verdict::Fails
                }
                Compression::Zstd => match zstd_fcs_field(&s.bytes, start) {
                    Some((at, width)) if write_zstd_fcs(&mut s.bytes, at, width, lie) => {
                        if index == 0 && lie > limit as u64 {
                            Verdict::TooLarge
                        } else if truth > 0 {
                            Verdict::Fails
                        } else {
                            // libzstd does not compare an empty frame (a lone empty last
                            // block) with its declared size: a harmless leniency.
                            Verdict::Unknown
                        }
                    }
                    _ => return Verdict::Unknown,
                },
                // Brotli streams declare no size.
                _ => return Verdict::Unknown,
            };
            s.forget();
            verdict
        }
    }
}

/// A fixed known-good input for the reuse check, compressed once per algorithm.
fn known_good(alg: Compression) -> Vec<u8> {
    let mut out = Vec::new();
    compress(alg, 0, b"known good message", &mut out);
    out
}

/// Runs one case of the target for `alg` over the fuzzer's `data`.
///
/// # Panics
///
/// When a property fails (that is the point).
pub fn run(alg: Compression, data: &[u8]) {
    let mut input = Input::new(data);
    let limit_mode = input.byte() % 4;
    let limit_value = input.u16();
    let level = input.byte();
    let member_count = 1 + input.below(4);
    // Concatenated brotli streams are trailing garbage: one stream (see `Duplicate`).
    let member_count = if alg == Compression::Br {
        1
    } else {
        member_count
    };
    let repeat = 1usize << (input.byte() % 12);
    let mutation_count = input.below(5);
    let mutations: Vec<(Mutation, u16, u8)> = (0..mutation_count)
        .map(|_| (Mutation::from_byte(input.byte()), input.u16(), input.byte()))
        .collect();
    let base = input.rest();
    let total = (base.len() * repeat).min(MAX_TOTAL);
    let payload: Vec<u8> = base.iter().copied().cycle().take(total).collect();
    let limit = match limit_mode {
        0 => usize::from(limit_value),
        1 => total,
        2 => total.saturating_sub(1 + usize::from(limit_value % 16)),
        _ => total + usize::from(limit_value % 16),
    };

    // Compress each member; remember where each lies.
    let mut s = Stream {
        bytes: Vec::new(),
        members: Vec::new(),
        expected: None,
    };
    for i in 0..member_count {
        let part = &payload[i * total / member_count..(i + 1) * total / member_count];
        let start = s.bytes.len();
        compress(alg, level, part, &mut s.bytes);
        if alg == Compression::Zstd {
            assert_eq!(s.bytes[start..start + 4], [0x28, 0xb5, 0x2f, 0xfd]);
        }
        s.members.push((start, s.bytes.len(), part.to_vec()));
    }
    s.recompute_expected();
    let mut verdict = Verdict::Unknown;
    for &m in &mutations {
        verdict = mutate(alg, &mut s, m, limit);
    }
    if mutations.len() > 1 {
        verdict = Verdict::Unknown;
    }

    CODECS.with_borrow_mut(|codecs| {
        let mut out = PREFIX.to_vec();
        let result = codecs.decompress(alg, &s.bytes, &mut out, limit);
        match &result {
            Ok(()) => {
                assert!(out.starts_with(PREFIX), "output replaced what out held");
                assert!(out.len() - PREFIX.len() <= limit, "output over the limit");
            }
            Err(_) => assert_eq!(out, PREFIX, "a failed call changed the output"),
        }
        if s.bytes.is_empty() {
            assert_eq!(result, Ok(()), "an empty input is an empty message");
            assert_eq!(out, PREFIX);
        } else if let Some(expected) = &s.expected {
            if expected.len() <= limit {
                assert_eq!(result, Ok(()), "a valid stream within the limit decodes");
                assert!(out[PREFIX.len()..] == expected[..], "decoded bytes differ");
            } else {
                assert_eq!(result, Err(DecompressError::TooLarge));
            }
        }
        match verdict {
            Verdict::Unknown => {}
            Verdict::Fails => assert!(result.is_err(), "an invalid stream decoded: {mutations:?}"),
            Verdict::TooLarge => assert_eq!(result, Err(DecompressError::TooLarge)),
        }
        if result.is_err() {
            let mut again = Vec::new();
            codecs
                .decompress(alg, &known_good(alg), &mut again, 1024)
                .expect("codecs stay usable after an error");
            assert_eq!(again, b"known good message");
        }
    });
}
