//! Every-split-point tests: a model server (and client) loop drives the sans-IO HTTP/1.1 layer
//! over inputs that arrive cut at every byte offset (and at every pair of offsets, and byte by
//! byte); the parsed result must not depend on how the bytes arrived.

use connect_wire::http1::{
    BodyDecoder, DecodeBody, Http1Error, Limits, RequestHead, RequestParser, ResponseHead,
    ResponseParser, Status,
};
use http::Method;

/// What the model server saw.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    Request {
        method: String,
        path: String,
        query: Option<String>,
        headers: Vec<(String, Vec<u8>)>,
        body: Vec<u8>,
        keep_alive: bool,
        expect_continue: bool,
    },
    Error(Http1Error),
    /// The input ended with this many bytes of an unfinished message buffered.
    Eof(usize),
}

struct PendingRequest {
    event: Event,
    decoder: BodyDecoder,
    body_len: usize,
}

/// A server loop over one connection: append what arrives, parse the head, decode the body in
/// place, hand the request on, continue with the pipelined rest.
fn serve(input: &[u8], cuts: &[usize]) -> Vec<Event> {
    let limits = Limits::default();
    let mut parser = RequestParser::new(limits);
    let mut head = RequestHead::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut events = Vec::new();
    let mut pending: Option<PendingRequest> = None;
    let mut fed = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        buf.extend_from_slice(&input[fed..cut]);
        fed = cut;
        loop {
            if let Some(p) = pending.as_mut() {
                // Body bytes decoded so far sit at buf[..body_len]; raw bytes follow.
                let d = match p.decoder.decode_in_place(&mut buf[p.body_len..]) {
                    Ok(d) => d,
                    Err(e) => {
                        events.push(Event::Error(e));
                        return events;
                    }
                };
                buf.drain(p.body_len + d.data_len..p.body_len + d.consumed);
                p.body_len += d.data_len;
                if !d.done {
                    break;
                }
                let mut p = pending.take().unwrap();
                if let Event::Request { body, .. } = &mut p.event {
                    *body = buf[..p.body_len].to_vec();
                }
                buf.drain(..p.body_len);
                events.push(p.event);
                continue;
            }
            match parser.parse(&buf, &mut head) {
                Ok(Status::Partial) => break,
                Ok(Status::Complete(n)) => {
                    let event = Event::Request {
                        method: head.method().as_str().to_owned(),
                        path: head.path(&buf).to_owned(),
                        query: head.query(&buf).map(str::to_owned),
                        headers: head
                            .headers(&buf)
                            .map(|(n, v)| (n.to_owned(), v.to_vec()))
                            .collect(),
                        body: Vec::new(),
                        keep_alive: head.keep_alive(),
                        expect_continue: head.expect_continue(),
                    };
                    let decoder = match BodyDecoder::new(head.body_framing(), &limits) {
                        Ok(d) => d,
                        Err(e) => {
                            events.push(Event::Error(e));
                            return events;
                        }
                    };
                    buf.drain(..n);
                    pending = Some(PendingRequest {
                        event,
                        decoder,
                        body_len: 0,
                    });
                }
                Err(e) => {
                    events.push(Event::Error(e));
                    return events;
                }
            }
        }
    }
    let unfinished = pending.map_or(0, |p| p.body_len) + buf.len();
    if unfinished > 0 {
        events.push(Event::Eof(unfinished));
    }
    events
}

/// Runs `serve` with no cut, every single cut, (for short inputs) every pair of cuts, and byte
/// by byte; all must agree. Returns the events.
fn check_all_splits(input: &[u8]) -> Vec<Event> {
    let whole = serve(input, &[]);
    for i in 0..=input.len() {
        assert_eq!(
            serve(input, &[i]),
            whole,
            "cut at {i} of {:?}",
            String::from_utf8_lossy(input)
        );
    }
    if input.len() <= 400 {
        for i in 0..=input.len() {
            for j in i..=input.len() {
                assert_eq!(serve(input, &[i, j]), whole, "cuts at {i}, {j}");
            }
        }
    }
    let bytewise: Vec<usize> = (0..input.len()).collect();
    assert_eq!(serve(input, &bytewise), whole, "byte by byte");
    whole
}

fn request(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &[(&str, &[u8])],
    body: &[u8],
    keep_alive: bool,
) -> Event {
    Event::Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.map(str::to_owned),
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.to_vec()))
            .collect(),
        body: body.to_vec(),
        keep_alive,
        expect_continue: false,
    }
}

const GET: &[u8] =
    b"GET /connect.ping.v1.PingService/Ping?connect=v1&encoding=proto&message=CAE HTTP/1.1\r\n\
Host: localhost:8080\r\nUser-Agent: connect-go/1.16\r\nAccept-Encoding: gzip\r\n\r\n";

const POST_CL: &[u8] =
    b"POST /connect.ping.v1.PingService/Ping HTTP/1.1\r\nHost: localhost:8080\r\n\
Content-Type: application/proto\r\nConnect-Protocol-Version: 1\r\nConnect-Timeout-Ms: 5000\r\n\
Content-Length: 11\r\n\r\nhello world";

const POST_CHUNKED: &[u8] =
    b"POST /connect.ping.v1.PingService/Sum HTTP/1.1\r\nHost: localhost\r\n\
Content-Type: application/connect+proto\r\nTransfer-Encoding: chunked\r\n\r\n\
5\r\n\x00\x00\x00\x00\x00\r\n7;ext=v\r\n\x00\x00\x00\x00\x02\x08\x01\r\n0\r\nX-Trailer: t\r\n\r\n";

