//! Liveness of idle pooled connections, for both clients.

use std::io;
use std::time::Duration;

/// Connections idle for less than this go back into service unchecked: servers close idle
/// connections after seconds, not milliseconds, and the check costs a syscall per call
/// (measured: ~1 µs of a 7 µs call at 16 in flight, PERF.md "Clients").
pub(crate) const UNCHECKED_IDLE: Duration = Duration::from_millis(50);

/// Whether the peer closed an idle connection (or, on a plain connection, sent something
/// unasked, which breaks HTTP/1.1 framing): one non-blocking `recv(MSG_PEEK)` on the
/// socket, no read posted, the socket's own mode untouched. On TLS connections pending
/// bytes mean nothing (session tickets arrive after the handshake); only the end of the
/// stream does.
pub(crate) fn peer_closed(socket: &std::net::TcpStream, tls: bool) -> bool {
    let mut byte = [std::mem::MaybeUninit::<u8>::uninit()];
    let flags = libc::MSG_PEEK | libc::MSG_DONTWAIT;
    match socket2::SockRef::from(socket).recv_with_flags(&mut byte, flags) {
        Ok(0) => true,
        Ok(_) => !tls,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    }
}
