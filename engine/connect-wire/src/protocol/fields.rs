//! Where a protocol writes the fields of a head: HTTP/1.1 text ([`Http1Fields`]), or the
//! `http` crate's [`HeaderMap`] and response [`Parts`](http::response::Parts) (what hyper and
//! h2 send). A protocol's rules are written once against [`FieldSink`] and
//! [`ResponseSink`]; each HTTP version supplies the sink.

use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, StatusCode};

use crate::headers::is_protocol_header;
use crate::http1::write_status_line;

/// Takes the header fields of a head, in order.
///
/// Names are lowercase tokens and values valid field values: the protocol's own constants,
/// or an application's [`HeaderValue`]s, valid by construction.
pub trait FieldSink {
    /// Adds the field `name: value`.
    fn field(&mut self, name: &[u8], value: &[u8]);

    /// Adds the field `<prefix><name>: value` (Connect's `trailer-` fields).
    fn prefixed_field(&mut self, prefix: &[u8], name: &[u8], value: &[u8]);

    /// Adds every entry of `map`, each name after `prefix`, except protocol fields
    /// (`content-type`, `content-length`, the protocols' own headers, …): the framing is the
    /// protocol's to write, and an application echoing such a field would corrupt it.
    fn metadata(&mut self, map: &HeaderMap, prefix: &[u8]) {
        for (name, value) in map {
            if is_protocol_header(name.as_str()) {
                continue;
            }
            if prefix.is_empty() {
                self.field(name.as_str().as_bytes(), value.as_bytes());
            } else {
                self.prefixed_field(prefix, name.as_str().as_bytes(), value.as_bytes());
            }
        }
    }
}

/// Whether `value` may be a field value as it is (visible ASCII, spaces and tabs): for
/// values a caller hands over as plain strings, which sinks write unchecked.
pub(crate) fn is_plain_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b' '..0x7f).contains(&b))
}

/// Takes a response head: its status, then its fields.
pub trait ResponseSink: FieldSink {
    /// Sets the status. A protocol calls it once, before any field.
    fn status(&mut self, status: StatusCode);
}

/// An HTTP/1.1 head being written as text: `name: value\r\n` per field, the status as the
/// status line. The framing fields and the blank line that end the head are the HTTP/1.1
/// writer's ([`crate::http1`]).
#[derive(Debug)]
pub struct Http1Fields<'a>(pub &'a mut Vec<u8>);

impl FieldSink for Http1Fields<'_> {
    #[inline]
    fn field(&mut self, name: &[u8], value: &[u8]) {
        let out = &mut *self.0;
        out.reserve(name.len() + value.len() + 4);
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }

    #[inline]
    fn prefixed_field(&mut self, prefix: &[u8], name: &[u8], value: &[u8]) {
        self.0.extend_from_slice(prefix);
        self.field(name, value);
    }
}

impl ResponseSink for Http1Fields<'_> {
    #[inline]
    fn status(&mut self, status: StatusCode) {
        write_status_line(self.0, status);
    }
}

impl FieldSink for HeaderMap {
    /// Appends the field; a name or value that is not valid is dropped (the protocols write
    /// only valid ones).
    fn field(&mut self, name: &[u8], value: &[u8]) {
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            self.append(n, v);
        }
    }

    fn prefixed_field(&mut self, prefix: &[u8], name: &[u8], value: &[u8]) {
        let mut full = Vec::with_capacity(prefix.len() + name.len());
        full.extend_from_slice(prefix);
        full.extend_from_slice(name);
        self.field(&full, value);
    }
}

impl FieldSink for http::response::Parts {
    fn field(&mut self, name: &[u8], value: &[u8]) {
        self.headers.field(name, value);
    }

    fn prefixed_field(&mut self, prefix: &[u8], name: &[u8], value: &[u8]) {
        self.headers.prefixed_field(prefix, name, value);
    }
}

impl ResponseSink for http::response::Parts {
    fn status(&mut self, status: StatusCode) {
        self.status = status;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(sink: &mut impl ResponseSink) {
        let mut meta = HeaderMap::new();
        meta.append("x-a", HeaderValue::from_static("1"));
        meta.append("x-a", HeaderValue::from_static("2"));
        meta.append("content-length", HeaderValue::from_static("9"));
        sink.status(StatusCode::NOT_FOUND);
        sink.field(b"content-type", b"application/json");
        sink.metadata(&meta, b"");
        sink.metadata(&meta, b"trailer-");
    }

    #[test]
    fn http1_text_and_parts_carry_the_same_head() {
        let mut text = Vec::new();
        fill(&mut Http1Fields(&mut text));
        let text = String::from_utf8(text).unwrap();
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"), "{text}");
        assert!(text.ends_with(
            "content-type: application/json\r\nx-a: 1\r\nx-a: 2\r\ntrailer-x-a: 1\r\ntrailer-x-a: 2\r\n"
        ));
        assert!(!text.contains("content-length"));

        let (mut parts, ()) = http::Response::new(()).into_parts();
        fill(&mut parts);
        assert_eq!(parts.status, StatusCode::NOT_FOUND);
        let fields: Vec<(String, String)> = parts
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields,
            pairs(&[
                ("content-type", "application/json"),
                ("x-a", "1"),
                ("x-a", "2"),
                ("trailer-x-a", "1"),
                ("trailer-x-a", "2"),
            ])
        );
    }

    #[test]
    fn an_invalid_field_is_dropped_from_a_header_map() {
        let mut map = HeaderMap::new();
        map.field(b"bad name", b"v");
        map.field(b"x-ok", b"line\r\nbreak");
        assert!(map.is_empty());
    }
}
