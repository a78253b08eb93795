//! Envelope streams built from fuzzer-chosen frames (flags, payloads, length prefixes that
//! may lie, a garbage tail), fed whole and in fuzzer-chosen pieces to `EnvelopeDecoder` and
//! to `StreamReader` in both roles. Checked against a reference reading of the bytes: the
//! same frames in the same order however the bytes are split, `needed` exact once a prefix
//! is complete, the same final error, and each role's stream rules (end-stream message,
//! compression flag, data after the end, missing end) with their documented codes.
//!
//! Input layout: `u16` maximum payload length; frame count (`% 8`); per frame a flags byte
//! (bit 7 clear: `& 3`, a valid flag set; set: the byte as is), a lie byte (bit 7 set: the
//! prefix declares `actual ± (b & 0x3f)`, or `u32::MAX` when `b & 0x40`), a length byte and
//! that many payload bytes; a compression flag byte; split count (`% 5`) and that many `u16`
//! split points; the rest is a tail appended to the stream.
#![no_main]

use connect_fuzz::Input;
use connect_wire::Code;
use connect_wire::compression::Compression;
use connect_wire::envelope::{
    self, Decoded, EnvelopeDecoder, EnvelopeError, FLAG_COMPRESSED, FLAG_END_STREAM, PREFIX_LEN,
};
use connect_wire::stream::{Item, Role, StreamError, StreamReader};
use libfuzzer_sys::fuzz_target;

/// A frame as read: flags and payload.
type Frame = (u8, Vec<u8>);

/// How reading the whole stream ends.
#[derive(Clone, Debug, PartialEq, Eq)]
enum End {
    /// At a prefix boundary (maybe mid-prefix or mid-payload): the bytes left.
    Rest(Vec<u8>),
    /// A prefix the decoder refuses.
    Error(EnvelopeError),
}

/// The reference reading of `bytes` with maximum payload length `max`.
fn reference(bytes: &[u8], max: u32) -> (Vec<Frame>, End) {
    let mut frames = Vec::new();
    let mut at = 0;
    loop {
        let rest = &bytes[at..];
        if rest.len() < PREFIX_LEN {
            return (frames, End::Rest(rest.to_vec()));
        }
        let flags = rest[0];
        if flags & !(FLAG_COMPRESSED | FLAG_END_STREAM) != 0 {
            return (frames, End::Error(EnvelopeError::BadFlags(flags)));
        }
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]);
        if len > max {
            return (
                frames,
                End::Error(EnvelopeError::TooLarge {
                    len: u64::from(len),
                    max: u64::from(max),
                }),
            );
        }
        let end = PREFIX_LEN + len as usize;
        if rest.len() < end {
            return (frames, End::Rest(rest.to_vec()));
        }
        frames.push((flags, rest[PREFIX_LEN..end].to_vec()));
        at += end;
    }
}

/// Feeds `bytes` to an `EnvelopeDecoder` in the pieces `cuts` makes, as a driver would
/// (unconsumed bytes kept, new bytes appended); returns the frames and how it ended.
fn incremental(bytes: &[u8], cuts: &[usize], max: u32) -> (Vec<Frame>, End) {
    let decoder = EnvelopeDecoder::new(max as usize);
    let mut frames = Vec::new();
    let mut buf = Vec::new();
    let mut fed = 0;
    for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
        buf.extend_from_slice(&bytes[fed..cut]);
        fed = cut;
        loop {
            match decoder.decode(&buf) {
                Ok(Decoded::Frame(f)) => {
                    assert!(f.consumed() <= buf.len() && f.len() <= max as usize);
                    assert_eq!(f.payload.start, PREFIX_LEN);
                    assert_eq!(f.is_end_stream(), f.flags & FLAG_END_STREAM != 0);
                    assert_eq!(f.is_compressed(), f.flags & FLAG_COMPRESSED != 0);
                    frames.push((f.flags, f.payload_of(&buf).to_vec()));
                    buf.drain(..f.consumed());
                }
                Ok(Decoded::Incomplete { needed }) => {
                    assert!(needed > 0);
                    if buf.len() >= PREFIX_LEN {
                        let len = u32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]);
                        assert_eq!(buf.len() + needed, PREFIX_LEN + len as usize);
                    } else {
                        assert_eq!(buf.len() + needed, PREFIX_LEN);
                    }
                    break;
                }
                Err(e) => {
                    // The decoder is stateless: check_eof says the same.
                    assert_eq!(decoder.check_eof(&buf), Err(e));
                    return (frames, End::Error(e));
                }
            }
        }
    }
    match decoder.check_eof(&buf) {
        Ok(()) => assert!(buf.is_empty()),
        Err(EnvelopeError::Truncated { have, need }) => {
            assert_eq!(have, buf.len());
            assert!(need > have as u64);
        }
        Err(e) => panic!("check_eof after Incomplete gave {e:?}"),
    }
    (frames, End::Rest(buf))
}

/// What a `StreamReader` in `role` says of the stream, by the rules, given the reference
/// reading.
fn expected_stream(
    role: Role,
    compression: Compression,
    frames: &[Frame],
    end: &End,
) -> Result<usize, StreamError> {
    for (i, (flags, _)) in frames.iter().enumerate() {
        if flags & FLAG_COMPRESSED != 0 && compression == Compression::Identity {
            return Err(StreamError::CompressedWithoutEncoding);
        }
        if flags & FLAG_END_STREAM != 0 {
            if role == Role::Server {
                return Err(StreamError::EndStreamInRequest);
            }
            let after_is_empty = i + 1 == frames.len() && *end == End::Rest(Vec::new());
            return if after_is_empty {
                Ok(i + 1)
            } else {
                Err(StreamError::DataAfterEnd)
            };
        }
    }
    match end {
        End::Error(e) => Err(StreamError::Envelope(*e)),
        End::Rest(rest) if !rest.is_empty() => Err(StreamError::Envelope(
            EnvelopeDecoder::new(usize::MAX)
                .check_eof(rest)
                .expect_err("a partial envelope is truncated"),
        )),
        End::Rest(_) if role == Role::Client => Err(StreamError::MissingEndStream),
        End::Rest(_) => Ok(frames.len()),
    }
}