#[test]
fn single_requests() {
    let ev = check_all_splits(GET);
    assert_eq!(
        ev,
        [request(
            "GET",
            "/connect.ping.v1.PingService/Ping",
            Some("connect=v1&encoding=proto&message=CAE"),
            &[
                ("Host", b"localhost:8080"),
                ("User-Agent", b"connect-go/1.16"),
                ("Accept-Encoding", b"gzip")
            ],
            b"",
            true,
        )]
    );

    let ev = check_all_splits(POST_CL);
    let Event::Request { body, headers, .. } = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(ev.len(), 1);
    assert_eq!(body, b"hello world");
    assert_eq!(headers.len(), 5);

    let ev = check_all_splits(POST_CHUNKED);
    let Event::Request { body, .. } = &ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(ev.len(), 1);
    assert_eq!(body, b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x08\x01");
}

#[test]
fn pipelined_requests() {
    let close = b"GET /last HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    for (a, b) in [
        (GET, POST_CL),
        (POST_CL, POST_CHUNKED),
        (POST_CHUNKED, GET),
        (POST_CHUNKED, POST_CHUNKED),
    ] {
        let input = [a, b, &close[..]].concat();
        let ev = check_all_splits(&input);
        assert_eq!(ev.len(), 3, "{ev:?}");
        assert_eq!(ev[0], serve(a, &[])[0]);
        assert_eq!(ev[1], serve(b, &[])[0]);
        let Event::Request {
            path, keep_alive, ..
        } = &ev[2]
        else {
            panic!()
        };
        assert_eq!((path.as_str(), *keep_alive), ("/last", false));
    }
    // An empty line between pipelined requests is ignored (RFC 9112 §2.2).
    let input = [POST_CL, b"\r\n", GET].concat();
    assert_eq!(check_all_splits(&input).len(), 2);
}

#[test]
fn expect_continue_and_http10() {
    let input =
        b"POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc";
    let ev = check_all_splits(input);
    let Event::Request {
        expect_continue,
        body,
        ..
    } = &ev[0]
    else {
        panic!()
    };
    assert!(*expect_continue);
    assert_eq!(body, b"abc");

    let input = b"POST /x HTTP/1.0\r\nContent-Length: 2\r\n\r\nhiGET /y HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    let ev = check_all_splits(input);
    let keep: Vec<bool> = ev
        .iter()
        .map(|e| {
            matches!(
                e,
                Event::Request {
                    keep_alive: true,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(keep, [false, true]);
}

#[test]
fn errors_do_not_depend_on_splits() {
    let cases: &[(&[u8], Option<Http1Error>)] = &[
        // Request smuggling shapes.
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", Some(Http1Error::ContentLengthWithTransferEncoding)),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\nabcd\r\n0\r\n\r\n", Some(Http1Error::BareLf)),
        (b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcdX\r\n0\r\n\r\n", Some(Http1Error::InvalidChunkTerminator)),
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", Some(Http1Error::DuplicateContentLength)),
        (b"GET / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\nHost: h\n\n", Some(Http1Error::BareLf)),
        // A truncated body.
        (b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc", None),
    ];
    for (input, err) in cases {
        let ev = check_all_splits(input);
        match err {
            Some(e) => assert_eq!(ev.last(), Some(&Event::Error(*e)), "{ev:?}"),
            None => assert!(matches!(ev.last(), Some(Event::Eof(_))), "{ev:?}"),
        }
    }
}

/// What the model client saw: (status, interim count, body) per response.
fn client(
    input: &[u8],
    methods: &[Method],
    cuts: &[usize],
) -> Result<Vec<(u16, u32, Vec<u8>)>, Http1Error> {
    let limits = Limits::default();
    let mut parser = ResponseParser::new(limits);
    let mut head = ResponseHead::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut out = Vec::new();
    let mut body: Option<(BodyDecoder, u16, u32, Vec<u8>)> = None;
    let mut fed = 0;
    let mut next = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        buf.extend_from_slice(&input[fed..cut]);
        fed = cut;
        loop {
            if let Some((d, status, interim, data)) = body.as_mut() {
                let n = d.decode_to_vec(&buf, data)?;
                buf.drain(..n);
                if !d.is_done() {
                    break;
                }
                out.push((*status, *interim, std::mem::take(data)));
                body = None;
                continue;
            }
            match parser.parse(&buf, &mut head)? {
                Status::Partial => break,
                Status::Complete(n) => {
                    let framing = head.body_framing(&methods[next]);
                    next += 1;
                    body = Some((
                        BodyDecoder::new(framing, &limits)?,
                        head.status(),
                        head.interim_responses(),
                        Vec::new(),
                    ));
                    buf.drain(..n);
                }
            }
        }
    }
    // EOF.
    if let Some((mut d, status, interim, data)) = body {
        d.finish()?;
        out.push((status, interim, data));
    }
    Ok(out)
}

#[test]
fn responses_every_split_point() {
    let input: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/connect+proto\r\n\
Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n\
HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n\
HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno\
HTTP/1.0 200 OK\r\n\r\nuntil close";
    let methods = [Method::POST, Method::HEAD, Method::GET, Method::GET];
    let whole = client(input, &methods, &[]).unwrap();
    assert_eq!(
        whole,
        [
            (200, 1, b"abc".to_vec()),
            (200, 0, vec![]),
            (404, 0, b"no".to_vec()),
            (200, 0, b"until close".to_vec()),
        ]
    );
    for i in 0..=input.len() {
        assert_eq!(client(input, &methods, &[i]).unwrap(), whole, "cut at {i}");
    }
    let bytewise: Vec<usize> = (0..input.len()).collect();
    assert_eq!(client(input, &methods, &bytewise).unwrap(), whole);
}
