//! Sans-IO HTTP/1.1: head parsing, body framing and head writing over plain byte buffers.
//!
//! Nothing here does IO or is async: the functions and state machines take the bytes that have
//! arrived so far and say what they mean, so the monoio engine (server and client) or any other
//! runtime can drive them. Parsing never copies names, values or body bytes out of the caller's
//! buffer, never allocates in steady state, never panics on any input, and is bounded by
//! [`Limits`].
//!
//! ## Pieces
//!
//! | piece | types | what it does |
//! |---|---|---|
//! | request heads (server) | [`RequestParser`], [`RequestHead`] | incremental head parse into offsets; method, target, headers, keep-alive, `Expect`, body framing with the RFC 9112 §6 smuggling defences |
//! | response heads (client) | [`ResponseParser`], [`ResponseHead`] | the same for status lines; skips 1xx interim responses; framing incl. HEAD / 204 / 304 / read-until-close |
//! | bodies | [`BodyDecoder`] ([`ContentLengthDecoder`], [`ChunkedDecoder`], [`CloseDelimitedDecoder`]) behind [`DecodeBody`] | incremental framing decoders; zero-copy spans or in-place compaction |
//! | writing | [`write_response_head`], [`write_status_line`], [`write_header`], [`write_request_line`], [`write_chunk_header`], [`ChunkHeader`], … | heads and chunk framing into a `Vec<u8>` without `format!` |
//! | errors | [`Http1Error`] | one byte, `Copy`, knows its HTTP status |
//!
//! ## Driving it (server)
//!
//! ```
//! use connect_wire::http1::{BodyDecoder, DecodeBody, Limits, RequestHead, RequestParser, Status};
//!
//! let limits = Limits::default();
//! let mut parser = RequestParser::new(limits); // one per connection, reused
//! let mut head = RequestHead::new();           // one per connection, reused
//! let mut buf: Vec<u8> = Vec::new();           // the connection's read buffer
//!
//! // Bytes arrive in pieces; parse after every read until the head is complete.
//! buf.extend_from_slice(b"POST /pkg.Svc/Method HTTP/1.1\r\nHost: x\r\nTransfer-Enc");
//! assert_eq!(parser.parse(&buf, &mut head), Ok(Status::Partial));
//! buf.extend_from_slice(b"oding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
//! let Ok(Status::Complete(head_len)) = parser.parse(&buf, &mut head) else { panic!() };
//! assert_eq!(head.path(&buf), "/pkg.Svc/Method");
//!
//! // Decode the body in place: the body bytes end up contiguous right after the head.
//! let mut body = BodyDecoder::new(head.body_framing(), &limits).unwrap();
//! let d = body.decode_in_place(&mut buf[head_len..]).unwrap();
//! assert!(d.done);
//! assert_eq!(&buf[head_len..head_len + d.data_len], b"hello");
//! // The next request (pipelined) starts at head_len + d.consumed.
//! assert_eq!(head_len + d.consumed, buf.len());
//! ```
//!
//! The buffer handed to a parser must keep its prefix between calls that return
//! [`Status::Partial`] (append only); the parser remembers how far it has scanned so a head
//! arriving byte by byte costs O(n), not O(n²) (httparse itself re-parses from byte 0, so we only
//! call it once the end of the head has been found). All offsets in a parsed head are relative to
//! the start of that buffer, so the head can be split off (e.g. `BytesMut::split_to(head_len)`)
//! and still be read with the returned [`RequestHead`].
//!
//! ## Strictness decisions
//!
//! - Bare LF line endings are rejected ([`Http1Error::BareLf`]) in heads, chunk lines and
//!   trailers, though RFC 9112 §2.2 permits accepting them: a lenient recipient behind a strict
//!   one is a request smuggling ingredient.
//! - Obsolete line folding is rejected in requests (RFC 9112 §5.2 allows it). In responses,
//!   [`ResponseParser::parse_unfolding`] replaces it with spaces, as §5.2 requires of user
//!   agents ([`ResponseParser::parse`], over a read-only buffer, rejects it).
//! - Content-Length comma lists and repeated Content-Length fields are rejected even when all
//!   values are equal (RFC 9110 §8.6 allows either).
//! - Content-Length together with Transfer-Encoding is rejected, in requests and responses.
//! - Empty lines (CRLF) before a start line are skipped (RFC 9112 §2.2); they count towards the
//!   head size limit.
//! - Chunk trailers are validated, bounded and discarded (Connect over HTTP/1.1 sends none).

