//! A unary call's response, driven without IO: the call says what it needs next.
//!
//! In the style of rustls's unbuffered `ConnectionState`: a driver writes the request, tells
//! the call how that went ([`UnaryCall::sent`]), then asks [`UnaryCall::next`] until it says
//! [`Need::Done`], reading once into the [`ResponseReader`] for each [`Need::Read`]. The
//! call parses the head, classifies it, decodes the body and decides the outcome; the driver
//! adds only the IO, deadlines, cancellation and pooling.
//!
//! ```text
//! sent ──▶ Head ──head parsed──▶ Body ──body read──▶ Complete ──finish──▶ UnaryOutput
//!           │         └──refused────────────────────▶ Failed ────finish──▶ UnaryOutput
//!           └──read error / bad head────────────────▶ Failed
//! ```

use http::{HeaderMap, Method};

use super::reader::{Decoding, ResponseReader};
use super::response::{Verdict, response_metadata};
use crate::codec::OwnedMessage;
use crate::compression::Codecs;
use crate::error::ConnectError;
use crate::protocol::Requester;

/// What a call needs from its driver next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// One read from the connection into the reader ([`ResponseReader::append`], or
    /// [`ResponseReader::eof`] at the end of the stream); a read that fails goes to the call's
    /// `failed`.
    Read {
        /// What the read waits for.
        waiting: Waiting,
        /// Whether this is the first read of that part: a driver restarts its IO timer.
        fresh: bool,
    },
    /// The call is over: take its outcome.
    Done,
}

/// What a read waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// The response head.
    Head,
    /// More of the response body.
    Body,
}

impl Waiting {
    /// What the call is doing, for an error message (`deadline exceeded while …`).
    #[must_use]
    pub const fn doing(self) -> &'static str {
        match self {
            Waiting::Head => "waiting for the response",
            Waiting::Body => "reading the response",
        }
    }
}

/// What a unary (or client-streaming) call gave back: the response headers, the message
/// or the error, and the trailers. Headers and trailers are there on errors too, as far as
/// the server sent them. Protocol headers (framing, content type, encodings, `connect-`)
/// are not included.
#[must_use = "the call's outcome is in it"]
#[derive(Clone, Debug)]
pub struct UnaryOutput<M> {
    /// Response headers.
    pub headers: HeaderMap,
    /// The response message, or the call's error.
    pub result: Result<M, ConnectError>,
    /// Response trailers (unary: the `trailer-` headers; client stream: the end-stream
    /// metadata).
    pub trailers: HeaderMap,
}

impl<M> UnaryOutput<M> {
    /// A failed call with no response metadata.
    pub fn failed(error: ConnectError) -> Self {
        UnaryOutput {
            headers: HeaderMap::new(),
            result: Err(error),
            trailers: HeaderMap::new(),
        }
    }

    /// The message, or the error (whose metadata holds the response headers and trailers).
    ///
    /// # Errors
    ///
    /// The call's error.
    pub fn into_result(self) -> Result<M, ConnectError> {
        self.result
    }

    /// The error, if the call failed.
    #[must_use]
    pub fn error(&self) -> Option<&ConnectError> {
        self.result.as_ref().err()
    }
}

/// `e` with the response's headers and trailers added to its metadata (as connect-go
/// does), so that a caller holding only the error still sees them.
#[must_use]
pub fn with_metadata(
    mut e: ConnectError,
    headers: &HeaderMap,
    trailers: &HeaderMap,
) -> ConnectError {
    if !headers.is_empty() || !trailers.is_empty() {
        let meta = e.metadata_mut();
        for (k, v) in headers.iter().chain(trailers.iter()) {
            let _ = meta.try_append(k.clone(), v.clone());
        }
    }
    e
}

/// Where a unary call's response stands.
#[derive(Debug)]
enum UnaryState {
    /// Waiting for the head; `fresh` until the first read is asked for.
    Head { fresh: bool },
    /// The head was accepted (or names an error body): reading the body.
    Body {
        verdict: Verdict,
        headers: HeaderMap,
        trailers: HeaderMap,
        fresh: bool,
    },
    /// The whole body is in the reader.
    Complete {
        verdict: Verdict,
        headers: HeaderMap,
        trailers: HeaderMap,
    },
    /// The call failed; the connection is not reused.
    Failed {
        error: ConnectError,
        headers: HeaderMap,
        trailers: HeaderMap,
    },
}

/// One unary call's response (POST or GET), driven without IO: the call says what it needs
/// next.
///
/// In the style of rustls's unbuffered `ConnectionState`: a driver writes the request, tells
/// the call how that went ([`UnaryCall::sent`]), then asks [`UnaryCall::next`] until it says
/// [`Need::Done`], reading once into the [`ResponseReader`] for each [`Need::Read`]. The
/// call parses the head, classifies it, decodes the body and decides the outcome; the driver
/// adds only the IO, deadlines, cancellation and pooling.
///
/// ```text
/// sent ──▶ Head ──head parsed──▶ Body ──body read──▶ Complete ──finish──▶ UnaryOutput
///           │         └──refused────────────────────▶ Failed ────finish──▶ UnaryOutput
///           └──read error / bad head────────────────▶ Failed
/// ```
#[derive(Debug)]
pub struct UnaryCall {
    state: UnaryState,
    method: Method,
    requester: Requester,
    /// Largest body accepted: the message limit plus room for framing and error details.
    max_body: u64,
    /// A request write that failed while the server may still have answered (it answered
    /// early and closed): reported if no response comes.
    write_error: Option<ConnectError>,
}

