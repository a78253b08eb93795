//! Connect protocol header names and values.

use std::time::Duration;

/// `Connect-Protocol-Version`.
pub const PROTOCOL_VERSION: &str = "connect-protocol-version";
/// The only protocol version.
pub const PROTOCOL_VERSION_1: &str = "1";
/// `Connect-Timeout-Ms`.
pub const TIMEOUT: &str = "connect-timeout-ms";
/// `Content-Encoding` (unary).
pub const CONTENT_ENCODING: &str = "content-encoding";
/// `Accept-Encoding` (unary).
pub const ACCEPT_ENCODING: &str = "accept-encoding";
/// `Connect-Content-Encoding` (streams).
pub const STREAM_CONTENT_ENCODING: &str = "connect-content-encoding";
/// `Connect-Accept-Encoding` (streams).
pub const STREAM_ACCEPT_ENCODING: &str = "connect-accept-encoding";
/// Prefix of unary trailers sent as headers.
pub const TRAILER_PREFIX: &str = "trailer-";

/// Why a `Connect-Timeout-Ms` value was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadTimeout;

impl std::fmt::Display for BadTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid Connect-Timeout-Ms: expected 1 to 10 ASCII digits")
    }
}

impl std::error::Error for BadTimeout {}

/// Parses `Connect-Timeout-Ms`: 1 to 10 ASCII digits (the spec's bound), in milliseconds.
pub fn parse_timeout(value: &[u8]) -> Result<Duration, BadTimeout> {
    if value.is_empty() || value.len() > 10 || !value.iter().all(u8::is_ascii_digit) {
        return Err(BadTimeout);
    }
    let ms = value
        .iter()
        .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
    Ok(Duration::from_millis(ms))
}

/// Formats a timeout for `Connect-Timeout-Ms`, clamped to the 10-digit maximum.
#[must_use]
pub fn format_timeout(timeout: Duration) -> String {
    let ms = timeout.as_millis().min(9_999_999_999);
    ms.to_string()
}

/// Whether a header is part of a protocol (Connect's, gRPC's, gRPC-web's) rather than
/// application metadata (not echoed as metadata to handlers' peers; never settable as user
/// metadata).
#[must_use]
pub fn is_protocol_header(name: &str) -> bool {
    const PROTOCOL: &[&str] = &[
        "content-type",
        "content-length",
        "content-encoding",
        "accept-encoding",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "host",
        PROTOCOL_VERSION,
        TIMEOUT,
        STREAM_CONTENT_ENCODING,
        STREAM_ACCEPT_ENCODING,
        // gRPC's and gRPC-web's: an application's `grpc-status` would otherwise pass for
        // the call's status.
        "grpc-status",
        "grpc-message",
        "grpc-status-details-bin",
        "grpc-timeout",
        "grpc-encoding",
        "grpc-accept-encoding",
    ];
    PROTOCOL.iter().any(|p| p.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout(b"0"), Ok(Duration::ZERO));
        assert_eq!(parse_timeout(b"1500"), Ok(Duration::from_millis(1500)));
        assert_eq!(
            parse_timeout(b"9999999999"),
            Ok(Duration::from_millis(9_999_999_999))
        );
        for bad in [&b""[..], b"12345678901", b"-1", b"1.5", b" 1", b"1s", b"+1"] {
            assert_eq!(parse_timeout(bad), Err(BadTimeout), "{bad:?}");
        }
        assert_eq!(format_timeout(Duration::from_millis(1500)), "1500");
        assert_eq!(
            format_timeout(Duration::from_secs(u64::MAX / 2)),
            "9999999999"
        );
    }
}
