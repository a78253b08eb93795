//! Writing heads: status and request lines, header fields, framing fields. Appends to a
//! `Vec<u8>` with `extend_from_slice` and `itoa` — no `format!`, no intermediate strings.

use http::{Method, StatusCode};

use super::head::is_tchar;
use super::{BodyFraming, Http1Error};

macro_rules! statuses {
    ($($code:literal => $reason:literal,)*) => {
        /// The reason phrase we send for `code` (RFC 9110 §15, RFC 6585, and nginx's 499 that
        /// Connect uses for `canceled`); `""` for codes not in the table (the status line then
        /// ends in `"<code> \r\n"`, which RFC 9112 §4 allows).
        #[must_use]
        pub const fn reason_phrase(code: u16) -> &'static str {
            match code {
                $($code => $reason,)*
                _ => "",
            }
        }

        /// The whole status line for codes in the table, precomputed: one copy per response.
        const fn status_line(code: u16) -> Option<&'static [u8]> {
            match code {
                $($code => Some(concat!("HTTP/1.1 ", $code, " ", $reason, "\r\n").as_bytes()),)*
                _ => None,
            }
        }
    };
}

statuses! {
    100 => "Continue",
    101 => "Switching Protocols",
    200 => "OK",
    201 => "Created",
    202 => "Accepted",
    203 => "Non-Authoritative Information",
    204 => "No Content",
    205 => "Reset Content",
    206 => "Partial Content",
    300 => "Multiple Choices",
    301 => "Moved Permanently",
    302 => "Found",
    303 => "See Other",
    304 => "Not Modified",
    307 => "Temporary Redirect",
    308 => "Permanent Redirect",
    400 => "Bad Request",
    401 => "Unauthorized",
    402 => "Payment Required",
    403 => "Forbidden",
    404 => "Not Found",
    405 => "Method Not Allowed",
    406 => "Not Acceptable",
    407 => "Proxy Authentication Required",
    408 => "Request Timeout",
    409 => "Conflict",
    410 => "Gone",
    411 => "Length Required",
    412 => "Precondition Failed",
    413 => "Content Too Large",
    414 => "URI Too Long",
    415 => "Unsupported Media Type",
    416 => "Range Not Satisfiable",
    417 => "Expectation Failed",
    421 => "Misdirected Request",
    422 => "Unprocessable Content",
    426 => "Upgrade Required",
    428 => "Precondition Required",
    429 => "Too Many Requests",
    431 => "Request Header Fields Too Large",
    499 => "Client Closed Request",
    500 => "Internal Server Error",
    501 => "Not Implemented",
    502 => "Bad Gateway",
    503 => "Service Unavailable",
    504 => "Gateway Timeout",
    505 => "HTTP Version Not Supported",
}

