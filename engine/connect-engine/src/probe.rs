//! Whether an idle pooled connection can carry another call: the blocking client's check,
//! and part of the async client's (`client/conn.rs`).

use std::io;

/// Whether anything arrived on an idle connection: the end of the stream (the peer closed
/// it) or bytes the client did not ask for (an unasked response, or anything at all on a
/// connection with no request outstanding), which the next call would otherwise read as its
/// own response. Either way the connection must not be reused. One non-blocking
/// `recv(MSG_PEEK)` on the socket, no read posted, the socket's own mode untouched.
///
/// On TLS connections this holds too: the only records a server sends unasked after the
/// handshake (session tickets) arrive before the first response, which the first call read.
pub(crate) fn stale(socket: &std::net::TcpStream) -> bool {
    let mut byte = [std::mem::MaybeUninit::<u8>::uninit()];
    let flags = libc::MSG_PEEK | libc::MSG_DONTWAIT;
    match socket2::SockRef::from(socket).recv_with_flags(&mut byte, flags) {
        Ok(_) => true,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    }
}