mod body;
pub mod date;
mod error;
mod head;
mod keep_alive;
mod request;
mod response;
mod scan;
mod write;

pub use body::{
    BodyDecoder, BodySpan, ChunkHeader, ChunkedDecoder, CloseDelimitedDecoder,
    ContentLengthDecoder, DecodeBody, Decoded, decode_buffered, write_chunk, write_chunk_end,
    write_chunk_header, write_last_chunk,
};
pub use error::Http1Error;
pub use head::{HeaderIter, HeaderRange, Span};
pub use keep_alive::{CloseReason, KeepAlive};
pub use request::{RequestHead, RequestParser, TargetForm};
pub use response::{ResponseHead, ResponseParser};
pub use write::{
    CONTINUE_RESPONSE, ConnectionMark, mark_connection, reason_phrase, write_body_framing,
    write_connection_close, write_head_end, write_header, write_request_line, write_response_head,
    write_status_line,
};

/// Hard cap on [`Limits::max_headers`]: httparse needs a header slot array, which lives on the
/// stack (uninitialised, so it costs nothing to create). Larger configured values are clamped.
pub const MAX_HEADERS_CAP: usize = 256;

/// Longest accepted chunk-size line, extensions included, CRLF excluded (RFC 9112 §7.1 sets no
/// limit; hex sizes need at most 16 digits).
pub const MAX_CHUNK_LINE: usize = 1024;

/// Most chunk-extension bytes accepted over one whole body. Extensions are ignored, so this only
/// bounds the work an attacker can make us do per body byte (chunk-extension amplification).
pub const MAX_CHUNK_EXTENSIONS: usize = 16 * 1024;

/// Size limits for heads and bodies. `Copy`, cheap to pass around; one per server or client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest head (start line + fields + final CRLF, plus any skipped leading empty lines or
    /// 1xx interim responses) in bytes. Larger → [`Http1Error::HeadTooLarge`] (431). Default
    /// 16 KiB; clamped to `u32::MAX`. A read buffer of this capacity always suffices: the parser
    /// fails as soon as `max_head_size` bytes arrived without a complete head.
    pub max_head_size: usize,
    /// Most header fields in a head. More → [`Http1Error::TooManyHeaders`] (431). Default 100
    /// (hyper's; Go's net/http and curl bound only the bytes); clamped to [`MAX_HEADERS_CAP`].
    /// The bytes are bounded by `max_head_size`; the count bounds the per-field work.
    pub max_headers: usize,
    /// Longest request-target. Longer → [`Http1Error::UriTooLong`] (414). Default 8 KiB
    /// (RFC 9112 §3 recommends supporting at least 8000 octets).
    pub max_uri_len: usize,
    /// Largest body (after removing chunk framing). Larger → [`Http1Error::BodyTooLarge`] (413).
    /// Default 16 MiB; long-lived streams may want `u64::MAX` and per-message limits instead.
    pub max_body_size: u64,
    /// Largest chunked trailer section, final CRLF excluded. Larger →
    /// [`Http1Error::TrailersTooLarge`] (431). Default 8 KiB.
    pub max_trailer_size: usize,
}

impl Limits {
    /// The defaults documented on each field.
    pub const DEFAULT: Self = Self {
        max_head_size: 16 * 1024,
        max_headers: 100,
        max_uri_len: 8 * 1024,
        max_body_size: 16 * 1024 * 1024,
        max_trailer_size: 8 * 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Progress of an incremental parse. Needing more bytes is a status, not an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status<T> {
    /// The value is complete.
    Complete(T),
    /// More bytes are needed; call again with the same buffer, extended.
    Partial,
}

impl<T> Status<T> {
    /// Whether this is [`Status::Complete`].
    #[must_use]
    pub const fn is_complete(&self) -> bool {
        matches!(self, Self::Complete(_))
    }
}

/// How the body of a message is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFraming {
    /// Exactly this many bytes follow the head (0 = no body).
    Length(u64),
    /// Chunked transfer coding (RFC 9112 §7.1).
    Chunked,
    /// The body runs until the connection closes (responses only, RFC 9112 §6.3 item 8).
    UntilClose,
}
