//! [`ResponseReader`]: one response assembled in one buffer as its bytes arrive, for any
//! driver (owned-buffer async IO, blocking `std::io::Read`, a proxy's own loop).
//!
//! Layout of the buffer: `[..head_len]` the response head (parsed into offsets, which stay
//! valid for the response's whole life), then decoded body bytes — `[pos..data_end]` not
//! consumed yet — then raw bytes not yet through the body decoder. Consumed body bytes are
//! dropped (the head stays) before the buffer would have to grow.

use http::Method;

use super::response::{Verdict, decode_end_stream, decode_response, error_response};
use crate::Role;
use crate::code::Code;
use crate::codec::Codec;
use crate::codec::OwnedMessage;
use crate::compression::{Codecs, Compression};
use crate::error::{ConnectError, EndStream};
use crate::fault;
use crate::http1::{
    BodyDecoder, ContentLengthDecoder, DecodeBody, Http1Error, Limits, ResponseHead,
    ResponseParser, Status, decode_buffered,
};
use crate::json::JsonOptions;
use crate::protocol::Protocol;
use crate::stream::{Item, StreamReader};

/// A response being read. Reuse one per connection (its buffer and head keep their
/// capacity); [`reset`](Self::reset) before each response.
#[derive(Debug)]
pub struct ResponseReader {
    buf: Vec<u8>,
    parser: ResponseParser,
    head: ResponseHead,
    head_len: Option<usize>,
    body: BodyDecoder,
    pos: usize,
    data_end: usize,
    max_body: u64,
    max_buffer: usize,
}

impl ResponseReader {
    /// A reader over `buf` (its capacity is kept) and `head` (likewise), enforcing `limits`
    /// on the head; the body buffer grows to at most `max_buffer` bytes (a message plus
    /// framing: size it from the message limit).
    #[must_use]
    pub fn new(buf: Vec<u8>, head: ResponseHead, limits: Limits, max_buffer: usize) -> Self {
        let mut r = ResponseReader {
            buf,
            parser: ResponseParser::new(limits),
            head,
            head_len: None,
            body: BodyDecoder::Length(ContentLengthDecoder::new(0)),
            pos: 0,
            data_end: 0,
            max_body: limits.max_body_size,
            max_buffer,
        };
        r.reset();
        r
    }

