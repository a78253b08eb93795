//! Streaming bodies: envelopes, one per chunk over HTTP/1.1's chunked transfer coding (or
//! bare), written in place and read back without copying. What ends a stream (Connect's
//! end-stream message) is the protocol's ([`crate::protocol`]).
//!
//! Reading a stream body is the same for both roles ([`StreamReader`]): envelopes one after
//! the other, each message compressed or not; a client also expects the end-stream message
//! last, a server never accepts one.
//!
//! An HTTP/1.0 peer cannot take chunked coding (RFC 9112 §6.1: a server MUST NOT send
//! `Transfer-Encoding` unless the request is HTTP/1.1 or later), so its streams are written
//! [`Framing::Raw`]: bare envelopes, the body delimited by closing the connection.

use crate::code::Code;
use crate::compression::Compression;
use crate::envelope::{Decoded, EnvelopeDecoder, EnvelopeError, FLAG_COMPRESSED, PREFIX_LEN};
use crate::error::ConnectError;

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

/// Where a message begun by [`begin_message`] (or a protocol's
/// [`Responder::begin_message`](crate::protocol::Responder::begin_message)) starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageStart {
    offset: usize,
    framing: Framing,
    enveloped: bool,
}

impl MessageStart {
    /// Reserves `framing`'s chunk-size line (when chunked) and, when `enveloped`, an
    /// envelope prefix; append the payload after this, then call [`finish`](Self::finish).
    pub fn begin(out: &mut Vec<u8>, framing: Framing, enveloped: bool) -> MessageStart {
        let offset = out.len();
        let start = MessageStart {
            offset,
            framing,
            enveloped,
        };
        out.resize(offset + start.reserved(), 0);
        start
    }

    /// Offset of the message's first byte (its chunk-size line); truncate here to undo it.
    #[must_use]
    pub fn offset(self) -> usize {
        self.offset
    }

    /// Offset where the payload begins.
    #[must_use]
    pub fn payload_offset(self) -> usize {
        self.offset + self.reserved()
    }

    fn prefix(self) -> usize {
        if self.enveloped { PREFIX_LEN } else { 0 }
    }

    fn reserved(self) -> usize {
        self.framing.reserved() + self.prefix()
    }

    /// Patches the chunk size and envelope prefix (with `flags`) of this message, whose
    /// payload runs to the end of `out`, and closes the chunk. Fails, cutting the message,
    /// if it exceeds what a chunk or an envelope can carry (4 GiB - 6). An empty bare message
    /// in a chunked body writes nothing: a zero-size chunk would end the body.
    pub fn finish(self, out: &mut Vec<u8>, flags: u8) -> Result<(), TooLarge> {
        let payload_len = out.len() - self.payload_offset();
        let framed_len = payload_len + self.prefix();
        if framed_len == 0 {
            out.truncate(self.offset);
            return Ok(());
        }
        let fits = |len: usize| u32::try_from(len).map_err(|_| TooLarge);
        let checked = (
            if self.enveloped {
                fits(payload_len)
            } else {
                Ok(0)
            },
            if self.framing == Framing::Chunked {
                fits(framed_len)
            } else {
                Ok(0)
            },
        );
        let (Ok(payload32), Ok(chunk32)) = checked else {
            out.truncate(self.offset);
            return Err(TooLarge);
        };
        let chunk = self.framing.reserved();
        let head = &mut out[self.offset..self.offset + self.reserved()];
        if self.framing == Framing::Chunked {
            for (i, slot) in head[..CHUNK_HEX].iter_mut().enumerate() {
                *slot = HEX[((chunk32 >> (4 * (CHUNK_HEX - 1 - i))) & 0xf) as usize];
            }
            head[CHUNK_HEX] = b'\r';
            head[CHUNK_HEX + 1] = b'\n';
        }
        if self.enveloped {
            head[chunk] = flags;
            head[chunk + 1..].copy_from_slice(&payload32.to_be_bytes());
        }
        if self.framing == Framing::Chunked {
            out.extend_from_slice(b"\r\n");
        }
        Ok(())
    }
}

/// Reserves a chunk-size line (when chunked) and an envelope prefix; write the payload after
/// this, then call [`finish_message`].
pub fn begin_message(out: &mut Vec<u8>, framing: Framing) -> MessageStart {
    MessageStart::begin(out, framing, true)
}

/// Offset where the payload of a message begun at `start` begins.
#[must_use]
pub fn payload_offset(start: MessageStart) -> usize {
    start.payload_offset()
}

/// Patches the chunk size and envelope prefix of the message begun at `start` (whose payload
/// runs to the end of `out`) and closes the chunk. Fails if the payload exceeds 4 GiB - 6.
pub fn finish_message(out: &mut Vec<u8>, start: MessageStart, flags: u8) -> Result<(), TooLarge> {
    start.finish(out, flags)
}

