//! The base URL of a client: scheme, host, port and path prefix.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use connect_wire::{Code, ConnectError};

/// `http` or `https`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP/1.1.
    Http,
    /// HTTP/1.1 over TLS.
    Https,
}

/// The parsed base URL of a client: scheme, host, port and path prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    scheme: Scheme,
    host: String,
    port: u16,
    authority: String,
    prefix: String,
}

impl Origin {
    /// Parses a base URL: `http://host[:port][/prefix]` or `https://…`. The port defaults
    /// to 80 / 443; a path prefix (e.g. `/api`) goes before every procedure path. IPv6 hosts
    /// are written in brackets. Queries and fragments are refused.
    pub fn parse(url: &str) -> Result<Origin, ConnectError> {
        let bad = |why: &str| {
            ConnectError::new(Code::InvalidArgument, format!("base URL {url:?}: {why}"))
        };
        let uri: http::Uri = url.parse().map_err(|e| bad(&format!("{e}")))?;
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            Some(other) => return Err(bad(&format!("unsupported scheme {other:?}"))),
            None => return Err(bad("missing scheme (http:// or https://)")),
        };
        let authority = uri.authority().ok_or_else(|| bad("missing host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("user information is not supported"));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return Err(bad("missing host"));
        }
        let port = authority.port_u16().unwrap_or(match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        });
        if uri.query().is_some() || url.contains('#') {
            return Err(bad("a base URL has no query or fragment"));
        }
        let prefix = uri.path().trim_end_matches('/').to_owned();
        Ok(Origin {
            scheme,
            host: host.to_owned(),
            port,
            authority: authority.as_str().to_owned(),
            prefix,
        })
    }

    /// The scheme.
    #[must_use]
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host (without brackets for IPv6).
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `Host` header value (`host[:port]` as written in the URL).
    #[must_use]
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The path prefix (empty, or starting with `/`, no trailing `/`).
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The socket addresses of the host (a DNS lookup, which blocks the thread; IP literals
    /// do not).
    pub fn resolve(&self) -> io::Result<Vec<SocketAddr>> {
        Ok((self.host.as_str(), self.port).to_socket_addrs()?.collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let o = Origin::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            (o.scheme(), o.host(), o.port(), o.authority(), o.prefix()),
            (Scheme::Http, "127.0.0.1", 8080, "127.0.0.1:8080", "")
        );
        let o = Origin::parse("https://example.com/api/").unwrap();
        assert_eq!(
            (o.port(), o.authority(), o.prefix()),
            (443, "example.com", "/api")
        );
        let o = Origin::parse("http://[::1]:9/").unwrap();
        assert_eq!((o.host(), o.port(), o.authority()), ("::1", 9, "[::1]:9"));
        for bad in [
            "",
            "127.0.0.1:80",
            "ftp://x",
            "http://",
            "http://u@x",
            "http://x/?q=1",
            "http://x/#f",
            "http://x y",
        ] {
            let e = Origin::parse(bad).unwrap_err();
            assert_eq!(e.code(), Code::InvalidArgument, "{bad}");
        }
    }
}
