//! The state of one connection that calls use: the transport halves, the request being
//! read (connect-wire's [`RequestReader`]: buffer, head, body framing) and the write buffer.
//! The connection loop (`conn.rs`) owns it and lends it to one [`Call`](super::Call) at a
//! time. What is here is the IO around the reader: reading until it has what it needs,
//! within the deadlines, and discarding the rest of a body after the call.

use std::rc::Rc;
use std::time::{Duration, Instant};

use connect_wire::compression::Compression;
use connect_wire::envelope::PREFIX_LEN;
use connect_wire::http1::{CloseReason, Http1Error, KeepAlive};
use connect_wire::server::{Discard, RequestReader, unary_message};
use connect_wire::{Code, ConnectError, Role, fault, get};

use super::call::MessageAt;
use super::config::ServerConfig;
use super::interceptor::CallRecord;
use super::peer::Peer;
use crate::buffers as pool;
use crate::codecs::with_codecs;
use crate::transport::{ReadError, ReadHalf, WriteHalf, read_more};

/// Size of the buffer an idle connection waits with: most unary requests (head and body)
/// fit, so the wait costs one read as before plus a copy of the bytes into a pooled buffer;
/// a larger request takes one more read.
pub(crate) const IDLE_READ: usize = 1024;

/// The capacity of the head copy (streaming and intercepted calls) kept between requests;
/// a larger one, left by an unusually large head, is freed.
pub(crate) const HEAD_COPY_KEEP: usize = 4096;

/// The peer pooled state reports while it serves no connection.
fn no_peer() -> Peer {
    let unspecified = std::net::SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, 0));
    Peer {
        remote: unspecified,
        local: unspecified,
        tls: None,
    }
}

/// The state requests use, attached to one connection for a turn of requests (see
/// [`Link`]) and reused across connections: a thread has as many as it has connections
/// busy at once, not as many as open connections.
pub(crate) struct BusyConn {
    pub(crate) r: ReadHalf,
    pub(crate) w: WriteHalf,
    /// The request being read. Its buffer is taken from the thread's pool when a turn
    /// starts and given back when it ends, unless a `bursty` link takes it along to wait
    /// with (see [`BusyConn::detach`]).
    pub(crate) req: RequestReader,
    /// The attached link's idle buffer (see [`Link::idle`]), carried along for it.
    pub(crate) idle: Vec<u8>,
    /// Whether input arrives in bursts larger than the idle buffer (pipelined requests, large
    /// bodies): set when an idle wait filled the idle buffer, cleared when a wait with the full
    /// read buffer brought no more than the idle buffer holds. A bursty connection keeps its
    /// read buffer while it waits, as one read then takes the whole burst.
    pub(crate) bursty: bool,
    /// Write buffer: the response being rendered.
    pub(crate) wbuf: Vec<u8>,
    /// Decompression / GET decoding output.
    pub(crate) scratch: Vec<u8>,
    /// Encoding input for compression; base64 scratch.
    pub(crate) scratch2: Vec<u8>,
    /// Whether the connection closes after this response.
    pub(crate) keep_alive: KeepAlive,
    /// The server's configuration, shared by every connection of the thread (limits,
    /// timeouts, JSON options, compression threshold), not copied field by field.
    pub(crate) cfg: Rc<ServerConfig>,
    /// Who is on the other end.
    pub(crate) peer: Peer,
    /// What interceptors add to the response and learn about the call.
    pub(crate) record: CallRecord,
    /// Request messages of the current call (for interceptors).
    pub(crate) received: u64,
}

/// What a connection keeps between requests: its transport, who is on the other end, and
/// the input that arrived while it was idle. The rest of its state (a [`BusyConn`]) is
/// per-thread and pooled with the future that serves requests (see `slot.rs`), so an idle
/// keep-alive connection holds this, its idle wait and its idle buffer.
pub(crate) struct Link {
    pub(crate) r: ReadHalf,
    pub(crate) w: WriteHalf,
    pub(crate) peer: Peer,
    /// A read buffer kept while idle (only by a `bursty` connection; else empty).
    pub(crate) rbuf: Vec<u8>,
    /// The small buffer the connection waits with while idle (`IDLE_READ` bytes).
    pub(crate) idle: Vec<u8>,
    /// See [`BusyConn::bursty`].
    pub(crate) bursty: bool,
}

impl Link {
    pub(crate) fn new(r: ReadHalf, w: WriteHalf, peer: Peer) -> Self {
        Link {
            r,
            w,
            peer,
            rbuf: Vec::new(),
            idle: Vec::with_capacity(IDLE_READ),
            bursty: false,
        }
    }
}

