//! Message compression: algorithm names, negotiation, and bounded (de)compression.
//!
//! ## Algorithms
//!
//! [`Compression`] names the six encodings Connect and gRPC peers use. `identity` is always
//! available; the others only when their cargo feature is on (`gzip`, on by default; `br`;
//! `zstd`; `deflate`; `snappy`). [`Compression::from_name`] returns `None` for an algorithm
//! that is not compiled in, exactly as for an unknown name. [`ACCEPT_ENCODING`] lists the
//! available ones (without `identity`) in preference order `zstd,gzip,br,deflate,snappy`,
//! for `Accept-Encoding` / `Connect-Accept-Encoding` / `grpc-accept-encoding` and for the
//! "unknown compression" error message.
//!
//! ## Levels
//!
//! Compression runs on the core that serves the connection, so the defaults ([`Levels`])
//! are the fast end of each algorithm: gzip and deflate level 3 (libdeflate), brotli
//! quality 4 with a window of at most 4 MiB (smaller for small inputs), zstd level 1 (frames
//! carry their content size and a checksum), snappy (no levels). Snappy's encoder and
//! decoder are built per call (about 140 KiB of buffers each, by the `snap` crate's source;
//! not measured here).
//!
//! ## Decompression limits
//!
//! The decompressed-size limit is the security boundary and is enforced by construction:
//! no algorithm ever writes more than `limit + 1` bytes into the output, and the output
//! buffer grows only as bytes actually arrive (or to a size the input has declared and which
//! is at most `limit`).
//!
//! * **gzip:** every member of the stream is decoded (RFC 1952 §2.2), each with libdeflate
//!   into an output sized before the call: the member's ISIZE when it is the last one (so a
//!   single-member message is decoded once, into exactly its size), else a guess that
//!   doubles while libdeflate reports insufficient space. No output is ever larger than the
//!   limit allows or than the member's input could expand to (DEFLATE cannot exceed 1032:1),
//!   so an 18-byte body claiming 4 GiB costs a few KiB, not the limit. libdeflate checks
//!   each member's CRC-32 and ISIZE.
//! * **brotli:** the streaming decoder writes into an output that grows to at most
//!   `limit + 1` bytes; reaching `limit + 1` fails. Large-window (non-RFC 7932) streams are
//!   refused, so the decoder's ring buffer is at most 16 MiB (and, with the decoder's
//!   incremental ring-buffer allocation, usually the size of the output).
//! * **zstd:** a frame's declared content size above the limit is rejected at once; below
//!   it, the size sets the first output only up to 64 times the input (a small body that
//!   claims the limit costs a few KiB); the streaming decoder then writes into an output
//!   that doubles as it fills, capped at `limit + 1` bytes, and the
//!   context's `window_log_max` is [`ZSTD_WINDOW_LOG_MAX`] (8 MiB) so a frame cannot demand a
//!   bigger window. Concatenated frames are accepted.
//!
//! * **deflate** (zlib format): one stream, decoded with libdeflate into an output that
//!   starts at four times the input and doubles while libdeflate reports insufficient
//!   space, never past the limit or what the input can inflate to (1032:1). The Adler-32
//!   checksum is checked; bytes after the stream are not read (as Go's zlib reader does).
//! * **snappy** (framing format): the streaming decoder writes into an output that doubles
//!   from 64 KiB, capped at `limit + 1` bytes; reaching it fails. Snappy packs at most about
//!   21:1, and each chunk's CRC-32C is checked. A cut between chunks cannot be told from a
//!   shorter stream (the format has no end marker).
//!
//! A 0-byte input is an empty message and is never handed to a decoder (the output stays
//! empty, whatever the algorithm). Trailing bytes after a complete brotli stream are an error.
//!
//! ## Reuse
//!
//! [`Codecs`] keeps one libdeflate compressor and decompressor and one zstd compression and
//! decompression context, created on first use, so steady state allocates no new contexts.
//! Keep one per core (it is `Send`, not shared). Brotli has no reusable context in the
//! `brotli` crate: its state is built per call.

use std::fmt;

use crate::code::Code;

#[cfg(feature = "gzip")]
mod libdeflate;

/// The smallest gzip member: a 10-byte header, an empty DEFLATE block (at least 2 bytes) and
/// an 8-byte trailer.
#[cfg(feature = "gzip")]
const GZIP_MIN_MEMBER: usize = 20;

/// The most a DEFLATE stream of `len` bytes can inflate to: a length/distance pair codes at
/// most 258 bytes and takes at least 2 bits, so 1032 bytes per input byte (RFC 1951 §3.2.5).
#[cfg(any(feature = "gzip", feature = "deflate"))]
fn max_inflated(len: usize) -> usize {
    len.saturating_mul(1032)
}

