//! The client's end-stream parser, `decode_end_stream`, over end-stream JSON that is raw
//! fuzzer bytes or generated from parts (error objects with known, unknown and mistyped
//! codes, escaped messages, details with good and bad base64 and type URLs, metadata with
//! string arrays, bare strings, nulls, numbers, odd names, unknown members, whitespace),
//! sent as is or compressed with the real compressor.
//!
//! Properties: no panic; the compressed payload gives what the plain one gives, unless it
//! decompresses over the limit (then `resource_exhausted`); a failure is `internal`; what
//! parses survives a round trip through `write_end_stream` unchanged (and its error through
//! `write_error_json` / `parse_error_json`); a generated well-formed message gives the code,
//! message and trailers it was built with.
#![no_main]

use std::cell::RefCell;
use std::fmt::Write as _;

use connect_fuzz::Input;
use connect_wire::client::decode_end_stream;
use connect_wire::compression::{Codecs, Compression};
use connect_wire::error::{
    EndStream, parse_end_stream, parse_error_json, write_end_stream, write_error_json,
};
use connect_wire::protocol::Protocol;
use connect_wire::{Code, ConnectError};
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;

thread_local! {
    static CODECS: RefCell<Codecs> = RefCell::new(Codecs::new());
}

const CODES: [&str; 6] = [
    "canceled",
    "unknown",
    "internal",
    "data_loss",
    "nope",
    "Internal",
];
const NAMES: [&str; 6] = ["x-a", "X-Upper", "x-bin-bin", "bad name", "", "connect-x"];

/// Writes `s` as a JSON string, escaping every byte that is not alphanumeric (so any text
/// is valid JSON and the parser's escape handling is exercised).
fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(out, "\\u{u:04x}").expect("to a String");
            }
        }
    }
    out.push('"');
}

/// Writes the comma before every member but the first (`count` counts them).
fn sep(out: &mut String, count: &mut usize) {
    if *count > 0 {
        out.push(',');
    }
    *count += 1;
}

/// What a well-formed generated message must parse to.
struct Expect {
    code: Option<Code>,
    message: String,
    metadata: HeaderMap,
}

