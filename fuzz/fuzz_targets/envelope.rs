//! Envelope decoding over arbitrary input: every frame must lie inside the input.
#![no_main]

use connect_wire::envelope::{Decoded, EnvelopeDecoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoder = EnvelopeDecoder::new(1 << 16);
    let mut rest = data;
    while let Ok(Decoded::Frame(frame)) = decoder.decode(rest) {
        assert_eq!(frame.payload_of(rest).len(), frame.len());
        rest = &rest[frame.consumed()..];
    }
    let _ = decoder.check_eof(rest);
});
