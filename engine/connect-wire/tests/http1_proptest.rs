//! Property tests for the HTTP/1.1 layer: chunked encode → decode round trips under random chunk
//! sizes and random delivery splits, head round trips, split-independence and no panics on
//! arbitrary bytes.

use connect_wire::http1::{
    BodyDecoder, BodyFraming, ChunkHeader, ChunkedDecoder, DecodeBody, Http1Error, Limits,
    RequestHead, RequestParser, ResponseHead, ResponseParser, Status, write_chunk, write_header,
    write_last_chunk, write_request_line,
};
use http::Method;
use proptest::prelude::*;

/// Cuts `len` bytes at the given (unsorted, possibly out of range) points.
fn cut_points(len: usize, raw: &[usize]) -> Vec<usize> {
    let mut cuts: Vec<usize> = raw.iter().map(|c| c % (len + 1)).collect();
    cuts.sort_unstable();
    cuts
}

/// Feeds `input` to `d` in pieces ending at `cuts`, each piece appended to the unconsumed rest;
/// in place when `in_place`, else via `decode_to_vec`. Returns the body and the left-over bytes.
fn feed(
    d: &mut impl DecodeBody,
    input: &[u8],
    cuts: &[usize],
    in_place: bool,
) -> Result<(Vec<u8>, Vec<u8>), Http1Error> {
    let mut body = Vec::new();
    let mut buf = Vec::new();
    let mut fed = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        buf.extend_from_slice(&input[fed..cut]);
        fed = cut;
        if in_place {
            let r = d.decode_in_place(&mut buf)?;
            body.extend_from_slice(&buf[..r.data_len]);
            buf.drain(..r.consumed);
        } else {
            let n = d.decode_to_vec(&buf, &mut body)?;
            buf.drain(..n);
        }
        if d.is_done() {
            break;
        }
    }
    buf.extend_from_slice(&input[fed..]);
    Ok((body, buf))
}

