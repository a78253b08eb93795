//! [`RequestReader`]: the requests of one HTTP/1.1 connection, each assembled in one buffer
//! as its bytes arrive; the server's twin of [`client::ResponseReader`](crate::client::ResponseReader).
//!
//! Layout of the buffer while a unary body is read: `[..head_len]` the head (parsed into
//! offsets), then decoded body bytes up to `body_end`, then raw bytes not yet through the
//! body decoder (the rest of the body, maybe pipelined requests after it). A streaming call
//! copies the head aside ([`RequestReader::begin_stream`]) so that its body starts at 0 and
//! consumed messages can be dropped from the front; [`BodyCursor`] walks its envelopes.
//! After the call, [`RequestReader::discard_body`] drops what is left of the body and leaves
//! the next request's bytes at the start.
//!
//! The driver does the reading: it appends to [`RequestReader::buffer_mut`] (never past the
//! limit it chose) whenever a step says more input is needed.

use crate::http1::{
    BodyDecoder, BodyFraming, ContentLengthDecoder, DecodeBody, Http1Error, Limits, RequestHead,
    RequestParser, Status, decode_buffered,
};
use crate::stream::{Item, StreamError, StreamReader};

/// Where the bytes the head's offsets point into are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HeadAt {
    /// At the start of the buffer (`[..head_len]`).
    Buffer,
    /// In the head copy: the buffer has moved on (a stream's body, the next request).
    Copy,
    /// Nowhere: the request is finished and its head was not kept (the buffer now starts
    /// with the next request's bytes, which the head's offsets must not be read against).
    Dropped,
}

/// What [`RequestReader::discard_body`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discard {
    /// The body is over and dropped; the next request's bytes (if any) start the buffer.
    Done,
    /// This many body bytes were dropped; read more (the body is not over).
    More(usize),
}

/// The requests of one connection, one at a time. Reuse one per connection, or pool it: its
/// buffers keep their capacity.
#[derive(Debug)]
pub struct RequestReader {
    buf: Vec<u8>,
    parser: RequestParser,
    head: RequestHead,
    head_len: usize,
    head_at: HeadAt,
    /// A copy of the head, for streaming calls (whose body moves within the buffer) and for
    /// whoever reads the head after the call (interceptors).
    head_copy: Vec<u8>,
    body: BodyDecoder,
    /// Where decoded body bytes start (after the head, or 0 once it is copied aside).
    body_start: usize,
    /// The end of the decoded body bytes.
    body_end: usize,
}

