//! Envelope decoding at every split point, limits, flags, truncation; encoding.

use connect_wire::Code;
use connect_wire::envelope::{
    self, Decoded, EnvelopeDecoder, EnvelopeError, FLAG_COMPRESSED, FLAG_END_STREAM, PREFIX_LEN,
};

/// (flags, payload) of the test stream: empty messages, a compressed one, a larger one, and
/// the end-stream message.
fn messages() -> Vec<(u8, Vec<u8>)> {
    vec![
        (0, Vec::new()),
        (0, b"hello".to_vec()),
        (FLAG_COMPRESSED, vec![0xff; 3]),
        (0, Vec::new()),
        (0, (0..=255u8).cycle().take(1000).collect()),
        (FLAG_END_STREAM, b"{}".to_vec()),
    ]
}

fn encode_stream(msgs: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (flags, payload)) in msgs.iter().enumerate() {
        if i % 2 == 0 {
            envelope::write(&mut out, *flags, payload).unwrap();
        } else {
            let start = envelope::begin(&mut out);
            out.extend_from_slice(payload);
            envelope::finish(&mut out, start, *flags).unwrap();
        }
    }
    out
}

/// A receiver as a driver would write it: append chunks to a buffer, decode frames from the
/// unconsumed part, compact now and then.
struct Receiver {
    decoder: EnvelopeDecoder,
    buf: Vec<u8>,
    pos: usize,
    frames: Vec<(u8, Vec<u8>)>,
}

impl Receiver {
    fn new(max: usize) -> Self {
        Receiver {
            decoder: EnvelopeDecoder::new(max),
            buf: Vec::new(),
            pos: 0,
            frames: Vec::new(),
        }
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), EnvelopeError> {
        self.buf.extend_from_slice(chunk);
        loop {
            let rest = &self.buf[self.pos..];
            match self.decoder.decode(rest)? {
                Decoded::Frame(frame) => {
                    self.frames
                        .push((frame.flags, frame.payload_of(rest).to_vec()));
                    assert_eq!(frame.payload_of(rest).len(), frame.len());
                    self.pos += frame.consumed();
                }
                Decoded::Incomplete { needed } => {
                    assert!(needed > 0);
                    break;
                }
            }
        }
        if self.pos > 64 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        Ok(())
    }

    fn eof(&self) -> Result<(), EnvelopeError> {
        self.decoder.check_eof(&self.buf[self.pos..])
    }
}

#[test]
fn every_single_split_point() {
    let msgs = messages();
    let stream = encode_stream(&msgs);
    for split in 0..=stream.len() {
        let mut r = Receiver::new(4096);
        r.feed(&stream[..split]).unwrap();
        r.feed(&stream[split..]).unwrap();
        r.eof().unwrap();
        assert_eq!(r.frames, msgs, "split at {split}");
    }
}

#[test]
fn every_pair_of_split_points() {
    let msgs = messages();
    let stream = encode_stream(&msgs[..4]);
    for a in 0..=stream.len() {
        for b in a..=stream.len() {
            let mut r = Receiver::new(4096);
            r.feed(&stream[..a]).unwrap();
            r.feed(&stream[a..b]).unwrap();
            r.feed(&stream[b..]).unwrap();
            r.eof().unwrap();
            assert_eq!(r.frames, msgs[..4], "split at {a}, {b}");
        }
    }
}

#[test]
fn byte_by_byte() {
    let msgs = messages();
    let stream = encode_stream(&msgs);
    let mut r = Receiver::new(4096);
    for b in &stream {
        r.feed(std::slice::from_ref(b)).unwrap();
    }
    r.eof().unwrap();
    assert_eq!(r.frames, msgs);
}

#[test]
fn needed_is_exact_once_the_prefix_is_complete() {
    let d = EnvelopeDecoder::new(100);
    let mut buf = Vec::new();
    envelope::write(&mut buf, 0, &[7; 10]).unwrap();
    for n in 0..buf.len() {
        let expected = if n < PREFIX_LEN {
            PREFIX_LEN - n
        } else {
            buf.len() - n
        };
        assert_eq!(
            d.decode(&buf[..n]).unwrap(),
            Decoded::Incomplete { needed: expected }
        );
    }
    let Decoded::Frame(frame) = d.decode(&buf).unwrap() else {
        panic!()
    };
    assert_eq!(frame.payload, 5..15);
    assert!(!frame.is_compressed() && !frame.is_end_stream() && !frame.is_empty());
}