/// A message compression algorithm (a `Content-Encoding` / `Connect-Content-Encoding` value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// No compression.
    #[default]
    Identity,
    /// gzip (RFC 1952), via libdeflate. Feature `gzip`.
    Gzip,
    /// brotli (RFC 7932). Feature `br`.
    Br,
    /// zstd (RFC 8878). Feature `zstd`.
    Zstd,
    /// deflate: the zlib format (RFC 1950), as HTTP's `deflate` is, via libdeflate. Feature
    /// `deflate`.
    Deflate,
    /// snappy, in its framing format (what Go's `snappy.NewReader` reads). Feature `snappy`.
    Snappy,
}

/// Bit set of the compiled-in algorithms: gzip 1, br 2, zstd 4, deflate 8, snappy 16.
const COMPILED: usize = (cfg!(feature = "gzip") as usize)
    | ((cfg!(feature = "br") as usize) << 1)
    | ((cfg!(feature = "zstd") as usize) << 2)
    | ((cfg!(feature = "deflate") as usize) << 3)
    | ((cfg!(feature = "snappy") as usize) << 4);

/// [`ACCEPT_ENCODING`] for each value of [`COMPILED`].
const ACCEPT_BY_SET: [&str; 32] = [
    "",
    "gzip",
    "br",
    "gzip,br",
    "zstd",
    "zstd,gzip",
    "zstd,br",
    "zstd,gzip,br",
    "deflate",
    "gzip,deflate",
    "br,deflate",
    "gzip,br,deflate",
    "zstd,deflate",
    "zstd,gzip,deflate",
    "zstd,br,deflate",
    "zstd,gzip,br,deflate",
    "snappy",
    "gzip,snappy",
    "br,snappy",
    "gzip,br,snappy",
    "zstd,snappy",
    "zstd,gzip,snappy",
    "zstd,br,snappy",
    "zstd,gzip,br,snappy",
    "deflate,snappy",
    "gzip,deflate,snappy",
    "br,deflate,snappy",
    "gzip,br,deflate,snappy",
    "zstd,deflate,snappy",
    "zstd,gzip,deflate,snappy",
    "zstd,br,deflate,snappy",
    "zstd,gzip,br,deflate,snappy",
];

/// [`Compression::supported`] for each value of [`COMPILED`].
const SUPPORTED_BY_SET: [&[Compression]; 32] = {
    use Compression::{Br, Deflate, Gzip, Snappy, Zstd};
    [
        &[],
        &[Gzip],
        &[Br],
        &[Gzip, Br],
        &[Zstd],
        &[Zstd, Gzip],
        &[Zstd, Br],
        &[Zstd, Gzip, Br],
        &[Deflate],
        &[Gzip, Deflate],
        &[Br, Deflate],
        &[Gzip, Br, Deflate],
        &[Zstd, Deflate],
        &[Zstd, Gzip, Deflate],
        &[Zstd, Br, Deflate],
        &[Zstd, Gzip, Br, Deflate],
        &[Snappy],
        &[Gzip, Snappy],
        &[Br, Snappy],
        &[Gzip, Br, Snappy],
        &[Zstd, Snappy],
        &[Zstd, Gzip, Snappy],
        &[Zstd, Br, Snappy],
        &[Zstd, Gzip, Br, Snappy],
        &[Deflate, Snappy],
        &[Gzip, Deflate, Snappy],
        &[Br, Deflate, Snappy],
        &[Gzip, Br, Deflate, Snappy],
        &[Zstd, Deflate, Snappy],
        &[Zstd, Gzip, Deflate, Snappy],
        &[Zstd, Br, Deflate, Snappy],
        &[Zstd, Gzip, Br, Deflate, Snappy],
    ]
};

/// The compiled-in algorithms other than `identity`, comma-separated in preference order
/// (`zstd,gzip,br,deflate,snappy` with every feature on; `gzip` by default). The value of
/// the `Accept-Encoding` / `Connect-Accept-Encoding` / `grpc-accept-encoding` headers this
/// crate's peers send, and the list to quote in an "unknown compression" error. Empty when
/// none is compiled in.
pub const ACCEPT_ENCODING: &str = ACCEPT_BY_SET[COMPILED];