impl RequestReader {
    /// A reader enforcing `limits` on heads and bodies, with no buffer yet (see
    /// [`set_buffer`](Self::set_buffer)).
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        RequestReader {
            buf: Vec::new(),
            parser: RequestParser::new(limits),
            head: RequestHead::new(),
            head_len: 0,
            head_at: HeadAt::Buffer,
            head_copy: Vec::new(),
            body: BodyDecoder::Length(ContentLengthDecoder::new(0)),
            body_start: 0,
            body_end: 0,
        }
    }

    /// Puts `buf` in as the buffer: what it holds is the connection's next input.
    pub fn set_buffer(&mut self, buf: Vec<u8>) {
        self.buf = buf;
    }

    /// Takes the buffer out (leaving none), input and all.
    pub fn take_buffer(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }

    /// The buffer, for reading more input onto its end (and for shrinking it between
    /// requests). Bytes before its end must be left as they are.
    pub fn buffer_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Whether input is waiting (the start of the next request, after one is finished).
    #[must_use]
    pub fn has_input(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Starts reading a new head: the previous request must be finished
    /// ([`discard_body`](Self::discard_body) said [`Discard::Done`]). A head copy larger than
    /// `keep_copy` bytes (left by an unusually large head) is freed.
    pub fn begin_head(&mut self, keep_copy: usize) {
        self.parser.reset();
        self.head_at = HeadAt::Buffer;
        if self.head_copy.capacity() > keep_copy {
            self.head_copy = Vec::new();
        }
    }

    /// Parses the head from the buffer: `true` once it is complete (the body then starts
    /// right after it, not set up yet: see [`open_body`](Self::open_body)), `false` while
    /// more input is needed.
    ///
    /// # Errors
    ///
    /// A malformed or oversized head: answer with [`Http1Error::status`] and close.
    pub fn parse_head(&mut self) -> Result<bool, Http1Error> {
        match self.parser.parse(&self.buf, &mut self.head)? {
            Status::Complete(len) => {
                self.head_len = len;
                self.body_start = len;
                self.body_end = len;
                // Nothing to read until `open_body`.
                self.body = BodyDecoder::Length(ContentLengthDecoder::new(0));
                Ok(true)
            }
            Status::Partial => Ok(false),
        }
    }

    /// Sets up the body framing the head declares.
    ///
    /// # Errors
    ///
    /// A declared length above the body limit ([`Http1Error::BodyTooLarge`]): answer and
    /// close without reading the body.
    pub fn open_body(&mut self) -> Result<(), Http1Error> {
        self.body = BodyDecoder::new(self.head.body_framing(), self.parser.limits())?;
        Ok(())
    }

    /// The parsed head; its offsets point into [`head_bytes`](Self::head_bytes).
    #[must_use]
    pub fn head(&self) -> &RequestHead {
        &self.head
    }

    /// The bytes the head's offsets point into: empty once the request is finished unless
    /// its head was kept ([`keep_head`](Self::keep_head)), so the finished head reads as
    /// empty, never as the next request's bytes.
    #[must_use]
    pub fn head_bytes(&self) -> &[u8] {
        match self.head_at {
            HeadAt::Buffer => &self.buf,
            HeadAt::Copy => &self.head_copy,
            HeadAt::Dropped => &[],
        }
    }

    /// The head as a [`RequestView`](crate::view::RequestView) (for
    /// [`negotiate`](super::negotiate)).
    #[must_use]
    pub fn view(&self) -> crate::view::Http1Request<'_> {
        self.head.view(self.head_bytes())
    }

    /// Copies the head aside, so that it can still be read once the buffer has moved on
    /// (the head then reads from the copy; see [`head_bytes`](Self::head_bytes)).
    pub fn keep_head(&mut self) {
        if self.head_at != HeadAt::Buffer {
            return;
        }
        self.head_copy.clear();
        self.head_copy.extend_from_slice(&self.buf[..self.head_len]);
        self.head_at = HeadAt::Copy;
    }

    /// Body bytes the framing says are still coming (Content-Length), if it says.
    #[must_use]
    pub fn known_remaining(&self) -> Option<u64> {
        self.body.known_remaining()
    }

    /// Whether the whole body has been decoded.
    #[must_use]
    pub fn body_done(&self) -> bool {
        self.body.is_done()
    }

    /// Decodes the body bytes read so far (chunk framing removed in place): `true` if any
    /// raw bytes were taken.
    ///
    /// # Errors
    ///
    /// Bad chunk framing, or a body over the limit.
    pub fn decode(&mut self) -> Result<bool, Http1Error> {
        decode_buffered(&mut self.buf, &mut self.body, &mut self.body_end)
    }

    /// How many decoded body bytes are buffered.
    #[must_use]
    pub fn body_len(&self) -> usize {
        self.body_end - self.body_start
    }

    /// The head and the decoded body at once (a unary request: the message borrows the
    /// body while its handler reads the head).
    pub fn parts(&mut self) -> (&RequestHead, &[u8], &mut [u8]) {
        let (before, after) = self.buf.split_at_mut(self.body_start);
        let head_bytes: &[u8] = match self.head_at {
            HeadAt::Buffer => before,
            HeadAt::Copy => &self.head_copy,
            HeadAt::Dropped => &[],
        };
        (
            &self.head,
            head_bytes,
            &mut after[..self.body_end - self.body_start],
        )
    }

    /// Starts a streaming call's body: the head is copied aside and the body moved to the
    /// start of the buffer, so that consumed messages can be dropped from the front.
    pub fn begin_stream(&mut self) {
        self.keep_head();
        self.buf.drain(..self.body_start);
        self.body_end -= self.body_start;
        self.body_start = 0;
    }

    /// The head and a cursor over the body's envelopes, at once (a streaming call: the
    /// handler reads the head while messages are read).
    pub fn stream_parts(&mut self) -> (&RequestHead, &[u8], BodyCursor<'_>) {
        debug_assert_eq!(self.body_start, 0, "stream_parts before begin_stream");
        (
            &self.head,
            &self.head_copy,
            BodyCursor {
                buf: &mut self.buf,
                body: &mut self.body,
                data_end: &mut self.body_end,
                pos: 0,
                pinned: false,
            },
        )
    }

    /// The body bytes the head declared that have not arrived (Content-Length; `None` for
    /// other framings).
    #[must_use]
    pub fn declared_unread(&self) -> Option<u64> {
        match self.head.body_framing() {
            BodyFraming::Length(n) => Some(n.saturating_sub(self.body.body_len())),
            _ => None,
        }
    }

    /// After a call: drops the decoded body bytes buffered. [`Discard::Done`] once the body
    /// is over: the head is dropped too and the next request's bytes start the buffer.
    ///
    /// # Errors
    ///
    /// Bad chunk framing: the connection's framing is lost (close it).
    pub fn discard_body(&mut self) -> Result<Discard, Http1Error> {
        self.decode()?;
        let dropped = self.body_end - self.body_start;
        self.buf.drain(self.body_start..self.body_end);
        self.body_end = self.body_start;
        if !self.body.is_done() {
            return Ok(Discard::More(dropped));
        }
        self.buf.drain(..self.body_start);
        self.body_start = 0;
        self.body_end = 0;
        self.head_len = 0;
        if self.head_at == HeadAt::Buffer {
            self.head_at = HeadAt::Dropped;
        }
        Ok(Discard::Done)
    }
}