/// A message too large for one envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooLarge;

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("message too large for an envelope")
    }
}

impl std::error::Error for TooLarge {}

/// Flags of a data message with the given compression.
#[must_use]
pub fn message_flags(compression: Compression) -> u8 {
    if compression == Compression::Identity {
        0
    } else {
        FLAG_COMPRESSED
    }
}

pub use crate::Role;

/// One step of [`StreamReader::next`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A message; its payload is `payload` of the input (compressed with the stream's
    /// compression when `compressed`). Advance the input by `consumed`.
    Message {
        /// Where the payload lies in the input.
        payload: std::ops::Range<usize>,
        /// Whether the payload is compressed.
        compressed: bool,
        /// Bytes of input the envelope took.
        consumed: usize,
    },
    /// The end-stream message (client role): parse its payload (decompressed when
    /// `compressed`) with [`crate::error::parse_end_stream`]. Advance by `consumed`; the body
    /// must end right after.
    End {
        /// Where the payload lies in the input.
        payload: std::ops::Range<usize>,
        /// Whether the payload is compressed.
        compressed: bool,
        /// Bytes of input the envelope took.
        consumed: usize,
    },
    /// The input holds only part of an envelope: read more of the body.
    NeedMore,
    /// The body ended cleanly (server role: after the last message; client role: after the
    /// end-stream message).
    Finished,
}

/// Why a stream body is not a valid Connect stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamError {
    /// A bad envelope (flags, declared length over the limit) or one cut short by the end of
    /// the body.
    Envelope(EnvelopeError),
    /// A compressed message although the stream names no compression.
    CompressedWithoutEncoding,
    /// An end-stream message in a request.
    EndStreamInRequest,
    /// The response body ended without an end-stream message.
    MissingEndStream,
    /// Data after the end-stream message.
    DataAfterEnd,
}

impl StreamError {
    /// The code to report, for the side that read the stream: limits give
    /// `resource_exhausted`; a client reports every other fault of the server as `internal`;
    /// a server reports a truncated request as `invalid_argument`, other faults as
    /// `internal`, and an end-stream message as `invalid_argument`.
    #[must_use]
    pub const fn code(self, role: Role) -> Code {
        match (self, role) {
            (Self::Envelope(e), Role::Server) => e.server_code(),
            (Self::Envelope(e), Role::Client) => e.client_code(),
            (Self::EndStreamInRequest, _) => Code::InvalidArgument,
            (Self::CompressedWithoutEncoding | Self::MissingEndStream | Self::DataAfterEnd, _) => {
                Code::Internal
            }
        }
    }
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Envelope(e) => e.fmt(f),
            Self::CompressedWithoutEncoding => {
                f.write_str("protocol error: compressed message without a compression encoding")
            }
            Self::EndStreamInRequest => {
                f.write_str("protocol error: end-stream message in a request")
            }
            Self::MissingEndStream => {
                f.write_str("protocol error: stream ended without an end-stream message")
            }
            Self::DataAfterEnd => f.write_str("protocol error: data after the end-stream message"),
        }
    }
}

impl std::error::Error for StreamError {}

impl StreamError {
    /// The Connect error for this fault on `role`'s side.
    #[must_use]
    pub fn into_connect(self, role: Role) -> ConnectError {
        ConnectError::new(self.code(role), self.to_string())
    }
}

/// Reads the envelopes of a stream body as it arrives, for either role. Sans-IO and
/// zero-copy: hand it the decoded body bytes not consumed yet and whether the body is
/// complete; it says where the next message is, or that it needs more.
#[derive(Clone, Copy, Debug)]
pub struct StreamReader {
    envelopes: EnvelopeDecoder,
    compression: Compression,
    role: Role,
    ended: bool,
}

impl StreamReader {
    /// A reader for messages of at most `max_message` bytes (as sent; the decompressed size
    /// is the decompressor's limit to check), compressed with `compression` when flagged.
    #[must_use]
    pub fn new(role: Role, compression: Compression, max_message: usize) -> Self {
        StreamReader {
            envelopes: EnvelopeDecoder::new(max_message),
            compression,
            role,
            ended: false,
        }
    }

    /// The stream's compression.
    #[must_use]
    pub fn compression(&self) -> Compression {
        self.compression
    }