impl Compression {
    /// The name on the wire: `identity`, `gzip`, `br`, `zstd`, `deflate` or `snappy`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Gzip => "gzip",
            Self::Br => "br",
            Self::Zstd => "zstd",
            Self::Deflate => "deflate",
            Self::Snappy => "snappy",
        }
    }

    /// Whether this algorithm is compiled in.
    #[must_use]
    pub const fn is_available(self) -> bool {
        match self {
            Self::Identity => true,
            Self::Gzip => cfg!(feature = "gzip"),
            Self::Br => cfg!(feature = "br"),
            Self::Zstd => cfg!(feature = "zstd"),
            Self::Deflate => cfg!(feature = "deflate"),
            Self::Snappy => cfg!(feature = "snappy"),
        }
    }

    /// The available algorithm with this name (ASCII case-insensitive, surrounding spaces
    /// ignored). `None` for an unknown name and for an algorithm whose feature is off. An
    /// empty header value means identity, but that is the caller's call: `""` gives `None`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Compression> {
        let name = name.trim_matches([' ', '\t']);
        [
            Self::Identity,
            Self::Gzip,
            Self::Br,
            Self::Zstd,
            Self::Deflate,
            Self::Snappy,
        ]
        .into_iter()
        .find(|c| c.is_available() && c.name().eq_ignore_ascii_case(name))
    }

    /// The available algorithms other than `identity`, in preference order (the order of
    /// [`ACCEPT_ENCODING`]).
    #[must_use]
    pub const fn supported() -> &'static [Compression] {
        SUPPORTED_BY_SET[COMPILED]
    }

    /// The server's choice of response compression from the request's compression and the
    /// client's `Accept-Encoding` / `Connect-Accept-Encoding` value (`None` when absent).
    ///
    /// Without an accept header a compressed request is answered in kind and an identity
    /// request with identity. With one, weights count (RFC 9110 §12.4.2): an entry with
    /// `q=0` is refused, the highest weight wins, and among equal weights an algorithm beats
    /// `identity` and an earlier entry beats a later one. The request's own algorithm is
    /// acceptable unless the list refuses it (the client just used it): it takes the weight
    /// of `*` when listed, else 1, and ranks first. `*` stands for every available algorithm
    /// the list does not name. Unknown and unavailable names are ignored; when nothing
    /// acceptable remains the answer is identity. `request` must already be known available.
    #[must_use]
    pub fn negotiate_response(request: Compression, accept: Option<&str>) -> Compression {
        let Some(accept) = accept else {
            return request;
        };
        // Candidates ranked by (weight, not identity, earlier first).
        let mut best: Option<(u16, bool, Compression)> = None;
        let mut offer = |q: u16, c: Compression| {
            let key = (q, c != Compression::Identity);
            if q > 0 && best.is_none_or(|(bq, bn, _)| key > (bq, bn)) {
                best = Some((q, key.1, c));
            }
        };
        let mut star = None;
        let mut named = [false; 6];
        for (name, q) in accept_entries(accept) {
            if name == "*" {
                star.get_or_insert(q);
            } else if let Some(c) = Compression::from_name(name) {
                named[c as usize] = true;
            }
        }
        if request != Compression::Identity && !named[request as usize] {
            offer(star.unwrap_or(1000), request);
        }
        for (name, q) in accept_entries(accept) {
            if let Some(c) = Compression::from_name(name) {
                offer(q, c);
            }
        }
        if let Some(q) = star {
            for &c in Compression::supported() {
                if !named[c as usize] {
                    offer(q, c);
                }
            }
        }
        best.map_or(Compression::Identity, |(_, _, c)| c)
    }
}

/// The entries of an `Accept-Encoding` value: each coding name (trimmed, as written) with its
/// weight in thousandths (RFC 9110 §12.4.2 `qvalue`: 0 to 1 with up to three decimals; 1000
/// when there is no `q` parameter). Entries with a malformed weight are skipped, as are empty
/// ones; parameters other than `q` are ignored.
pub fn accept_entries(accept: &str) -> impl Iterator<Item = (&str, u16)> {
    accept.split(',').filter_map(|item| {
        let mut parts = item.split(';');
        let name = parts.next()?.trim_matches([' ', '\t']);
        if name.is_empty() {
            return None;
        }
        let mut q = 1000;
        for param in parts {
            let Some((k, v)) = param.split_once('=') else {
                continue;
            };
            if k.trim_matches([' ', '\t']).eq_ignore_ascii_case("q") {
                q = parse_qvalue(v.trim_matches([' ', '\t']))?;
            }
        }
        Some((name, q))
    })
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        thousandths += u16::from(b - b'0') * [100, 10, 1][i];
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The largest zstd window a frame may demand: 2^23 bytes (8 MiB), the window of every zstd
/// level a sane encoder uses for streaming, and small enough to bound memory per core.
pub const ZSTD_WINDOW_LOG_MAX: u32 = 23;

/// Compression levels. Values outside an algorithm's range are clamped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Levels {
    /// libdeflate level for gzip and deflate, 1..=12 (default 3; 1..=6 suits a server).
    pub gzip: u8,
    /// brotli quality, 0..=11 (default 4; 4..=5 suits a server, 11 is far too slow).
    pub br: u8,
    /// zstd level (default 1; 1..=3 suits a server).
    pub zstd: i32,
}