/// The whole interim response a server sends when [`RequestHead::expect_continue`] is set and it
/// wants the body (RFC 9110 §10.1.1, §15.2.1).
///
/// [`RequestHead::expect_continue`]: super::RequestHead::expect_continue
pub const CONTINUE_RESPONSE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Appends `HTTP/1.1 <code> <reason>\r\n` (RFC 9112 §4), then, for final responses, the
/// thread's cached `Date` field if its driver keeps one ([`date`](super::date)).
pub fn write_status_line(out: &mut Vec<u8>, status: StatusCode) {
    let code = status.as_u16();
    if let Some(line) = status_line(code) {
        out.extend_from_slice(line);
    } else {
        out.extend_from_slice(b"HTTP/1.1 ");
        // StatusCode is always three digits (100..=999).
        out.extend_from_slice(itoa::Buffer::new().format(code).as_bytes());
        out.push(b' ');
        out.extend_from_slice(reason_phrase(code).as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !status.is_informational() {
        super::date::write_date(out);
    }
}

/// Appends `<method> <target> HTTP/1.1\r\n` (RFC 9112 §3), for clients. The target must be
/// non-empty and free of whitespace and control bytes; otherwise nothing is written and
/// [`Http1Error::InvalidOutgoingHeader`] is returned.
pub fn write_request_line(
    out: &mut Vec<u8>,
    method: &Method,
    target: &[u8],
) -> Result<(), Http1Error> {
    if target.is_empty() || target.iter().any(|&b| b <= b' ' || b == 0x7f) {
        return Err(Http1Error::InvalidOutgoingHeader);
    }
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target);
    out.extend_from_slice(b" HTTP/1.1\r\n");
    Ok(())
}

/// Appends `<name>: <value>\r\n`.
///
/// The name must be a token and the value must not contain CR, LF, NUL or other control bytes
/// except HTAB (RFC 9110 §5.1, §5.5) — a value with CRLF would let whoever controls it inject
/// header fields or a whole response (response splitting). On a violation nothing is written and
/// [`Http1Error::InvalidOutgoingHeader`] is returned. Values are not trimmed.
pub fn write_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) -> Result<(), Http1Error> {
    if name.is_empty()
        || !name.iter().all(|&b| is_tchar(b))
        || !value.iter().all(|&b| is_field_vchar(b))
    {
        return Err(Http1Error::InvalidOutgoingHeader);
    }
    out.reserve(name.len() + value.len() + 4);
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// field-vchar / SP / HTAB (RFC 9110 §5.5), obs-text included.
#[inline]
fn is_field_vchar(b: u8) -> bool {
    b >= b' ' && b != 0x7f || b == b'\t'
}

/// Appends the field that announces `framing`: `Content-Length: <n>` or
/// `Transfer-Encoding: chunked`; nothing for [`BodyFraming::UntilClose`].
pub fn write_body_framing(out: &mut Vec<u8>, framing: BodyFraming) {
    match framing {
        BodyFraming::Length(n) => {
            out.extend_from_slice(b"content-length: ");
            out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        BodyFraming::Chunked => out.extend_from_slice(b"transfer-encoding: chunked\r\n"),
        BodyFraming::UntilClose => {}
    }
}

/// Appends `Connection: close` (RFC 9112 §9.6).
pub fn write_connection_close(out: &mut Vec<u8>) {
    out.extend_from_slice(b"connection: close\r\n");
}

/// Appends the empty line that ends a head.
pub fn write_head_end(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\r\n");
}

/// Appends a whole response head: status line, `headers` in order, the framing field, `Connection:
/// close` if `close` (or if `framing` is [`BodyFraming::UntilClose`]), and the final CRLF.
///
/// No framing field is written for 1xx, 204 and 304 responses (RFC 9110 §8.6, RFC 9112 §6.1):
/// they have no body whatever `framing` says. `headers` must not contain Content-Length,
/// Transfer-Encoding or Connection themselves. If a header is invalid ([`write_header`]),
/// `out` is truncated back to its length on entry and the error returned.
pub fn write_response_head<'h, I>(
    out: &mut Vec<u8>,
    status: StatusCode,
    headers: I,
    framing: BodyFraming,
    close: bool,
) -> Result<(), Http1Error>
where
    I: IntoIterator<Item = (&'h [u8], &'h [u8])>,
{
    let mark = out.len();
    write_status_line(out, status);
    for (name, value) in headers {
        if let Err(e) = write_header(out, name, value) {
            out.truncate(mark);
            return Err(e);
        }
    }
    let code = status.as_u16();
    if !(status.is_informational() || code == 204 || code == 304) {
        write_body_framing(out, framing);
    }
    if close || framing == BodyFraming::UntilClose {
        write_connection_close(out);
    }
    write_head_end(out);
    Ok(())
}

/// The `connection` field [`mark_connection`] adds to a response head already written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionMark {
    /// `connection: close`: this is the connection's last response (a `keep-alive` already
    /// there becomes `close`).
    Close,
    /// `connection: keep-alive`: an HTTP/1.0 client keeps the connection only when told.
    KeepAlive,
}