    /// Forgets the last response (keeping bytes already read after it: a response never
    /// has any, so they are dropped too).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.parser.reset();
        self.head_len = None;
        self.pos = 0;
        self.data_end = 0;
    }

    /// The buffer and head, for reuse.
    #[must_use]
    pub fn into_parts(self) -> (Vec<u8>, ResponseHead) {
        (self.buf, self.head)
    }

    /// Whether the head is complete.
    #[must_use]
    pub fn has_head(&self) -> bool {
        self.head_len.is_some()
    }

    /// The parsed head (meaningful once [`has_head`](Self::has_head)); look its fields up
    /// in [`head_bytes`](Self::head_bytes).
    #[must_use]
    pub fn head(&self) -> &ResponseHead {
        &self.head
    }

    /// The buffer the head's offsets point into.
    #[must_use]
    pub fn head_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The head as a [`ResponseView`](crate::view::ResponseView) (for
    /// [`classify_unary`](super::classify_unary) and the like).
    #[must_use]
    pub fn view(&self) -> crate::view::Http1Response<'_> {
        self.head.view(&self.buf)
    }

    /// Whether nothing at all has arrived for this response.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn limit(&self) -> usize {
        match self.head_len {
            None => self.parser.limits().max_head_size.max(4096),
            Some(h) => h.saturating_add(self.max_buffer),
        }
    }

    /// Makes room for a read: drops consumed body bytes when that frees space, else grows
    /// the buffer (doubling, up to its limit). Fails with `resource_exhausted` when the
    /// head, or one message of the body, does not fit.
    fn make_room(&mut self) -> Result<(), ConnectError> {
        if self.buf.len() < self.buf.capacity() {
            return Ok(());
        }
        if let Some(h) = self.head_len
            && self.pos > h
        {
            self.buf.drain(h..self.pos);
            self.data_end -= self.pos - h;
            self.pos = h;
            if self.buf.len() < self.buf.capacity() {
                return Ok(());
            }
        }
        let limit = self.limit();
        if self.buf.capacity() >= limit {
            return Err(match self.head_len {
                None => fault::response_head(Http1Error::HeadTooLarge),
                Some(_) => {
                    fault::message_too_large(Role::Client, self.max_buffer.saturating_sub(64 << 10))
                }
            });
        }
        let grow = self
            .buf
            .capacity()
            .max(4096)
            .min(limit - self.buf.capacity());
        self.buf.reserve_exact(grow);
        Ok(())
    }

    /// Hands out the buffer for an owned-buffer read (append into its spare capacity,
    /// which is never zero); give it back with [`put_buffer`](Self::put_buffer).
    pub fn take_buffer(&mut self) -> Result<Vec<u8>, ConnectError> {
        self.make_room()?;
        Ok(std::mem::take(&mut self.buf))
    }

    /// Takes the buffer back after a read appended to it (or after a failed read).
    pub fn put_buffer(&mut self, buf: Vec<u8>) {
        self.buf = buf;
    }

    /// How many bytes the next [`append`](Self::append) can take without failing (at
    /// least 1 unless the response is over its limits, which `append` then reports).
    pub fn room(&mut self) -> usize {
        if self.make_room().is_err() {
            return 1;
        }
        self.buf.capacity() - self.buf.len()
    }

    /// Appends bytes read from the connection (for drivers that read into their own
    /// buffer).
    pub fn append(&mut self, bytes: &[u8]) -> Result<(), ConnectError> {
        let mut rest = bytes;
        while !rest.is_empty() {
            self.make_room()?;
            let n = rest.len().min(self.buf.capacity() - self.buf.len());
            self.buf.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
        }
        Ok(())
    }

    /// Parses the head from what arrived; `Ok(true)` once it is complete, when the body
    /// decoder is set up for `method` (HEAD and friends have no body), bounded by `max_body`.
    pub fn parse_head(&mut self, method: &Method, max_body: u64) -> Result<bool, ConnectError> {
        if self.head_len.is_some() {
            return Ok(true);
        }
        if self.buf.is_empty() {
            return Ok(false);
        }
        match self.parser.parse_unfolding(&mut self.buf, &mut self.head) {
            Ok(Status::Complete(len)) => {
                let limits = Limits {
                    max_body_size: max_body,
                    ..*self.parser.limits()
                };
                self.body = BodyDecoder::new(self.head.body_framing(method), &limits)
                    .map_err(|e| fault::body(Role::Client, e, max_body))?;
                self.max_body = max_body;
                self.head_len = Some(len);
                self.pos = len;
                self.data_end = len;
                self.decode()?;
                Ok(true)
            }
            Ok(Status::Partial) => Ok(false),
            Err(e) => Err(fault::response_head(e)),
        }
    }

    /// Runs the body decoder over bytes that arrived; returns whether it produced body
    /// bytes or finished the body.
    pub fn decode(&mut self) -> Result<bool, ConnectError> {
        if self.head_len.is_none() {
            return Ok(false);
        }
        let before = (self.data_end, self.body.is_done());
        decode_buffered(&mut self.buf, &mut self.body, &mut self.data_end)
            .map_err(|e| fault::body(Role::Client, e, self.max_body))?;
        Ok((self.data_end, self.body.is_done()) != before)
    }

    /// The connection reached end of stream. Before a complete head that is an error; it
    /// ends a close-delimited body; anywhere else the body was cut short.
    pub fn eof(&mut self) -> Result<(), ConnectError> {
        if self.head_len.is_none() {
            return Err(if self.buf.is_empty() {
                ConnectError::new(
                    Code::Unavailable,
                    "the server closed the connection without a response",
                )
            } else {
                fault::ended_early(Role::Client)
            });
        }
        self.body
            .finish()
            .map_err(|_| fault::ended_early(Role::Client))
    }

    /// Whether the body ends only when the server closes the connection (neither a length
    /// nor chunks): a streaming response then ends with its end-stream message.
    #[must_use]
    pub fn ends_at_close(&self) -> bool {
        self.head_len.is_some() && self.body.ends_at_close()
    }

    /// Whether the whole body arrived.
    #[must_use]
    pub fn body_done(&self) -> bool {
        self.head_len.is_some() && self.body.is_done()
    }

    /// The decoded body bytes not consumed yet (mutable: JSON decodes in place).
    pub fn avail(&mut self) -> &mut [u8] {
        &mut self.buf[self.pos..self.data_end]
    }

    /// The head, the bytes its offsets point into, and the unconsumed body, at once (for
    /// reading an error body while looking at the head).
    pub fn parts(&mut self) -> (&ResponseHead, &[u8], &mut [u8]) {
        let (before, after) = self.buf.split_at_mut(self.pos);
        (&self.head, before, &mut after[..self.data_end - self.pos])
    }

    /// Marks `n` body bytes as consumed.
    pub fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.data_end);
    }

    /// Whether the connection can carry another request after this response: the body was
    /// read to its end, nothing came after it, and the server keeps the connection.
    #[must_use]
    pub fn reusable(&self, method: &Method) -> bool {
        self.body_done() && self.data_end == self.buf.len() && self.head.keep_alive(method)
    }
}