impl Default for Levels {
    fn default() -> Self {
        Levels {
            gzip: 3,
            br: 4,
            zstd: 1,
        }
    }
}

/// Why compression failed. Either way the output is left as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompressError {
    /// The algorithm is not compiled in.
    Unsupported,
    /// The compressor reported an error (out of memory, or a library bug).
    Failed,
}

impl CompressError {
    /// The code to report: `internal` (either way a local failure).
    #[must_use]
    pub const fn code(self) -> Code {
        Code::Internal
    }

    /// A static description.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Unsupported => "compression algorithm not compiled in",
            Self::Failed => "compression failed",
        }
    }
}

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for CompressError {}

/// Why decompression failed. Either way the output is left as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecompressError {
    /// The decompressed message would exceed the limit.
    TooLarge,
    /// A zstd frame demands a window above [`ZSTD_WINDOW_LOG_MAX`].
    WindowTooLarge,
    /// The input is not a valid, complete stream of the algorithm (bad header, checksum or
    /// size, truncated, trailing garbage).
    Corrupt,
    /// The algorithm is not compiled in.
    Unsupported,
}

impl DecompressError {
    /// The code a server reports for a request message: `resource_exhausted` when too
    /// large, `invalid_argument` when corrupt, `unimplemented` when not compiled in.
    #[must_use]
    pub const fn server_code(self) -> Code {
        match self {
            Self::TooLarge | Self::WindowTooLarge => Code::ResourceExhausted,
            Self::Corrupt => Code::InvalidArgument,
            Self::Unsupported => Code::Unimplemented,
        }
    }

    /// The code a client reports for a response message: `resource_exhausted` when too
    /// large, otherwise `internal`.
    #[must_use]
    pub const fn client_code(self) -> Code {
        match self {
            Self::TooLarge | Self::WindowTooLarge => Code::ResourceExhausted,
            Self::Corrupt | Self::Unsupported => Code::Internal,
        }
    }

    /// A static description.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TooLarge => "decompressed message exceeds the size limit",
            Self::WindowTooLarge => "zstd frame window exceeds the maximum",
            Self::Corrupt => "invalid compressed data",
            Self::Unsupported => "compression algorithm not compiled in",
        }
    }
}

impl fmt::Display for DecompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for DecompressError {}

/// The container a DEFLATE stream goes out in.
#[cfg(any(feature = "gzip", feature = "deflate"))]
#[derive(Clone, Copy)]
enum Wrapper {
    /// gzip (RFC 1952).
    #[cfg(feature = "gzip")]
    Gzip,
    /// zlib (RFC 1950), HTTP's `deflate`.
    #[cfg(feature = "deflate")]
    Zlib,
}

/// Per-core (de)compression state: codec contexts are created on first use and reused.
#[derive(Default)]
pub struct Codecs {
    levels: Levels,
    #[cfg(any(feature = "gzip", feature = "deflate"))]
    deflater: Option<libdeflater::Compressor>,
    #[cfg(feature = "gzip")]
    gzip_decoder: Option<libdeflate::GzipDecoder>,
    #[cfg(feature = "deflate")]
    zlib_decoder: Option<libdeflater::Decompressor>,
    #[cfg(feature = "zstd")]
    zstd_compressor: Option<zstd::zstd_safe::CCtx<'static>>,
    #[cfg(feature = "zstd")]
    zstd_decompressor: Option<zstd::zstd_safe::DCtx<'static>>,
}

impl fmt::Debug for Codecs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codecs")
            .field("levels", &self.levels)
            .finish_non_exhaustive()
    }
}

impl Codecs {
    /// State with the default [`Levels`]. Allocates nothing until first used.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// State with the given levels.
    #[must_use]
    // With no codec feature on, `levels` is the only field.
    #[allow(clippy::needless_update)]
    pub fn with_levels(levels: Levels) -> Self {
        Codecs {
            levels,
            ..Self::default()
        }
    }

    /// The levels in use.
    #[must_use]
    pub fn levels(&self) -> Levels {
        self.levels
    }

