//! The response side of a unary call.

use std::time::Instant;

use connect_wire::compression::Compression;
use connect_wire::http1::KeepAlive;
use connect_wire::{Codec, ConnectError, JsonOptions, Message, Role, fault, unary};
use http::HeaderMap;

use super::request::Response;
use crate::codecs::with_codecs;
use crate::server::interceptor::CallRecord;

/// Where a loaded unary message lies.
pub(crate) enum MessageAt {
    /// In the read buffer, right after the head.
    Body,
    /// In the connection's scratch buffer (decompressed, or decoded from a GET query).
    Scratch,
}

/// The response side of a unary call: renders into the connection's write buffer.
pub struct UnaryReply<'c> {
    pub(crate) out: &'c mut Vec<u8>,
    pub(crate) scratch: &'c mut Vec<u8>,
    pub(crate) codec: Codec,
    pub(crate) compression: Compression,
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
                unary::write_error_response(
                    self.out,
                    &e,
                    &HeaderMap::new(),
                    &HeaderMap::new(),
                    self.keep_alive.is_closing(),
                );
            }
        }
    }

    /// Writes the head with a content-length placeholder, then the body straight after it
    /// (encoded in place, or compressed from scratch), then patches the length.
    fn render<'m, M: Message<'m>>(&mut self, resp: &Response<M>) -> Result<(), ConnectError> {
        let (codec, compression, close) =
            (self.codec, self.compression, self.keep_alive.is_closing());
        if compression == Compression::Identity {
            let cl = unary::write_success_head_open(
                self.out,
                codec,
                compression,
                &resp.headers,
                &resp.trailers,
                close,
            );
            let body = self.out.len();
            codec
                .encode(&resp.message, self.out, self.json)
                .map_err(|e| fault::encode(Role::Server, &e))?;
            let len = self.out.len() - body;
            unary::patch_content_length(self.out, cl, len);
        } else {
            self.scratch.clear();
            codec
                .encode(&resp.message, self.scratch, self.json)
                .map_err(|e| fault::encode(Role::Server, &e))?;
            // Too small to be worth compressing: sent as is, without content-encoding.
            let compression = if self.scratch.len() < self.compress_min {
                Compression::Identity
            } else {
                compression
            };
            let cl = unary::write_success_head_open(
                self.out,
                codec,
                compression,
                &resp.headers,
                &resp.trailers,
                close,
            );
            let body = self.out.len();
            let (input, out) = (&*self.scratch, &mut *self.out);
            if compression == Compression::Identity {
                out.extend_from_slice(input);
            } else {
                with_codecs(|c| c.compress(compression, input, out))
                    .map_err(|e| fault::compress(Role::Server, e))?;
            }
            let len = self.out.len() - body;
            unary::patch_content_length(self.out, cl, len);
        }
        Ok(())
    }

    /// Renders an error (with the interceptors' response fields).
    pub(crate) fn error(self, err: &ConnectError) {
        self.record.fail(err);
        unary::write_error_response(
            self.out,
            err,
            &self.record.headers,
            &self.record.trailers,
            self.keep_alive.is_closing(),
        );
    }
}
