//! Request bodies in the connection's read buffer.
//!
//! Layout while a body is being read: `buf[..start]` is whatever precedes the body (the
//! head for unary calls, nothing for streams), `buf[start..data_end]` body bytes already
//! through the body decoder (chunk framing removed, contiguous), `buf[data_end..]` raw bytes
//! not yet decoded (the rest of the body, maybe the next pipelined request).

use connect_wire::http1::{BodyDecoder, DecodeBody, Http1Error};

use super::io::ReadHalf;

/// Runs the body decoder over the raw bytes after `data_end`, moving body data down to
/// `data_end`. Returns whether it consumed anything.
pub(crate) fn decode_raw(
    buf: &mut Vec<u8>,
    body: &mut BodyDecoder,
    data_end: &mut usize,
) -> Result<bool, Http1Error> {
    if body.is_done() || *data_end >= buf.len() {
        return Ok(false);
    }
    let d = body.decode_in_place(&mut buf[*data_end..])?;
    let raw_start = *data_end + d.consumed;
    let new_end = *data_end + d.data_len;
    if raw_start != new_end {
        buf.copy_within(raw_start.., new_end);
        buf.truncate(buf.len() - (raw_start - new_end));
    }
    *data_end = new_end;
    Ok(d.consumed > 0)
}

/// Why reading more failed.
pub(crate) enum ReadError {
    /// The peer closed the connection.
    Eof,
    /// The buffer may not grow further.
    Full,
    /// A socket error.
    Io(std::io::Error),
    /// The deadline passed. The read was dropped: the buffer is gone (left empty) and the
    /// read half is marked interrupted, so the connection must close.
    TimedOut,
}

/// Reads more bytes onto the end of `buf`, growing it (up to `max_capacity`) when full,
/// waiting until `deadline` at most.
pub(crate) async fn read_more(
    r: &mut ReadHalf,
    buf: &mut Vec<u8>,
    max_capacity: usize,
    deadline: monoio::time::Instant,
) -> Result<usize, ReadError> {
    if buf.len() == buf.capacity() {
        if buf.capacity() >= max_capacity {
            return Err(ReadError::Full);
        }
        let grow = buf.capacity().max(4096).min(max_capacity - buf.capacity());
        buf.reserve_exact(grow);
    }
    let taken = std::mem::take(buf);
    let Ok((res, taken)) = monoio::time::timeout_at(deadline, r.read_into(taken)).await else {
        return Err(ReadError::TimedOut);
    };
    *buf = taken;
    match res {
        Ok(0) => Err(ReadError::Eof),
        Ok(n) => Ok(n),
        Err(e) => Err(ReadError::Io(e)),
    }
}
