//! The chunked decoder over arbitrary input split at a fuzzer-chosen point: never a panic, the
//! body never larger than the input, and the same result however the input is split.
#![no_main]

use connect_wire::http1::{ChunkedDecoder, DecodeBody, Http1Error, Limits};
use libfuzzer_sys::fuzz_target;

/// Feeds `input` in two pieces (the unconsumed rest carried over); returns body, rest, done.
fn run(input: &[u8], split: usize, in_place: bool) -> Result<(Vec<u8>, Vec<u8>, bool), Http1Error> {
    let limits = Limits {
        max_body_size: 4096,
        max_trailer_size: 256,
        ..Limits::default()
    };
    let mut d = ChunkedDecoder::new(&limits);
    let (mut body, mut buf, mut fed) = (Vec::new(), Vec::new(), 0);
    for end in [split, input.len()] {
        buf.extend_from_slice(&input[fed..end]);
        fed = end;
        if in_place {
            let r = d.decode_in_place(&mut buf)?;
            assert!(r.data_len <= r.consumed && r.consumed <= buf.len());
            body.extend_from_slice(&buf[..r.data_len]);
            buf.drain(..r.consumed);
        } else {
            let n = d.decode_to_vec(&buf, &mut body)?;
            buf.drain(..n);
        }
        if d.is_done() {
            break;
        }
    }
    buf.extend_from_slice(&input[fed..]);
    assert!(body.len() <= input.len());
    assert_eq!(d.body_len(), body.len() as u64);
    Ok((body, buf, d.is_done()))
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let split = usize::from(first).min(input.len());
    let whole = run(input, 0, false);
    assert_eq!(run(input, split, true), whole);
    assert_eq!(run(input, split, false), whole);
});
