//! A whole server connection without sockets: a generated sequence of pipelined requests
//! (unary POSTs with Content-Length and chunked bodies, compressed or not; GETs with query
//! messages; client-, server- and bidi-stream POSTs with envelopes; and hostile ones:
//! garbage, broken heads, lying lengths, wrong content types and encodings, unknown paths,
//! HTTP/1.0, `Expect: 100-continue`) arrives in fuzzer-chosen pieces and goes through the
//! connect-wire calls the monoio server driver makes, in the driver's order
//! (`connect-engine/src/server/{conn.rs,busy_conn.rs,call/*.rs}`): `server::RequestReader`
//! (head, body framing, the unary body with the size check, the stream body through its
//! `BodyCursor` and `StreamReader`, the drain), routing, `server::negotiate`, the refusal
//! writers, `get::parse_query` / `get::decode_message`, `Codecs`, the call's
//! `protocol::Responder` and the HTTP/1.1 response writers (`server::open_unary` /
//! `close_unary`, `write_stream_head`, `write_stream_end`, `write_error`).
//! Handlers echo: a unary call returns its request, a client stream the concatenation of
//! its messages, a server stream its request twice, a bidi stream each message as it
//! arrives.
//!
//! The driver logic that is not in connect-wire is mirrored here, not shared: see
//! `FUZZING.md` (section "`server_conn` and the driver") for what that leaves untested.
//!
//! Input layout (see `fuzz/seeds/generate.py`): a hostile flag (off: only requests that
//! keep to the protocol are generated), a small-body-limit flag, head-size and header-count
//! bytes, the `u16` body limit (small-body runs only), the `u16` message limit (`% 1024`), a
//! drain-limit byte, a cut count (`% 8`) and `u16` cut points (where the peer's writes end),
//! a request count (`1 + b % 6`), then per request the generator's choices in the order
//! `generate` reads them.
//!
//! Properties: no panic; the read buffer never exceeds the driver's bound; no message over
//! the message limit reaches a handler; the output is a sequence of well-formed HTTP/1.1
//! responses, exactly one per request head the server read (plus one for a bad head); a
//! unary Connect error's status is its code's; a stream's end-stream message parses. For a
//! sequence of requests that keep to the protocol, the server sees each request's path in
//! order (every byte of the pipeline accounted for: nothing lost or read twice), answers
//! each with the echo or the error code the request calls for, and consumes all input.
#![no_main]

use std::cell::RefCell;
use std::fmt::Write as _;

use base64::Engine as _;
use connect_fuzz::Input;
use connect_wire::client::{Verdict, classify_stream, classify_unary, unary_error};
use connect_wire::compression::{Codecs, Compression};
use connect_wire::error::parse_end_stream;
use connect_wire::http1::{BodyDecoder, DecodeBody, Limits, ResponseHead, ResponseParser, Status};
use connect_wire::protocol::Responder;
use connect_wire::server::{
    BodyCursor, Discard, Negotiated, RequestReader, Shape, close_unary, negotiate, open_unary,
    write_error, write_http_error, write_refusal, write_stream_end, write_stream_head,
};
use connect_wire::service::{Idempotency, MethodDescriptor, StreamKind};
use connect_wire::stream::{self, Framing, Item, StreamReader};
use connect_wire::{Code, Codec, ConnectError, Role, envelope, fault, get};
use http::{HeaderMap, Method};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static CODECS: RefCell<Codecs> = RefCell::new(Codecs::new());
}

fn with_codecs<R>(f: impl FnOnce(&mut Codecs) -> R) -> R {
    CODECS.with_borrow_mut(f)
}

const fn method(
    path: &'static str,
    kind: StreamKind,
    idempotency: Idempotency,
) -> MethodDescriptor {
    MethodDescriptor {
        name: "M",
        path,
        input_type: "t.Req",
        output_type: "t.Resp",
        kind,
        idempotency,
    }
}

/// The routes, sorted by path as the router keeps them.
static ROUTES: [MethodDescriptor; 5] = [
    method("/t.S/Bidi", StreamKind::BidiStream, Idempotency::Unknown),
    method(
        "/t.S/Client",
        StreamKind::ClientStream,
        Idempotency::Unknown,
    ),
    method("/t.S/Get", StreamKind::Unary, Idempotency::NoSideEffects),
    method(
        "/t.S/Server",
        StreamKind::ServerStream,
        Idempotency::Unknown,
    ),
    method("/t.S/Unary", StreamKind::Unary, Idempotency::Unknown),
];

fn route(path: &str) -> Option<&'static MethodDescriptor> {
    ROUTES
        .binary_search_by_key(&path, |m| m.path)
        .ok()
        .map(|i| &ROUTES[i])
}