/// The envelopes of a streaming request body, read as the handler asks for them: the
/// buffer's body part, with the position of the first unconsumed byte.
#[derive(Debug)]
pub struct BodyCursor<'r> {
    buf: &'r mut Vec<u8>,
    body: &'r mut BodyDecoder,
    data_end: &'r mut usize,
    pos: usize,
    pinned: bool,
}

impl<'r> BodyCursor<'r> {
    /// The next item of the body through `envelopes`; a message's payload range is into
    /// [`buffer`](Self::buffer) (stable until the next call that may compact it).
    ///
    /// # Errors
    ///
    /// A protocol fault in the envelopes.
    pub fn next(&mut self, envelopes: &mut StreamReader) -> Result<Item, StreamError> {
        let avail = &self.buf[self.pos..*self.data_end];
        let item = envelopes.next(avail, self.body.is_done())?;
        Ok(match item {
            Item::Message {
                payload,
                compressed,
                consumed,
            } => {
                let payload = self.pos + payload.start..self.pos + payload.end;
                self.pos += consumed;
                Item::Message {
                    payload,
                    compressed,
                    consumed,
                }
            }
            Item::End {
                payload,
                compressed,
                consumed,
            } => Item::End {
                payload: self.pos + payload.start..self.pos + payload.end,
                compressed,
                consumed,
            },
            other => other,
        })
    }

    /// Whether another envelope's prefix (a valid one) has arrived.
    ///
    /// # Errors
    ///
    /// An invalid prefix.
    pub fn peek_more(&self, envelopes: &StreamReader) -> Result<bool, StreamError> {
        envelopes.peek_more(&self.buf[self.pos..*self.data_end])
    }

    /// Whether the whole body has been decoded.
    #[must_use]
    pub fn body_done(&self) -> bool {
        self.body.is_done()
    }

    /// Whether the body ended cleanly after the last message (call once
    /// [`body_done`](Self::body_done)).
    ///
    /// # Errors
    ///
    /// Bytes left over that are not a whole envelope.
    pub fn finish(&self, envelopes: &mut StreamReader) -> Result<(), StreamError> {
        envelopes
            .next(&self.buf[self.pos..*self.data_end], true)
            .map(|_| ())
    }

    /// Keeps consumed messages in place from now on (a message returned earlier is still
    /// in use).
    pub fn pin(&mut self) {
        self.pinned = true;
    }

    /// Before reading more: drops consumed messages (unless pinned) and decodes raw bytes
    /// already buffered; `true` if that brought more body bytes (no read needed yet).
    ///
    /// # Errors
    ///
    /// Bad chunk framing, or a body over the limit.
    pub fn make_room(&mut self) -> Result<bool, Http1Error> {
        if self.pos > 0 && !self.pinned {
            self.buf.drain(..self.pos);
            *self.data_end -= self.pos;
            self.pos = 0;
        }
        decode_buffered(self.buf, self.body, self.data_end)
    }

    /// After a read appended to [`buffer_mut`](Self::buffer_mut): decodes what it brought.
    ///
    /// # Errors
    ///
    /// Bad chunk framing, or a body over the limit.
    pub fn decode(&mut self) -> Result<(), Http1Error> {
        decode_buffered(self.buf, self.body, self.data_end).map(|_| ())
    }

    /// The buffer (payload ranges from [`next`](Self::next) index into it).
    pub fn buffer(&mut self) -> &mut [u8] {
        self.buf
    }

