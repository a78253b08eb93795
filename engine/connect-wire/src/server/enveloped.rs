//! A unary request whose one message is enveloped (gRPC-web): where the message lies in the
//! body.

use std::ops::Range;

use crate::Role;
use crate::code::Code;
use crate::compression::Compression;
use crate::error::ConnectError;
use crate::fault;
use crate::stream::{Item, StreamReader};

/// Finds the one message of a whole unary request `body` of envelopes: its payload's range
/// and whether it is compressed (with `compression`, the request's). `max_message` bounds the
/// envelope's declared length.
///
/// # Errors
///
/// No message or more than one (`unimplemented`, as connect-go answers), a bad or cut
/// envelope (the stream faults of [`fault::stream`]), an envelope over `max_message`
/// (`resource_exhausted`).
pub fn unary_message(
    body: &[u8],
    compression: Compression,
    max_message: usize,
) -> Result<(Range<usize>, bool), ConnectError> {
    let mut reader = StreamReader::new(Role::Server, compression, max_message);
    let step = |reader: &mut StreamReader, input: &[u8]| {
        reader
            .next(input, true)
            .map_err(|e| fault::stream(Role::Server, e))
    };
    match step(&mut reader, body)? {
        Item::Message {
            payload,
            compressed,
            consumed,
        } => match step(&mut reader, &body[consumed..])? {
            Item::Finished => Ok((payload, compressed)),
            _ => Err(ConnectError::new(
                Code::Unimplemented,
                "unary request has more than one message",
            )),
        },
        Item::Finished => Err(ConnectError::new(
            Code::Unimplemented,
            "unary request has no message",
        )),
        // A server's reader never yields an end-stream message, and a whole body is never
        // short of input: both are errors above.
        Item::End { .. } | Item::NeedMore => Err(ConnectError::new(
            Code::Internal,
            "unexpected envelope in a unary request",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{FLAG_COMPRESSED, write};

    fn env(flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, flags, payload).unwrap();
        out
    }

    #[test]
    fn one_message_is_found_in_place() {
        let body = env(0, b"hello");
        assert_eq!(
            unary_message(&body, Compression::Identity, 100),
            Ok((5..10, false))
        );
        let body = env(FLAG_COMPRESSED, b"zz");
        assert_eq!(
            unary_message(&body, Compression::Gzip, 100),
            Ok((5..7, true))
        );
        let empty = env(0, b"");
        assert_eq!(
            unary_message(&empty, Compression::Identity, 100),
            Ok((5..5, false))
        );
    }

    #[test]
    fn anything_but_one_whole_message_is_refused() {
        let code = |body: &[u8], c| unary_message(body, c, 100).unwrap_err().code();
        assert_eq!(code(b"", Compression::Identity), Code::Unimplemented);
        let mut two = env(0, b"a");
        two.extend_from_slice(&env(0, b"b"));
        assert_eq!(code(&two, Compression::Identity), Code::Unimplemented);
        assert_eq!(
            code(&env(0, b"abc")[..6], Compression::Identity),
            Code::InvalidArgument
        );
        assert_eq!(code(&[0, 0], Compression::Identity), Code::InvalidArgument);
        assert_eq!(
            code(&env(FLAG_COMPRESSED, b"z"), Compression::Identity),
            Code::Internal
        );
        assert_eq!(
            code(&env(0x80, b"x"), Compression::Identity),
            Code::Internal
        );
        assert_eq!(
            code(&env(2, b"{}"), Compression::Identity),
            Code::InvalidArgument
        );
        assert_eq!(
            code(&env(0, &[b'x'; 101]), Compression::Identity),
            Code::ResourceExhausted
        );
    }
}
