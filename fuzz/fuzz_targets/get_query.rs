//! Connect GET query parsing and message decoding over arbitrary input, with a limit.
#![no_main]

use connect_wire::get::{decode_message, parse_query, query_pairs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    for _ in query_pairs(query) {}
    if let Ok(params) = parse_query(query) {
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        if decode_message(&params, &mut out, &mut scratch, 1024).is_ok() {
            assert!(out.len() <= 1024);
        }
    }
});
