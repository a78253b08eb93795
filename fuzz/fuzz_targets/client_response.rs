//! The client's response path: `ResponseReader` fed a response in fuzzer-chosen pieces
//! (bounded by `room()`, as the blocking client reads), the head classified with
//! `classify_unary` / `classify_stream`, metadata split with `response_metadata`, and the
//! body read with `unary_outcome` or `next_stream_event`, for unary (POST and GET) and
//! streaming calls.
//!
//! The response is either raw fuzzer bytes or generated: a status, content type, encoding
//! header, metadata headers, an interim 100 response, a body (a message compressed with the
//! real compressor, a Connect error JSON, or envelopes and an end-stream message) framed by
//! an exact or lying Content-Length, chunks of fuzzer-chosen sizes or the connection close,
//! and a garbage tail.
//!
//! Properties: no panic; a decoded message is never over the message limit; the read
//! buffer never grows past its limit; reading the same bytes in other pieces gives the
//! same outcome whenever both readings succeed; and a generated response that keeps to the
//! protocol ("honest") gives exactly the messages, end-stream error and trailers generated
//! (or `resource_exhausted` when over the limit), and leaves the connection reusable unless
//! the body was close-delimited.
#![no_main]

use std::cell::RefCell;
use std::fmt::Write as _;

use connect_fuzz::Input;
use connect_wire::client::{
    Decoding, ResponseReader, StreamEvent, Verdict, classify_stream, classify_unary,
    response_metadata,
};
use connect_wire::compression::{Codecs, Compression};
use connect_wire::envelope::{FLAG_COMPRESSED, FLAG_END_STREAM};
use connect_wire::http1::{Limits, ResponseHead};
use connect_wire::protocol::Protocol;
use connect_wire::stream::{Role, StreamReader};
use connect_wire::{Code, Codec, ConnectError, JsonOptions, RawMessage};
use http::{HeaderMap, Method};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static CODECS: RefCell<Codecs> = RefCell::new(Codecs::new());
}

/// What a call ends with: the messages, the end-stream error code and trailers (streams),
/// the headers, whether the connection can carry another request; or the error code.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    messages: Vec<Vec<u8>>,
    end_error: Option<Code>,
    trailers: HeaderMap,
    headers: HeaderMap,
    reusable: bool,
}

/// The call's settings.
#[derive(Clone, Copy)]
struct Call {
    stream: bool,
    codec: Codec,
    method: &'static Method,
    limits: Limits,
    max_message: usize,
    max_buffer: usize,
}

/// Feeds a response to a reader in pieces, each read bounded by `room()`.
struct Wire<'a> {
    bytes: &'a [u8],
    fed: usize,
    /// Ends of the pieces the peer sends (a read never crosses one).
    cuts: Vec<usize>,
}

impl Wire<'_> {
    fn read(&mut self, reader: &mut ResponseReader) -> Result<(), ConnectError> {
        if self.fed == self.bytes.len() {
            return reader.eof();
        }
        let piece_end = self
            .cuts
            .iter()
            .copied()
            .find(|&c| c > self.fed)
            .unwrap_or(self.bytes.len())
            .min(self.bytes.len());
        let room = reader.room().min(64 << 10);
        assert!(room > 0, "room() is never zero");
        let n = room.min(piece_end - self.fed);
        let r = reader.append(&self.bytes[self.fed..self.fed + n]);
        self.fed += n;
        r
    }

    fn fill(&mut self, reader: &mut ResponseReader) -> Result<(), ConnectError> {
        if reader.decode()? || reader.body_done() {
            return Ok(());
        }
        self.read(reader)?;
        reader.decode().map(|_| ())
    }
}

fn check_buffer(reader: ResponseReader, call: &Call, head_len: Option<usize>) {
    let (buf, _) = reader.into_parts();
    let limit = call
        .limits
        .max_head_size
        .max(4096)
        .max(head_len.unwrap_or(0).saturating_add(call.max_buffer));
    assert!(
        buf.capacity() <= limit,
        "buffer {} over {limit}",
        buf.capacity()
    );
}