/// The driver's settings (`ServerConfig`).
#[derive(Clone, Copy, Debug)]
struct Config {
    limits: Limits,
    max_message: usize,
    max_drain: usize,
}

impl Config {
    /// `BusyConn::max_buffer`.
    fn max_buffer(&self) -> usize {
        self.limits
            .max_head_size
            .max(self.max_message.saturating_add(64 * 1024))
    }
}

/// The peer's side of the socket: the request bytes, sent in pieces.
struct Peer<'a> {
    bytes: &'a [u8],
    sent: usize,
    cuts: Vec<usize>,
}

/// `transport::ReadError`, less the timeouts (the model has no clock).
#[derive(Debug)]
enum ReadError {
    Full,
    Eof,
}

impl Peer<'_> {
    /// `transport::read_more`: appends one read (up to the next piece boundary) to `buf`,
    /// which never grows past `max`.
    fn read_more(&mut self, buf: &mut Vec<u8>, max: usize) -> Result<usize, ReadError> {
        if buf.len() >= max {
            return Err(ReadError::Full);
        }
        if self.sent == self.bytes.len() {
            return Err(ReadError::Eof);
        }
        let piece_end = self
            .cuts
            .iter()
            .copied()
            .find(|&c| c > self.sent)
            .unwrap_or(self.bytes.len())
            .min(self.bytes.len());
        let n = (piece_end - self.sent).min(max - buf.len());
        buf.extend_from_slice(&self.bytes[self.sent..self.sent + n]);
        self.sent += n;
        assert!(buf.len() <= max);
        Ok(n)
    }
}

/// The connection state (`BusyConn`).
struct Conn<'a> {
    cfg: Config,
    peer: Peer<'a>,
    req: RequestReader,
    wbuf: Vec<u8>,
    close: bool,
    scratch: Vec<u8>,
    scratch2: Vec<u8>,
    /// What the model observed, for the checks.
    paths: Vec<String>,
    responses: usize,
}

enum HeadRead {
    Ready,
    Gone,
    Bad(u16),
}

/// Where a unary message lies (`MessageAt`).
enum MessageAt {
    Body,
    Scratch,
}

impl<'a> Conn<'a> {
    /// `conn::read_head`.
    fn read_head(&mut self) -> HeadRead {
        self.req.begin_head(4096);
        let max = self.cfg.max_buffer();
        let mut started = false;
        loop {
            if self.req.has_input() {
                match self.req.parse_head() {
                    Ok(true) => return HeadRead::Ready,
                    Ok(false) => {}
                    Err(e) => return HeadRead::Bad(e.status().as_u16()),
                }
                started = true;
            }
            match self.peer.read_more(self.req.buffer_mut(), max) {
                Ok(_) => {}
                Err(ReadError::Full) => return HeadRead::Bad(431),
                Err(ReadError::Eof) if started => return HeadRead::Bad(400),
                Err(ReadError::Eof) => return HeadRead::Gone,
            }
        }
    }

    /// `conn::serve` with its busy turns (`conn::requests`, `dispatch`, `settle`).
    fn serve(&mut self) {
        loop {
            match self.read_head() {
                HeadRead::Ready => {}
                HeadRead::Gone => break,
                HeadRead::Bad(status) => {
                    write_http_error(&mut self.wbuf, status, None, true);
                    self.responses += 1;
                    break;
                }
            }
            let head = self.req.head();
            self.close = !head.keep_alive();
            let expects_continue = head.expect_continue() && head.has_body();
            if let Err(e) = self.req.open_body() {
                write_http_error(&mut self.wbuf, e.status().as_u16(), None, true);
                self.responses += 1;
                break;
            }
            let (head, head_bytes) = (self.req.head(), self.req.head_bytes());
            let path = head.path(head_bytes);
            self.paths.push(path.to_owned());
            let route = route(path);
            let negotiated = route.map(|r| negotiate(&head.view(head_bytes), r));
            if expects_continue && !matches!(negotiated, Some(Ok(_))) {
                self.close = true;
            }
            self.responses += 1;
            match route.zip(negotiated) {
                None => write_http_error(&mut self.wbuf, 404, None, self.close),
                Some((_, Err(reject))) => write_refusal(&mut self.wbuf, reject, self.close),
                Some((m, Ok(neg))) => {
                    if expects_continue {
                        self.wbuf
                            .extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                    }
                    self.call(m, neg);
                }
            }
            if !self.close {
                self.finish_body();
            }
            if self.close {
                break;
            }
        }
    }

