//! A streaming call's request and response head, driven without IO.
//!
//! The driver writes the request through the call ([`StreamCall::write_head`], then
//! [`StreamCall::write_message`] per message, writing the buffer out whenever the call says
//! a batch is ready, then [`StreamCall::write_end`]), tells it how the writing went
//! ([`StreamCall::sent`]), reads for each [`Need::Read`] until [`Need::Done`], and then
//! [`StreamCall::open`]s the response: its headers and compression, or the call's error.
//! The messages that follow are read with a [`StreamBody`](super::StreamBody).

use http::{HeaderMap, Method};

use super::call::{Need, Waiting, with_metadata};
use super::reader::ResponseReader;
use super::request::{RequestWriter, Scratch};
use super::response::{Verdict, response_metadata};
use crate::Code;
use crate::compression::{Codecs, Compression};
use crate::error::ConnectError;
use crate::message::Message;
use crate::protocol::Requester;

/// How many bytes of a streaming request are gathered before they are written.
pub const STREAM_BATCH: usize = 64 << 10;

/// Where a streaming call's response head stands.
#[derive(Debug)]
enum StreamState {
    /// Waiting for the head; `fresh` until the first read is asked for.
    Head { fresh: bool },
    /// The head accepted the stream.
    Open {
        headers: HeaderMap,
        compression: Compression,
    },
    /// The call failed before its messages began.
    Failed {
        error: ConnectError,
        headers: HeaderMap,
    },
}

/// A streaming call's request and response head, driven without IO.
///
/// The driver writes the request through the call ([`StreamCall::write_head`], then
/// [`StreamCall::write_message`] per message, writing the buffer out whenever the call says
/// a batch is ready, then [`StreamCall::write_end`]), tells it how the writing went
/// ([`StreamCall::sent`]), reads for each [`Need::Read`] until [`Need::Done`], and then
/// [`StreamCall::open`]s the response: its headers and compression, or the call's error.
/// The messages that follow are read with a [`StreamBody`](super::StreamBody).
#[derive(Debug)]
pub struct StreamCall {
    state: StreamState,
    requester: Requester,
    /// Largest response body accepted.
    max_body: u64,
    /// A request write that failed while the server may still have answered.
    write_error: Option<ConnectError>,
    /// Request messages written so far.
    messages: u64,
}

impl StreamCall {
    /// A call made by `requester` (its protocol and codec), whose response body may be up
    /// to `max_body` bytes.
    #[must_use]
    pub fn new(requester: Requester, max_body: u64) -> Self {
        StreamCall {
            state: StreamState::Head { fresh: true },
            requester,
            max_body,
            write_error: None,
            messages: 0,
        }
    }

    /// Appends the request head.
    ///
    /// # Errors
    ///
    /// A header that cannot be written.
    pub fn write_head(
        &self,
        writer: &RequestWriter<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), ConnectError> {
        writer.stream_head(out)
    }

    /// Appends one request message; `true` when `out` holds a batch to write now.
    ///
    /// # Errors
    ///
    /// A message that would not encode (or compress, or fit an envelope): the request is
    /// cut short.
    pub fn write_message<'m, M: Message<'m>>(
        &mut self,
        writer: &RequestWriter<'_>,
        out: &mut Vec<u8>,
        scratch: &mut Scratch,
        codecs: &mut Codecs,
        message: &M,
    ) -> Result<bool, ConnectError> {
        writer.stream_message(out, scratch, codecs, message)?;
        self.messages += 1;
        Ok(out.len() >= STREAM_BATCH)
    }

    /// Appends the end of the request.
    pub fn write_end(&self, writer: &RequestWriter<'_>, out: &mut Vec<u8>) {
        writer.end_stream(out);
    }

    /// How many request messages were written.
    #[must_use]
    pub fn messages(&self) -> u64 {
        self.messages
    }

    /// The request went out, or writing it failed with `error` (the response is still
    /// read: a server may answer early and close).
    pub fn sent(&mut self, error: Option<ConnectError>) {
        self.write_error = error;
    }

    /// A read failed: the call ends with that error (or with the write's, if the request did
    /// not go out).
    pub fn failed(&mut self, error: ConnectError) {
        if let StreamState::Head { .. } = self.state {
            self.state = StreamState::Failed {
                error: self.write_error.take().unwrap_or(error),
                headers: HeaderMap::new(),
            };
        }
    }