/// Runs the call over `bytes` cut at `cuts`, as the clients do.
fn run(call: &Call, bytes: &[u8], cuts: Vec<usize>) -> Result<Outcome, ConnectError> {
    let mut reader = ResponseReader::new(
        Vec::with_capacity(16),
        ResponseHead::new(),
        call.limits,
        call.max_buffer,
    );
    let mut wire = Wire {
        bytes,
        fed: 0,
        cuts,
    };
    let result = read_call(call, &mut reader, &mut wire);
    let head_len = reader.has_head().then(|| reader.head().head_len());
    check_buffer(reader, call, head_len);
    result
}

fn read_call(
    call: &Call,
    reader: &mut ResponseReader,
    wire: &mut Wire<'_>,
) -> Result<Outcome, ConnectError> {
    let max_body = (call.max_message as u64).saturating_add(64 << 10);
    while !reader.parse_head(call.method, max_body)? {
        wire.read(reader)?;
    }
    let (headers, trailers) = response_metadata(reader.head(), reader.head_bytes(), !call.stream);
    let json = JsonOptions::default();
    let decoding = Decoding {
        protocol: Protocol::Connect,
        codec: call.codec,
        limit: call.max_message,
        json: &json,
    };
    let mut scratch = Vec::new();
    if !call.stream {
        let verdict = classify_unary(&reader.view(), call.codec);
        if let Verdict::Fail(e) = verdict {
            return Err(e);
        }
        while !reader.body_done() {
            wire.fill(reader)?;
        }
        let message: RawMessage<'static> = CODECS
            .with_borrow_mut(|c| reader.unary_outcome(&verdict, decoding, &mut scratch, c))?;
        assert!(message.bytes.len() <= call.max_message);
        return Ok(Outcome {
            messages: vec![message.bytes.into_owned()],
            end_error: None,
            trailers,
            headers,
            reusable: reader.reusable(call.method),
        });
    }
    let compression = match classify_stream(&reader.view(), call.codec) {
        Verdict::Accept(c) => c,
        Verdict::ErrorBody(_) => panic!("streams have no error bodies"),
        Verdict::Fail(e) => return Err(e),
    };
    let mut stream = StreamReader::new(Role::Client, compression, call.max_message);
    let mut outcome = Outcome {
        messages: Vec::new(),
        end_error: None,
        trailers: HeaderMap::new(),
        headers,
        reusable: false,
    };
    let mut ended = false;
    loop {
        let event = CODECS.with_borrow_mut(|c| {
            reader.next_stream_event::<RawMessage<'static>>(&mut stream, decoding, &mut scratch, c)
        })?;
        match event {
            StreamEvent::NeedMore => wire.fill(reader)?,
            StreamEvent::Message(m) => {
                assert!(!ended, "a message after the end-stream message");
                assert!(m.bytes.len() <= call.max_message);
                outcome.messages.push(m.bytes.into_owned());
            }
            StreamEvent::End(end) => {
                assert!(!ended, "two end-stream messages");
                ended = true;
                outcome.end_error = end.error.map(|e| e.code());
                outcome.trailers = end.metadata;
            }
            StreamEvent::Finished => {
                // A close-delimited body ends with its end-stream message.
                assert!(ended && (reader.body_done() || reader.ends_at_close()));
                outcome.reusable = reader.reusable(call.method);
                return Ok(outcome);
            }
        }
    }
}

/// Appends the compression of `data` with `alg` (identity copies).
fn compressed(alg: Compression, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    CODECS
        .with_borrow_mut(|c| c.compress(alg, data, &mut out))
        .expect("in-memory compression succeeds");
    out
}

const CODES: [Code; 4] = [
    Code::Unavailable,
    Code::InvalidArgument,
    Code::ResourceExhausted,
    Code::Aborted,
];

/// A generated response and what an honest one must give.
struct Generated {
    bytes: Vec<u8>,
    honest: bool,
    expected: Result<Outcome, Code>,
}