/// Marks the response head that starts at `start` in `out` with a `connection` field,
/// unless it has one (except that [`ConnectionMark::Close`] turns a `keep-alive` into
/// `close`). Nothing happens when no complete head starts there (the response was already
/// written out, as streams' are).
pub fn mark_connection(out: &mut Vec<u8>, start: usize, mark: ConnectionMark) {
    let value: &[u8] = match mark {
        ConnectionMark::Close => b"close",
        ConnectionMark::KeepAlive => b"keep-alive",
    };
    let Some(resp) = out.get(start..) else { return };
    let Some(end) = resp
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|e| e + start)
    else {
        return;
    };
    let field = b"\r\nconnection: ";
    if let Some(at) = out[start..end]
        .windows(field.len())
        .position(|w| w.eq_ignore_ascii_case(field))
    {
        let value_at = start + at + field.len();
        if mark == ConnectionMark::Close && out[value_at..].starts_with(b"keep-alive") {
            out.splice(value_at..value_at + 10, b"close".iter().copied());
        }
        return;
    }
    let line = b"connection: ".iter().chain(value).chain(b"\r\n");
    out.splice(end + 2..end + 2, line.copied());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16) -> StatusCode {
        StatusCode::from_u16(code).unwrap()
    }

    #[test]
    fn status_lines() {
        let mut out = Vec::new();
        write_status_line(&mut out, StatusCode::OK);
        assert_eq!(out, b"HTTP/1.1 200 OK\r\n");
        for (code, line) in [
            (499, &b"HTTP/1.1 499 Client Closed Request\r\n"[..]),
            (431, b"HTTP/1.1 431 Request Header Fields Too Large\r\n"),
            (418, b"HTTP/1.1 418 \r\n"),
            (999, b"HTTP/1.1 999 \r\n"),
            (100, b"HTTP/1.1 100 Continue\r\n"),
        ] {
            out.clear();
            write_status_line(&mut out, status(code));
            assert_eq!(out, line, "{code}");
        }
        // Every status Connect maps to has a phrase.
        for code in [
            200, 400, 401, 403, 404, 405, 408, 409, 413, 414, 415, 429, 431, 499, 500, 501, 503,
            504, 505,
        ] {
            assert!(!reason_phrase(code).is_empty(), "{code}");
        }
    }

    #[test]
    fn heads() {
        let mut out = Vec::new();
        write_response_head(
            &mut out,
            StatusCode::OK,
            [(&b"Content-Type"[..], &b"application/proto"[..])],
            BodyFraming::Length(5),
            false,
        )
        .unwrap();
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\nContent-Type: application/proto\r\ncontent-length: 5\r\n\r\n"
        );

        out.clear();
        write_response_head(&mut out, StatusCode::OK, [], BodyFraming::Chunked, true).unwrap();
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
        );

        out.clear();
        write_response_head(
            &mut out,
            StatusCode::NO_CONTENT,
            [],
            BodyFraming::Length(0),
            false,
        )
        .unwrap();
        assert_eq!(out, b"HTTP/1.1 204 No Content\r\n\r\n");

        out.clear();
        write_response_head(&mut out, StatusCode::OK, [], BodyFraming::UntilClose, false).unwrap();
        assert_eq!(out, b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n");
    }

    #[test]
    fn header_injection_is_refused() {
        let mut out = b"keep".to_vec();
        for (name, value) in [
            (&b"x"[..], &b"a\r\nSet-Cookie: y"[..]),
            (b"x", b"a\nb"),
            (b"x", b"a\0b"),
            (b"x y", b"v"),
            (b"", b"v"),
            (b"x:", b"v"),
        ] {
            assert_eq!(
                write_header(&mut out, name, value),
                Err(Http1Error::InvalidOutgoingHeader)
            );
            assert_eq!(
                write_response_head(
                    &mut out,
                    StatusCode::OK,
                    [(name, value)],
                    BodyFraming::Length(0),
                    false
                ),
                Err(Http1Error::InvalidOutgoingHeader)
            );
            assert_eq!(out, b"keep");
        }
        write_header(&mut out, b"x", b"tab\tand \x80obs").unwrap();
        assert_eq!(out, b"keepx: tab\tand \x80obs\r\n");
    }

    #[test]
    fn request_lines() {
        let mut out = Vec::new();
        write_request_line(&mut out, &Method::POST, b"/pkg.Svc/M").unwrap();
        assert_eq!(out, b"POST /pkg.Svc/M HTTP/1.1\r\n");
        assert_eq!(
            write_request_line(&mut out, &Method::GET, b"/a b"),
            Err(Http1Error::InvalidOutgoingHeader)
        );
        assert_eq!(
            write_request_line(&mut out, &Method::GET, b""),
            Err(Http1Error::InvalidOutgoingHeader)
        );
    }

    #[test]
    fn connection_marks_are_added_once_and_close_wins() {
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        let mut out = b"earlier".to_vec();
        out.extend_from_slice(head);
        mark_connection(&mut out, 7, ConnectionMark::KeepAlive);
        assert_eq!(
            &out[7..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok"
        );
        // A second mark does not add a field; close replaces keep-alive.
        mark_connection(&mut out, 7, ConnectionMark::KeepAlive);
        mark_connection(&mut out, 7, ConnectionMark::Close);
        assert_eq!(
            &out[7..],
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
        );
        // No head at `start` (already written out): nothing changes.
        let mut body_only = b"ok".to_vec();
        mark_connection(&mut body_only, 0, ConnectionMark::Close);
        assert_eq!(body_only, b"ok");
        mark_connection(&mut body_only, 10, ConnectionMark::Close);
        assert_eq!(body_only, b"ok");
    }
}