impl BusyConn {
    /// State for the requests of a server with configuration `cfg`, attached to no
    /// connection yet (see [`BusyConn::attach`]).
    pub(crate) fn new(cfg: &Rc<ServerConfig>) -> Self {
        BusyConn {
            r: ReadHalf::detached(),
            w: WriteHalf::detached(),
            // Its buffer is taken from the pool when the first request arrives (see
            // `attach`).
            req: RequestReader::new(cfg.http),
            idle: Vec::new(),
            bursty: false,
            wbuf: Vec::new(),
            scratch: Vec::new(),
            scratch2: Vec::new(),
            keep_alive: KeepAlive::Open,
            cfg: Rc::clone(cfg),
            peer: no_peer(),
            record: CallRecord::default(),
            received: 0,
        }
    }

    /// Takes over `link` for a turn of requests: its transport, and the input that arrived
    /// while it was idle, which becomes the start of the read buffer (the one a bursty link
    /// kept, else one from the thread's pool: `detach` gave this state's back).
    pub(crate) fn attach(&mut self, link: Link, buffer_size: usize) {
        let Link {
            r,
            w,
            peer,
            rbuf,
            idle,
            bursty,
        } = link;
        (self.r, self.w, self.peer, self.bursty) = (r, w, peer, bursty);
        let mut buf = if rbuf.capacity() > 0 {
            rbuf
        } else {
            pool::take(buffer_size.max(idle.len()))
        };
        buf.extend_from_slice(&idle);
        self.req.set_buffer(buf);
        self.idle = idle;
        self.idle.clear();
    }

    /// Gives the connection back once its input is used up and its responses written (or
    /// it closed). A `bursty` link keeps a standard-size read buffer to wait with; the I/O
    /// buffers otherwise go back to the thread's pool, so that this state, waiting for its
    /// next turn, holds only small working buffers.
    pub(crate) fn detach(&mut self, buffer_size: usize) -> Link {
        let buf = self.req.take_buffer();
        let keep_buffer = self.bursty && buf.capacity() > 0 && buf.capacity() <= buffer_size;
        let rbuf = if keep_buffer {
            buf
        } else {
            pool::give(buf, buffer_size);
            Vec::new()
        };
        pool::give(std::mem::take(&mut self.wbuf), buffer_size);
        self.req.begin_head(HEAD_COPY_KEEP);
        // Scratch buffers as between requests (see `shrink_buffers`).
        shrink(&mut self.scratch, 0);
        shrink(&mut self.scratch2, 0);
        Link {
            r: std::mem::replace(&mut self.r, ReadHalf::detached()),
            w: std::mem::replace(&mut self.w, WriteHalf::detached()),
            peer: std::mem::replace(&mut self.peer, no_peer()),
            rbuf,
            idle: std::mem::take(&mut self.idle),
            bursty: self.bursty,
        }
    }

    /// Largest read buffer: a head, or a whole message with envelope and chunk framing.
    pub(crate) fn max_buffer(&self) -> usize {
        self.cfg
            .http
            .max_head_size
            .max(self.cfg.max_message_size.saturating_add(64 * 1024))
    }

    /// Reads the rest of a unary body; on success the (possibly decompressed) message is at
    /// the returned location.
    pub(crate) async fn read_unary_body(
        &mut self,
        compression: Compression,
        call_deadline: Option<Instant>,
    ) -> Result<MessageAt, ConnectError> {
        self.read_whole_body(self.cfg.max_message_size, call_deadline)
            .await?;
        if compression == Compression::Identity {
            return Ok(MessageAt::Body);
        }
        self.scratch.clear();
        let (_, _, body) = self.req.parts();
        let scratch = &mut self.scratch;
        let max = self.cfg.max_message_size;
        with_codecs(|c| c.decompress(compression, body, scratch, max))
            .map_err(|e| fault::decompress(Role::Server, e))?;
        Ok(MessageAt::Scratch)
    }

    /// Reads the rest of a unary body whose one message is enveloped (gRPC-web); on success
    /// the (possibly decompressed) message is at the returned location.
    pub(crate) async fn read_enveloped_unary(
        &mut self,
        compression: Compression,
        call_deadline: Option<Instant>,
    ) -> Result<MessageAt, ConnectError> {
        let max = self.cfg.max_message_size;
        self.read_whole_body(max.saturating_add(PREFIX_LEN), call_deadline)
            .await?;
        let (_, _, body) = self.req.parts();
        let (range, compressed) = unary_message(body, compression, max)?;
        if !compressed {
            return Ok(MessageAt::InBody(range));
        }
        self.scratch.clear();
        let scratch = &mut self.scratch;
        with_codecs(|c| c.decompress(compression, &body[range], scratch, max))
            .map_err(|e| fault::decompress(Role::Server, e))?;
        Ok(MessageAt::Scratch)
    }