    /// What the call needs next, after taking in what the reader holds.
    pub fn next(&mut self, reader: &mut ResponseReader) -> Need {
        let StreamState::Head { fresh } = &mut self.state else {
            return Need::Done;
        };
        match reader.parse_head(&Method::POST, self.max_body) {
            Ok(false) => Need::Read {
                waiting: Waiting::Head,
                fresh: std::mem::replace(fresh, false),
            },
            Ok(true) => {
                let (head, bytes) = (reader.head(), reader.head_bytes());
                let (headers, _) = response_metadata(head, bytes, false);
                self.state = match self.requester.classify(&head.view(bytes)) {
                    Verdict::Accept(compression) => StreamState::Open {
                        headers,
                        compression,
                    },
                    Verdict::Fail(error) => StreamState::Failed {
                        error: with_metadata(error, &headers, &HeaderMap::new()),
                        headers,
                    },
                    // Streams have no error bodies: `classify_stream` never says so.
                    Verdict::ErrorBody(_) => StreamState::Failed {
                        error: ConnectError::new(Code::Internal, "unexpected stream error body"),
                        headers,
                    },
                };
                Need::Done
            }
            Err(e) => {
                self.failed(e);
                Need::Done
            }
        }
    }

    /// The response, once [`next`](Self::next) said [`Need::Done`]: its headers and the
    /// compression of its messages.
    ///
    /// # Errors
    ///
    /// The call's error, with the headers that came (the connection is not reused).
    pub fn open(self) -> Result<(HeaderMap, Compression), (ConnectError, HeaderMap)> {
        match self.state {
            StreamState::Open {
                headers,
                compression,
            } => Ok((headers, compression)),
            StreamState::Failed { error, headers } => Err((error, headers)),
            StreamState::Head { .. } => Err((
                ConnectError::new(
                    Code::Internal,
                    "the call was opened before its response head was read",
                ),
                HeaderMap::new(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Codec;
    use crate::http1::{Limits, ResponseHead};
    use crate::protocol::{Protocol, Shape};

    fn drive(input: &[u8], step: usize, write_error: Option<ConnectError>) -> StreamCall {
        let mut r =
            ResponseReader::new(Vec::new(), ResponseHead::new(), Limits::default(), 1 << 20);
        let mut call = StreamCall::new(
            Requester::new(Protocol::Connect, Shape::Stream, Codec::Proto),
            1 << 20,
        );
        call.sent(write_error);
        let mut pieces = input.chunks(step.max(1));
        let mut fresh_reads = 0;
        while let Need::Read { waiting, fresh } = call.next(&mut r) {
            assert_eq!(waiting, Waiting::Head);
            fresh_reads += usize::from(fresh);
            let fed = match pieces.next() {
                Some(p) => r.append(p),
                None => r.eof(),
            };
            if let Err(e) = fed {
                call.failed(e);
            }
        }
        assert!(fresh_reads <= 1);
        call
    }

    const OPEN: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: application/connect+proto\r\n\
        connect-content-encoding: identity\r\nx-h: 1\r\ntransfer-encoding: chunked\r\n\r\n";

    #[test]
    fn the_head_opens_the_stream_at_every_split_point() {
        for step in 1..=OPEN.len() {
            let (headers, compression) = drive(OPEN, step, None).open().unwrap();
            assert_eq!(headers.get("x-h").unwrap(), "1", "step {step}");
            assert_eq!(compression, Compression::Identity);
        }
    }

    #[test]
    fn a_refused_head_fails_with_its_headers() {
        let input = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-h: 1\r\n\r\n";
        let (e, headers) = drive(input, 3, None).open().unwrap_err();
        assert_eq!(headers.get("x-h").unwrap(), "1");
        assert_eq!(e.metadata().get("x-h").unwrap(), "1");
    }

    #[test]
    fn the_write_error_stands_when_no_head_comes() {
        let written = ConnectError::new(Code::Unavailable, "write failed");
        let (e, headers) = drive(b"", 1, Some(written)).open().unwrap_err();
        assert_eq!((e.code(), e.message()), (Code::Unavailable, "write failed"));
        assert!(headers.is_empty());
    }
}
