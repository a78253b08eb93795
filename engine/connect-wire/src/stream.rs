//! Streaming responses over HTTP/1.1: status 200, chunked transfer coding, one envelope per
//! chunk, and a final end-stream envelope carrying the error and trailers as JSON.

use http::HeaderMap;

use crate::codec::Codec;
use crate::compression::Compression;
use crate::envelope::{FLAG_COMPRESSED, FLAG_END_STREAM, PREFIX_LEN};
use crate::error::{ConnectError, write_end_stream};
use crate::headers::STREAM_CONTENT_ENCODING;
use crate::unary::write_metadata;

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Width of the chunk-size field we reserve: 8 hex digits (chunks up to 4 GiB - 1). Leading
/// zeros are allowed by RFC 9112 §7.1.
const CHUNK_HEX: usize = 8;
/// Bytes reserved before an envelope: the chunk-size line.
const CHUNK_HEADER: usize = CHUNK_HEX + 2;

/// Writes the head of a streaming response (chunked).
pub fn write_stream_head(
    out: &mut Vec<u8>,
    codec: Codec,
    compression: Compression,
    headers: &HeaderMap,
    close: bool,
) {
    out.extend_from_slice(b"HTTP/1.1 200 OK\r\ncontent-type: ");
    out.extend_from_slice(codec.stream_content_type().as_bytes());
    out.extend_from_slice(b"\r\n");
    if compression != Compression::Identity {
        out.extend_from_slice(STREAM_CONTENT_ENCODING.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(compression.name().as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    write_metadata(out, headers, "");
    out.extend_from_slice(b"transfer-encoding: chunked\r\n");
    if close {
        out.extend_from_slice(b"connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// Where a message written by [`begin_message`] starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageStart(usize);

impl MessageStart {
    /// Offset of the message's first byte (its chunk-size line); truncate here to undo it.
    #[must_use]
    pub fn offset(self) -> usize {
        self.0
    }
}

/// Reserves a chunk-size line and an envelope prefix; write the payload after this, then call
/// [`finish_message`].
pub fn begin_message(out: &mut Vec<u8>) -> MessageStart {
    let start = out.len();
    out.extend_from_slice(&[0; CHUNK_HEADER + PREFIX_LEN]);
    MessageStart(start)
}

/// Offset where the payload of a message begun at `start` begins.
#[must_use]
pub fn payload_offset(start: MessageStart) -> usize {
    start.0 + CHUNK_HEADER + PREFIX_LEN
}

/// Patches the chunk size and envelope prefix of the message begun at `start` (whose payload
/// runs to the end of `out`) and closes the chunk. Fails if the payload exceeds 4 GiB - 6.
pub fn finish_message(out: &mut Vec<u8>, start: MessageStart, flags: u8) -> Result<(), TooLarge> {
    let payload_len = out.len() - payload_offset(start);
    let envelope_len = payload_len + PREFIX_LEN;
    let (Ok(payload32), Ok(chunk32)) = (u32::try_from(payload_len), u32::try_from(envelope_len))
    else {
        out.truncate(start.0);
        return Err(TooLarge);
    };
    let head = &mut out[start.0..start.0 + CHUNK_HEADER + PREFIX_LEN];
    for (i, slot) in head[..CHUNK_HEX].iter_mut().enumerate() {
        *slot = HEX[((chunk32 >> (4 * (CHUNK_HEX - 1 - i))) & 0xf) as usize];
    }
    head[CHUNK_HEX] = b'\r';
    head[CHUNK_HEX + 1] = b'\n';
    head[CHUNK_HEADER] = flags;
    head[CHUNK_HEADER + 1..].copy_from_slice(&payload32.to_be_bytes());
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// A message too large for one envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLarge;

/// Writes the end-stream envelope (with `error` and `trailers`) as the last data chunk, then
/// the terminating zero-length chunk. The end-stream JSON is not compressed.
pub fn write_end(out: &mut Vec<u8>, error: Option<&ConnectError>, trailers: &HeaderMap) {
    let start = begin_message(out);
    write_end_stream(error, trailers, out);
    // The end-stream JSON is small; it can never exceed the envelope limit.
    let _ = finish_message(out, start, FLAG_END_STREAM);
    out.extend_from_slice(b"0\r\n\r\n");
}

/// Flags of a data message with the given compression.
#[must_use]
pub fn message_flags(compression: Compression) -> u8 {
    if compression == Compression::Identity {
        0
    } else {
        FLAG_COMPRESSED
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Code;
    use crate::envelope::{Decoded, EnvelopeDecoder};
    use crate::http1::{BodyDecoder, BodyFraming, DecodeBody, Limits};

    #[test]
    fn messages_are_chunks_of_envelopes() {
        let mut out = Vec::new();
        for payload in [&b"hello"[..], b"", b"x"] {
            let s = begin_message(&mut out);
            out.extend_from_slice(payload);
            finish_message(&mut out, s, 0).unwrap();
        }
        write_end(
            &mut out,
            Some(&ConnectError::new(Code::Internal, "boom")),
            &HeaderMap::new(),
        );
        // Undo the chunking with the HTTP/1.1 decoder, then read the envelopes back.
        let mut body = BodyDecoder::new(BodyFraming::Chunked, &Limits::default()).unwrap();
        let d = body.decode_in_place(&mut out).unwrap();
        assert!(d.done);
        let data = &out[..d.data_len];
        let dec = EnvelopeDecoder::new(1 << 20);
        let mut rest = data;
        let mut frames = Vec::new();
        while let Ok(Decoded::Frame(f)) = dec.decode(rest) {
            frames.push((f.flags, f.payload_of(rest).to_vec()));
            rest = &rest[f.consumed()..];
        }
        assert!(rest.is_empty());
        assert_eq!(frames[0], (0, b"hello".to_vec()));
        assert_eq!(frames[1], (0, Vec::new()));
        assert_eq!(frames[2], (0, b"x".to_vec()));
        assert_eq!(frames[3].0, FLAG_END_STREAM);
        assert_eq!(
            frames[3].1,
            br#"{"error":{"code":"internal","message":"boom"}}"#
        );
    }
}
