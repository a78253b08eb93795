//! The response side of a unary call.

use std::time::Instant;

use connect_wire::compression::Compression;
use connect_wire::http1::KeepAlive;
use connect_wire::protocol::Responder;
use connect_wire::server::{close_unary, open_unary, write_error};
use connect_wire::stream::Framing;
use connect_wire::{Code, ConnectError, JsonOptions, Message, Role, fault};
use http::HeaderMap;

use super::request::Response;
use crate::codecs::with_codecs;
use crate::server::interceptor::CallRecord;

/// Where a loaded unary message lies.
pub(crate) enum MessageAt {
    /// In the read buffer, right after the head.
    Body,
    /// In the read buffer, at this range of the body (an enveloped message).
    InBody(std::ops::Range<usize>),
    /// In the connection's scratch buffer (decompressed, or decoded from a GET query).
    Scratch,
}

/// The response side of a unary call: renders into the connection's write buffer.
pub struct UnaryReply<'c> {
    pub(crate) out: &'c mut Vec<u8>,
    pub(crate) scratch: &'c mut Vec<u8>,
    /// What the call's protocol puts in the response.
    pub(crate) responder: Responder,
    pub(crate) json: &'c JsonOptions,
    pub(crate) keep_alive: &'c mut KeepAlive,
    pub(crate) deadline: Option<Instant>,
    /// Interceptors' response headers and trailers, and the call's outcome.
    pub(crate) record: &'c mut CallRecord,
    /// Bodies smaller than this go out uncompressed.
    pub(crate) compress_min: usize,
}

impl UnaryReply<'_> {
    /// When the call's deadline passes, if it has one.
    #[must_use]
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Renders the handler's result.
    pub fn send<'m, M: Message<'m>>(self, result: Result<Response<M>, ConnectError>) {
        match result {
            Ok(mut resp) => {
                if self.record.on {
                    // Interceptors' fields first, then the handler's.
                    // An empty map is not drained: `HeaderMap::drain` allocates (since
                    // http 1.6) even when there is nothing to drain.
                    let mut headers = std::mem::take(&mut self.record.headers);
                    if !resp.headers.is_empty() {
                        headers.extend(resp.headers.drain());
                    }
                    resp.headers = headers;
                    let mut trailers = std::mem::take(&mut self.record.trailers);
                    if !resp.trailers.is_empty() {
                        trailers.extend(resp.trailers.drain());
                    }
                    resp.trailers = trailers;
                }
                self.success(&resp);
            }
            Err(e) => self.error(&e),
        }
    }

    fn success<'m, M: Message<'m>>(mut self, resp: &Response<M>) {
        let start = self.out.len();
        match self.render(resp) {
            Ok(()) => self.record.sent = 1,
            Err(e) => {
                self.out.truncate(start);
                self.record.fail(&e);
                write_error(
                    self.out,
                    self.responder,
                    &e,
                    &HeaderMap::new(),
                    &HeaderMap::new(),
                    self.keep_alive.is_closing(),
                );
            }
        }
    }

    /// Writes the head with a content-length placeholder, then the body straight after it
    /// (the message encoded in place, or compressed from scratch, framed as the protocol
    /// frames it), then patches the length.
    fn render<'m, M: Message<'m>>(&mut self, resp: &Response<M>) -> Result<(), ConnectError> {
        let r = self.responder;
        let (codec, close) = (r.codec(), self.keep_alive.is_closing());
        let mut compression = r.compression();
        if compression != Compression::Identity {
            self.scratch.clear();
            codec
                .encode(&resp.message, self.scratch, self.json)
                .map_err(|e| fault::encode(Role::Server, &e))?;
            // Too small to be worth compressing: sent as is, without content-encoding.
            if self.scratch.len() < self.compress_min {
                compression = Compression::Identity;
            }
        }
        let open = open_unary(
            self.out,
            r,
            compression,
            &resp.headers,
            &resp.trailers,
            close,
        );
        let start = r.begin_message(self.out, Framing::Raw);
        if r.compression() == Compression::Identity {
            codec
                .encode(&resp.message, self.out, self.json)
                .map_err(|e| fault::encode(Role::Server, &e))?;
        } else if compression == Compression::Identity {
            self.out.extend_from_slice(self.scratch);
        } else {
            let (input, out) = (&*self.scratch, &mut *self.out);
            with_codecs(|c| c.compress(compression, input, out))
                .map_err(|e| fault::compress(Role::Server, e))?;
        }
        r.finish_message(self.out, start, compression != Compression::Identity)
            .map_err(|_| {
                ConnectError::new(Code::ResourceExhausted, "response message too large")
            })?;
        r.end(self.out, Framing::Raw, None, &resp.trailers);
        close_unary(self.out, open);
        Ok(())
    }

    /// Renders an error (with the interceptors' response fields).
    pub(crate) fn error(self, err: &ConnectError) {
        self.record.fail(err);
        write_error(
            self.out,
            self.responder,
            err,
            &self.record.headers,
            &self.record.trailers,
            self.keep_alive.is_closing(),
        );
    }
}
