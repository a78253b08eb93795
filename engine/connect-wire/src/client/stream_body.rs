//! A streaming response's messages, read without IO.
//!
//! Once a [`StreamCall`](super::StreamCall) has opened the response, [`StreamBody::next`]
//! takes what the [`ResponseReader`] holds and says what comes next: a message, the
//! end-stream message, the end of the body, or that it needs another read.

use super::reader::{Decoding, ResponseReader, StreamEvent};
use crate::Role;
use crate::codec::OwnedMessage;
use crate::compression::{Codecs, Compression};
use crate::error::{ConnectError, EndStream};
use crate::stream::StreamReader;

/// What a streaming response's body gave.
#[derive(Debug)]
pub enum StreamStep<M> {
    /// Read more of the body into the reader (one read; end of stream goes to
    /// [`ResponseReader::eof`]).
    Read,
    /// A response message.
    Message(M),
    /// The end-stream message: the server's error, if any, and the trailers.
    End(EndStream),
    /// The body ended cleanly after the end-stream message.
    Finished,
}

/// The envelopes of a streaming response body and the scratch space to decompress them.
#[derive(Debug)]
pub struct StreamBody {
    envelopes: StreamReader,
    scratch: Vec<u8>,
    /// A read was asked for: the bytes it brought are decoded (body framing) first.
    read_asked: bool,
}

impl StreamBody {
    /// A body whose compressed messages use `compression`, with messages up to
    /// `max_message_size` bytes.
    #[must_use]
    pub fn new(compression: Compression, max_message_size: usize) -> Self {
        StreamBody {
            envelopes: StreamReader::new(Role::Client, compression, max_message_size),
            scratch: Vec::new(),
            read_asked: false,
        }
    }

