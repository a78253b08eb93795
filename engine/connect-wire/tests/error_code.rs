//! Table-driven tests of the Connect code tables.

use connect_wire::Code;

/// (code, number, wire name, HTTP status) as in the Connect specification.
const SPEC: [(Code, u8, &str, u16); 16] = [
    (Code::Canceled, 1, "canceled", 499),
    (Code::Unknown, 2, "unknown", 500),
    (Code::InvalidArgument, 3, "invalid_argument", 400),
    (Code::DeadlineExceeded, 4, "deadline_exceeded", 504),
    (Code::NotFound, 5, "not_found", 404),
    (Code::AlreadyExists, 6, "already_exists", 409),
    (Code::PermissionDenied, 7, "permission_denied", 403),
    (Code::ResourceExhausted, 8, "resource_exhausted", 429),
    (Code::FailedPrecondition, 9, "failed_precondition", 400),
    (Code::Aborted, 10, "aborted", 409),
    (Code::OutOfRange, 11, "out_of_range", 400),
    (Code::Unimplemented, 12, "unimplemented", 501),
    (Code::Internal, 13, "internal", 500),
    (Code::Unavailable, 14, "unavailable", 503),
    (Code::DataLoss, 15, "data_loss", 500),
    (Code::Unauthenticated, 16, "unauthenticated", 401),
];

#[test]
fn every_code_name_number_and_status() {
    assert_eq!(Code::ALL.len(), SPEC.len());
    for (code, number, name, status) in SPEC {
        assert_eq!(code as u8, number, "{name}");
        assert_eq!(code.number(), number, "{name}");
        assert_eq!(Code::from_number(u32::from(number)), Some(code), "{name}");
        assert_eq!(code.as_str(), name);
        assert_eq!(code.to_string(), name);
        assert_eq!(Code::from_name(name), Some(code));
        assert_eq!(code.http_status(), status, "{name}");
    }
}

#[test]
fn unknown_names() {
    for name in [
        "",
        "ok",
        "OK",
        "Canceled",
        "CANCELED",
        "cancelled",
        "invalid-argument",
        " unknown",
    ] {
        assert_eq!(Code::from_name(name), None, "{name:?}");
    }
}

#[test]
fn http_status_to_code() {
    let table: &[(u16, Code)] = &[
        (400, Code::Internal),
        (401, Code::Unauthenticated),
        (403, Code::PermissionDenied),
        (404, Code::Unimplemented),
        (429, Code::Unavailable),
        (502, Code::Unavailable),
        (503, Code::Unavailable),
        (504, Code::Unavailable),
        // Everything else is unknown, including the statuses the conformance suite tests.
        (409, Code::Unknown),
        (412, Code::Unknown),
        (413, Code::Unknown),
        (415, Code::Unknown),
        (431, Code::Unknown),
        (505, Code::Unknown),
        (418, Code::Unknown),
        (800, Code::Unknown),
        (200, Code::Unknown),
        (500, Code::Unknown),
        (501, Code::Unknown),
        (0, Code::Unknown),
        (u16::MAX, Code::Unknown),
    ];
    for &(status, code) in table {
        assert_eq!(Code::from_http_status(status), code, "{status}");
    }
}
