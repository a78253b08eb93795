//! The error type of the HTTP/1.1 layer: small, `Copy`, and mapped to the status a server answers with.

use std::fmt;

use http::StatusCode;

/// Why an HTTP/1.1 head or body could not be parsed (or a head could not be written).
///
/// Small and `Copy`: raising one never allocates. Every variant knows the status a server
/// answers with ([`Http1Error::status`]). After any parse error the framing of the connection is
/// lost: a server answers (best effort) and closes the connection, a client closes it.
///
/// "Needs more bytes" is not an error: parsers return [`Status::Partial`](super::Status::Partial).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Http1Error {
    // ---- head size and shape ----
    /// The head (start line + header section) is larger than
    /// [`Limits::max_head_size`](super::Limits::max_head_size). 431.
    HeadTooLarge,
    /// More header fields than [`Limits::max_headers`](super::Limits::max_headers). 431.
    TooManyHeaders,
    /// The request-target is longer than [`Limits::max_uri_len`](super::Limits::max_uri_len), or the
    /// request line alone exceeds the head size limit. 414.
    UriTooLong,
    /// A line ended in a bare LF instead of CRLF (RFC 9112 §2.2: we do not accept bare LF). 400.
    BareLf,
    /// A header line started with whitespace: obsolete line folding, or whitespace between the
    /// start line and the first field (RFC 9112 §2.2, §5.2). 400.
    ObsoleteLineFolding,
    /// The request line is malformed: bad method token, bad or empty target, bad separators. 400.
    InvalidRequestLine,
    /// The request-target has a form the method does not allow (RFC 9112 §3.2). 400.
    InvalidTarget,
    /// The HTTP-version is malformed. 400.
    InvalidVersion,
    /// A well-formed HTTP-version other than HTTP/1.0 and HTTP/1.1 (RFC 9110 §15.6.6). 505.
    UnsupportedVersion,
    /// The status line of a response is malformed or its code is below 100. 502.
    InvalidStatusLine,
    /// A header field name is empty or contains a byte that is not a token character
    /// (including whitespace before the colon, RFC 9112 §5.1). 400.
    InvalidHeaderName,
    /// A header field value contains a forbidden byte (CTL other than HTAB). 400.
    InvalidHeaderValue,
    /// A CR was not followed by LF. 400.
    InvalidNewLine,
    /// An HTTP/1.1 request without a Host field (RFC 9112 §3.2). 400.
    MissingHost,
    /// A request with more than one Host field (RFC 9112 §3.2). 400.
    DuplicateHost,

    // ---- message framing (RFC 9112 §6) ----
    /// A Content-Length value that is not `1*DIGIT` fitting in a u64 (empty, signed, a comma list,
    /// non-digits, overflow). Comma lists are rejected even when all members are equal. 400.
    InvalidContentLength,
    /// More than one Content-Length field (rejected even when equal). 400.
    DuplicateContentLength,
    /// Both Content-Length and Transfer-Encoding: a request smuggling signature (RFC 9112 §6.1). 400.
    ContentLengthWithTransferEncoding,
    /// Transfer-Encoding in an HTTP/1.0 message (RFC 9112 §6.1). 400.
    TransferEncodingHttp10,
    /// A Transfer-Encoding value that is empty, applies `chunked` twice, gives `chunked`
    /// parameters, or contains an element that is not a token. 400.
    InvalidTransferEncoding,
    /// A request whose final transfer coding is not `chunked` (RFC 9112 §6.3 item 4). 400.
    ChunkedNotLast,
    /// A transfer coding other than `chunked` (e.g. `gzip, chunked`) (RFC 9112 §6.1). 501.
    UnsupportedTransferCoding,

    // ---- chunked body (RFC 9112 §7.1) ----
    /// A chunk-size line that does not start with a hex digit or has bytes after the size that are
    /// not whitespace or an extension. 400.
    InvalidChunkSize,
    /// A chunk size that does not fit in a u64. 400.
    ChunkSizeOverflow,
    /// A chunk-size line (with extensions) longer than [`MAX_CHUNK_LINE`](super::MAX_CHUNK_LINE). 400.
    ChunkLineTooLong,
    /// A control character inside a chunk extension. 400.
    InvalidChunkExtension,
    /// Chunk extensions of one body add up to more than
    /// [`MAX_CHUNK_EXTENSIONS`](super::MAX_CHUNK_EXTENSIONS) bytes. 400.
    ChunkExtensionsTooLarge,
    /// Chunk data was not followed by CRLF. 400.
    InvalidChunkTerminator,
    /// A malformed trailer field line. 400.
    InvalidTrailer,
    /// The trailer section is larger than [`Limits::max_trailer_size`](super::Limits::max_trailer_size). 431.
    TrailersTooLarge,

    // ---- body ----
    /// The body is larger than [`Limits::max_body_size`](super::Limits::max_body_size). 413.
    BodyTooLarge,
    /// The connection ended before the end of a length-delimited or chunked body. 400.
    IncompleteBody,

    // ---- writing ----
    /// A header to be written has an invalid name (not a token) or a value containing CR, LF
    /// or NUL (response splitting), or a request-target to be written contains a space or
    /// control byte. Nothing is written. 500.
    InvalidOutgoingHeader,
}