    /// Whether the end-stream message was seen.
    #[must_use]
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// The next item of `avail` (body bytes not consumed yet); `body_done` says the body has
    /// no more bytes than these.
    pub fn next(&mut self, avail: &[u8], body_done: bool) -> Result<Item, StreamError> {
        if self.ended {
            return if avail.is_empty() {
                if body_done {
                    Ok(Item::Finished)
                } else {
                    Ok(Item::NeedMore)
                }
            } else {
                Err(StreamError::DataAfterEnd)
            };
        }
        match self
            .envelopes
            .decode(avail)
            .map_err(StreamError::Envelope)?
        {
            Decoded::Frame(f) => {
                let compressed = f.is_compressed();
                if compressed && self.compression == Compression::Identity {
                    return Err(StreamError::CompressedWithoutEncoding);
                }
                let consumed = f.consumed();
                if f.is_end_stream() {
                    if self.role == Role::Server {
                        return Err(StreamError::EndStreamInRequest);
                    }
                    self.ended = true;
                    return Ok(Item::End {
                        payload: f.payload,
                        compressed,
                        consumed,
                    });
                }
                Ok(Item::Message {
                    payload: f.payload,
                    compressed,
                    consumed,
                })
            }
            Decoded::Incomplete { .. } if !body_done => Ok(Item::NeedMore),
            Decoded::Incomplete { .. } if avail.is_empty() => match self.role {
                Role::Server => Ok(Item::Finished),
                Role::Client => Err(StreamError::MissingEndStream),
            },
            Decoded::Incomplete { .. } => Err(StreamError::Envelope(
                self.envelopes
                    .check_eof(avail)
                    .err()
                    .unwrap_or(EnvelopeError::Truncated {
                        have: avail.len(),
                        need: PREFIX_LEN as u64,
                    }),
            )),
        }
    }

    /// Whether another envelope begins in `avail` (its prefix is there and valid), without
    /// waiting for its payload: a server-stream request is refused at the second message's
    /// prefix.
    pub fn peek_more(&self, avail: &[u8]) -> Result<bool, StreamError> {
        if avail.len() < PREFIX_LEN {
            return Ok(false);
        }
        self.envelopes
            .decode(avail)
            .map(|_| true)
            .map_err(StreamError::Envelope)
    }
}

/// Writes the messages of a streaming request or response: the chunk framing (or none, for
/// [`Framing::Raw`]), envelopes, the end-stream message for responses. A thin, stateless
/// convenience over [`begin_message`] / [`finish_message`].
#[derive(Clone, Copy, Debug)]
pub struct StreamWriter {
    /// How envelopes are framed on the connection.
    pub framing: Framing,
    /// The stream's compression (messages are flagged compressed when not identity).
    pub compression: Compression,
}

impl StreamWriter {
    /// Writes one message whose encoding `encode` appends to the output (compressed by the
    /// caller when the stream is); on error nothing is left of it.
    pub fn message<E>(
        &self,
        out: &mut Vec<u8>,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<(), MessageError<E>> {
        let start = begin_message(out, self.framing);
        if let Err(e) = encode(out) {
            out.truncate(start.offset());
            return Err(MessageError::Encode(e));
        }
        finish_message(out, start, message_flags(self.compression))
            .map_err(|TooLarge| MessageError::TooLarge)
    }

    /// Ends a request body (client role): the last chunk. Nothing for raw framing.
    pub fn end_request(&self, out: &mut Vec<u8>) {
        if self.framing == Framing::Chunked {
            out.extend_from_slice(b"0\r\n\r\n");
        }
    }
}

/// Why [`StreamWriter::message`] wrote nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageError<E> {
    /// The encoder failed.
    Encode(E),
    /// The message does not fit an envelope (over 4 GiB).
    TooLarge,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::FLAG_END_STREAM;
    use crate::http1::{BodyDecoder, BodyFraming, DecodeBody, Limits};

    #[test]
    fn messages_are_chunks_of_envelopes() {
        let mut out = Vec::new();
        for payload in [&b"hello"[..], b"", b"x"] {
            let s = begin_message(&mut out, Framing::Chunked);
            out.extend_from_slice(payload);
            finish_message(&mut out, s, 0).unwrap();
        }
        let s = begin_message(&mut out, Framing::Chunked);
        out.extend_from_slice(b"{}");
        finish_message(&mut out, s, FLAG_END_STREAM).unwrap();
        out.extend_from_slice(b"0\r\n\r\n");
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
        assert_eq!(frames[3].1, b"{}");
    }

    #[test]
    fn raw_framing_is_bare_envelopes() {
        let mut out = Vec::new();
        let s = begin_message(&mut out, Framing::Raw);
        assert_eq!(payload_offset(s), PREFIX_LEN);
        out.extend_from_slice(b"hi");
        finish_message(&mut out, s, 0).unwrap();
        assert_eq!(out, b"\0\0\0\0\x02hi");
    }