/// One step through a streaming response body ([`ResponseReader::next_stream_event`]).
#[derive(Debug)]
pub enum StreamEvent<M> {
    /// A response message.
    Message(M),
    /// The end-stream message: its error (if any) and the trailers. The body must end
    /// next ([`StreamEvent::Finished`]).
    End(EndStream),
    /// The body has only part of an envelope: read more.
    NeedMore,
    /// The body ended cleanly after the end-stream message.
    Finished,
}

/// How a response's messages are decoded: codec, size limit after decompression, JSON
/// options.
#[derive(Clone, Copy, Debug)]
pub struct Decoding<'a> {
    /// The call's protocol.
    pub protocol: Protocol,
    /// The codec.
    pub codec: Codec,
    /// Largest message after decompression.
    pub limit: usize,
    /// JSON options.
    pub json: &'a JsonOptions,
}

impl ResponseReader {
    /// The outcome of a unary response whose whole body has been read, as classified by
    /// `verdict` ([`Verdict::Accept`] or [`Verdict::ErrorBody`]): the decoded message, or
    /// the error. `scratch` holds decompressed bytes.
    pub fn unary_outcome<M: OwnedMessage>(
        &mut self,
        verdict: &Verdict,
        decoding: Decoding<'_>,
        scratch: &mut Vec<u8>,
        codecs: &mut Codecs,
    ) -> Result<M, ConnectError> {
        match *verdict {
            Verdict::Fail(ref e) => Err(e.clone()),
            Verdict::Accept(compression) => decode_response::<M>(
                decoding.codec,
                compression,
                self.avail(),
                scratch,
                codecs,
                decoding.limit,
                decoding.json,
            ),
            Verdict::ErrorBody(compression) => {
                let (head, head_bytes, body) = self.parts();
                Err(error_response(
                    decoding.protocol,
                    &head.view(head_bytes),
                    body,
                    compression,
                    scratch,
                    codecs,
                    decoding.limit,
                ))
            }
        }
    }