#[allow(clippy::too_many_lines)]
fn generate(input: &mut Input<'_>, call: &Call) -> Generated {
    let mut honest = true;
    let mut head = Vec::new();
    if input.below(8) == 0 {
        head.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let status: u16 = match input.below(8) {
        0..=3 => 200,
        4 => 404,
        5 => 503,
        6 => 429,
        _ => {
            honest = false;
            [204, 304, 400, 500, 999][input.below(5)]
        }
    };
    head.extend_from_slice(format!("HTTP/1.1 {status} Whatever\r\n").as_bytes());
    let wanted_type = match (call.stream, call.codec) {
        // Unary errors are Connect error JSON whatever the codec.
        (false, _) if status != 200 => "application/json",
        (false, Codec::Proto) => "application/proto",
        (false, Codec::Json) => "application/json",
        (true, Codec::Proto) => "application/connect+proto",
        (true, Codec::Json) => "application/connect+json",
    };
    let content_type = match input.below(8) {
        0..=4 => wanted_type,
        5 => "application/json; charset=utf-8",
        6 => "application/connect+proto",
        _ => "text/html",
    };
    if content_type != wanted_type {
        honest = false;
    }
    head.extend_from_slice(format!("content-type: {content_type}\r\n").as_bytes());
    let compression = [
        Compression::Identity,
        Compression::Gzip,
        Compression::Br,
        Compression::Zstd,
    ][input.below(4)];
    let encoding_header = if call.stream {
        "connect-content-encoding"
    } else {
        "content-encoding"
    };
    match input.below(6) {
        0 if compression == Compression::Identity => {}
        0..=3 => head
            .extend_from_slice(format!("{encoding_header}: {}\r\n", compression.name()).as_bytes()),
        4 => {
            honest = false;
            head.extend_from_slice(format!("{encoding_header}: snappy\r\n").as_bytes());
        }
        _ => {
            honest = false;
            head.extend_from_slice(b"content-encoding: gzip\r\nconnect-content-encoding: gzip\r\n");
        }
    }
    let mut headers = HeaderMap::new();
    let mut trailers = HeaderMap::new();
    for i in 0..input.below(4) {
        let value = format!("v{i}-{}", input.byte());
        if input.flag() {
            head.extend_from_slice(format!("trailer-x-t: {value}\r\n").as_bytes());
            let map = if call.stream {
                &mut headers
            } else {
                &mut trailers
            };
            let name = if call.stream { "trailer-x-t" } else { "x-t" };
            map.append(name, value.parse().expect("ascii"));
        } else {
            head.extend_from_slice(format!("x-h: {value}\r\n").as_bytes());
            headers.append("x-h", value.parse().expect("ascii"));
        }
    }

    // The body and what it must give.
    let limit = call.max_message;
    let mut body = Vec::new();
    let mut expected: Result<Outcome, Code>;
    if status != 200 {
        let code = CODES[input.below(CODES.len())];
        let error_json = format!(r#"{{"code":"{}","message":"m"}}"#, code.as_str());
        body = compressed(compression, error_json.as_bytes());
        // Error bodies are read in the unary shape only; streams map the status. A body
        // that will not decompress within the limit is ignored for the status too.
        let unreadable = compression != Compression::Identity && error_json.len() > limit;
        expected = Err(if call.stream || unreadable {
            Code::from_http_status(status)
        } else {
            code
        });
    } else if !call.stream {
        let payload = input.bytes();
        body = compressed(compression, payload);
        // The decompressed size counts for a unary message, not the compressed one.
        expected = if payload.len() > limit {
            Err(Code::ResourceExhausted)
        } else {
            Ok(Outcome {
                messages: vec![payload.to_vec()],
                end_error: None,
                trailers,
                headers: headers.clone(),
                reusable: true,
            })
        };
    } else {
        let mut messages = Vec::new();
        let mut over = false;
        for _ in 0..input.below(4) {
            let payload = input.bytes();
            let sent = compressed(compression, payload);
            over |= payload.len() > limit || sent.len() > limit;
            let flags = if compression == Compression::Identity {
                0
            } else {
                FLAG_COMPRESSED
            };
            connect_wire::envelope::write(&mut body, flags, &sent).expect("small");
            messages.push(payload.to_vec());
        }
        let end_code = match input.below(3) {
            0 => None,
            _ => Some(CODES[input.below(CODES.len())]),
        };
        let mut end_trailers = HeaderMap::new();
        let mut end_json = String::from("{");
        if let Some(code) = end_code {
            write!(end_json, r#""error":{{"code":"{}"}}"#, code.as_str()).expect("to a String");
        }
        if input.flag() {
            if end_code.is_some() {
                end_json.push(',');
            }
            let v = input.byte();
            write!(end_json, r#""metadata":{{"x-e":["{v}","b"]}}"#).expect("to a String");
            end_trailers.append("x-e", v.to_string().parse().expect("digits"));
            end_trailers.append("x-e", "b".parse().expect("ascii"));
        }
        end_json.push('}');
        let end_compressed = compression != Compression::Identity && input.flag();
        let (end_payload, end_flags) = if end_compressed {
            (
                compressed(compression, end_json.as_bytes()),
                FLAG_END_STREAM | FLAG_COMPRESSED,
            )
        } else {
            (end_json.clone().into_bytes(), FLAG_END_STREAM)
        };
        over |= end_payload.len() > limit || (end_compressed && end_json.len() > limit);
        connect_wire::envelope::write(&mut body, end_flags, &end_payload).expect("small");
        expected = if over {
            Err(Code::ResourceExhausted)
        } else {
            Ok(Outcome {
                messages,
                end_error: end_code,
                trailers: end_trailers,
                headers: headers.clone(),
                reusable: true,
            })
        };
    }

    match input.below(6) {
        0 | 1 => {
            head.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
            head.extend_from_slice(&body);
        }
        2 => {
            honest = false;
            let len = i64::try_from(body.len()).expect("small body");
            let lie = len + i64::from(input.byte().cast_signed());
            head.extend_from_slice(format!("content-length: {lie}\r\n\r\n").as_bytes());
            head.extend_from_slice(&body);
        }
        3 | 4 => {
            head.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
            let mut rest = &body[..];
            while !rest.is_empty() {
                let n = (1 + input.below(64)).min(rest.len());
                head.extend_from_slice(format!("{n:x}\r\n").as_bytes());
                head.extend_from_slice(&rest[..n]);
                head.extend_from_slice(b"\r\n");
                rest = &rest[n..];
            }
            head.extend_from_slice(b"0\r\n\r\n");
        }
        _ => {
            // Close-delimited: the body runs to the end of the input, and the connection
            // cannot be reused.
            head.extend_from_slice(b"\r\n");
            head.extend_from_slice(&body);
            if let Ok(outcome) = &mut expected {
                outcome.reusable = false;
            }
        }
    }
    Generated {
        bytes: head,
        honest,
        expected,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mode = input.byte();
    let stream = mode & 1 != 0;
    let method = if !stream && mode & 4 != 0 {
        &Method::GET
    } else {
        &Method::POST
    };
    let max_message = usize::from(input.u16() % 320);
    let slack = input.byte();
    let call = Call {
        stream,
        codec: if mode & 2 != 0 {
            Codec::Json
        } else {
            Codec::Proto
        },
        method,
        limits: Limits {
            max_head_size: 256 + usize::from(input.byte()) * 64,
            max_headers: 8 + input.below(64),
            ..Limits::default()
        },
        max_message,
        max_buffer: max_message
            + if slack & 0x80 != 0 {
                64 << 10
            } else {
                usize::from(slack) * 8
            },
    };
    let mut cuts: Vec<usize> = (0..input.below(6))
        .map(|_| usize::from(input.u16()))
        .collect();
    cuts.sort_unstable();
    let generated = if mode & 8 != 0 {
        let mut g = generate(&mut input, &call);
        // A garbage tail (after a close-delimited body it is body).
        let tail = input.rest();
        if !tail.is_empty() {
            g.honest = false;
            g.bytes.extend_from_slice(tail);
        }
        g
    } else {
        Generated {
            bytes: input.rest().to_vec(),
            honest: false,
            expected: Err(Code::Unknown),
        }
    };
    let bytes = &generated.bytes;

    let whole = run(&call, bytes, Vec::new());
    let split = run(&call, bytes, cuts);
    if let (Ok(a), Ok(b)) = (&whole, &split) {
        // Not `reusable`: bytes after the body count only if they arrived before the end.
        let read = |o: &Outcome| {
            (
                o.messages.clone(),
                o.end_error,
                o.trailers.clone(),
                o.headers.clone(),
            )
        };
        assert_eq!(
            read(a),
            read(b),
            "the same response read in other pieces differs"
        );
    }
    if generated.honest && slack & 0x80 != 0 {
        for got in [&whole, &split] {
            match (got, &generated.expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want),
                (Err(e), Err(code)) => assert_eq!(e.code(), *code, "{e:?}"),
                (got, want) => panic!("honest response: got {got:?}, expected {want:?}"),
            }
        }
    }
});
