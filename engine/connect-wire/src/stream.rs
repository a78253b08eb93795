//! Streaming responses over HTTP/1.1: status 200, chunked transfer coding, one envelope per
//! chunk, and a final end-stream envelope carrying the error and trailers as JSON.
//!
//! An HTTP/1.0 peer cannot take chunked coding (RFC 9112 §6.1: a server MUST NOT send
//! `Transfer-Encoding` unless the request is HTTP/1.1 or later), so its streams are written
//! [`Framing::Raw`]: bare envelopes, the body delimited by closing the connection.

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

/// How the envelopes of a streaming body are framed on the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Framing {
    /// One chunk per envelope, ended by the last chunk (HTTP/1.1).
    #[default]
    Chunked,
    /// Bare envelopes, ended by closing the connection (HTTP/1.0 peers).
    Raw,
}

impl Framing {
    /// The framing for a response to a request of HTTP/1.`minor`.
    #[must_use]
    pub fn for_minor_version(minor: u8) -> Framing {
        if minor == 0 {
            Framing::Raw
        } else {
            Framing::Chunked
        }
    }

    fn reserved(self) -> usize {
        match self {
            Framing::Chunked => CHUNK_HEADER,
            Framing::Raw => 0,
        }
    }
}

/// Writes the head of a streaming response (chunked; or, with [`Framing::Raw`], delimited by
/// closing the connection, which the head then says).
pub fn write_stream_head(
    out: &mut Vec<u8>,
    codec: Codec,
    compression: Compression,
    headers: &HeaderMap,
    close: bool,
    framing: Framing,
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
    match framing {
        Framing::Chunked => {
            out.extend_from_slice(b"transfer-encoding: chunked\r\n");
            if close {
                out.extend_from_slice(b"connection: close\r\n");
            }
        }
        Framing::Raw => out.extend_from_slice(b"connection: close\r\n"),
    }
    out.extend_from_slice(b"\r\n");
}

/// Where a message written by [`begin_message`] starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageStart {
    offset: usize,
    framing: Framing,
}

impl MessageStart {
    /// Offset of the message's first byte (its chunk-size line); truncate here to undo it.
    #[must_use]
    pub fn offset(self) -> usize {
        self.offset
    }
}

/// Reserves a chunk-size line (when chunked) and an envelope prefix; write the payload after
/// this, then call [`finish_message`].
pub fn begin_message(out: &mut Vec<u8>, framing: Framing) -> MessageStart {
    let offset = out.len();
    out.resize(offset + framing.reserved() + PREFIX_LEN, 0);
    MessageStart { offset, framing }
}

/// Offset where the payload of a message begun at `start` begins.
#[must_use]
pub fn payload_offset(start: MessageStart) -> usize {
    start.offset + start.framing.reserved() + PREFIX_LEN
}

/// Patches the chunk size and envelope prefix of the message begun at `start` (whose payload
/// runs to the end of `out`) and closes the chunk. Fails if the payload exceeds 4 GiB - 6.
pub fn finish_message(out: &mut Vec<u8>, start: MessageStart, flags: u8) -> Result<(), TooLarge> {
    let payload_len = out.len() - payload_offset(start);
    let envelope_len = payload_len + PREFIX_LEN;
    let (Ok(payload32), Ok(chunk32)) = (u32::try_from(payload_len), u32::try_from(envelope_len))
    else {
        out.truncate(start.offset);
        return Err(TooLarge);
    };
    let reserved = start.framing.reserved();
    let head = &mut out[start.offset..start.offset + reserved + PREFIX_LEN];
    if start.framing == Framing::Chunked {
        for (i, slot) in head[..CHUNK_HEX].iter_mut().enumerate() {
            *slot = HEX[((chunk32 >> (4 * (CHUNK_HEX - 1 - i))) & 0xf) as usize];
        }
        head[CHUNK_HEX] = b'\r';
        head[CHUNK_HEX + 1] = b'\n';
    }
    head[reserved] = flags;
    head[reserved + 1..].copy_from_slice(&payload32.to_be_bytes());
    if start.framing == Framing::Chunked {
        out.extend_from_slice(b"\r\n");
    }
    Ok(())
}

/// A message too large for one envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLarge;

/// Writes the end-stream envelope (with `error` and `trailers`) as the last data chunk, then
/// the terminating zero-length chunk (nothing more with [`Framing::Raw`]: closing the
/// connection ends the body). The end-stream JSON is not compressed.
pub fn write_end(
    out: &mut Vec<u8>,
    framing: Framing,
    error: Option<&ConnectError>,
    trailers: &HeaderMap,
) {
    let start = begin_message(out, framing);
    write_end_stream(error, trailers, out);
    // The end-stream JSON is small; it can never exceed the envelope limit.
    let _ = finish_message(out, start, FLAG_END_STREAM);
    if framing == Framing::Chunked {
        out.extend_from_slice(b"0\r\n\r\n");
    }
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
            let s = begin_message(&mut out, Framing::Chunked);
            out.extend_from_slice(payload);
            finish_message(&mut out, s, 0).unwrap();
        }
        write_end(
            &mut out,
            Framing::Chunked,
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

    #[test]
    fn raw_framing_is_bare_envelopes() {
        let mut out = Vec::new();
        write_stream_head(
            &mut out,
            Codec::Proto,
            Compression::Identity,
            &HeaderMap::new(),
            false,
            Framing::Raw,
        );
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\ncontent-type: application/connect+proto\r\nconnection: close\r\n\r\n"
        );
        out.clear();
        let s = begin_message(&mut out, Framing::Raw);
        assert_eq!(payload_offset(s), PREFIX_LEN);
        out.extend_from_slice(b"hi");
        finish_message(&mut out, s, 0).unwrap();
        write_end(&mut out, Framing::Raw, None, &HeaderMap::new());
        assert_eq!(out, b"\0\0\0\0\x02hi\x02\0\0\0\x02{}");
    }
}