/// Generates end-stream JSON; `Some` with what it must give when it is well-formed.
#[allow(clippy::too_many_lines)]
fn generate(input: &mut Input<'_>, out: &mut String) -> Option<Expect> {
    let mut well_formed = true;
    let mut expect = Expect {
        code: None,
        message: String::new(),
        metadata: HeaderMap::new(),
    };
    let ws = if input.flag() { " \n\t" } else { "" };
    out.push('{');
    out.push_str(ws);
    let mut members = 0;
    match input.below(4) {
        0 => {}
        1 => {
            sep(out, &mut members);
            out.push_str(r#""error":null"#);
        }
        2 => {
            sep(out, &mut members);
            out.push_str(r#""error":"#);
            match input.below(3) {
                0 => out.push_str("42"),
                1 => out.push_str(r#""internal""#),
                _ => out.push_str("[]"),
            }
            well_formed = false;
        }
        _ => {
            sep(out, &mut members);
            out.push_str(r#""error":{"#);
            let mut fields = 0;
            let mut code = Code::Unknown;
            match input.below(8) {
                0 => {}
                1 => {
                    sep(out, &mut fields);
                    out.push_str(r#""code":7"#);
                }
                i => {
                    sep(out, &mut fields);
                    let name = CODES[(i - 2) % CODES.len()];
                    out.push_str(r#""code":"#);
                    push_str(out, name);
                    code = Code::from_name(name).unwrap_or(Code::Unknown);
                }
            }
            if input.flag() {
                sep(out, &mut fields);
                let message = String::from_utf8_lossy(input.bytes()).into_owned();
                out.push_str(r#""message":"#);
                push_str(out, &message);
                expect.message = message;
            }
            if input.flag() {
                sep(out, &mut fields);
                out.push_str(r#""details":["#);
                for i in 0..input.below(3) {
                    if i > 0 {
                        out.push(',');
                    }
                    match input.below(4) {
                        0 => out.push_str(r#"{"type":"type.googleapis.com/a.B","value":"AAE"}"#),
                        1 => out.push_str(r#"{"type":"a.B","value":"AAE=","debug":{}}"#),
                        2 => out.push_str(r#"{"type":"a.B","value":"!!"}"#),
                        _ => out.push_str(r#"{"value":"AA"}"#),
                    }
                }
                out.push(']');
            }
            if input.flag() {
                sep(out, &mut fields);
                out.push_str(r#""unknown":{"nested":[1,2,{}]}"#);
            }
            out.push('}');
            expect.code = Some(code);
        }
    }
    if input.flag() {
        sep(out, &mut members);
        out.push_str(r#""metadata":{"#);
        for i in 0..input.below(4) {
            if i > 0 {
                out.push(',');
            }
            let name = NAMES[input.below(NAMES.len())];
            push_str(out, name);
            out.push(':');
            let valid_name = http::HeaderName::from_bytes(name.as_bytes()).ok();
            let mut push_value = |out: &mut String, v: &str| {
                push_str(out, v);
                if let Some(n) = &valid_name {
                    expect
                        .metadata
                        .append(n.clone(), v.parse().expect("alphanumeric"));
                }
            };
            match input.below(5) {
                0 => out.push_str("null"),
                1 => {
                    let v = format!("s{}", input.byte());
                    push_value(out, &v);
                }
                2 => {
                    out.push_str("[1]");
                    well_formed = false;
                }
                _ => {
                    out.push('[');
                    for j in 0..input.below(3) {
                        if j > 0 {
                            out.push(',');
                        }
                        let v = format!("v{}", input.byte());
                        push_value(out, &v);
                    }
                    out.push(']');
                }
            }
        }
        out.push('}');
    }
    if input.flag() {
        sep(out, &mut members);
        out.push_str(r#""later":"ignored""#);
    }
    out.push_str(ws);
    out.push('}');
    well_formed.then_some(expect)
}

/// Parse, write, parse again: nothing changes.
fn round_trip(end: &EndStream) {
    let mut json = Vec::new();
    write_end_stream(end.error.as_ref(), &end.metadata, &mut json);
    let again = parse_end_stream(&json).expect("what we write parses");
    assert_eq!(
        &again,
        end,
        "end-stream round trip of {}",
        String::from_utf8_lossy(&json)
    );
    if let Some(err) = &end.error {
        let mut json = Vec::new();
        write_error_json(err, &mut json);
        assert_eq!(&parse_error_json(&json, None), err, "error JSON round trip");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input::new(data);
    let mode = input.byte();
    let alg = [
        Compression::Identity,
        Compression::Gzip,
        Compression::Br,
        Compression::Zstd,
    ][usize::from(mode >> 1) % 4];
    let limit = usize::from(input.u16() % 1024);
    let mut json = String::new();
    let (body, expect) = if mode & 1 == 0 {
        (input.rest(), None)
    } else {
        let e = generate(&mut input, &mut json);
        (json.as_bytes(), e)
    };

    let mut scratch = Vec::new();
    let plain = CODECS.with_borrow_mut(|c| {
        decode_end_stream(Protocol::Connect, body, None, &mut scratch, c, limit)
    });
    assert_eq!(plain, parse_end_stream(body).map_err(ConnectError::from));
    if let Err(e) = &plain {
        assert_eq!(e.code(), Code::Internal);
    }
    if alg != Compression::Identity {
        let mut sent = Vec::new();
        CODECS
            .with_borrow_mut(|c| c.compress(alg, body, &mut sent))
            .expect("in-memory compression succeeds");
        let got = CODECS.with_borrow_mut(|c| {
            decode_end_stream(Protocol::Connect, &sent, Some(alg), &mut scratch, c, limit)
        });
        if body.len() > limit {
            assert_eq!(
                got.map(|_| ()).map_err(|e| e.code()),
                Err(Code::ResourceExhausted)
            );
        } else {
            assert_eq!(
                got, plain,
                "compressed and plain end-stream messages differ"
            );
        }
    }
    if let Ok(end) = &plain {
        round_trip(end);
    }
    if let Some(expect) = expect {
        let end = plain.expect("a well-formed end-stream message parses");
        assert_eq!(end.error.as_ref().map(ConnectError::code), expect.code);
        if let Some(err) = &end.error {
            assert_eq!(err.message(), expect.message);
            assert!(err.is_from_wire());
        }
        assert_eq!(end.metadata, expect.metadata);
    }
});