/// Runs a `StreamReader` over `bytes` fed in pieces; returns the items' payloads (flags as
/// the reader reports them) or the error.
fn read_stream(
    role: Role,
    compression: Compression,
    bytes: &[u8],
    cuts: &[usize],
    max: u32,
) -> Result<Vec<Frame>, StreamError> {
    let mut reader = StreamReader::new(role, compression, max as usize);
    let mut frames = Vec::new();
    let mut buf = Vec::new();
    let total = bytes.len();
    let mut pieces = cuts.iter().chain(std::iter::once(&total));
    let mut fed = 0;
    loop {
        let done = fed == bytes.len();
        if role == Role::Server && !reader.ended() {
            let peek = reader.peek_more(&buf);
            let decoded = EnvelopeDecoder::new(max as usize).decode(&buf);
            match peek {
                Ok(true) => assert!(buf.len() >= PREFIX_LEN && decoded.is_ok()),
                Ok(false) => assert!(buf.len() < PREFIX_LEN),
                Err(_) => assert!(decoded.is_err()),
            }
        }
        match reader.next(&buf, done)? {
            Item::Message {
                payload,
                compressed,
                consumed,
            } => {
                assert!(payload.end == consumed && consumed <= buf.len());
                frames.push((u8::from(compressed), buf[payload].to_vec()));
                buf.drain(..consumed);
            }
            Item::End {
                payload,
                compressed,
                consumed,
            } => {
                assert_eq!(role, Role::Client);
                assert!(reader.ended());
                let flags = FLAG_END_STREAM | u8::from(compressed);
                frames.push((flags, buf[payload].to_vec()));
                buf.drain(..consumed);
            }
            Item::NeedMore => {
                assert!(!done);
                let &cut = pieces.next().expect("more pieces while not done");
                buf.extend_from_slice(&bytes[fed..cut.max(fed)]);
                fed = fed.max(cut);
            }
            Item::Finished => {
                assert!(done && buf.is_empty());
                return Ok(frames);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let max = u32::from(input.u16());
    let mut bytes = Vec::new();
    for _ in 0..input.below(8) {
        let flag_byte = input.byte();
        let flags = if flag_byte & 0x80 == 0 {
            flag_byte & 3
        } else {
            flag_byte
        };
        let lie = input.byte();
        let payload = input.bytes();
        let actual = u32::try_from(payload.len()).expect("short payload");
        let declared = match lie {
            l if l & 0x80 == 0 => actual,
            l if l & 0x40 != 0 => u32::MAX,
            l if l & 0x20 != 0 => actual.saturating_sub(u32::from(l & 0x1f) + 1),
            l => actual + u32::from(l & 0x1f) + 1,
        };
        let start = bytes.len();
        bytes.extend_from_slice(&envelope::prefix(flags, declared));
        bytes.extend_from_slice(payload);
        if declared == actual {
            // The encoders agree with the prefix layout.
            let mut written = Vec::new();
            envelope::write(&mut written, flags, payload).expect("small payload");
            assert_eq!(written, bytes[start..]);
            let mut begun = Vec::new();
            let at = envelope::begin(&mut begun);
            begun.extend_from_slice(payload);
            envelope::finish(&mut begun, at, flags).expect("small payload");
            assert_eq!(begun, written);
        }
    }
    let compression = if input.flag() {
        Compression::Gzip
    } else {
        Compression::Identity
    };
    let split_count = input.below(5);
    let mut cut_values: Vec<u16> = (0..split_count).map(|_| input.u16()).collect();
    bytes.extend_from_slice(input.rest());
    cut_values.sort_unstable();
    let cuts: Vec<usize> = cut_values
        .iter()
        .map(|&c| usize::from(c).min(bytes.len()))
        .collect();

    let (frames, end) = reference(&bytes, max);
    assert_eq!(incremental(&bytes, &[], max), (frames.clone(), end.clone()));
    assert_eq!(
        incremental(&bytes, &cuts, max),
        (frames.clone(), end.clone())
    );

    for role in [Role::Server, Role::Client] {
        let got = read_stream(role, compression, &bytes, &cuts, max);
        let expected = expected_stream(role, compression, &frames, &end);
        match (&got, expected) {
            (Ok(items), Ok(n)) => {
                assert_eq!(items.len(), n);
                for (item, frame) in items.iter().zip(&frames) {
                    assert_eq!(item, frame);
                }
            }
            (Err(e), Err(want)) => {
                assert_eq!(*e, want);
                let code = e.code(role);
                let allowed: &[Code] = match (e, role) {
                    (StreamError::Envelope(EnvelopeError::TooLarge { .. }), _) => {
                        &[Code::ResourceExhausted]
                    }
                    (
                        StreamError::Envelope(EnvelopeError::Truncated { .. })
                        | StreamError::EndStreamInRequest,
                        Role::Server,
                    ) => &[Code::InvalidArgument],
                    _ => &[Code::Internal],
                };
                assert!(allowed.contains(&code), "{e:?} as {role:?} gave {code:?}");
                assert!(!e.into_connect(role).message().is_empty());
            }
            (got, want) => panic!("{role:?}: got {got:?}, expected {want:?}"),
        }
    }
});
