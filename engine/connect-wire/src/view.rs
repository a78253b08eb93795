//! Request and response heads as the protocol layer reads them, whatever carried them: an
//! HTTP/1.1 head parsed into offsets ([`RequestHead::view`], [`ResponseHead::view`]) or the
//! `http` crate's parts (what hyper and h2 hand over). Negotiating a request
//! ([`server::negotiate`](crate::server::negotiate)) reads a [`RequestView`], classifying a
//! response ([`client::classify_unary`](crate::client::classify_unary) and
//! [`client::classify_stream`](crate::client::classify_stream), the error of a response
//! without a usable body) a [`ResponseView`], so each is written once for every HTTP version
//! and driver.

use http::Method;

use crate::http1::{RequestHead, ResponseHead};

/// A request head: its method, header fields and query.
pub trait RequestView {
    /// The request method.
    fn method(&self) -> &Method;
    /// The first value of the header field `name` (lowercase).
    fn header(&self, name: &str) -> Option<&[u8]>;
    /// The query string (after `?`), if there is one.
    fn query(&self) -> Option<&str>;
}

/// A response head: its status and header fields.
pub trait ResponseView {
    /// The status code.
    fn status(&self) -> u16;
    /// The reason phrase (HTTP/1.1 sends one; later versions do not, and this is then the
    /// status's standard one, or empty).
    fn reason(&self) -> &[u8];
    /// The first value of the header field `name` (lowercase).
    fn header(&self, name: &str) -> Option<&[u8]>;
}

/// An HTTP/1.1 request head and the bytes its offsets point into.
#[derive(Clone, Copy, Debug)]
pub struct Http1Request<'a> {
    head: &'a RequestHead,
    bytes: &'a [u8],
}

impl RequestHead {
    /// This head as a [`RequestView`], over `bytes`, the buffer it was parsed from.
    #[must_use]
    pub fn view<'a>(&'a self, bytes: &'a [u8]) -> Http1Request<'a> {
        Http1Request { head: self, bytes }
    }
}

impl RequestView for Http1Request<'_> {
    fn method(&self) -> &Method {
        self.head.method()
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.head.header(self.bytes, name)
    }

    fn query(&self) -> Option<&str> {
        self.head.query(self.bytes)
    }
}

/// An HTTP/1.1 response head and the bytes its offsets point into.
#[derive(Clone, Copy, Debug)]
pub struct Http1Response<'a> {
    head: &'a ResponseHead,
    bytes: &'a [u8],
}

impl ResponseHead {
    /// This head as a [`ResponseView`], over `bytes`, the buffer it was parsed from.
    #[must_use]
    pub fn view<'a>(&'a self, bytes: &'a [u8]) -> Http1Response<'a> {
        Http1Response { head: self, bytes }
    }
}

impl ResponseView for Http1Response<'_> {
    fn status(&self) -> u16 {
        self.head.status()
    }

    fn reason(&self) -> &[u8] {
        self.head.reason(self.bytes)
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.head.header(self.bytes, name)
    }
}

impl RequestView for http::request::Parts {
    fn method(&self) -> &Method {
        &self.method
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name).map(http::HeaderValue::as_bytes)
    }

    fn query(&self) -> Option<&str> {
        self.uri.query()
    }
}

impl ResponseView for http::response::Parts {
    fn status(&self) -> u16 {
        self.status.as_u16()
    }

    fn reason(&self) -> &[u8] {
        self.status.canonical_reason().unwrap_or("").as_bytes()
    }

    fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers.get(name).map(http::HeaderValue::as_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::{Limits, RequestParser, ResponseParser, Status};

    #[test]
    fn an_http1_head_and_http_parts_read_alike() {
        let raw = b"POST /s.S/M?x=1 HTTP/1.1\r\nhost: h\r\nContent-Type: application/proto\r\n\
            x-two: a\r\nx-two: b\r\n\r\n";
        let mut head = RequestHead::new();
        let Ok(Status::Complete(_)) = RequestParser::new(Limits::default()).parse(raw, &mut head)
        else {
            panic!("head");
        };
        let (parts, ()) = http::Request::post("/s.S/M?x=1")
            .header("content-type", "application/proto")
            .header("x-two", "a")
            .header("x-two", "b")
            .body(())
            .unwrap()
            .into_parts();
        let views: [&dyn RequestView; 2] = [&head.view(raw), &parts];
        for v in views {
            assert_eq!(v.method(), Method::POST);
            assert_eq!(v.header("content-type"), Some(&b"application/proto"[..]));
            assert_eq!(v.header("x-two"), Some(&b"a"[..]));
            assert_eq!(v.header("x-none"), None);
            assert_eq!(v.query(), Some("x=1"));
        }

        let raw = b"HTTP/1.1 404 Not Found\r\nX-H: 1\r\n\r\n";
        let mut head = ResponseHead::new();
        let Ok(Status::Complete(_)) = ResponseParser::new(Limits::default()).parse(raw, &mut head)
        else {
            panic!("head");
        };
        let (parts, ()) = http::Response::builder()
            .status(404)
            .header("x-h", "1")
            .body(())
            .unwrap()
            .into_parts();
        let views: [&dyn ResponseView; 2] = [&head.view(raw), &parts];
        for v in views {
            assert_eq!((v.status(), v.reason()), (404, &b"Not Found"[..]));
            assert_eq!(v.header("x-h"), Some(&b"1"[..]));
        }
    }
}