    #[test]
    fn a_bare_message_reserves_only_its_chunk_line() {
        let mut out = b"head".to_vec();
        let s = MessageStart::begin(&mut out, Framing::Raw, false);
        assert_eq!(s.payload_offset(), 4);
        out.extend_from_slice(b"msg");
        s.finish(&mut out, 0).unwrap();
        assert_eq!(out, b"headmsg");
        let mut out = Vec::new();
        let s = MessageStart::begin(&mut out, Framing::Chunked, false);
        out.extend_from_slice(b"msg");
        s.finish(&mut out, 0).unwrap();
        assert_eq!(out, b"00000003\r\nmsg\r\n");
        // An empty one would be a last chunk: nothing is written.
        let mut out = b"head".to_vec();
        let s = MessageStart::begin(&mut out, Framing::Chunked, false);
        s.finish(&mut out, 0).unwrap();
        assert_eq!(out, b"head");
    }

    fn env(flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        crate::envelope::write(&mut out, flags, payload).unwrap();
        out
    }

    /// Runs a reader over `body` split at `split`, as a driver would: returns the items.
    fn read_all(
        role: Role,
        compression: Compression,
        body: &[u8],
        split: usize,
    ) -> Result<Vec<Item>, StreamError> {
        let mut r = StreamReader::new(role, compression, 100);
        let mut items = Vec::new();
        let (mut have, mut pos) = (split.min(body.len()), 0);
        loop {
            let done = have == body.len();
            match r.next(&body[pos..have], done)? {
                Item::NeedMore => {
                    assert!(!done);
                    have = body.len();
                }
                Item::Finished => return Ok(items),
                item @ (Item::Message { consumed, .. } | Item::End { consumed, .. }) => {
                    pos += consumed;
                    items.push(item);
                }
            }
        }
    }

    #[test]
    fn readers_at_every_split_point() {
        let mut body = env(0, b"one");
        body.extend_from_slice(&env(0, b""));
        body.extend_from_slice(&env(1, b"zz"));
        let mut client = body.clone();
        client.extend_from_slice(&env(2, b"{}"));
        for split in 0..=client.len() {
            let items = read_all(Role::Client, Compression::Gzip, &client, split).unwrap();
            assert_eq!(items.len(), 4, "split {split}");
            assert!(matches!(
                items[2],
                Item::Message {
                    compressed: true,
                    ..
                }
            ));
            assert!(matches!(
                items[3],
                Item::End {
                    compressed: false,
                    ..
                }
            ));
        }
        for split in 0..=body.len() {
            let items = read_all(Role::Server, Compression::Gzip, &body, split).unwrap();
            assert_eq!(items.len(), 3, "split {split}");
            // The client insists on the end-stream message.
            assert_eq!(
                read_all(Role::Client, Compression::Gzip, &body, split),
                Err(StreamError::MissingEndStream)
            );
        }
    }

    #[test]
    fn reader_faults() {
        let end = env(2, b"{}");
        assert_eq!(
            read_all(Role::Server, Compression::Identity, &end, 0),
            Err(StreamError::EndStreamInRequest)
        );
        assert_eq!(
            read_all(Role::Client, Compression::Identity, &env(1, b"x"), 0),
            Err(StreamError::CompressedWithoutEncoding)
        );
        let mut after = end.clone();
        after.extend_from_slice(&env(0, b"x"));
        assert_eq!(
            read_all(Role::Client, Compression::Identity, &after, 0),
            Err(StreamError::DataAfterEnd)
        );
        let cut = &env(0, b"abc")[..6];
        for role in [Role::Client, Role::Server] {
            let e = read_all(role, Compression::Identity, cut, 0).unwrap_err();
            assert!(
                matches!(
                    e,
                    StreamError::Envelope(EnvelopeError::Truncated { have: 6, need: 8 })
                ),
                "{e:?}"
            );
        }
        assert_eq!(
            StreamError::MissingEndStream.code(Role::Client),
            Code::Internal
        );
        assert_eq!(
            StreamError::Envelope(EnvelopeError::Truncated { have: 1, need: 5 }).code(Role::Server),
            Code::InvalidArgument
        );
        let big = [0u8, 0, 0, 1, 0];
        assert_eq!(
            read_all(Role::Client, Compression::Identity, &big, 0)
                .unwrap_err()
                .code(Role::Client),
            Code::ResourceExhausted
        );
        let r = StreamReader::new(Role::Server, Compression::Identity, 100);
        assert_eq!(r.peek_more(&big[..4]), Ok(false));
        assert!(r.peek_more(&big).is_err());
        assert_eq!(r.peek_more(&env(0, b"x")[..5]), Ok(true));
    }

    #[test]
    fn writer_frames_requests() {
        let w = StreamWriter {
            framing: Framing::Chunked,
            compression: Compression::Identity,
        };
        let mut out = Vec::new();
        w.message::<()>(&mut out, |o| {
            o.extend_from_slice(b"ab");
            Ok(())
        })
        .unwrap();
        assert_eq!(
            w.message(&mut out, |_| Err("no")),
            Err(MessageError::Encode("no"))
        );
        w.end_request(&mut out);
        assert_eq!(out, b"00000007\r\n\0\0\0\0\x02ab\r\n0\r\n\r\n");
    }
}