impl UnaryCall {
    /// A call made by `requester` (its protocol, shape, a GET or a POST, and codec), with
    /// messages up to `max_message_size` bytes.
    #[must_use]
    pub fn new(requester: Requester, max_message_size: usize) -> Self {
        UnaryCall {
            state: UnaryState::Head { fresh: true },
            method: requester.method(),
            requester,
            max_body: (max_message_size as u64).saturating_add(64 << 10),
            write_error: None,
        }
    }

    /// The request's HTTP method.
    #[must_use]
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request was written, or writing it failed with `error` (the response is still
    /// read: a server may answer early and close).
    pub fn sent(&mut self, error: Option<ConnectError>) {
        self.write_error = error;
    }

    /// A read failed: the call ends with that error (or with the write's, if the request
    /// did not go out and no head came).
    pub fn failed(&mut self, error: ConnectError) {
        self.state = match std::mem::replace(&mut self.state, UnaryState::Head { fresh: false }) {
            UnaryState::Head { .. } => UnaryState::Failed {
                error: self.write_error.take().unwrap_or(error),
                headers: HeaderMap::new(),
                trailers: HeaderMap::new(),
            },
            UnaryState::Body {
                headers, trailers, ..
            }
            | UnaryState::Complete {
                headers, trailers, ..
            } => UnaryState::Failed {
                error,
                headers,
                trailers,
            },
            failed @ UnaryState::Failed { .. } => failed,
        };
    }

    /// What the call needs next, after taking in what the reader holds.
    pub fn next(&mut self, reader: &mut ResponseReader) -> Need {
        loop {
            match &mut self.state {
                UnaryState::Head { fresh } => {
                    match reader.parse_head(&self.method, self.max_body) {
                        Ok(false) => {
                            let fresh = std::mem::replace(fresh, false);
                            return Need::Read {
                                waiting: Waiting::Head,
                                fresh,
                            };
                        }
                        Ok(true) => {
                            let (head, bytes) = (reader.head(), reader.head_bytes());
                            let (headers, trailers) = response_metadata(head, bytes, true);
                            self.state = match self.requester.classify(&head.view(bytes)) {
                                Verdict::Fail(error) => UnaryState::Failed {
                                    error,
                                    headers,
                                    trailers,
                                },
                                verdict => UnaryState::Body {
                                    verdict,
                                    headers,
                                    trailers,
                                    fresh: true,
                                },
                            };
                        }
                        Err(e) => self.failed(e),
                    }
                }
                UnaryState::Body { fresh, .. } => {
                    if reader.body_done() {
                        self.complete();
                        continue;
                    }
                    match reader.decode() {
                        Ok(true) => {}
                        Ok(false) => {
                            let fresh = std::mem::replace(fresh, false);
                            return Need::Read {
                                waiting: Waiting::Body,
                                fresh,
                            };
                        }
                        Err(e) => self.failed(e),
                    }
                }
                UnaryState::Complete { .. } | UnaryState::Failed { .. } => return Need::Done,
            }
        }
    }

    fn complete(&mut self) {
        if let UnaryState::Body {
            verdict,
            headers,
            trailers,
            ..
        } = std::mem::replace(&mut self.state, UnaryState::Head { fresh: false })
        {
            self.state = UnaryState::Complete {
                verdict,
                headers,
                trailers,
            };
        }
    }

    /// The outcome, once [`next`](Self::next) said [`Need::Done`], and whether the protocol
    /// lets the connection be reused (the call succeeded, the response was read to its end
    /// and did not ask to close); the driver adds what it knows of the connection.
    /// `scratch` holds decompressed bytes.
    pub fn finish<M: OwnedMessage>(
        self,
        reader: &mut ResponseReader,
        decoding: Decoding<'_>,
        scratch: &mut Vec<u8>,
        codecs: &mut Codecs,
    ) -> (UnaryOutput<M>, bool) {
        let (result, headers, trailers) = match self.state {
            UnaryState::Complete {
                verdict,
                headers,
                trailers,
            } => (
                reader.unary_outcome::<M>(&verdict, decoding, scratch, codecs),
                headers,
                trailers,
            ),
            UnaryState::Failed {
                error,
                headers,
                trailers,
            } => (Err(error), headers, trailers),
            // Not done: the driver stopped early.
            UnaryState::Head { .. } | UnaryState::Body { .. } => (
                Err(ConnectError::new(
                    crate::Code::Internal,
                    "the call was finished before its response was read",
                )),
                HeaderMap::new(),
                HeaderMap::new(),
            ),
        };
        let reusable = result.is_ok() && reader.reusable(&self.method);
        let result = result.map_err(|e| with_metadata(e, &headers, &trailers));
        (
            UnaryOutput {
                headers,
                result,
                trailers,
            },
            reusable,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;
    use crate::MessageType;
    use crate::codec::Codec;
    use crate::compression::Codecs;
    use crate::http1::{Limits, ResponseHead};
    use crate::json::JsonOptions;
    use crate::protocol::{Protocol, Shape};
    use crate::wkt::StringValue;

    fn reader() -> ResponseReader {
        ResponseReader::new(Vec::new(), ResponseHead::new(), Limits::default(), 1 << 20)
    }

    /// Drives a call over `input`, handing it `step` bytes per read (end of stream after
    /// the last); returns the outcome, the reuse answer and the reads it asked for.
    fn drive(
        input: &[u8],
        step: usize,
        write_error: Option<ConnectError>,
    ) -> (UnaryOutput<StringValue<'static>>, bool, Vec<Need>) {
        let mut r = reader();
        let mut call = UnaryCall::new(
            Requester::new(Protocol::Connect, Shape::Unary, Codec::Json),
            1 << 20,
        );
        call.sent(write_error);
        let mut pieces = input.chunks(step.max(1));
        let mut needs = Vec::new();
        while let need @ Need::Read { .. } = call.next(&mut r) {
            needs.push(need);
            let fed = match pieces.next() {
                Some(piece) => r.append(piece),
                None => r.eof(),
            };
            if let Err(e) = fed {
                call.failed(e);
            }
        }
        let json = JsonOptions::default();
        let decoding = Decoding {
            protocol: Protocol::Connect,
            codec: Codec::Json,
            limit: 1 << 20,
            json: &json,
        };
        let (out, reusable) = call.finish::<<StringValue<'static> as MessageType>::Msg<'static>>(
            &mut r,
            decoding,
            &mut Vec::new(),
            &mut Codecs::default(),
        );
        (out, reusable, needs)
    }

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-h: 1\r\n\
        trailer-x-t: 2\r\ncontent-length: 4\r\n\r\n\"hi\"";

    #[test]
    fn a_response_at_every_split_point() {
        for step in 1..=OK.len() {
            let (out, reusable, needs) = drive(OK, step, None);
            assert_eq!(
                out.result.as_ref().map(|m| m.value.as_ref()),
                Ok("hi"),
                "step {step}"
            );
            assert!(reusable, "step {step}");
            assert_eq!(out.headers.get("x-h").unwrap(), "1");
            assert_eq!(out.trailers.get("x-t").unwrap(), "2");
            // The first read of the head and of the body restart the driver's timer.
            assert_eq!(
                needs[0],
                Need::Read {
                    waiting: Waiting::Head,
                    fresh: true
                }
            );
            assert!(
                needs
                    .iter()
                    .filter(|n| matches!(n, Need::Read { fresh: true, .. }))
                    .count()
                    <= 2
            );
        }
    }

    #[test]
    fn an_error_body_keeps_its_code_and_the_metadata() {
        let body = br#"{"code":"not_found","message":"gone"}"#;
        let mut input = format!(
            "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\nx-h: 1\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        input.extend_from_slice(body);
        let (out, reusable, _) = drive(&input, 7, None);
        let e = out.result.unwrap_err();
        assert_eq!((e.code(), e.message()), (Code::NotFound, "gone"));
        assert_eq!(e.metadata().get("x-h").unwrap(), "1");
        assert!(!reusable);
    }

    #[test]
    fn a_failed_write_is_the_error_when_no_response_comes() {
        let written = ConnectError::new(Code::Unavailable, "write failed");
        let (out, reusable, _) = drive(b"", 1, Some(written));
        let e = out.result.unwrap_err();
        assert_eq!((e.code(), e.message()), (Code::Unavailable, "write failed"));
        assert!(!reusable);
        // A response that came anyway wins over the write's error.
        let written = ConnectError::new(Code::Unavailable, "write failed");
        let (out, _, _) = drive(OK, 9, Some(written));
        assert!(out.result.is_ok());
    }

    #[test]
    fn a_truncated_body_fails_and_keeps_the_headers() {
        let (out, reusable, _) = drive(&OK[..OK.len() - 1], 5, None);
        let e = out.result.unwrap_err();
        assert_eq!(e.metadata().get("x-h").unwrap(), "1");
        assert_eq!(out.headers.get("x-h").unwrap(), "1");
        assert!(!reusable);
    }

    #[test]
    fn a_wrong_content_type_fails_without_reading_the_body() {
        let input = b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 1000\r\n\r\n";
        let (out, reusable, needs) = drive(input, input.len(), None);
        assert!(out.result.is_err());
        assert!(!reusable);
        assert_eq!(needs.len(), 1, "only the head is read");
    }
}