    /// The generated service's dispatch.
    fn call(&mut self, m: &MethodDescriptor, neg: Negotiated) {
        match (neg.shape, m.kind) {
            (Shape::Stream, StreamKind::ServerStream) => self.server_stream(neg),
            (Shape::Stream, kind) => self.stream(neg, kind == StreamKind::BidiStream),
            _ => self.unary(neg),
        }
    }

    /// `Call::unary` with an echo handler and `UnaryReply`.
    fn unary(&mut self, neg: Negotiated) {
        let loaded = match neg.shape {
            Shape::Get => self.load_get_message(),
            _ => self.read_unary_body(neg.request_compression),
        };
        let message = match loaded {
            Ok(MessageAt::Body) => self.req.parts().2.to_vec(),
            Ok(MessageAt::Scratch) => self.scratch.clone(),
            Err(e) => {
                let close = self.close;
                write_error(
                    &mut self.wbuf,
                    neg.responder(),
                    &e,
                    &HeaderMap::new(),
                    &HeaderMap::new(),
                    close,
                );
                return;
            }
        };
        assert!(
            message.len() <= self.cfg.max_message,
            "a message over the limit reached the handler"
        );
        let close = self.close;
        let r = neg.responder();
        let compression = r.compression();
        let open = open_unary(
            &mut self.wbuf,
            r,
            compression,
            &HeaderMap::new(),
            &HeaderMap::new(),
            close,
        );
        let start = r.begin_message(&mut self.wbuf, Framing::Raw);
        with_codecs(|c| c.compress(compression, &message, &mut self.wbuf))
            .expect("in-memory compression succeeds");
        r.finish_message(&mut self.wbuf, start, compression != Compression::Identity)
            .expect("a small message fits");
        r.end(&mut self.wbuf, Framing::Raw, None, &HeaderMap::new());
        close_unary(&mut self.wbuf, open);
    }

    /// `BusyConn::read_unary_body`.
    fn read_unary_body(&mut self, compression: Compression) -> Result<MessageAt, ConnectError> {
        let max = self.cfg.max_buffer();
        loop {
            self.req.decode().map_err(|e| {
                self.close = true;
                fault::body(Role::Server, e, self.cfg.limits.max_body_size)
            })?;
            if self.req.body_len() > self.cfg.max_message {
                self.close = true;
                return Err(fault::message_too_large(Role::Server, self.cfg.max_message));
            }
            if self.req.body_done() {
                break;
            }
            match self.peer.read_more(self.req.buffer_mut(), max) {
                Ok(_) => {}
                Err(ReadError::Full) => {
                    self.close = true;
                    return Err(fault::message_too_large(Role::Server, self.cfg.max_message));
                }
                Err(ReadError::Eof) => {
                    self.close = true;
                    return Err(ConnectError::new(
                        Code::InvalidArgument,
                        "request body ended early",
                    ));
                }
            }
        }
        if compression == Compression::Identity {
            return Ok(MessageAt::Body);
        }
        self.scratch.clear();
        let (_, _, body) = self.req.parts();
        let (scratch, max) = (&mut self.scratch, self.cfg.max_message);
        with_codecs(|c| c.decompress(compression, body, scratch, max))
            .map_err(|e| fault::decompress(Role::Server, e))?;
        Ok(MessageAt::Scratch)
    }

    /// `BusyConn::load_get_message`.
    fn load_get_message(&mut self) -> Result<MessageAt, ConnectError> {
        let max = self.cfg.max_message;
        let query = self.req.head().query(self.req.head_bytes()).unwrap_or("");
        let params = get::parse_query(query).map_err(|e| fault::get(e, max))?;
        self.scratch.clear();
        get::decode_message(&params, &mut self.scratch, &mut self.scratch2, max)
            .map_err(|e| fault::get(e, max))?;
        if params.compression == Compression::Identity {
            return Ok(MessageAt::Scratch);
        }
        self.scratch2.clear();
        let (input, out) = (&self.scratch, &mut self.scratch2);
        with_codecs(|c| c.decompress(params.compression, input, out, max))
            .map_err(|e| fault::decompress(Role::Server, e))?;
        std::mem::swap(&mut self.scratch, &mut self.scratch2);
        Ok(MessageAt::Scratch)
    }

    /// `RequestReader::begin_stream` and the `Framing` choice of `Call::streams`: the
    /// envelope reader and the response side.
    fn begin_stream(&mut self, neg: Negotiated) -> (StreamReader, StreamOut) {
        self.req.begin_stream();
        let framing = Framing::for_minor_version(self.req.head().version_minor());
        if framing == Framing::Raw {
            self.close = true;
        }
        let envelopes =
            StreamReader::new(Role::Server, neg.request_compression, self.cfg.max_message);
        let out = StreamOut {
            responder: neg.responder(),
            framing,
            head_sent: false,
        };
        (envelopes, out)
    }