    /// Reads the rest of the request body into the read buffer, refusing one over `limit`
    /// bytes.
    async fn read_whole_body(
        &mut self,
        limit: usize,
        call_deadline: Option<Instant>,
    ) -> Result<(), ConnectError> {
        let max = self.max_buffer();
        loop {
            self.req.decode().map_err(|e| self.body_error(e))?;
            if self.req.body_len() > limit {
                self.keep_alive.close(CloseReason::BodyUnread);
                return Err(fault::message_too_large(
                    Role::Server,
                    self.cfg.max_message_size,
                ));
            }
            if self.req.body_done() {
                break;
            }
            // Each read must make progress within the I/O timeout, and the whole body must
            // arrive before the call's deadline.
            let mut deadline = Instant::now() + self.cfg.io_timeout;
            if let Some(d) = call_deadline {
                deadline = deadline.min(d);
            }
            let remaining = self.req.known_remaining();
            reserve_known(self.req.buffer_mut(), remaining, max);
            match read_more(
                &mut self.r,
                self.req.buffer_mut(),
                max,
                monoio::time::Instant::from_std(deadline),
            )
            .await
            {
                Ok(_) => {}
                Err(ReadError::TimedOut) => {
                    self.keep_alive.close(CloseReason::ReadCut);
                    return Err(if call_deadline.is_some_and(|d| Instant::now() >= d) {
                        ConnectError::new(
                            Code::DeadlineExceeded,
                            "deadline exceeded while reading the request",
                        )
                    } else {
                        ConnectError::new(Code::DeadlineExceeded, "request body stalled")
                    });
                }
                Err(ReadError::Full) => {
                    self.keep_alive.close(CloseReason::BodyUnread);
                    return Err(fault::message_too_large(
                        Role::Server,
                        self.cfg.max_message_size,
                    ));
                }
                Err(ReadError::Eof | ReadError::Io(_)) => {
                    self.keep_alive.close(CloseReason::ReadCut);
                    return Err(ConnectError::new(
                        Code::InvalidArgument,
                        "request body ended early",
                    ));
                }
            }
        }
        Ok(())
    }

    fn body_error(&mut self, e: Http1Error) -> ConnectError {
        self.keep_alive.close(CloseReason::BadBody);
        fault::body(Role::Server, e, self.cfg.http.max_body_size)
    }

    /// Decodes a GET request's message into `scratch`.
    pub(crate) fn load_get_message(&mut self) -> Result<MessageAt, ConnectError> {
        let query = self.req.head().query(self.req.head_bytes()).unwrap_or("");
        let params =
            get::parse_query(query).map_err(|e| fault::get(e, self.cfg.max_message_size))?;
        self.scratch.clear();
        let mut tmp = std::mem::take(&mut self.scratch2);
        let result = get::decode_message(
            &params,
            &mut self.scratch,
            &mut tmp,
            self.cfg.max_message_size,
        )
        .map_err(|e| fault::get(e, self.cfg.max_message_size));
        self.scratch2 = tmp;
        result?;
        if params.compression == Compression::Identity {
            return Ok(MessageAt::Scratch);
        }
        let compressed = std::mem::take(&mut self.scratch);
        self.scratch2.clear();
        let out = &mut self.scratch2;
        let max = self.cfg.max_message_size;
        let r = with_codecs(|c| c.decompress(params.compression, &compressed, out, max));
        self.scratch = compressed;
        r.map_err(|e| fault::decompress(Role::Server, e))?;
        std::mem::swap(&mut self.scratch, &mut self.scratch2);
        Ok(MessageAt::Scratch)
    }

    /// After a call: discards what is left of the request body (bounded by `max_drain`) so
    /// the connection can carry the next request, or marks it for closing. Leaves any
    /// pipelined bytes at the start of the read buffer.
    pub(crate) async fn finish_body(&mut self) {
        if self.r.is_interrupted() {
            // A read was dropped: the buffer and the body framing are lost.
            self.keep_alive.close(CloseReason::ReadCut);
            return;
        }
        // Declared more than we would drain: close now rather than read any of it.
        if self
            .req
            .declared_unread()
            .is_some_and(|rest| rest > self.cfg.max_drain as u64)
        {
            self.keep_alive.close(CloseReason::BodyUnread);
            return;
        }
        let max = self.max_buffer();
        let mut drained = 0usize;
        // A client that stops sending mid-body must not hold the connection task forever.
        let deadline = monoio::time::Instant::now() + self.cfg.header_read_timeout;
        loop {
            match self.req.discard_body() {
                Ok(Discard::Done) => return,
                Ok(Discard::More(n)) => drained += n,
                Err(_) => {
                    self.keep_alive.close(CloseReason::BadBody);
                    return;
                }
            }
            if drained > self.cfg.max_drain
                || read_more(&mut self.r, self.req.buffer_mut(), max, deadline)
                    .await
                    .is_err()
            {
                self.keep_alive.close(CloseReason::BodyUnread);
                return;
            }
        }
    }

