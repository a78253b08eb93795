//! ConnectError, the error JSON and the end-stream JSON.

use connect_wire::error::{
    EndStream, EndStreamError, ErrorDetail, decode_binary_header, encode_binary_header,
    parse_end_stream, parse_error_json, write_end_stream, write_error_json,
};
use connect_wire::{Code, ConnectError};
use http::{HeaderMap, HeaderName, HeaderValue};

fn error_json(err: &ConnectError) -> String {
    let mut out = Vec::new();
    write_error_json(err, &mut out);
    String::from_utf8(out).unwrap()
}

fn end_stream(err: Option<&ConnectError>, trailers: &HeaderMap) -> String {
    let mut out = Vec::new();
    write_end_stream(err, trailers, &mut out);
    String::from_utf8(out).unwrap()
}

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for &(k, v) in pairs {
        map.append(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    map
}

#[test]
fn size_stays_small() {
    assert!(
        size_of::<ConnectError>() <= 40,
        "{}",
        size_of::<ConnectError>()
    );
    assert!(size_of::<Result<(), ConnectError>>() <= 40);
}

#[test]
fn static_message_is_borrowed_and_display() {
    let e = ConnectError::invalid_argument("bad");
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(e.message(), "bad");
    assert_eq!(e.to_string(), "invalid_argument: bad");
    assert_eq!(
        ConnectError::from_code(Code::Canceled).to_string(),
        "canceled"
    );
    assert!(e.details().is_empty());
    assert!(e.metadata().is_empty());
    assert!(!e.is_from_wire());
    let owned = ConnectError::new(Code::Internal, format!("x{}", 1));
    assert_eq!(owned.message(), "x1");
    let boxed: Box<dyn std::error::Error> = Box::new(owned);
    assert_eq!(boxed.to_string(), "internal: x1");
}

#[test]
fn every_helper_has_its_code() {
    type Helper = fn(&'static str) -> ConnectError;
    let helpers: [(Helper, Code); 16] = [
        (ConnectError::canceled, Code::Canceled),
        (ConnectError::unknown, Code::Unknown),
        (ConnectError::invalid_argument, Code::InvalidArgument),
        (ConnectError::deadline_exceeded, Code::DeadlineExceeded),
        (ConnectError::not_found, Code::NotFound),
        (ConnectError::already_exists, Code::AlreadyExists),
        (ConnectError::permission_denied, Code::PermissionDenied),
        (ConnectError::resource_exhausted, Code::ResourceExhausted),
        (ConnectError::failed_precondition, Code::FailedPrecondition),
        (ConnectError::aborted, Code::Aborted),
        (ConnectError::out_of_range, Code::OutOfRange),
        (ConnectError::unimplemented, Code::Unimplemented),
        (ConnectError::internal, Code::Internal),
        (ConnectError::unavailable, Code::Unavailable),
        (ConnectError::data_loss, Code::DataLoss),
        (ConnectError::unauthenticated, Code::Unauthenticated),
    ];
    for (make, code) in helpers {
        assert_eq!(make("m").code(), code);
    }
}

#[test]
fn writes_minimal_error_json() {
    assert_eq!(
        error_json(&ConnectError::from_code(Code::NotFound)),
        r#"{"code":"not_found"}"#
    );
    assert_eq!(
        error_json(&ConnectError::unavailable("try \"later\"\n")),
        r#"{"code":"unavailable","message":"try \"later\"\n"}"#
    );
}

#[test]
fn writes_details_unpadded() {
    let e = ConnectError::failed_precondition("oops")
        .with_detail(ErrorDetail::new(
            "google.protobuf.StringValue",
            b"\x0a\x01a".to_vec(),
        ))
        .with_detail(ErrorDetail::new("x.Y", Vec::new()));
    assert_eq!(
        error_json(&e),
        r#"{"code":"failed_precondition","message":"oops","details":[{"type":"google.protobuf.StringValue","value":"CgFh"},{"type":"x.Y","value":""}]}"#
    );
    let e = ConnectError::internal("").with_detail(ErrorDetail::new("a.B", b"ab".to_vec()));
    assert_eq!(
        error_json(&e),
        r#"{"code":"internal","details":[{"type":"a.B","value":"YWI"}]}"#
    );
}

#[test]
fn error_json_round_trips() {
    let e = ConnectError::new(Code::Aborted, "ünïcödé \u{1} \\ / \"")
        .with_detail(ErrorDetail::new("a.B", (0u8..=255).collect::<Vec<_>>()))
        .with_detail(ErrorDetail::new("c.D", vec![1]));
    let mut json = Vec::new();
    write_error_json(&e, &mut json);
    let back = parse_error_json(&json, Some(500));
    assert!(back.is_from_wire());
    assert_eq!(back.code(), e.code());
    assert_eq!(back.message(), e.message());
    assert_eq!(back.details(), e.details());
}

#[test]
fn parse_fallbacks() {
    // (body, status, expected code, expected message)
    let cases: &[(&str, Option<u16>, Code, &str)] = &[
        ("null", Some(401), Code::Unauthenticated, ""),
        (
            r#"{ "code": null, "message": "oops" }"#,
            Some(401),
            Code::Unauthenticated,
            "oops",
        ),
        (
            r#"{ "message": "oops" }"#,
            Some(401),
            Code::Unauthenticated,
            "oops",
        ),
        (
            r#"{ "code": "foobar", "message": "oops" }"#,
            Some(429),
            Code::Unavailable,
            "oops",
        ),
        (
            r#"{ "code": 3, "message": "oops" }"#,
            Some(404),
            Code::Unimplemented,
            "oops",
        ),
        (
            r#"{"code": "out_of_range", "message": "oops", "foobar": "baz"}"#,
            Some(422),
            Code::OutOfRange,
            "oops",
        ),
        (
            r#"{"code":"internal","message":7}"#,
            None,
            Code::Internal,
            "",
        ),
        ("\x0a\x02hi", Some(403), Code::PermissionDenied, ""),
        ("", Some(503), Code::Unavailable, ""),
        ("not json", None, Code::Unknown, ""),
        ("[1,2]", Some(400), Code::Internal, ""),
        (r#""str""#, Some(418), Code::Unknown, ""),
        (r#"{"code":"canceled"}"#, None, Code::Canceled, ""),
        (
            r#"{"code":"canceled"} trailing"#,
            Some(401),
            Code::Unauthenticated,
            "",
        ),
    ];
    for &(body, status, code, message) in cases {
        let e = parse_error_json(body.as_bytes(), status);
        assert_eq!((e.code(), e.message()), (code, message), "{body:?}");
        assert!(e.is_from_wire());
    }
}

#[test]
fn parse_details() {
    let body = br#"{
        "code": "out_of_range",
        "message": "oops",
        "details": [
            {"type": "google.protobuf.FileDescriptorProto", "value": "Cgp0ZXN0LnByb3Rv",
             "frob": "nitz", "debug": {"name": "test.proto", "foobar": true}},
            {"type": "type.googleapis.com/x.y.Z", "value": "YWI="},
            {"type": "a.B", "value": "YWI"},
            {"type": "a.C"},
            {"type": "a.D", "value": "-_8"},
            {"type": "bad.Base64", "value": "!!!"},
            {"value": "YWI"},
            {"type": 5, "value": "YWI"},
            "nope",
            null
        ]
    }"#;
    let e = parse_error_json(body, Some(400));
    assert_eq!(e.code(), Code::OutOfRange);
    let got: Vec<(&str, &[u8])> = e
        .details()
        .iter()
        .map(|d| (d.type_name.as_str(), d.value.as_slice()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "google.protobuf.FileDescriptorProto",
                &b"\x0a\x0atest.proto"[..]
            ),
            ("x.y.Z", b"ab"),
            ("a.B", b"ab"),
            ("a.C", b""),
            ("a.D", b"\xfb\xff"),
        ]
    );
    // details that is not an array is ignored
    let e = parse_error_json(br#"{"code":"internal","details":{"a":1}}"#, None);
    assert!(e.details().is_empty());
}

#[test]
fn end_stream_writer() {
    assert_eq!(end_stream(None, &HeaderMap::new()), "{}");
    assert_eq!(
        end_stream(None, &headers(&[("x-a", "1"), ("x-b", "2"), ("x-a", "3")])),
        r#"{"metadata":{"x-a":["1","3"],"x-b":["2"]}}"#
    );
    let e = ConnectError::resource_exhausted("full");
    assert_eq!(
        end_stream(Some(&e), &HeaderMap::new()),
        r#"{"error":{"code":"resource_exhausted","message":"full"}}"#
    );
    let e = e.with_metadata(headers(&[("x-e", "e1"), ("x-a", "ea")]));
    assert_eq!(
        end_stream(Some(&e), &headers(&[("x-a", "1")])),
        r#"{"error":{"code":"resource_exhausted","message":"full"},"metadata":{"x-a":["1","ea"],"x-e":["e1"]}}"#
    );
}

#[test]
fn end_stream_round_trip() {
    let bin = encode_binary_header(b"\x00\xff\x10");
    assert_eq!(bin.as_bytes(), b"AP8Q");
    let mut trailers = headers(&[("x-a", "1"), ("x-a", "2"), ("x-quote", "a\"b")]);
    trailers.append(HeaderName::from_static("x-bin-bin"), bin);
    let err = ConnectError::data_loss("gone").with_detail(ErrorDetail::new("p.Q", vec![9, 9]));
    let mut out = Vec::new();
    write_end_stream(Some(&err), &trailers, &mut out);
    let end = parse_end_stream(&out).unwrap();
    let back = end.error.unwrap();
    assert_eq!(
        (back.code(), back.message(), back.details()),
        (err.code(), err.message(), err.details())
    );
    assert!(back.is_from_wire());
    assert_eq!(end.metadata, trailers);
    let bin = end.metadata.get("x-bin-bin").unwrap();
    assert_eq!(
        decode_binary_header(bin.as_bytes()).unwrap(),
        b"\x00\xff\x10"
    );
}

#[test]
fn end_stream_reader_cases() {
    let ok = |body: &str| parse_end_stream(body.as_bytes()).unwrap();
    assert_eq!(ok("{}"), EndStream::default());
    assert_eq!(ok(r#"{"error": null}"#), EndStream::default());
    assert_eq!(
        ok(r#"{"error": null, "metadata": null}"#),
        EndStream::default()
    );
    // unknown keys ignored (a server answering with a bare error object ends successfully)
    assert_eq!(
        ok(r#"{"code": "out_of_range", "message": "oops"}"#),
        EndStream::default()
    );
    for (body, msg) in [
        (r#"{"error": {"code": null, "message": "oops"}}"#, "oops"),
        (r#"{"error": {"message": "oops"}}"#, "oops"),
        (
            r#"{"error": {"code": "foobar", "message": "oops"}}"#,
            "oops",
        ),
        (r#"{"error": {}}"#, ""),
    ] {
        let e = ok(body).error.unwrap();
        assert_eq!((e.code(), e.message()), (Code::Unknown, msg), "{body}");
    }
    let end = ok(
        r#"{"error":{"code":"out_of_range","message":"oops","foobar":"baz","details":[
        {"type":"google.protobuf.FileDescriptorProto","value":"Cgp0ZXN0LnByb3Rv","frob":"nitz",
         "debug":{"name":"test.proto"}}]}}"#,
    );
    let e = end.error.unwrap();
    assert_eq!(e.code(), Code::OutOfRange);
    assert_eq!(e.details().len(), 1);
    // metadata: case folded to lowercase, single string accepted, invalid entries skipped
    let end = ok(
        r#"{"metadata":{"X-Up":["a","b"],"x-one":"c","bad key":["d"],"x-ctl":["e\n"],"x-empty":[]}}"#,
    );
    assert_eq!(
        end.metadata,
        headers(&[("x-up", "a"), ("x-up", "b"), ("x-one", "c")])
    );

    assert_eq!(parse_end_stream(b"").unwrap_err(), EndStreamError::NotJson);
    assert_eq!(parse_end_stream(b"{").unwrap_err(), EndStreamError::NotJson);
    assert_eq!(
        parse_end_stream(b"\x0a\x00").unwrap_err(),
        EndStreamError::NotJson
    );
    for body in [
        "null",
        "[]",
        r#"{"error": "x"}"#,
        r#"{"error": 1}"#,
        r#"{"metadata": []}"#,
        r#"{"metadata": {"a": [1]}}"#,
        r#"{"metadata": {"a": {}}}"#,
    ] {
        assert_eq!(
            parse_end_stream(body.as_bytes()).unwrap_err(),
            EndStreamError::Malformed,
            "{body}"
        );
    }
    assert_eq!(EndStreamError::Malformed.code(), Code::Internal);
    assert_eq!(
        ConnectError::from(EndStreamError::NotJson).code(),
        Code::Internal
    );
}

#[test]
fn binary_headers_accept_padding_and_url_alphabet() {
    for text in ["AP8Q", "AP8Q", "YWI", "YWI="] {
        assert!(decode_binary_header(text.as_bytes()).is_some(), "{text}");
    }
    assert_eq!(
        decode_binary_header(b"-_8").unwrap(),
        decode_binary_header(b"+/8=").unwrap()
    );
    assert_eq!(decode_binary_header(b"a b"), None);
    assert_eq!(encode_binary_header(b"ab").as_bytes(), b"YWI");
}

#[test]
fn metadata_builders() {
    let mut e = ConnectError::internal("x")
        .with_header(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("1"),
        )
        .with_metadata(headers(&[("x-a", "2"), ("x-b", "3")]));
    e.metadata_mut()
        .append("x-c", HeaderValue::from_static("4"));
    assert_eq!(
        e.metadata(),
        &headers(&[("x-a", "1"), ("x-a", "2"), ("x-b", "3"), ("x-c", "4")])
    );
    e.set_code(Code::Aborted);
    e.set_message("y");
    e.set_from_wire(true);
    assert_eq!(e.to_string(), "aborted: y");
    assert!(e.is_from_wire());
}