#[test]
fn oversize_fails_as_soon_as_the_prefix_is_there() {
    let d = EnvelopeDecoder::new(1024);
    // 4 GiB - 1 declared, nothing of the payload present
    let prefix = envelope::prefix(0, u32::MAX);
    for n in 0..PREFIX_LEN {
        assert!(matches!(
            d.decode(&prefix[..n]),
            Ok(Decoded::Incomplete { .. })
        ));
    }
    let err = d.decode(&prefix).unwrap_err();
    assert_eq!(
        err,
        EnvelopeError::TooLarge {
            len: u64::from(u32::MAX),
            max: 1024
        }
    );
    assert_eq!(err.server_code(), Code::ResourceExhausted);
    assert_eq!(err.client_code(), Code::ResourceExhausted);
    // exactly at the limit is fine, one more is not
    let mut at = Vec::new();
    envelope::write(&mut at, 0, &[0; 1024]).unwrap();
    assert!(matches!(d.decode(&at), Ok(Decoded::Frame(_))));
    assert!(matches!(
        d.decode(&envelope::prefix(0, 1025)),
        Err(EnvelopeError::TooLarge { .. })
    ));
    // also at end of input
    assert!(matches!(
        d.check_eof(&prefix),
        Err(EnvelopeError::TooLarge { .. })
    ));
    // no limit
    let unlimited = EnvelopeDecoder::new(usize::MAX);
    assert_eq!(unlimited.max_len(), u32::MAX as usize);
    assert_eq!(
        unlimited.decode(&prefix).unwrap(),
        Decoded::Incomplete {
            needed: u32::MAX as usize
        }
    );
}

#[test]
fn bad_flags() {
    let d = EnvelopeDecoder::new(10);
    for flags in 0..=255u8 {
        let buf = envelope::prefix(flags, 0);
        let r = d.decode(&buf);
        if flags & !3 == 0 {
            let Ok(Decoded::Frame(f)) = r else {
                panic!("{flags}")
            };
            assert_eq!(f.flags, flags);
            assert_eq!(f.is_compressed(), flags & 1 != 0);
            assert_eq!(f.is_end_stream(), flags & 2 != 0);
            assert!(f.is_empty());
        } else {
            assert_eq!(r, Err(EnvelopeError::BadFlags(flags)));
        }
    }
    assert_eq!(EnvelopeError::BadFlags(4).server_code(), Code::Internal);
    assert_eq!(EnvelopeError::BadFlags(4).client_code(), Code::Internal);
}

#[test]
fn truncation_is_detected_at_eof() {
    let msgs = messages();
    let stream = encode_stream(&msgs);
    // Every cut that is not at an envelope boundary leaves a truncated envelope.
    let mut boundaries = vec![0];
    for (_, payload) in &msgs {
        boundaries.push(boundaries.last().unwrap() + PREFIX_LEN + payload.len());
    }
    for cut in 0..=stream.len() {
        let mut r = Receiver::new(4096);
        r.feed(&stream[..cut]).unwrap();
        let eof = r.eof();
        if boundaries.contains(&cut) {
            assert_eq!(eof, Ok(()), "cut at {cut}");
        } else {
            let err = eof.unwrap_err();
            assert!(
                matches!(err, EnvelopeError::Truncated { .. }),
                "cut at {cut}"
            );
            assert_eq!(err.client_code(), Code::Internal);
            assert_eq!(err.server_code(), Code::InvalidArgument);
        }
    }
    // The conformance case: an empty message, then 3 bytes of a prefix.
    let d = EnvelopeDecoder::new(100);
    let body = [0u8, 0, 0, 0, 0, 0, 0, 0];
    let Decoded::Frame(f) = d.decode(&body).unwrap() else {
        panic!()
    };
    assert_eq!(
        d.check_eof(&body[f.consumed()..]),
        Err(EnvelopeError::Truncated { have: 3, need: 5 })
    );
    // A prefix promising 10 bytes with 4 present.
    let mut body = envelope::prefix(0, 10).to_vec();
    body.extend_from_slice(b"AAAA");
    assert_eq!(
        d.check_eof(&body),
        Err(EnvelopeError::Truncated { have: 9, need: 15 })
    );
}

#[test]
fn encoder_writes_directly_into_output() {
    let mut out = b"head".to_vec();
    let start = envelope::begin(&mut out);
    assert_eq!(start.offset(), 4);
    out.extend_from_slice(b"payload");
    envelope::finish(&mut out, start, FLAG_COMPRESSED | FLAG_END_STREAM).unwrap();
    assert_eq!(out, b"head\x03\x00\x00\x00\x07payload");
    let start = envelope::begin(&mut out);
    envelope::finish(&mut out, start, 0).unwrap();
    assert_eq!(&out[out.len() - 5..], &[0, 0, 0, 0, 0]);
    let mut w = Vec::new();
    envelope::write(&mut w, FLAG_END_STREAM, b"{}").unwrap();
    assert_eq!(w, b"\x02\x00\x00\x00\x02{}");
}

#[test]
fn error_messages() {
    assert_eq!(
        EnvelopeError::TooLarge { len: 5, max: 4 }.to_string(),
        "message size 5 exceeds the maximum of 4 bytes"
    );
    assert_eq!(
        EnvelopeError::BadFlags(0x80).to_string(),
        "protocol error: invalid envelope flags 0x80"
    );
}