impl Http1Error {
    /// The status a server answers with when this error happened while reading a request.
    ///
    /// Errors that only arise while reading a response (a client) map to 502, errors while
    /// writing to 500. [`reason_phrase`](super::reason_phrase) has a text for every status used.
    #[must_use]
    pub const fn status(self) -> StatusCode {
        match self {
            Self::HeadTooLarge | Self::TooManyHeaders | Self::TrailersTooLarge => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            Self::UriTooLong => StatusCode::URI_TOO_LONG,
            Self::UnsupportedVersion => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            Self::UnsupportedTransferCoding => StatusCode::NOT_IMPLEMENTED,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidStatusLine => StatusCode::BAD_GATEWAY,
            Self::InvalidOutgoingHeader => StatusCode::INTERNAL_SERVER_ERROR,
            Self::BareLf
            | Self::ObsoleteLineFolding
            | Self::InvalidRequestLine
            | Self::InvalidTarget
            | Self::InvalidVersion
            | Self::InvalidHeaderName
            | Self::InvalidHeaderValue
            | Self::InvalidNewLine
            | Self::MissingHost
            | Self::DuplicateHost
            | Self::InvalidContentLength
            | Self::DuplicateContentLength
            | Self::ContentLengthWithTransferEncoding
            | Self::TransferEncodingHttp10
            | Self::InvalidTransferEncoding
            | Self::ChunkedNotLast
            | Self::InvalidChunkSize
            | Self::ChunkSizeOverflow
            | Self::ChunkLineTooLong
            | Self::InvalidChunkExtension
            | Self::ChunkExtensionsTooLarge
            | Self::InvalidChunkTerminator
            | Self::InvalidTrailer
            | Self::IncompleteBody => StatusCode::BAD_REQUEST,
        }
    }

    /// A short static description (the `Display` text).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::HeadTooLarge => "message head too large",
            Self::TooManyHeaders => "too many header fields",
            Self::UriTooLong => "request-target too long",
            Self::BareLf => "line ends in a bare LF",
            Self::ObsoleteLineFolding => "obsolete line folding or whitespace before a field line",
            Self::InvalidRequestLine => "malformed request line",
            Self::InvalidTarget => "request-target form not allowed for the method",
            Self::InvalidVersion => "malformed HTTP version",
            Self::UnsupportedVersion => "HTTP version not supported",
            Self::InvalidStatusLine => "malformed status line",
            Self::InvalidHeaderName => "invalid header field name",
            Self::InvalidHeaderValue => "invalid header field value",
            Self::InvalidNewLine => "CR not followed by LF",
            Self::MissingHost => "HTTP/1.1 request without Host",
            Self::DuplicateHost => "more than one Host field",
            Self::InvalidContentLength => "invalid Content-Length",
            Self::DuplicateContentLength => "more than one Content-Length field",
            Self::ContentLengthWithTransferEncoding => "both Content-Length and Transfer-Encoding",
            Self::TransferEncodingHttp10 => "Transfer-Encoding in an HTTP/1.0 message",
            Self::InvalidTransferEncoding => "invalid Transfer-Encoding",
            Self::ChunkedNotLast => "chunked is not the final transfer coding",
            Self::UnsupportedTransferCoding => "unsupported transfer coding",
            Self::InvalidChunkSize => "invalid chunk size line",
            Self::ChunkSizeOverflow => "chunk size overflows",
            Self::ChunkLineTooLong => "chunk size line too long",
            Self::InvalidChunkExtension => "invalid chunk extension",
            Self::ChunkExtensionsTooLarge => "chunk extensions too large",
            Self::InvalidChunkTerminator => "chunk data not followed by CRLF",
            Self::InvalidTrailer => "invalid trailer field",
            Self::TrailersTooLarge => "trailer section too large",
            Self::BodyTooLarge => "body too large",
            Self::IncompleteBody => "connection closed before the end of the body",
            Self::InvalidOutgoingHeader => "invalid header name or value to write",
        }
    }
}

impl fmt::Display for Http1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for Http1Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_small_and_copy() {
        assert_eq!(std::mem::size_of::<Http1Error>(), 1);
        assert_eq!(std::mem::size_of::<Result<(), Http1Error>>(), 1);
    }

    #[test]
    fn statuses() {
        assert_eq!(Http1Error::HeadTooLarge.status().as_u16(), 431);
        assert_eq!(Http1Error::TooManyHeaders.status().as_u16(), 431);
        assert_eq!(Http1Error::UriTooLong.status().as_u16(), 414);
        assert_eq!(Http1Error::UnsupportedVersion.status().as_u16(), 505);
        assert_eq!(Http1Error::UnsupportedTransferCoding.status().as_u16(), 501);
        assert_eq!(Http1Error::BodyTooLarge.status().as_u16(), 413);
        assert_eq!(Http1Error::ChunkedNotLast.status().as_u16(), 400);
        assert_eq!(Http1Error::BareLf.to_string(), "line ends in a bare LF");
    }
}
