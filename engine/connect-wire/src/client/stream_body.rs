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
}

impl StreamBody {
    /// A body whose compressed messages use `compression`, with messages up to
    /// `max_message_size` bytes.
    #[must_use]
    pub fn new(compression: Compression, max_message_size: usize) -> Self {
        StreamBody {
            envelopes: StreamReader::new(Role::Client, compression, max_message_size),
            scratch: Vec::new(),
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
        loop {
            let event = reader.next_stream_event::<M>(
                &mut self.envelopes,
                decoding,
                &mut self.scratch,
                codecs,
            )?;
            return Ok(match event {
                // Bytes read since the last step may complete the envelope.
                StreamEvent::NeedMore if reader.decode()? => continue,
                StreamEvent::NeedMore => StreamStep::Read,
                StreamEvent::Message(m) => StreamStep::Message(m),
                StreamEvent::End(end) => StreamStep::End(end),
                StreamEvent::Finished => StreamStep::Finished,
            });
        }
    }
}