    /// The buffer, for reading more onto its end.
    pub fn buffer_mut(&mut self) -> &mut Vec<u8> {
        self.buf
    }

    /// The buffer for the rest of the call's life (a message borrows it).
    #[must_use]
    pub fn into_buffer(self) -> &'r mut [u8] {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;
    use crate::compression::Compression;

    fn reader() -> RequestReader {
        RequestReader::new(Limits::default())
    }

    /// Feeds `input` in pieces of `step` bytes until the head is complete.
    fn head(r: &mut RequestReader, input: &mut std::slice::Chunks<'_, u8>) {
        r.begin_head(4096);
        while !r.parse_head().unwrap() {
            r.buffer_mut().extend_from_slice(input.next().unwrap());
        }
        r.open_body().unwrap();
    }

    const TWO: &[u8] = b"POST /a HTTP/1.1\r\nhost: h\r\nx-a: 1\r\ncontent-length: 5\r\n\r\nhello\
        POST /b HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n\
        GET /c HTTP/1.1\r\nhost: h\r\n\r\n";

    #[test]
    fn pipelined_unary_requests_at_every_split_point() {
        for step in 1..=TWO.len() {
            let mut r = reader();
            r.set_buffer(Vec::new());
            let mut input = TWO.chunks(step);
            let mut bodies = Vec::new();
            let mut paths = Vec::new();
            for _ in 0..3 {
                head(&mut r, &mut input);
                paths.push(r.head().path(r.head_bytes()).to_owned());
                loop {
                    r.decode().unwrap();
                    if r.body_done() {
                        break;
                    }
                    r.buffer_mut().extend_from_slice(input.next().unwrap());
                }
                let (head, bytes, body) = r.parts();
                assert_eq!(head.path(bytes), paths.last().unwrap(), "step {step}");
                bodies.push(body.to_vec());
                assert_eq!(r.discard_body().unwrap(), Discard::Done);
            }
            assert_eq!(paths, ["/a", "/b", "/c"], "step {step}");
            // A finished head that was not kept reads as empty, not as the next bytes.
            assert_eq!(r.head().path(r.head_bytes()), "", "step {step}");
            assert_eq!(bodies, [&b"hello"[..], b"abcde", b""], "step {step}");
            // What is left unread comes next; nothing is.
            assert!(r.has_input() == input.next().is_some());
        }
    }

    #[test]
    fn a_kept_head_outlives_the_body() {
        let mut r = reader();
        let mut input = TWO.chunks(TWO.len());
        head(&mut r, &mut input);
        r.keep_head();
        assert_eq!(r.discard_body().unwrap(), Discard::Done);
        // The buffer now starts with the next request; the head still reads.
        assert!(r.has_input());
        assert_eq!(r.head().path(r.head_bytes()), "/a");
        assert_eq!(r.head().header(r.head_bytes(), "x-a"), Some(&b"1"[..]));
    }

    #[test]
    fn an_unfinished_body_is_discarded_read_by_read() {
        let input = b"POST /a HTTP/1.1\r\nhost: h\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\nnext";
        let mut r = reader();
        let head_len = input.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        r.buffer_mut().extend_from_slice(&input[..head_len]);
        let mut pieces = input[head_len..].chunks(7);
        head(&mut r, &mut pieces);
        let mut dropped = 0;
        while let Discard::More(n) = r.discard_body().unwrap() {
            dropped += n;
            r.buffer_mut().extend_from_slice(pieces.next().unwrap());
        }
        // The last step's bytes go uncounted: the body was over.
        assert!(dropped > 0 && dropped <= 8, "{dropped}");
        assert_eq!(r.take_buffer(), b"next");
        assert_eq!(r.declared_unread(), None);
    }

    #[test]
    fn a_declared_length_over_the_limit_is_refused_before_the_body() {
        let limits = Limits {
            max_body_size: 4,
            ..Limits::default()
        };
        let mut r = RequestReader::new(limits);
        r.buffer_mut()
            .extend_from_slice(b"POST /a HTTP/1.1\r\nhost: h\r\ncontent-length: 5\r\n\r\n");
        r.begin_head(4096);
        assert!(r.parse_head().unwrap());
        assert_eq!(r.open_body(), Err(Http1Error::BodyTooLarge));
        assert_eq!(r.declared_unread(), Some(5));
    }

    fn envelope(payload: &[u8]) -> Vec<u8> {
        let mut e = vec![0];
        e.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
        e.extend_from_slice(payload);
        e
    }