    /// The next step through the body in `reader`.
    ///
    /// # Errors
    ///
    /// A protocol fault in the body, or a message that would not decode.
    pub fn next<M: OwnedMessage>(
        &mut self,
        reader: &mut ResponseReader,
        decoding: Decoding<'_>,
        codecs: &mut Codecs,
    ) -> Result<StreamStep<M>, ConnectError> {
        // Bytes the last read brought are run through the body framing first.
        if std::mem::take(&mut self.read_asked) {
            reader.decode()?;
        }
        loop {
            let event = reader.next_stream_event::<M>(
                &mut self.envelopes,
                decoding,
                &mut self.scratch,
                codecs,
            )?;
            return Ok(match event {
                // Framing left undecoded (none is expected after the decode above).
                StreamEvent::NeedMore if reader.decode()? => continue,
                StreamEvent::NeedMore => {
                    self.read_asked = true;
                    StreamStep::Read
                }
                StreamEvent::Message(m) => StreamStep::Message(m),
                StreamEvent::End(end) => StreamStep::End(end),
                StreamEvent::Finished => StreamStep::Finished,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MessageType;
    use crate::codec::Codec;
    use crate::http1::{Limits, ResponseHead};
    use crate::json::JsonOptions;
    use crate::wkt::StringValue;
    use http::Method;

    fn envelope(flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut e = vec![flags];
        e.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
        e.extend_from_slice(payload);
        e
    }

    /// A chunked streaming response: two messages, then the end-stream message with a trailer.
    fn response() -> Vec<u8> {
        let mut body = envelope(0, b"\x0a\x02hi");
        body.extend(envelope(0, b"\x0a\x03you"));
        body.extend(envelope(2, br#"{"metadata":{"x-t":["1"]}}"#));
        let mut out = b"HTTP/1.1 200 OK\r\ncontent-type: application/connect+proto\r\n\
            transfer-encoding: chunked\r\n\r\n"
            .to_vec();
        // Two chunks, split inside the second envelope.
        for part in [&body[..9], &body[9..]] {
            out.extend(format!("{:x}\r\n", part.len()).into_bytes());
            out.extend_from_slice(part);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    }

    #[test]
    fn messages_and_the_end_at_every_split_point() {
        let input = response();
        let json = JsonOptions::default();
        let decoding = Decoding {
            protocol: crate::protocol::Protocol::Connect,
            codec: Codec::Proto,
            limit: 1 << 20,
            json: &json,
        };
        for step in 1..=input.len() {
            let mut r =
                ResponseReader::new(Vec::new(), ResponseHead::new(), Limits::default(), 1 << 20);
            let mut pieces = input.chunks(step);
            while !r.parse_head(&Method::POST, 1 << 20).unwrap() {
                r.append(pieces.next().unwrap()).unwrap();
            }
            let mut body = StreamBody::new(Compression::Identity, 1 << 20);
            let (mut texts, mut ends) = (Vec::new(), Vec::new());
            loop {
                let mut codecs = Codecs::default();
                match body
                    .next::<<StringValue<'static> as MessageType>::Msg<'static>>(
                        &mut r,
                        decoding,
                        &mut codecs,
                    )
                    .unwrap()
                {
                    StreamStep::Read => match pieces.next() {
                        Some(p) => r.append(p).unwrap(),
                        None => r.eof().unwrap(),
                    },
                    StreamStep::Message(m) => texts.push(m.value.into_owned()),
                    StreamStep::End(end) => ends.push(end),
                    StreamStep::Finished => break,
                }
            }
            assert_eq!(texts, ["hi", "you"], "step {step}");
            assert_eq!(ends.len(), 1, "step {step}");
            assert_eq!(ends[0].metadata.get("x-t").unwrap(), "1");
            assert!(ends[0].error.is_none());
            assert!(r.reusable(&Method::POST), "step {step}");
        }
    }

    /// Drives a response that has no length and no chunks (it ends when the server closes),
    /// feeding `input` in pieces of `step` bytes and never the end of the connection.
    fn close_delimited(input: &[u8], step: usize) -> Result<(usize, bool), ConnectError> {
        let json = JsonOptions::default();
        let decoding = Decoding {
            protocol: crate::protocol::Protocol::Connect,
            codec: Codec::Proto,
            limit: 1 << 20,
            json: &json,
        };
        let mut r =
            ResponseReader::new(Vec::new(), ResponseHead::new(), Limits::default(), 1 << 20);
        let mut pieces = input.chunks(step);
        while !r.parse_head(&Method::POST, 1 << 20)? {
            r.append(pieces.next().unwrap())?;
        }
        let mut body = StreamBody::new(Compression::Identity, 1 << 20);
        let (mut messages, mut ended) = (0, false);
        loop {
            let mut codecs = Codecs::default();
            match body.next::<<StringValue<'static> as MessageType>::Msg<'static>>(
                &mut r,
                decoding,
                &mut codecs,
            )? {
                StreamStep::Read => {
                    let piece = pieces.next().expect("a read past the end-stream message");
                    r.append(piece)?;
                }
                StreamStep::Message(_) => messages += 1,
                StreamStep::End(_) => ended = true,
                StreamStep::Finished => return Ok((messages, ended)),
            }
        }
    }

    #[test]
    fn a_close_delimited_body_ends_with_its_end_stream_message() {
        let mut input = b"HTTP/1.1 200 OK\r\ncontent-type: application/connect+proto\r\n\
            connection: close\r\n\r\n"
            .to_vec();
        input.extend(envelope(0, b"\x0a\x02hi"));
        input.extend(envelope(2, b"{}"));
        for step in 1..=input.len() {
            // The server keeps the connection open: the call ends without waiting for it.
            assert_eq!(
                close_delimited(&input, step).unwrap(),
                (1, true),
                "step {step}"
            );
        }
        // Whatever follows goes unread, whichever read it came with: the outcome does not
        // depend on how the bytes were split.
        input.extend_from_slice(b"trailing");
        for step in 1..=input.len() {
            assert_eq!(
                close_delimited(&input, step).unwrap(),
                (1, true),
                "step {step}"
            );
        }
    }
}