    /// The next event of a streaming response body, read through `stream` (the envelope
    /// reader set up with the response's compression).
    pub fn next_stream_event<M: OwnedMessage>(
        &mut self,
        stream: &mut StreamReader,
        decoding: Decoding<'_>,
        scratch: &mut Vec<u8>,
        codecs: &mut Codecs,
    ) -> Result<StreamEvent<M>, ConnectError> {
        // A body that ends only at close ends, for the call, with the end-stream message: a
        // server that keeps the connection open after it would otherwise hold the call until
        // the IO timeout. Whatever follows goes unread (such a connection is never reused),
        // whichever read it came with.
        if stream.ended() && self.body.ends_at_close() {
            return Ok(StreamEvent::Finished);
        }
        let body_done = self.body_done();
        let item = stream
            .next(self.avail(), body_done)
            .map_err(|e| fault::stream(Role::Client, e))?;
        match item {
            Item::NeedMore => Ok(StreamEvent::NeedMore),
            Item::Finished => Ok(StreamEvent::Finished),
            Item::Message {
                payload,
                compressed,
                consumed,
            } => {
                let compression = if compressed {
                    stream.compression()
                } else {
                    Compression::Identity
                };
                let m = decode_response::<M>(
                    decoding.codec,
                    compression,
                    &mut self.avail()[payload],
                    scratch,
                    codecs,
                    decoding.limit,
                    decoding.json,
                )?;
                self.consume(consumed);
                Ok(StreamEvent::Message(m))
            }
            Item::End {
                payload,
                compressed,
                consumed,
            } => {
                let compression = compressed.then(|| stream.compression());
                let end = decode_end_stream(
                    decoding.protocol,
                    &self.avail()[payload],
                    compression,
                    scratch,
                    codecs,
                    decoding.limit,
                )?;
                self.consume(consumed);
                Ok(StreamEvent::End(end))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: application/connect+proto\r\n\
transfer-encoding: chunked\r\nx-a: 1\r\n\r\n5\r\nhello\r\n3\r\n wo\r\n3\r\nrld\r\n0\r\n\r\n";

    fn reader(max_buffer: usize) -> ResponseReader {
        ResponseReader::new(
            Vec::with_capacity(16),
            ResponseHead::new(),
            Limits::default(),
            max_buffer,
        )
    }

    /// Feeds `input` in pieces of `step` bytes (as reads would), consuming body bytes as
    /// they come; returns the body.
    fn run(r: &mut ResponseReader, input: &[u8], step: usize) -> Result<Vec<u8>, ConnectError> {
        let mut body = Vec::new();
        for piece in input.chunks(step.max(1)) {
            r.append(piece)?;
            if r.parse_head(&Method::POST, 1 << 20)? {
                r.decode()?;
                let got = r.avail().to_vec();
                r.consume(got.len());
                body.extend_from_slice(&got);
            }
        }
        Ok(body)
    }

    #[test]
    fn every_split_point() {
        for split in 1..=RESPONSE.len() {
            let mut r = reader(1 << 20);
            let body = run(&mut r, RESPONSE, split).unwrap();
            assert_eq!(body, b"hello world", "split {split}");
            assert!(r.body_done() && r.reusable(&Method::POST));
            assert_eq!(r.head().header(r.head_bytes(), "x-a"), Some(&b"1"[..]));
            // Two-piece splits at every byte.
            let mut r = reader(1 << 20);
            r.append(&RESPONSE[..split]).unwrap();
            let mut body = Vec::new();
            if r.parse_head(&Method::POST, 1 << 20).unwrap() {
                body.extend_from_slice(r.avail());
                let n = r.avail().len();
                r.consume(n);
            }
            r.append(&RESPONSE[split..]).unwrap();
            assert!(r.parse_head(&Method::POST, 1 << 20).unwrap());
            r.decode().unwrap();
            body.extend_from_slice(r.avail());
            assert_eq!(body, b"hello world", "split {split}");
        }
    }

    #[test]
    fn limits_and_endings() {
        // A head over the limit.
        let mut r = ResponseReader::new(
            Vec::new(),
            ResponseHead::new(),
            Limits {
                max_head_size: 64,
                ..Limits::default()
            },
            1 << 20,
        );
        let e = r
            .append(&[b'a'; 5000])
            .and_then(|()| r.parse_head(&Method::GET, 10).map(|_| ()))
            .unwrap_err();
        assert_eq!(e.code(), Code::ResourceExhausted);
        // A body that never ends within the buffer limit: one unconsumed message too big.
        let mut r = reader(1000);
        r.append(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
            .unwrap();
        assert!(r.parse_head(&Method::POST, 1 << 20).unwrap());
        let e = r.append(&[0u8; 5000]).unwrap_err();
        assert_eq!(e.code(), Code::ResourceExhausted);
        // Consumed bytes make room: a long body read as it goes stays small.
        let mut r = reader(1000);
        r.append(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
            .unwrap();
        assert!(r.parse_head(&Method::POST, 1 << 20).unwrap());
        for _ in 0..100 {
            r.append(&[7u8; 1000]).unwrap();
            r.decode().unwrap();
            let n = r.avail().len();
            r.consume(n);
        }
        assert!(r.body_done());
        assert!(r.into_parts().0.capacity() < 8192);
        // EOF: before anything, inside a head, inside a body, ending a close-delimited body.
        let mut r = reader(1000);
        assert_eq!(r.eof().unwrap_err().code(), Code::Unavailable);
        r.append(b"HTTP/1.1 2").unwrap();
        assert_eq!(r.eof().unwrap_err().code(), Code::Unavailable);
        let mut r = reader(1000);
        r.append(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nab")
            .unwrap();
        assert!(r.parse_head(&Method::POST, 100).unwrap());
        assert!(r.eof().is_err());
        let mut r = reader(1000);
        r.append(b"HTTP/1.1 200 OK\r\n\r\nuntil close").unwrap();
        assert!(r.parse_head(&Method::POST, 100).unwrap());
        r.eof().unwrap();
        assert!(r.body_done() && !r.reusable(&Method::POST));
        assert_eq!(r.avail(), b"until close");
        // A body over the body limit.
        let mut r = reader(1000);
        r.append(b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n")
            .unwrap();
        assert_eq!(
            r.parse_head(&Method::POST, 100).unwrap_err().code(),
            Code::ResourceExhausted
        );
    }
}