    /// Appends the compression of `input` with `alg` to `out` (identity copies). On error
    /// `out` is unchanged.
    pub fn compress(
        &mut self,
        alg: Compression,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), CompressError> {
        let start = out.len();
        let result = match alg {
            Compression::Identity => {
                out.extend_from_slice(input);
                Ok(())
            }
            Compression::Gzip => self.gzip(input, out),
            Compression::Br => self.brotli(input, out),
            Compression::Zstd => self.zstd(input, out),
            Compression::Deflate => self.deflate(input, out),
            Compression::Snappy => snappy(input, out),
        };
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// Appends the decompression of `input` with `alg` to `out`, failing with
    /// [`DecompressError::TooLarge`] when it would exceed `limit` bytes (see the
    /// [module docs](self) for how each algorithm enforces the limit). A 0-byte input is an
    /// empty message: nothing is appended. Identity copies (subject to the limit). On error
    /// `out` is unchanged.
    pub fn decompress(
        &mut self,
        alg: Compression,
        input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), DecompressError> {
        if input.is_empty() {
            return Ok(());
        }
        let start = out.len();
        let result = match alg {
            Compression::Identity => {
                if input.len() > limit {
                    Err(DecompressError::TooLarge)
                } else {
                    out.extend_from_slice(input);
                    Ok(())
                }
            }
            Compression::Gzip => self.gunzip(input, out, limit),
            Compression::Br => unbrotli(input, out, limit),
            Compression::Zstd => self.unzstd(input, out, limit),
            Compression::Deflate => self.inflate(input, out, limit),
            Compression::Snappy => unsnappy(input, out, limit),
        };
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// Compresses with libdeflate into `wrapper`'s format (one compressor serves both).
    #[cfg(any(feature = "gzip", feature = "deflate"))]
    fn libdeflate(
        &mut self,
        wrapper: Wrapper,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), CompressError> {
        let level = self.levels.gzip.clamp(1, 12);
        let c = self.deflater.get_or_insert_with(|| {
            let level = libdeflater::CompressionLvl::new(i32::from(level)).unwrap_or_default();
            libdeflater::Compressor::new(level)
        });
        let start = out.len();
        let bound = match wrapper {
            #[cfg(feature = "gzip")]
            Wrapper::Gzip => c.gzip_compress_bound(input.len()),
            #[cfg(feature = "deflate")]
            Wrapper::Zlib => c.zlib_compress_bound(input.len()),
        };
        out.try_reserve(bound).map_err(|_| CompressError::Failed)?;
        out.resize(start + bound, 0);
        let written = match wrapper {
            #[cfg(feature = "gzip")]
            Wrapper::Gzip => c.gzip_compress(input, &mut out[start..]),
            #[cfg(feature = "deflate")]
            Wrapper::Zlib => c.zlib_compress(input, &mut out[start..]),
        };
        let n = written.map_err(|_| CompressError::Failed)?;
        out.truncate(start + n);
        Ok(())
    }

    #[cfg(feature = "gzip")]
    fn gzip(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressError> {
        self.libdeflate(Wrapper::Gzip, input, out)
    }

    #[cfg(not(feature = "gzip"))]
    #[allow(clippy::unused_self)]
    fn gzip(&mut self, _input: &[u8], _out: &mut Vec<u8>) -> Result<(), CompressError> {
        Err(CompressError::Unsupported)
    }

    /// Decodes every member of a gzip stream (RFC 1952 §2.2: a gzip file is a series of
    /// members; their data is concatenated). See the [module docs](self) for the limits.
    #[cfg(feature = "gzip")]
    fn gunzip(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), DecompressError> {
        use libdeflate::MemberError;
        let decoder = match &mut self.gzip_decoder {
            Some(d) => d,
            slot @ None => {
                slot.insert(libdeflate::GzipDecoder::new().ok_or(DecompressError::TooLarge)?)
            }
        };
        let start = out.len();
        let mut rest = input;
        let mut produced = 0usize;
        while !rest.is_empty() {
            if rest.len() < GZIP_MIN_MEMBER || rest[..3] != [0x1f, 0x8b, 8] {
                return Err(DecompressError::Corrupt);
            }
            let room = limit - produced;
            let most = max_inflated(rest.len()).min(room);
            // The last member's ISIZE ends the input: exact for a single-member stream (the
            // common case, decoded in one go), a first guess otherwise.
            let mut isize_le = [0u8; 4];
            isize_le.copy_from_slice(&rest[rest.len() - 4..]);
            let mut cap = (u32::from_le_bytes(isize_le) as usize).min(most);
            loop {
                grow_zeroed(out, start + produced + cap)?;
                match decoder.member(rest, &mut out[start + produced..start + produced + cap]) {
                    Ok((consumed, n)) => {
                        produced += n;
                        rest = &rest[consumed.max(1)..];
                        break;
                    }
                    Err(MemberError::InsufficientSpace) if cap < most => {
                        cap = cap.saturating_mul(2).max(4096).min(most);
                    }
                    // The member wants more than the limit leaves, or more than its input
                    // can expand to (corrupt, whatever it claims).
                    Err(MemberError::InsufficientSpace) if most == room => {
                        return Err(DecompressError::TooLarge);
                    }
                    Err(_) => return Err(DecompressError::Corrupt),
                }
            }
        }
        out.truncate(start + produced);
        Ok(())
    }

    #[cfg(not(feature = "gzip"))]
    #[allow(clippy::unused_self)]
    fn gunzip(
        &mut self,
        _input: &[u8],
        _out: &mut Vec<u8>,
        _limit: usize,
    ) -> Result<(), DecompressError> {
        Err(DecompressError::Unsupported)
    }

    #[cfg(feature = "deflate")]
    fn deflate(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressError> {
        self.libdeflate(Wrapper::Zlib, input, out)
    }

    #[cfg(not(feature = "deflate"))]
    #[allow(clippy::unused_self)]
    fn deflate(&mut self, _input: &[u8], _out: &mut Vec<u8>) -> Result<(), CompressError> {
        Err(CompressError::Unsupported)
    }

    /// Decodes one zlib stream: into an output that starts at four times the input and
    /// doubles while libdeflate reports insufficient space, never past the limit or what the
    /// input can inflate to (a zlib stream declares no size).
    #[cfg(feature = "deflate")]
    fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), DecompressError> {
        use libdeflater::DecompressionError;
        let decoder = self
            .zlib_decoder
            .get_or_insert_with(libdeflater::Decompressor::new);
        let start = out.len();
        let most = max_inflated(input.len()).min(limit);
        let mut cap = input.len().saturating_mul(4).max(4096).min(most);
        loop {
            grow_zeroed(out, start + cap)?;
            match decoder.zlib_decompress(input, &mut out[start..start + cap]) {
                Ok(n) => {
                    out.truncate(start + n);
                    return Ok(());
                }
                Err(DecompressionError::InsufficientSpace) if cap < most => {
                    cap = cap.saturating_mul(2).min(most);
                }
                Err(DecompressionError::InsufficientSpace) if most == limit => {
                    return Err(DecompressError::TooLarge);
                }
                Err(_) => return Err(DecompressError::Corrupt),
            }
        }
    }

    #[cfg(not(feature = "deflate"))]
    #[allow(clippy::unused_self)]
    fn inflate(
        &mut self,
        _input: &[u8],
        _out: &mut Vec<u8>,
        _limit: usize,
    ) -> Result<(), DecompressError> {
        Err(DecompressError::Unsupported)
    }

    #[cfg(feature = "br")]
    fn brotli(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressError> {
        let params = brotli::enc::BrotliEncoderParams {
            quality: i32::from(self.levels.br.min(11)),
            lgwin: brotli_lgwin(input.len()),
            size_hint: input.len(),
            ..Default::default()
        };
        let mut reader = input;
        brotli::BrotliCompress(&mut reader, out, &params).map_err(|_| CompressError::Failed)?;
        Ok(())
    }

    #[cfg(not(feature = "br"))]
    #[allow(clippy::unused_self)]
    fn brotli(&mut self, _input: &[u8], _out: &mut Vec<u8>) -> Result<(), CompressError> {
        Err(CompressError::Unsupported)
    }

    #[cfg(feature = "zstd")]
    fn zstd(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressError> {
        use zstd::zstd_safe::{CCtx, CParameter};
        let cctx = match &mut self.zstd_compressor {
            Some(c) => c,
            slot @ None => {
                let mut c = CCtx::try_create().ok_or(CompressError::Failed)?;
                c.set_parameter(CParameter::CompressionLevel(self.levels.zstd))
                    .map_err(|_| CompressError::Failed)?;
                // A 4-byte XXH64 checksum per frame, so corruption is detected.
                c.set_parameter(CParameter::ChecksumFlag(true))
                    .map_err(|_| CompressError::Failed)?;
                slot.insert(c)
            }
        };
        let start = out.len();
        out.try_reserve(zstd::zstd_safe::compress_bound(input.len()))
            .map_err(|_| CompressError::Failed)?;
        // The cursor appends after `start` into the reserved capacity (no zero-filling).
        let mut cursor = std::io::Cursor::new(&mut *out);
        cursor.set_position(start as u64);
        cctx.compress2(&mut cursor, input)
            .map_err(|_| CompressError::Failed)?;
        Ok(())
    }

    #[cfg(not(feature = "zstd"))]
    #[allow(clippy::unused_self)]
    fn zstd(&mut self, _input: &[u8], _out: &mut Vec<u8>) -> Result<(), CompressError> {
        Err(CompressError::Unsupported)
    }

    #[cfg(feature = "zstd")]
    fn unzstd(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        limit: usize,
    ) -> Result<(), DecompressError> {
        use zstd::zstd_safe::{
            self, DCtx, DParameter, InBuffer, OutBuffer, ResetDirective, zstd_sys::ZSTD_ErrorCode,
        };
        let dctx = match &mut self.zstd_decompressor {
            Some(d) => d,
            slot @ None => {
                let mut d = DCtx::try_create().ok_or(DecompressError::TooLarge)?;
                d.set_parameter(DParameter::WindowLogMax(ZSTD_WINDOW_LOG_MAX))
                    .map_err(|_| DecompressError::Corrupt)?;
                slot.insert(d)
            }
        };
        // Drops any frame a previous (failed) call left behind; keeps the parameters.
        dctx.reset(ResetDirective::SessionOnly)
            .map_err(|_| DecompressError::Corrupt)?;

        let max = limit.saturating_add(1);
        let mut cap = match zstd_safe::get_frame_content_size(input) {
            Ok(Some(declared)) => {
                if declared > limit as u64 {
                    return Err(DecompressError::TooLarge);
                }
                // The header is trusted to refuse, not to allocate: a 20-byte body may claim
                // the whole limit. The first output is what the header says (+1, to see the
                // end), but at most ZSTD_TRUSTED_RATIO times the input; honest frames of
                // ordinary data fit at once, and a lie costs at most that much before the
                // frame runs out. Growth past it follows the output actually produced.
                (declared as usize + 1)
                    .min(input.len().saturating_mul(ZSTD_TRUSTED_RATIO).max(4096))
            }
            _ => first_capacity(input.len(), max),
        };
        let start = out.len();
        let mut input_buf = InBuffer::around(input);
        let mut produced = 0;
        loop {
            grow_zeroed(out, start + cap)?;
            let progress_before = (input_buf.pos(), produced);
            let result = {
                let mut output_buf = OutBuffer::around_pos(&mut out[start..start + cap], produced);
                let result = dctx.decompress_stream(&mut output_buf, &mut input_buf);
                produced = output_buf.pos();
                result
            };
            let hint = result.map_err(|code| {
                if zstd_safe::is_error_kind(
                    code,
                    ZSTD_ErrorCode::ZSTD_error_frameParameter_windowTooLarge,
                ) {
                    DecompressError::WindowTooLarge
                } else {
                    DecompressError::Corrupt
                }
            })?;
            if produced > limit {
                return Err(DecompressError::TooLarge);
            }
            let input_done = input_buf.pos() == input.len();
            if hint == 0 && input_done {
                out.truncate(start + produced);
                return Ok(());
            }
            if produced == cap {
                if cap >= max {
                    return Err(DecompressError::TooLarge);
                }
                cap = grown_capacity(cap, max);
            } else if input_done || progress_before == (input_buf.pos(), produced) {
                // The frame is truncated (or the decoder is stuck, which it never is).
                return Err(DecompressError::Corrupt);
            }
        }
    }

    #[cfg(not(feature = "zstd"))]
    #[allow(clippy::unused_self)]
    fn unzstd(
        &mut self,
        _input: &[u8],
        _out: &mut Vec<u8>,
        _limit: usize,
    ) -> Result<(), DecompressError> {
        Err(DecompressError::Unsupported)
    }
}

/// The brotli window for an input of `len` bytes: the smallest that holds it (the window is
/// `2^lgwin - 16` bytes), between 2^10 and 2^22.
#[cfg(feature = "br")]
fn brotli_lgwin(len: usize) -> i32 {
    let needed = len.saturating_add(16);
    let bits = usize::BITS - needed.saturating_sub(1).leading_zeros();
    bits.clamp(10, 22) as i32
}

#[cfg(feature = "br")]
fn unbrotli(input: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), DecompressError> {
    use brotli::enc::StandardAlloc;
    use brotli::{BrotliDecompressStream, BrotliResult, BrotliState};

    // `new_strict` refuses large-window streams (windows above 16 MiB).
    let mut state = BrotliState::new_strict(
        StandardAlloc::default(),
        StandardAlloc::default(),
        StandardAlloc::default(),
    );
    let max = limit.saturating_add(1);
    let mut cap = first_capacity(input.len(), max);
    let start = out.len();
    let mut available_in = input.len();
    let mut input_offset = 0;
    let mut output_offset = 0;
    let mut total_out = 0;
    loop {
        grow_zeroed(out, start + cap)?;
        let mut available_out = cap - output_offset;
        let result = BrotliDecompressStream(
            &mut available_in,
            &mut input_offset,
            input,
            &mut available_out,
            &mut output_offset,
            &mut out[start..start + cap],
            &mut total_out,
            &mut state,
        );
        match result {
            BrotliResult::ResultSuccess => {
                if output_offset > limit {
                    return Err(DecompressError::TooLarge);
                }
                if available_in != 0 {
                    return Err(DecompressError::Corrupt);
                }
                out.truncate(start + output_offset);
                return Ok(());
            }
            BrotliResult::NeedsMoreOutput => {
                if cap >= max {
                    return Err(DecompressError::TooLarge);
                }
                cap = grown_capacity(cap, max);
            }
            // All the input was given: more wanted means truncated.
            BrotliResult::NeedsMoreInput | BrotliResult::ResultFailure => {
                return Err(DecompressError::Corrupt);
            }
        }
    }
}

#[cfg(not(feature = "br"))]
fn unbrotli(_input: &[u8], _out: &mut Vec<u8>, _limit: usize) -> Result<(), DecompressError> {
    Err(DecompressError::Unsupported)
}

/// How far a zstd frame's declared content size is believed ahead of any output: up to this
/// many times the compressed size (zstd can legitimately exceed it, through RLE blocks;
/// such frames take a few doublings).
#[cfg(feature = "zstd")]
const ZSTD_TRUSTED_RATIO: usize = 64;

/// The first output size to try for an input of `len` compressed bytes: a guess of 4× the
/// input, at least 4 KiB, at most `max`.
#[cfg(any(feature = "br", feature = "zstd"))]
fn first_capacity(len: usize, max: usize) -> usize {
    len.saturating_mul(4).max(4096).min(max)
}

#[cfg(feature = "snappy")]
fn snappy(input: &[u8], out: &mut Vec<u8>) -> Result<(), CompressError> {
    use std::io::Write as _;
    let mut enc = snap::write::FrameEncoder::new(out);
    enc.write_all(input).map_err(|_| CompressError::Failed)?;
    enc.flush().map_err(|_| CompressError::Failed)?;
    Ok(())
}

#[cfg(not(feature = "snappy"))]
fn snappy(_input: &[u8], _out: &mut Vec<u8>) -> Result<(), CompressError> {
    Err(CompressError::Unsupported)
}

/// Decodes a snappy frame stream into an output that doubles as it fills (from 64 KiB),
/// capped at `limit + 1` bytes: filling that fails. The decoder's own buffers are one chunk
/// each (64 KiB); it checks every chunk's CRC-32C.
#[cfg(feature = "snappy")]
fn unsnappy(input: &[u8], out: &mut Vec<u8>, limit: usize) -> Result<(), DecompressError> {
    use std::io::Read as _;
    let start = out.len();
    let most = limit.saturating_add(1);
    let mut dec = snap::read::FrameDecoder::new(input);
    let (mut filled, mut cap) = (0usize, 0usize);
    loop {
        if filled == cap {
            if cap == most {
                return Err(DecompressError::TooLarge);
            }
            cap = cap.saturating_mul(2).max(64 << 10).min(most);
            grow_zeroed(out, start + cap)?;
        }
        match dec.read(&mut out[start + filled..start + cap]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Err(DecompressError::Corrupt),
        }
    }
    out.truncate(start + filled);
    Ok(())
}

#[cfg(not(feature = "snappy"))]
fn unsnappy(_input: &[u8], _out: &mut Vec<u8>, _limit: usize) -> Result<(), DecompressError> {
    Err(DecompressError::Unsupported)
}

/// Doubles `cap`, up to `max`.
#[cfg(any(feature = "br", feature = "zstd"))]
fn grown_capacity(cap: usize, max: usize) -> usize {
    cap.saturating_mul(2).min(max)
}

/// Grows `out` to `len` bytes (zero-filled), failing with `TooLarge` when memory runs out.
#[cfg(any(
    feature = "gzip",
    feature = "br",
    feature = "zstd",
    feature = "deflate",
    feature = "snappy"
))]
fn grow_zeroed(out: &mut Vec<u8>, len: usize) -> Result<(), DecompressError> {
    if len > out.len() {
        out.try_reserve_exact(len - out.len())
            .map_err(|_| DecompressError::TooLarge)?;
        out.resize(len, 0);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_set_lists_its_algorithms_in_preference_order() {
        let order = [
            (Compression::Zstd, 4),
            (Compression::Gzip, 1),
            (Compression::Br, 2),
            (Compression::Deflate, 8),
            (Compression::Snappy, 16),
        ];
        for set in 0..32 {
            let expected: Vec<Compression> = order
                .iter()
                .filter(|(_, bit)| set & bit != 0)
                .map(|(c, _)| *c)
                .collect();
            assert_eq!(SUPPORTED_BY_SET[set], expected.as_slice(), "set {set}");
            let names: Vec<&str> = expected.iter().map(|c| c.name()).collect();
            assert_eq!(ACCEPT_BY_SET[set], names.join(","), "set {set}");
        }
    }

    #[test]
    fn accept_encoding_matches_supported() {
        let names: Vec<&str> = Compression::supported().iter().map(|c| c.name()).collect();
        assert_eq!(names.join(","), ACCEPT_ENCODING);
        for c in Compression::supported() {
            assert!(c.is_available());
        }
    }

    #[cfg(feature = "br")]
    #[test]
    fn brotli_window_fits_input() {
        assert_eq!(brotli_lgwin(0), 10);
        assert_eq!(brotli_lgwin(1008), 10);
        assert_eq!(brotli_lgwin(1009), 11);
        assert_eq!(brotli_lgwin(usize::MAX), 22);
    }
}