    /// Lingering close (RFC 9112 §9.6), after the write side was shut down: reads and
    /// discards what the client still sends until it closes the connection or `timeout`
    /// passes. Closing a socket with unread data resets the connection, and a reset can
    /// destroy the response before the client read it (e.g. an early `resource_exhausted`
    /// while the client is still uploading).
    pub(crate) async fn linger(&mut self, timeout: Duration) {
        let deadline = monoio::time::Instant::now() + timeout;
        let max = self.max_buffer();
        while !self.r.is_interrupted() {
            self.req.buffer_mut().clear();
            if read_more(&mut self.r, self.req.buffer_mut(), max, deadline)
                .await
                .is_err()
            {
                return;
            }
        }
    }

    /// Gives back memory a large request or response left behind, so that a long-lived
    /// connection holds about `size` per buffer between requests. Steady-state traffic of
    /// small messages never gets here (capacities stay below the threshold), so it does not
    /// reallocate.
    pub(crate) fn shrink_buffers(&mut self, size: usize) {
        shrink(self.req.buffer_mut(), size);
        shrink(&mut self.wbuf, size);
        shrink(&mut self.scratch, 0);
        shrink(&mut self.scratch2, 0);
    }

    pub(crate) async fn flush(&mut self) -> bool {
        if self.wbuf.is_empty() {
            return true;
        }
        let buf = std::mem::take(&mut self.wbuf);
        match monoio::time::timeout(self.cfg.io_timeout, self.w.write_all(buf)).await {
            Ok((res, buf)) => {
                self.wbuf = buf;
                res.is_ok()
            }
            // The write was dropped: the half is marked interrupted.
            Err(_) => false,
        }
    }
}

/// Sizes `buf` once for the `remaining` body bytes a Content-Length announced (within
/// `max`), so that a large body is read into one allocation instead of one per doubling.
/// The peer cannot make us reserve more than `max`, the same bound growth has.
pub(crate) fn reserve_known(buf: &mut Vec<u8>, remaining: Option<u64>, max: usize) {
    let Some(remaining) = remaining.and_then(|r| usize::try_from(r).ok()) else {
        return;
    };
    let want = buf.len().saturating_add(remaining).min(max);
    if want > buf.capacity() {
        buf.reserve_exact(want - buf.len());
    }
}

/// Buffers grown beyond this (by a large message) are shrunk back between requests.
const SHRINK_ABOVE: usize = 256 * 1024;

/// Shrinks `buf` to `size` (keeping its contents) once it holds more than `SHRINK_ABOVE`
/// bytes of capacity and its contents fit `size`.
pub(crate) fn shrink(buf: &mut Vec<u8>, size: usize) {
    if buf.capacity() > size.max(SHRINK_ABOVE) && buf.len() <= size {
        // A fresh buffer and a free rather than `shrink_to`: an allocator that serves large
        // blocks from mmap (glibc) learns from the free to serve the next large request
        // from its heap, whose pages stay mapped, instead of faulting in fresh pages on
        // every large request (a realloc that shrinks teaches it nothing).
        let mut fresh = Vec::with_capacity(size);
        fresh.extend_from_slice(buf);
        *buf = fresh;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn buffers_grown_by_large_messages_shrink_back() {
        let mut big = Vec::with_capacity(4 << 20);
        big.extend_from_slice(b"pipelined");
        super::shrink(&mut big, 16 << 10);
        assert!(big.capacity() < 64 << 10);
        assert_eq!(big, b"pipelined");
        // Small buffers, and big ones still holding more than `size`, are left alone.
        let mut small = Vec::<u8>::with_capacity(32 << 10);
        super::shrink(&mut small, 16 << 10);
        assert_eq!(small.capacity(), 32 << 10);
        let mut full = vec![0u8; 300 << 10];
        super::shrink(&mut full, 16 << 10);
        assert_eq!(full.len(), 300 << 10);
    }

    #[test]
    fn announced_bodies_are_reserved_once_within_the_limit() {
        let mut buf = Vec::with_capacity(16);
        buf.extend_from_slice(b"head");
        super::reserve_known(&mut buf, Some(1 << 20), 4 << 20);
        assert!(buf.capacity() >= (1 << 20) + 4);
        assert_eq!(buf, b"head");
        // A lying Content-Length reserves no more than the buffer could grow to anyway.
        let mut lied = Vec::with_capacity(16);
        super::reserve_known(&mut lied, Some(u64::MAX), 64 << 10);
        assert!(lied.capacity() >= 64 << 10 && lied.capacity() < 128 << 10);
        // Unknown lengths (chunked) leave the buffer alone.
        let mut chunked = Vec::<u8>::with_capacity(16);
        super::reserve_known(&mut chunked, None, 4 << 20);
        assert!(chunked.capacity() < 4096);
    }
}
