//! Testee for the official protobuf conformance runner (`conformance_test_runner`).
//!
//! Protocol: on stdin, a 4-byte little-endian length and a `conformance.ConformanceRequest`;
//! on stdout, the same framing around a `conformance.ConformanceResponse`. Runs until stdin
//! closes. Only `protobuf_test_messages.proto3.TestAllTypesProto3` with binary and JSON
//! payloads is supported; other message types and formats are answered `skipped`.

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::sync::LazyLock;

use connect_conformance::conformance::{
    ConformanceRequest, ConformanceResponse, TestCategory, WireFormat,
    conformance_request::Payload, conformance_response::ResultOneof as Outcome,
};
use connect_conformance::protobuf_test_messages::proto3::{self, TestAllTypesProto3};
use connect_engine::{JsonOptions, Message, TypeRegistry};

static REGISTRY: LazyLock<TypeRegistry> = LazyLock::new(|| TypeRegistry::new().with(proto3::TYPES));

pub(crate) fn main() -> io::Result<()> {
    let mut stdin = io::stdin().lock();
    let mut stdout = io::stdout().lock();
    let mut input = Vec::new();
    let mut output = Vec::new();
    loop {
        let mut len = [0u8; 4];
        match stdin.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        input.resize(u32::from_le_bytes(len) as usize, 0);
        stdin.read_exact(&mut input)?;
        let response = match ConformanceRequest::decode(&input) {
            Ok(req) => handle(&req),
            Err(e) => outcome(Outcome::RuntimeError(format!("bad request: {e}").into())),
        };
        output.clear();
        response.encode(&mut output);
        let len = u32::try_from(output.len()).map_err(io::Error::other)?;
        stdout.write_all(&len.to_le_bytes())?;
        stdout.write_all(&output)?;
        stdout.flush()?;
    }
}

fn outcome(r: Outcome<'_>) -> ConformanceResponse<'_> {
    ConformanceResponse {
        result: Some(r),
        ..Default::default()
    }
}

fn skipped(why: &'static str) -> ConformanceResponse<'static> {
    outcome(Outcome::Skipped(Cow::Borrowed(why)))
}

fn handle<'a>(req: &ConformanceRequest<'a>) -> ConformanceResponse<'a> {
    if req.message_type == "conformance.FailureSet" {
        // No expected failures.
        return outcome(Outcome::ProtobufPayload(Cow::Borrowed(&[])));
    }
    if req.message_type != TestAllTypesProto3::FULL_NAME {
        return skipped("only proto3 TestAllTypesProto3 is supported");
    }
    let json = JsonOptions {
        ignore_unknown_fields: req.test_category == TestCategory::JSON_IGNORE_UNKNOWN_PARSING_TEST,
        registry: Some(&REGISTRY),
    };
    // JSON input is decoded in place, so it needs its own mutable buffer.
    let mut json_input;
    let message = match &req.payload {
        Some(Payload::ProtobufPayload(bytes)) => {
            TestAllTypesProto3::decode(bytes).map_err(|e| e.to_string())
        }
        Some(Payload::JsonPayload(text)) => {
            json_input = text.as_bytes().to_vec();
            TestAllTypesProto3::decode_json(&mut json_input, &json).map_err(|e| e.to_string())
        }
        _ => return skipped("only binary and JSON input"),
    };
    let message = match message {
        Ok(m) => m.into_owned(),
        Err(e) => return outcome(Outcome::ParseError(e.into())),
    };
    match req.requested_output_format {
        WireFormat::PROTOBUF => outcome(Outcome::ProtobufPayload(message.encode_to_vec().into())),
        WireFormat::JSON => {
            let mut out = Vec::new();
            match message.encode_json(&mut out, &json) {
                Ok(()) => match String::from_utf8(out) {
                    Ok(s) => outcome(Outcome::JsonPayload(s.into())),
                    Err(e) => outcome(Outcome::SerializeError(e.to_string().into())),
                },
                Err(e) => outcome(Outcome::SerializeError(e.to_string().into())),
            }
        }
        _ => skipped("only binary and JSON output"),
    }
}
