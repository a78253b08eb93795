//! Error JSON and end-stream JSON parsing over arbitrary input, and re-serialisation.
#![no_main]

use connect_wire::error::{parse_end_stream, parse_error_json, write_end_stream, write_error_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let status = data.first().map(|&b| 400 + u16::from(b));
    let err = parse_error_json(data, status);
    write_error_json(&err, &mut Vec::new());
    if let Ok(end) = parse_end_stream(data) {
        write_end_stream(end.error.as_ref(), &end.metadata, &mut Vec::new());
    }
});