    #[test]
    fn stream_messages_at_every_split_point() {
        let mut body = envelope(b"one");
        body.extend(envelope(b"two"));
        body.extend(envelope(b""));
        let mut input = format!(
            "POST /s HTTP/1.1\r\nhost: h\r\nx-h: v\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        input.extend_from_slice(&body);
        input.extend_from_slice(b"GET /next HTTP/1.1\r\nhost: h\r\n\r\n");
        for step in 1..=input.len() {
            let mut r = reader();
            let mut pieces = input.chunks(step);
            head(&mut r, &mut pieces);
            r.begin_stream();
            let mut got = Vec::new();
            {
                let (head, bytes, mut cursor) = r.stream_parts();
                assert_eq!(head.header(bytes, "x-h"), Some(&b"v"[..]));
                let mut envelopes = StreamReader::new(Role::Server, Compression::Identity, 64);
                loop {
                    match cursor.next(&mut envelopes).unwrap() {
                        Item::Message { payload, .. } => {
                            got.push(cursor.buffer()[payload].to_vec());
                        }
                        Item::NeedMore => {
                            if !cursor.make_room().unwrap() {
                                let more = pieces.next().unwrap();
                                cursor.buffer_mut().extend_from_slice(more);
                                cursor.decode().unwrap();
                            }
                        }
                        Item::Finished => break,
                        Item::End { .. } => panic!("end-stream in a request"),
                    }
                }
            }
            assert_eq!(got, [&b"one"[..], b"two", b""], "step {step}");
            // The head still reads after the body moved; the next request follows.
            assert_eq!(r.head().path(r.head_bytes()), "/s");
            assert_eq!(r.discard_body().unwrap(), Discard::Done);
            head(&mut r, &mut pieces);
            assert_eq!(r.head().path(r.head_bytes()), "/next", "step {step}");
        }
    }

    #[test]
    fn a_pinned_cursor_keeps_the_first_message_in_place() {
        let mut body = envelope(b"first");
        body.extend(envelope(b"second"));
        let mut input = format!(
            "POST /s HTTP/1.1\r\nhost: h\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        input.extend_from_slice(&body);
        let mut r = reader();
        let mut pieces = input.chunks(input.len() - 3);
        head(&mut r, &mut pieces);
        r.begin_stream();
        let (_, _, mut cursor) = r.stream_parts();
        let mut envelopes = StreamReader::new(Role::Server, Compression::Identity, 64);
        // The body's bytes are raw until decoded: the first step asks for that.
        assert!(matches!(
            cursor.next(&mut envelopes).unwrap(),
            Item::NeedMore
        ));
        assert!(cursor.make_room().unwrap());
        let Item::Message { payload, .. } = cursor.next(&mut envelopes).unwrap() else {
            panic!("no first message");
        };
        cursor.pin();
        assert!(cursor.peek_more(&envelopes).unwrap());
        assert!(matches!(
            cursor.next(&mut envelopes).unwrap(),
            Item::NeedMore
        ));
        assert!(!cursor.make_room().unwrap());
        cursor
            .buffer_mut()
            .extend_from_slice(pieces.next().unwrap());
        cursor.decode().unwrap();
        assert!(cursor.body_done());
        assert_eq!(&cursor.into_buffer()[payload], b"first");
    }

    fn env(p: &[u8]) -> Vec<u8> {
        let mut e = vec![0];
        e.extend_from_slice(&u32::try_from(p.len()).unwrap().to_be_bytes());
        e.extend_from_slice(p);
        e
    }

    fn chunked(body: &[u8], piece: usize) -> Vec<u8> {
        let mut r = Vec::new();
        for part in body.chunks(piece) {
            r.extend(format!("{:x};x=y\r\n", part.len()).into_bytes());
            r.extend_from_slice(part);
            r.extend_from_slice(b"\r\n");
        }
        r.extend_from_slice(b"0\r\nx-t: 1\r\nx-u: 2\r\n\r\n");
        r
    }

    /// Streams (chunked with extensions and trailers, read whole, or only their first message
    /// as a server-stream request is), unary requests and a GET, pipelined, at every split
    /// point: each body, each head after the body is discarded, and nothing left over.
    #[test]
    fn mixed_streams_and_unary_at_every_split_point() {
        let sbody = [env(b"one"), env(b"two"), env(b"three")].concat();
        let mut input = Vec::new();
        input.extend_from_slice(
            b"POST /s1 HTTP/1.1\r\nhost: h\r\nx-h: 1\r\ntransfer-encoding: chunked\r\n\r\n",
        );
        input.extend(chunked(&sbody, 4));
        input.extend(b"POST /u1 HTTP/1.1\r\nhost: h\r\nx-h: 2\r\ncontent-length: 3\r\n\r\nabc");
        // A stream of which only the first message is read (the rest discarded).
        input.extend(
            format!(
                "POST /s2 HTTP/1.1\r\nhost: h\r\nx-h: 3\r\ncontent-length: {}\r\n\r\n",
                sbody.len()
            )
            .into_bytes(),
        );
        input.extend_from_slice(&sbody);
        input.extend(b"GET /g HTTP/1.1\r\nhost: h\r\nx-h: 4\r\n\r\n");
        input.extend(
            b"POST /s3 HTTP/1.1\r\nhost: h\r\nx-h: 5\r\ntransfer-encoding: chunked\r\n\r\n",
        );
        input.extend(chunked(&sbody, 1));
        input.extend(
            b"POST /u2 HTTP/1.1\r\nhost: h\r\nx-h: 6\r\ntransfer-encoding: chunked\r\n\r\n",
        );
        input.extend(chunked(b"hello world", 3));
        for step in 1..=input.len() {
            let mut r = RequestReader::new(Limits::default());
            let mut pieces = input.chunks(step);
            let mut log: Vec<String> = Vec::new();
            for i in 0..6 {
                r.begin_head(64);
                while !r.parse_head().unwrap() {
                    r.buffer_mut().extend_from_slice(pieces.next().unwrap());
                }
                r.open_body().unwrap();
                let path = r.head().path(r.head_bytes()).to_owned();
                let xh =
                    String::from_utf8(r.head().header(r.head_bytes(), "x-h").unwrap().to_vec())
                        .unwrap();
                assert_eq!(xh, (i + 1).to_string(), "step {step}");
                if path.starts_with("/s") {
                    if i % 2 == 0 {
                        r.keep_head();
                    }
                    r.begin_stream();
                    let (_, _, mut c) = r.stream_parts();
                    let mut env_r = StreamReader::new(Role::Server, Compression::Identity, 64);
                    let mut got = Vec::new();
                    let only_first = path == "/s2";
                    let mut first = None;
                    loop {
                        match c.next(&mut env_r).unwrap() {
                            Item::Message { payload, .. } => {
                                got.push(
                                    String::from_utf8(c.buffer()[payload.clone()].to_vec())
                                        .unwrap(),
                                );
                                if only_first {
                                    first = Some(payload);
                                    c.pin();
                                    // Wait for a second prefix, as server_stream does.
                                    loop {
                                        if c.peek_more(&env_r).unwrap() {
                                            break;
                                        }
                                        if !c.make_room().unwrap() {
                                            c.buffer_mut()
                                                .extend_from_slice(pieces.next().unwrap());
                                            c.decode().unwrap();
                                        }
                                    }
                                    break;
                                }
                            }
                            Item::NeedMore => {
                                if !c.make_room().unwrap() {
                                    c.buffer_mut().extend_from_slice(pieces.next().unwrap());
                                    c.decode().unwrap();
                                }
                            }
                            Item::Finished => break,
                            Item::End { .. } => panic!("end-stream in a request"),
                        }
                    }
                    if let Some(f) = first {
                        assert_eq!(&c.into_buffer()[f], b"one", "step {step}");
                    }
                    log.push(format!("{path}:{}", got.join(",")));
                } else {
                    loop {
                        r.decode().unwrap();
                        if r.body_done() {
                            break;
                        }
                        r.buffer_mut().extend_from_slice(pieces.next().unwrap());
                    }
                    r.keep_head();
                    let (_, _, b) = r.parts();
                    log.push(format!("{path}:{}", String::from_utf8_lossy(b)));
                }
                // Discard what is left, reading as needed.
                while let Discard::More(_) = r.discard_body().unwrap() {
                    r.buffer_mut().extend_from_slice(pieces.next().unwrap());
                }
                // The head still reads after the discard (copied aside above or by the stream).
                assert_eq!(r.head().path(r.head_bytes()), path, "step {step}");
            }
            assert_eq!(
                log,
                [
                    "/s1:one,two,three",
                    "/u1:abc",
                    "/s2:one",
                    "/g:",
                    "/s3:one,two,three",
                    "/u2:hello world"
                ],
                "step {step}"
            );
            assert!(!r.has_input() && pieces.next().is_none(), "step {step}");
        }
    }
}