fn chunk_encode(body: &[u8], sizes: &[usize], ext: bool, trailer: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    let mut i = 0;
    while !rest.is_empty() {
        let n = (sizes.get(i).copied().unwrap_or(7) % 300 + 1).min(rest.len());
        if ext {
            out.extend_from_slice(
                ChunkHeader::new(n as u64)
                    .as_bytes()
                    .strip_suffix(b"\r\n")
                    .unwrap(),
            );
            out.extend_from_slice(b";name=\"v\"\r\n");
            out.extend_from_slice(&rest[..n]);
            out.extend_from_slice(b"\r\n");
        } else {
            write_chunk(&mut out, &rest[..n]);
        }
        rest = &rest[n..];
        i += 1;
    }
    if trailer {
        out.extend_from_slice(b"0\r\nX-Checksum: abc\r\nOther:\tv \r\n\r\n");
    } else {
        write_last_chunk(&mut out);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn chunked_round_trip(
        body in proptest::collection::vec(any::<u8>(), 0..2000),
        sizes in proptest::collection::vec(any::<usize>(), 0..40),
        cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ext in any::<bool>(),
        trailer in any::<bool>(),
        in_place in any::<bool>(),
        next in proptest::collection::vec(any::<u8>(), 0..20),
    ) {
        let mut wire = chunk_encode(&body, &sizes, ext, trailer);
        let framing_len = wire.len();
        wire.extend_from_slice(&next);
        let cuts = cut_points(wire.len(), &cuts);
        let mut d = ChunkedDecoder::new(&Limits::default());
        let (got, rest) = feed(&mut d, &wire, &cuts, in_place).unwrap();
        prop_assert_eq!(&got, &body);
        prop_assert_eq!(&rest, &next);
        prop_assert!(d.is_done());
        prop_assert_eq!(d.body_len(), body.len() as u64);
        prop_assert!(framing_len >= body.len());
    }

    #[test]
    fn content_length_round_trip(
        body in proptest::collection::vec(any::<u8>(), 0..500),
        next in proptest::collection::vec(any::<u8>(), 0..20),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
        in_place in any::<bool>(),
    ) {
        let wire = [&body[..], &next[..]].concat();
        let cuts = cut_points(wire.len(), &cuts);
        let mut d = BodyDecoder::new(BodyFraming::Length(body.len() as u64), &Limits::default()).unwrap();
        let (got, rest) = feed(&mut d, &wire, &cuts, in_place).unwrap();
        prop_assert_eq!(got, body);
        prop_assert_eq!(rest, next);
    }

    /// A request written with our writers parses back to the same method, target and fields,
    /// however it is split.
    #[test]
    fn request_head_round_trip(
        method in prop_oneof![Just(Method::GET), Just(Method::POST), Just(Method::PUT), Just(Method::DELETE)],
        path in "/[a-zA-Z0-9._~!$&'()*+,;=:@/-]{0,40}",
        query in proptest::option::of("[a-zA-Z0-9=&%._-]{0,40}"),
        fields in proptest::collection::vec(("[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,20}", "[ -~]{0,40}"), 0..20),
        cut in any::<usize>(),
    ) {
        let target = match &query { Some(q) => format!("{path}?{q}"), None => path.clone() };
        let mut wire = Vec::new();
        write_request_line(&mut wire, &method, target.as_bytes()).unwrap();
        write_header(&mut wire, b"Host", b"example").unwrap();
        let mut want = vec![("Host".to_owned(), b"example".to_vec())];
        for (name, value) in &fields {
            let lower = name.to_ascii_lowercase();
            if ["host", "content-length", "transfer-encoding"].contains(&lower.as_str()) {
                continue;
            }
            write_header(&mut wire, name.as_bytes(), value.as_bytes()).unwrap();
            // Values are read back trimmed of surrounding whitespace (RFC 9112 §5.1).
            want.push((name.clone(), value.trim_matches([' ', '\t']).as_bytes().to_vec()));
        }
        wire.extend_from_slice(b"\r\n");
        let cut = cut % (wire.len() + 1);
        let mut p = RequestParser::default();
        let mut head = RequestHead::new();
        let first = p.parse(&wire[..cut], &mut head).unwrap();
        if cut < wire.len() {
            prop_assert_eq!(first, Status::Partial);
        }
        prop_assert_eq!(p.parse(&wire, &mut head).unwrap(), Status::Complete(wire.len()));
        prop_assert_eq!(head.method(), &method);
        prop_assert_eq!(head.path(&wire), path.as_str());
        prop_assert_eq!(head.query(&wire), query.as_deref());
        let got: Vec<(String, Vec<u8>)> = head.headers(&wire).map(|(n, v)| (n.to_owned(), v.to_vec())).collect();
        prop_assert_eq!(got, want);
    }

    /// Arbitrary bytes: no panic, and the outcome does not depend on how the bytes arrive.
    #[test]
    fn request_parse_is_split_independent(
        input in proptest::collection::vec(prop_oneof![
            8 => proptest::sample::select(b"GET /HTTP/1.1\r\n: Hosthost-Content-LengthTransfer-Encodingchunked0123 \t,;".to_vec()),
            1 => any::<u8>(),
        ], 0..300),
        cuts in proptest::collection::vec(any::<usize>(), 0..4),
    ) {
        let outcome = |cuts: &[usize]| {
            let mut p = RequestParser::new(Limits { max_head_size: 200, max_headers: 8, ..Limits::default() });
            let mut h = RequestHead::new();
            for &c in cuts.iter().chain(std::iter::once(&input.len())) {
                match p.parse(&input[..c], &mut h) {
                    Ok(Status::Partial) => {}
                    Ok(Status::Complete(n)) => return Ok(Some((n, h.body_framing()))),
                    Err(e) => return Err(e),
                }
            }
            Ok(None)
        };
        let cuts = cut_points(input.len(), &cuts);
        prop_assert_eq!(outcome(&cuts), outcome(&[]));
    }

    #[test]
    fn response_parse_is_split_independent(
        input in proptest::collection::vec(prop_oneof![
            8 => proptest::sample::select(b"HTTP/1.1 100 200 OK\r\n: Content-LengthTransfer-Encodingchunked0123 \t,".to_vec()),
            1 => any::<u8>(),
        ], 0..300),
        cuts in proptest::collection::vec(any::<usize>(), 0..4),
    ) {
        let outcome = |cuts: &[usize]| {
            let mut p = ResponseParser::new(Limits { max_head_size: 200, max_headers: 8, ..Limits::default() });
            let mut h = ResponseHead::new();
            for &c in cuts.iter().chain(std::iter::once(&input.len())) {
                match p.parse(&input[..c], &mut h) {
                    Ok(Status::Partial) => {}
                    Ok(Status::Complete(n)) => return Ok(Some((n, h.status(), h.body_framing(&Method::GET)))),
                    Err(e) => return Err(e),
                }
            }
            Ok(None)
        };
        let cuts = cut_points(input.len(), &cuts);
        prop_assert_eq!(outcome(&cuts), outcome(&[]));
    }

    #[test]
    fn chunked_is_split_independent(
        input in proptest::collection::vec(prop_oneof![
            8 => proptest::sample::select(b"0123456789abcdefABCDEF\r\n;= \tX:".to_vec()),
            1 => any::<u8>(),
        ], 0..300),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
        in_place in any::<bool>(),
    ) {
        let limits = Limits { max_body_size: 1000, max_trailer_size: 30, ..Limits::default() };
        let run = |cuts: &[usize]| {
            let mut d = ChunkedDecoder::new(&limits);
            feed(&mut d, &input, cuts, in_place).map(|r| (r, d.is_done()))
        };
        let cuts = cut_points(input.len(), &cuts);
        prop_assert_eq!(run(&cuts), run(&[]));
    }
}
