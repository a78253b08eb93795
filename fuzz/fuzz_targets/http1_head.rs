//! HTTP/1.1 heads over arbitrary input, as a request and as a response: never a panic, offsets
//! inside the input, and the same outcome whether the bytes arrive at once or in two pieces.
#![no_main]

use connect_wire::http1::{RequestHead, RequestParser, ResponseHead, ResponseParser, Status};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |&b| usize::from(b)).min(data.len());

    let request = |cut: usize| {
        let (mut p, mut h) = (RequestParser::default(), RequestHead::new());
        let mut r = p.parse(&data[..cut], &mut h);
        if r == Ok(Status::Partial) {
            r = p.parse(data, &mut h);
        }
        if let Ok(Status::Complete(n)) = r {
            assert!(n <= data.len());
            let _ = (
                h.path(data),
                h.query(data),
                h.headers(data).count(),
                h.keep_alive(),
            );
        }
        r.map(|s| (s, h.body_framing()))
    };
    assert_eq!(request(split), request(data.len()));

    let response = |cut: usize| {
        let (mut p, mut h) = (ResponseParser::default(), ResponseHead::new());
        let mut r = p.parse(&data[..cut], &mut h);
        if r == Ok(Status::Partial) {
            r = p.parse(data, &mut h);
        }
        if let Ok(Status::Complete(n)) = r {
            assert!(n <= data.len());
            let _ = (
                h.reason(data),
                h.headers(data).count(),
                h.interim_responses(),
            );
        }
        r.map(|s| (s, h.status()))
    };
    assert_eq!(response(split), response(data.len()));
});