    /// A stream call's connection, split: the reading side, the write buffer, and whether
    /// the connection closes after the response.
    fn split_stream(&mut self, envelopes: StreamReader) -> (Source<'_, 'a>, &mut Vec<u8>, bool) {
        let Conn {
            req,
            peer,
            wbuf,
            scratch,
            cfg,
            close,
            ..
        } = self;
        let src = Source {
            body: req.stream_parts().2,
            envelopes,
            peer,
            scratch,
            cfg: *cfg,
        };
        (src, wbuf, *close)
    }

    /// A client-stream (`bidi == false`) or bidi call with an echo handler.
    fn stream(&mut self, neg: Negotiated, bidi: bool) {
        let (envelopes, mut out) = self.begin_stream(neg);
        let (mut src, wbuf, close) = self.split_stream(envelopes);
        let mut all = Vec::new();
        let result = loop {
            match src.next_frame() {
                Ok(Some(message)) => {
                    assert!(message.len() <= src.cfg.max_message);
                    if bidi {
                        out.message(wbuf, close, &message);
                    } else {
                        all.extend_from_slice(&message);
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        if !bidi && result.is_ok() {
            out.message(wbuf, close, &all);
        }
        out.finish(wbuf, close, result.as_ref().err());
    }

    /// `Call::server_stream` with a handler that sends its request twice.
    fn server_stream(&mut self, neg: Negotiated) {
        let (envelopes, mut out) = self.begin_stream(neg);
        let (mut src, wbuf, close) = self.split_stream(envelopes);
        let counted = match src.next_frame() {
            Ok(Some(first)) => {
                src.body.pin();
                match src.another_message() {
                    Ok(false) => Ok(first),
                    Ok(true) => Err(ConnectError::new(
                        Code::Unimplemented,
                        "server-stream request has more than one message",
                    )),
                    Err(e) => Err(e),
                }
            }
            Ok(None) => Err(ConnectError::new(
                Code::Unimplemented,
                "server-stream request has no message",
            )),
            Err(e) => Err(e),
        };
        match counted {
            Ok(message) => {
                assert!(message.len() <= src.cfg.max_message);
                out.message(wbuf, close, &message);
                out.message(wbuf, close, &message);
                out.finish(wbuf, close, None);
            }
            Err(e) => out.finish(wbuf, close, Some(&e)),
        }
    }

    /// `BusyConn::finish_body`.
    fn finish_body(&mut self) {
        if self
            .req
            .declared_unread()
            .is_some_and(|rest| rest > self.cfg.max_drain as u64)
        {
            self.close = true;
            return;
        }
        let max = self.cfg.max_buffer();
        let mut drained = 0usize;
        loop {
            match self.req.discard_body() {
                Ok(Discard::Done) => return,
                Ok(Discard::More(n)) => drained += n,
                Err(_) => {
                    self.close = true;
                    return;
                }
            }
            if drained > self.cfg.max_drain
                || self.peer.read_more(self.req.buffer_mut(), max).is_err()
            {
                self.close = true;
                return;
            }
        }
    }
}

/// The reading side of a stream call (`StreamSource`): the body cursor and the peer.
struct Source<'c, 'p> {
    body: BodyCursor<'c>,
    envelopes: StreamReader,
    peer: &'c mut Peer<'p>,
    scratch: &'c mut Vec<u8>,
    cfg: Config,
}

impl Source<'_, '_> {
    /// `StreamSource::next_frame` (the payload is copied out: the model's handlers own it).
    fn next_frame(&mut self) -> Result<Option<Vec<u8>>, ConnectError> {
        loop {
            let item = self
                .body
                .next(&mut self.envelopes)
                .map_err(|e| fault::stream(Role::Server, e))?;
            match item {
                Item::Message {
                    payload,
                    compressed,
                    ..
                } => {
                    if !compressed {
                        return Ok(Some(self.body.buffer()[payload].to_vec()));
                    }
                    self.scratch.clear();
                    let (input, out, alg, max) = (
                        &self.body.buffer()[payload],
                        &mut *self.scratch,
                        self.envelopes.compression(),
                        self.cfg.max_message,
                    );
                    with_codecs(|c| c.decompress(alg, input, out, max))
                        .map_err(|e| fault::decompress(Role::Server, e))?;
                    return Ok(Some(self.scratch.clone()));
                }
                Item::NeedMore => self.fill()?,
                Item::Finished => return Ok(None),
                Item::End { .. } => {
                    return Err(fault::stream(
                        Role::Server,
                        stream::StreamError::EndStreamInRequest,
                    ));
                }
            }
        }
    }

    /// `StreamSource::another_message`.
    fn another_message(&mut self) -> Result<bool, ConnectError> {
        loop {
            let bad = |e| fault::stream(Role::Server, e);
            if self.body.peek_more(&self.envelopes).map_err(bad)? {
                return Ok(true);
            }
            if self.body.body_done() {
                return self
                    .body
                    .finish(&mut self.envelopes)
                    .map(|()| false)
                    .map_err(bad);
            }
            self.fill()?;
        }
    }

    /// `StreamSource::fill`.
    fn fill(&mut self) -> Result<(), ConnectError> {
        let max_body = self.cfg.limits.max_body_size;
        let body_error = |e| fault::body(Role::Server, e, max_body);
        if self.body.make_room().map_err(body_error)? {
            return Ok(());
        }
        let max = self.cfg.max_message.saturating_add(64 * 1024);
        match self.peer.read_more(self.body.buffer_mut(), max) {
            Ok(_) => self.body.decode().map_err(body_error),
            Err(ReadError::Full) => {
                Err(fault::message_too_large(Role::Server, self.cfg.max_message))
            }
            Err(ReadError::Eof) => Err(fault::ended_early(Role::Server)),
        }
    }
}

/// The writing side of a stream call (`ResponseStream`), rendering into the write buffer.
struct StreamOut {
    responder: Responder,
    framing: Framing,
    head_sent: bool,
}

impl StreamOut {
    fn ensure_head(&mut self, wbuf: &mut Vec<u8>, close: bool) {
        if !self.head_sent {
            write_stream_head(wbuf, self.responder, &HeaderMap::new(), close, self.framing);
            self.head_sent = true;
        }
    }

    fn message(&mut self, wbuf: &mut Vec<u8>, close: bool, message: &[u8]) {
        self.ensure_head(wbuf, close);
        let r = self.responder;
        let start = r.begin_message(wbuf, self.framing);
        let compression = r.compression();
        with_codecs(|c| c.compress(compression, message, wbuf))
            .expect("in-memory compression succeeds");
        r.finish_message(wbuf, start, compression != Compression::Identity)
            .expect("a small message fits an envelope");
    }

    fn finish(mut self, wbuf: &mut Vec<u8>, close: bool, error: Option<&ConnectError>) {
        self.ensure_head(wbuf, close);
        write_stream_end(wbuf, self.responder, self.framing, error, &HeaderMap::new());
    }
}

// ---------------------------------------------------------------------------------------
// Requests.

/// What the server must answer to a request that keeps to the protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Answer {
    /// A successful response with these messages (one for unary calls).
    Echo(Vec<Vec<u8>>),
    /// A Connect error with this code (a unary error; for streams, after `Vec` echoes).
    Error(Vec<Vec<u8>>, Code),
}

/// One generated request: its bytes, path, and the answer when it keeps to the protocol.
struct Request {
    bytes: Vec<u8>,
    path: String,
    answer: Option<Answer>,
}

const PATHS: [&str; 6] = [
    "/t.S/Unary",
    "/t.S/Get",
    "/t.S/Client",
    "/t.S/Server",
    "/t.S/Bidi",
    "/t.S/Nope",
];

fn compress(alg: Compression, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    with_codecs(|c| c.compress(alg, data, &mut out)).expect("in-memory compression succeeds");
    out
}

fn percent_encode(data: &[u8]) -> String {
    data.iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Frames `body` with Content-Length (`chunks` 0) or chunks of `chunks` bytes.
fn frame_body(head: &mut Vec<u8>, body: &[u8], chunks: usize) {
    if chunks == 0 {
        head.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
        head.extend_from_slice(body);
        return;
    }
    head.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
    for chunk in body.chunks(chunks) {
        head.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        head.extend_from_slice(chunk);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"0\r\n\r\n");
}

#[allow(clippy::too_many_lines)]
fn generate(input: &mut Input<'_>, cfg: &Config, hostile: bool) -> Request {
    let max = cfg.max_message;
    // Kinds 0-4 keep to the protocol; 5-7 (hostile runs only) do not.
    let kind = input.below(if hostile { 8 } else { 5 });
    if kind == 7 {
        // Garbage, or a request head with a hostile line in it.
        let bytes = if input.flag() {
            input.bytes().to_vec()
        } else {
            const LINES: [&str; 8] = [
                "content-length: 1, 1",
                "transfer-encoding: gzip, chunked",
                "content-length: 99999999999999999999",
                "expect: 100-continue",
                "x: a\nb",
                " folded: x",
                "connection: close",
                "content-length: 3\r\ntransfer-encoding: chunked",
            ];
            let line = LINES[input.below(LINES.len())];
            format!(
                "POST /t.S/Unary HTTP/1.1\r\ncontent-type: application/proto\r\n{line}\r\n\r\nabc"
            )
            .into_bytes()
        };
        return Request {
            bytes,
            path: String::new(),
            answer: None,
        };
    }
    let mut honest = true;
    let path_index = match kind {
        // Streams go to a stream path, the others to a unary one (hostile runs: mostly).
        0 | 1 if !hostile || input.below(8) != 0 => input.below(2),
        2..=4 if !hostile || input.below(8) != 0 => 2 + input.below(3),
        _ => {
            honest = false;
            input.below(PATHS.len())
        }
    };
    let path = PATHS[path_index];
    let stream_call = (2..=4).contains(&path_index);
    let codec = if input.flag() {
        Codec::Json
    } else {
        Codec::Proto
    };
    let compression = [
        Compression::Identity,
        Compression::Gzip,
        Compression::Zstd,
        Compression::Br,
    ][input.below(4)];
    let minor = if hostile && input.below(16) == 0 {
        honest = false;
        0
    } else {
        1
    };
    let mut head = Vec::new();
    let get = kind == 1;
    let answer;
    if get {
        let payload = input.bytes();
        let sent = compress(compression, payload);
        let base64 = compression != Compression::Identity || input.flag();
        let message = if base64 {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&sent)
        } else {
            percent_encode(&sent)
        };
        let mut query = format!("encoding={}&message={message}", codec.name());
        if base64 {
            query.push_str("&base64=1");
        }
        if compression != Compression::Identity {
            write!(query, "&compression={}", compression.name()).expect("to a String");
        }
        if input.flag() {
            query.insert_str(0, "connect=v1&");
        }
        head.extend_from_slice(
            format!("GET {path}?{query} HTTP/1.{minor}\r\nhost: t\r\n\r\n").as_bytes(),
        );
        if path != "/t.S/Get" {
            honest = false;
        }
        answer = if payload.len() > max || sent.len() > max {
            Answer::Error(Vec::new(), Code::ResourceExhausted)
        } else {
            Answer::Echo(vec![payload.to_vec()])
        };
    } else {
        head.extend_from_slice(format!("POST {path} HTTP/1.{minor}\r\nhost: t\r\n").as_bytes());
        let shape_stream = match kind {
            0 | 1 => false,
            5 => !stream_call,
            _ => true,
        };
        if shape_stream != stream_call {
            honest = false;
        }
        let content_type = match (shape_stream, codec) {
            (false, Codec::Proto) => "application/proto",
            (false, Codec::Json) => "application/json",
            (true, Codec::Proto) => "application/connect+proto",
            (true, Codec::Json) => "application/connect+json",
        };
        head.extend_from_slice(format!("content-type: {content_type}\r\n").as_bytes());
        let encoding_header = if shape_stream {
            "connect-content-encoding"
        } else {
            "content-encoding"
        };
        // Options 0-2 keep to the protocol; 3-6 (hostile runs only) do not.
        match input.below(if hostile { 8 } else { 3 }) {
            1 => head
                .extend_from_slice(b"connect-protocol-version: 1\r\nconnect-timeout-ms: 5000\r\n"),
            2 => head.extend_from_slice(
                b"accept-encoding: gzip;q=0.5, br\r\nconnect-accept-encoding: zstd\r\n",
            ),
            3 => {
                honest = false;
                head.extend_from_slice(format!("{encoding_header}: lz4\r\n").as_bytes());
            }
            4 => {
                honest = false;
                head.extend_from_slice(b"connect-protocol-version: 2\r\n");
            }
            5 => {
                honest = false;
                head.extend_from_slice(b"connect-timeout-ms: soon\r\n");
            }
            6 => {
                honest = false;
                head.extend_from_slice(b"expect: 100-continue\r\n");
            }
            _ => {}
        }
        if compression != Compression::Identity {
            head.extend_from_slice(
                format!("{encoding_header}: {}\r\n", compression.name()).as_bytes(),
            );
        }
        let chunks = if input.flag() { 1 + input.below(32) } else { 0 };
        let mut body = Vec::new();
        if shape_stream {
            let count = input.below(4);
            let mut messages = Vec::new();
            let mut error = None;
            let mut sizes = Vec::new();
            for _ in 0..count {
                let payload = input.bytes();
                let sent = compress(compression, payload);
                let flags = if compression == Compression::Identity {
                    0
                } else {
                    envelope::FLAG_COMPRESSED
                };
                envelope::write(&mut body, flags, &sent).expect("small");
                sizes.push((payload.len(), sent.len()));
                messages.push(payload.to_vec());
            }
            if hostile && input.below(8) == 0 {
                // An end-stream message in a request.
                honest = false;
                envelope::write(&mut body, envelope::FLAG_END_STREAM, b"{}").expect("small");
            }
            // What the handler sees, message by message.
            let mut echoed = Vec::new();
            for (i, &(plain, sent)) in sizes.iter().enumerate() {
                if plain > max || sent > max {
                    error = Some(Code::ResourceExhausted);
                    break;
                }
                echoed.push(messages[i].clone());
            }
            answer = match (path, error) {
                ("/t.S/Bidi", None) => Answer::Echo(echoed),
                ("/t.S/Bidi", Some(code)) => Answer::Error(echoed, code),
                ("/t.S/Client", None) => Answer::Echo(vec![messages.concat()]),
                ("/t.S/Client", Some(code)) => Answer::Error(Vec::new(), code),
                _ => match sizes.len() {
                    0 => Answer::Error(Vec::new(), Code::Unimplemented),
                    _ if sizes[0].0 > max || sizes[0].1 > max => {
                        Answer::Error(Vec::new(), Code::ResourceExhausted)
                    }
                    1 => Answer::Echo(vec![messages[0].clone(), messages[0].clone()]),
                    // The second prefix is checked against the limit before it counts.
                    _ if sizes[1].1 > max => Answer::Error(Vec::new(), Code::ResourceExhausted),
                    _ => Answer::Error(Vec::new(), Code::Unimplemented),
                },
            };
        } else {
            let payload = input.bytes();
            body = compress(compression, payload);
            answer = if payload.len() > max || body.len() > max {
                Answer::Error(Vec::new(), Code::ResourceExhausted)
            } else {
                Answer::Echo(vec![payload.to_vec()])
            };
        }
        if body.len() as u64 > cfg.limits.max_body_size {
            honest = false;
        }
        match input.below(if hostile { 16 } else { 14 }) {
            14 => {
                honest = false;
                let lie = body.len() + 1 + input.below(8);
                head.extend_from_slice(format!("content-length: {lie}\r\n\r\n").as_bytes());
                head.extend_from_slice(&body);
            }
            15 => {
                honest = false;
                head.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
                head.extend_from_slice(format!("{:x}\r\n", body.len() + 3).as_bytes());
                head.extend_from_slice(&body);
                head.extend_from_slice(b"\r\n0\r\n\r\n");
            }
            _ => frame_body(&mut head, &body, chunks),
        }
    }
    Request {
        bytes: head,
        path: path.to_owned(),
        answer: honest.then_some(answer),
    }
}

// ---------------------------------------------------------------------------------------
// Checking the output.

/// One response as a client reads it.
#[derive(Debug)]
struct Response {
    status: u16,
    /// Messages (unary: the body) and the Connect error code, if any.
    answer: Answer,
}

fn decompressed(alg: Compression, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    with_codecs(|c| c.decompress(alg, data, &mut out, usize::MAX))
        .expect("the server's compression decodes");
    out
}

/// Reads a stream response body (compressed with `alg`) back: its messages and the
/// end-stream error code.
fn read_stream(alg: Compression, body: &[u8]) -> Answer {
    let mut reader = StreamReader::new(Role::Client, alg, usize::MAX);
    let (mut messages, mut code, mut rest) = (Vec::new(), None, body);
    loop {
        match reader
            .next(rest, true)
            .expect("the server's stream reads back")
        {
            Item::Message {
                payload,
                compressed,
                consumed,
            } => {
                assert!(compressed == (alg != Compression::Identity));
                let bytes = &rest[payload];
                messages.push(if compressed {
                    decompressed(alg, bytes)
                } else {
                    bytes.to_vec()
                });
                rest = &rest[consumed..];
            }
            Item::End {
                payload,
                compressed,
                consumed,
            } => {
                assert!(!compressed);
                let end = parse_end_stream(&rest[payload]).expect("the server's end-stream parses");
                code = end.error.map(|e| e.code());
                rest = &rest[consumed..];
            }
            Item::Finished => break,
            Item::NeedMore => panic!("NeedMore at the end of the body"),
        }
    }
    match code {
        None => Answer::Echo(messages),
        Some(code) => Answer::Error(messages, code),
    }
}

/// Reads the server's output back as a client would; panics on anything malformed.
fn read_responses(out: &[u8]) -> Vec<Response> {
    let limits = Limits {
        max_head_size: 1 << 20,
        max_headers: 256,
        max_body_size: u64::MAX,
        ..Limits::default()
    };
    let mut responses = Vec::new();
    let mut at = 0;
    while at < out.len() {
        let buf = &out[at..];
        let (mut parser, mut head) = (ResponseParser::new(limits), ResponseHead::new());
        let Ok(Status::Complete(head_len)) = parser.parse(buf, &mut head) else {
            panic!(
                "the server wrote a bad head: {:?}",
                String::from_utf8_lossy(buf)
            );
        };
        let mut decoder =
            BodyDecoder::new(head.body_framing(&Method::POST), &limits).expect("no limit");
        let mut body = Vec::new();
        let consumed = decoder
            .decode_to_vec(&buf[head_len..], &mut body)
            .expect("the server's framing decodes");
        if !decoder.is_done() {
            decoder
                .finish()
                .expect("only a close-delimited body runs to the end");
        }
        at += head_len + consumed;
        let status = head.status();
        let content_type = head.header(buf, "content-type").unwrap_or_default();
        let answer = if content_type.starts_with(b"application/connect+") {
            assert_eq!(status, 200, "stream responses are 200");
            let codec = if content_type.ends_with(b"json") {
                Codec::Json
            } else {
                Codec::Proto
            };
            let Verdict::Accept(alg) = classify_stream(&head.view(buf), codec) else {
                panic!("the client refuses the server's stream head");
            };
            read_stream(alg, &body)
        } else if status == 200 {
            let codec = if content_type == b"application/json" {
                Codec::Json
            } else {
                Codec::Proto
            };
            let Verdict::Accept(alg) = classify_unary(&head.view(buf), codec) else {
                panic!("the client refuses the server's unary head");
            };
            Answer::Echo(vec![if alg == Compression::Identity {
                body
            } else {
                decompressed(alg, &body)
            }])
        } else if content_type == b"application/json" {
            let err = unary_error(&head.view(buf), &body);
            assert_eq!(
                err.code().http_status(),
                status,
                "a Connect error's status is its code's"
            );
            Answer::Error(Vec::new(), err.code())
        } else {
            assert!(body.is_empty(), "plain HTTP errors have no body");
            Answer::Error(Vec::new(), Code::from_http_status(status))
        };
        responses.push(Response { status, answer });
    }
    responses
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let hostile = input.flag();
    let small_body = input.flag();
    let cfg = Config {
        limits: Limits {
            max_head_size: 1024 + usize::from(input.byte()) * 64,
            max_headers: 16 + input.below(48),
            max_uri_len: 2048,
            max_body_size: if small_body {
                u64::from(input.u16())
            } else {
                1 << 20
            },
            max_trailer_size: 256,
        },
        max_message: usize::from(input.u16() % 1024),
        max_drain: usize::from(input.byte()) * 16,
    };
    let mut cuts: Vec<usize> = (0..input.below(8))
        .map(|_| usize::from(input.u16()))
        .collect();
    cuts.sort_unstable();
    let mut requests = Vec::new();
    for _ in 0..=input.below(6) {
        requests.push(generate(&mut input, &cfg, hostile));
    }
    let bytes: Vec<u8> = requests
        .iter()
        .flat_map(|r| r.bytes.iter().copied())
        .collect();

    let mut conn = Conn {
        cfg,
        peer: Peer {
            bytes: &bytes,
            sent: 0,
            cuts,
        },
        req: RequestReader::new(cfg.limits),
        wbuf: Vec::new(),
        close: false,
        scratch: Vec::new(),
        scratch2: Vec::new(),
        paths: Vec::new(),
        responses: 0,
    };
    conn.serve();

    let responses = read_responses(&conn.wbuf);
    assert_eq!(
        responses.len(),
        conn.responses,
        "one response per request read"
    );
    if requests.iter().all(|r| r.answer.is_some()) {
        let n = responses.len();
        assert!(n <= requests.len());
        for (i, (resp, req)) in responses.iter().zip(&requests).enumerate() {
            assert_eq!(
                conn.paths.get(i),
                Some(&req.path),
                "request {i}'s head is where it was sent"
            );
            let want = req.answer.as_ref().expect("honest");
            assert_eq!(&resp.answer, want, "request {i} (status {})", resp.status);
        }
        if !conn.close {
            assert_eq!(n, requests.len(), "every request answered");
            assert_eq!(conn.peer.sent, bytes.len(), "all input read");
            assert!(!conn.req.has_input(), "no bytes left over");
        }
    }
});
