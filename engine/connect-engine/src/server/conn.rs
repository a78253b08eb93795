//! One HTTP/1.1 connection: wait while idle; then, in a busy turn, read a head, route,
//! negotiate, run the call, write, and repeat while input is buffered.

use std::rc::Rc;
use std::time::Duration;

use connect_wire::http1::{
    CONTINUE_RESPONSE, CloseReason, ConnectionMark, KeepAlive, mark_connection,
};
use connect_wire::server::{
    Negotiated, negotiate, write_http_error, write_not_found, write_refusal,
};
use tracing::{debug, trace};

use super::busy_conn::{BusyConn, HEAD_COPY_KEEP, IDLE_READ, Link};
use super::call::{Call, RequestHeaders};
use super::config::ServerConfig;
use super::interceptor::{CallRecord, RequestInfo, ResponseInfo};
use super::service::{Chain, Route, Router, Services};
use super::shutdown::Signal;
use super::slot::{AfterTurn, Slots};
use crate::buffers as pool;
use crate::transport::{ReadError, read_more};

/// Responses buffered for pipelined requests are written once they reach this size.
const PIPELINE_FLUSH: usize = 64 * 1024;

/// Outcome of waiting for a request head.
enum HeadRead {
    Ready,
    /// The peer went away, or the connection idled out, before a new request began.
    Gone,
    /// A malformed or oversized head: answer with this status, then close.
    Bad(u16),
}

async fn read_head(conn: &mut BusyConn, cfg: &ServerConfig) -> HeadRead {
    conn.req.begin_head(HEAD_COPY_KEEP);
    let max = conn.max_buffer();
    // The head began arriving with the bytes already in the buffer (a turn starts with
    // them; a pipelined request's follow its predecessor's).
    let mut deadline = None;
    loop {
        match conn.req.parse_head() {
            Ok(true) => return HeadRead::Ready,
            Ok(false) => {}
            Err(e) => return HeadRead::Bad(e.status().as_u16()),
        }
        let deadline =
            *deadline.get_or_insert_with(|| monoio::time::Instant::now() + cfg.header_read_timeout);
        // Responses to pipelined requests wait in the write buffer until input runs out.
        if !conn.wbuf.is_empty() && !conn.flush().await {
            return HeadRead::Gone;
        }
        match read_more(&mut conn.r, conn.req.buffer_mut(), max, deadline).await {
            Ok(_) => {}
            Err(ReadError::Full) => return HeadRead::Bad(431),
            Err(ReadError::TimedOut) => return HeadRead::Bad(408),
            Err(_) => return HeadRead::Bad(400),
        }
    }
}

/// Waits, idle, for the next request on `link`: until its first bytes arrive (`true`), or
/// the peer closes, the idle timeout passes or the server shuts down (`false`; shutdown
/// drops the read once idle connections are released, a moment after it is triggered, and
/// the connection then closes without reading again). An idle
/// connection waits with its small idle buffer (the first bytes then move into a pooled
/// read buffer: a copy of at most `IDLE_READ` bytes), or, if it is `bursty`, with the
/// standard-size read buffer it kept: the next burst (16 pipelined requests, say) then
/// arrives in one read, and its responses leave in one write.
async fn wait_for_request(
    link: &mut Link,
    deadline: monoio::time::Instant,
    shutdown: &Rc<Signal>,
) -> bool {
    // `BusyConn::detach` leaves a read buffer only to a bursty link, and only one of the
    // standard size.
    let keep = link.rbuf.capacity() > 0;
    let Link { r, rbuf, idle, .. } = link;
    let buf = if keep { rbuf } else { idle };
    let max = buf.capacity();
    // The read first: a request that arrived by the time the waiters wake is served (as the
    // connection's last), not dropped.
    let read = monoio::select! {
        biased;
        r = read_more(r, buf, max, deadline) => r,
        () = shutdown.wait_idle() => return false,
    };
    match read {
        // A full idle buffer: more is probably waiting, and will again. A wait with the
        // read buffer that brought no more than the idle buffer holds: not any more.
        Ok(n) => {
            link.bursty = if keep { n > IDLE_READ } else { n >= IDLE_READ };
            true
        }
        Err(_) => false,
    }
}

/// Serves one connection until it closes: waits while it is idle, and runs each busy turn
/// (see `slot.rs`) in a slot of the thread's pool. The first request must begin by
/// `first_request` (the header read timeout from the accept, the TLS handshake included:
/// a connection that never sends anything is not kept for the idle timeout); later ones
/// within the idle timeout of the connection going idle.
///
/// Not an `async fn`: one keeps its arguments and the locals they are moved into side by
/// side, and the link would take room twice in every idle connection's task.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn would store the link twice (see above)"
)]
pub(crate) fn serve(
    mut link: Link,
    slots: Rc<Slots>,
    cfg: Rc<ServerConfig>,
    shutdown: Rc<Signal>,
    first_request: monoio::time::Instant,
) -> impl std::future::Future<Output = ()> {
    async move {
        let mut deadline = first_request;
        while wait_for_request(&mut link, deadline, &shutdown).await {
            match slots.run(link).await {
                Some(idle) => link = idle,
                None => return,
            }
            deadline = monoio::time::Instant::now() + cfg.idle_timeout;
        }
        // Closed by the peer, or idle too long, or shutting down, between requests.
        if !link.w.is_interrupted() {
            let _ = monoio::time::timeout(cfg.linger_timeout, link.w.shutdown()).await;
        }
        pool::give(std::mem::take(&mut link.rbuf), cfg.buffer_size);
    }
}

/// A busy turn: serves requests on the attached connection until its input is used up and
/// its responses are written (idle again) or it closes (after the closing handshake: write
/// side shut down, lingering if the client may still be sending).
pub(crate) async fn busy<L: Services>(
    mut conn: Box<BusyConn>,
    router: Rc<Router<L>>,
    cfg: Rc<ServerConfig>,
    shutdown: Rc<Signal>,
) -> (Box<BusyConn>, AfterTurn) {
    let TurnEnd::Close { unread } = requests(&mut conn, &router, &cfg, &shutdown).await else {
        return (conn, AfterTurn::Idle);
    };
    if !conn.w.is_interrupted() {
        let _ = monoio::time::timeout(cfg.linger_timeout, conn.w.shutdown()).await;
        if unread || !conn.req.body_done() {
            conn.linger(cfg.linger_timeout).await;
        }
    }
    // Nothing to keep a read buffer for.
    conn.bursty = false;
    (conn, AfterTurn::Closed)
}

/// An intercepted call whose interceptors' `on_response` is still to run: the number of
/// them whose `on_request` ran.
#[derive(Clone, Copy)]
struct Pending {
    route: Route,
    ran: usize,
}

/// Runs a call with its interceptors' `on_request` before it, in order and before the body
/// is read (an error answers the call without running the handler). Their `on_response`
/// runs later ([`respond`]), once the connection knows whether the response went out.
async fn intercepted<L: Services>(
    router: &Router<L>,
    route: Route,
    chain: Chain<'_>,
    conn: &mut BusyConn,
    neg: Negotiated,
) -> Pending {
    conn.record.begin();
    conn.received = 0;
    // The head, kept for `on_response` (by then the read buffer holds the next request).
    conn.req.keep_head();
    let (codec, timeout) = (neg.codec, neg.timeout);
    let mut ran = 0;
    let mut refused = None;
    {
        let BusyConn {
            req, peer, record, ..
        } = &mut *conn;
        let CallRecord {
            headers: response_headers,
            trailers: response_trailers,
            extensions,
            ..
        } = record;
        let mut info = RequestInfo {
            method: route.descriptor,
            headers: RequestHeaders::new(req.head(), req.head_bytes()),
            peer,
            codec,
            timeout,
            response_headers,
            response_trailers,
            extensions,
        };
        while ran < chain.len() {
            ran += 1;
            if let Err(e) = chain.get(ran - 1).on_request(&mut info) {
                refused = Some(e);
                break;
            }
        }
    }
    let call = Call::new(conn, route.descriptor, neg);
    match refused {
        Some(e) => call.fail(e).await,
        None => router.call(route, call).await,
    }
    Pending { route, ran }
}

/// Runs the `on_response` of an intercepted call's interceptors, in reverse order; `sent`
/// says whether its response reached the socket.
fn respond<L: Services>(router: &Router<L>, pending: Pending, conn: &mut BusyConn, sent: bool) {
    if !sent {
        conn.record.client_gone();
    }
    let chain = router.chain(pending.route);
    let elapsed = conn.record.started.map_or(Duration::ZERO, |t| t.elapsed());
    // The head as it arrived: the read buffer has moved on (the body was drained, a
    // pipelined request may follow).
    let info = ResponseInfo {
        method: pending.route.descriptor,
        headers: RequestHeaders::new(conn.req.head(), conn.req.head_bytes()),
        peer: &conn.peer,
        error: conn.record.error.as_ref(),
        extensions: &conn.record.extensions,
        elapsed,
        messages_received: conn.received,
        messages_sent: conn.record.sent,
    };
    for i in (0..pending.ran).rev() {
        chain.get(i).on_response(&info);
    }
    conn.record.end();
}

/// How a turn of requests ended.
enum TurnEnd {
    /// The input is used up and the responses written: the connection waits, idle.
    Idle,
    /// The connection closes. `unread`: the client may still be sending a request we
    /// stopped reading (the close lingers for it).
    Close { unread: bool },
}

/// HTTP/1.1 connection handling for a turn: reads each request head, decides keep-alive,
/// hands the request to [`dispatch`], settles the connection after the response (see
/// [`settle`]) and flushes when the pipelined input runs out.
async fn requests<L: Services>(
    conn: &mut BusyConn,
    router: &Router<L>,
    cfg: &ServerConfig,
    shutdown: &Signal,
) -> TurnEnd {
    if conn.wbuf.capacity() == 0 {
        conn.wbuf = pool::take(cfg.buffer_size);
    }
    loop {
        match read_head(conn, cfg).await {
            HeadRead::Ready => {}
            HeadRead::Gone => return TurnEnd::Close { unread: false },
            HeadRead::Bad(status) => {
                trace!(status, "bad request head");
                write_http_error(&mut conn.wbuf, status, None, true);
                conn.flush().await;
                return TurnEnd::Close { unread: true };
            }
        }
        let head = conn.req.head();
        conn.keep_alive = KeepAlive::for_request(head.keep_alive(), shutdown.is_triggered());
        // Where this request's response starts (earlier pipelined responses may precede it).
        let resp_start = conn.wbuf.len();
        let expects_continue = head.expect_continue() && head.has_body();
        let minor = head.version_minor();
        if let Err(e) = conn.req.open_body() {
            write_http_error(&mut conn.wbuf, e.status().as_u16(), None, true);
            conn.flush().await;
            return TurnEnd::Close { unread: true };
        }
        // An intercepted call, once it ran: its interceptors' `on_response` is due.
        let mut pending = match dispatch(router, conn, expects_continue).await {
            Dispatched::Answered(pending) => pending,
            Dispatched::Gone => return TurnEnd::Close { unread: false },
        };
        if conn.w.is_interrupted() {
            // A response write was dropped mid-way (deadline): nothing more may be written.
            if let Some(p) = pending.take() {
                respond(router, p, conn, false);
            }
            return TurnEnd::Close { unread: false };
        }
        settle(conn, resp_start, minor, shutdown).await;
        // Pipelined requests already read are answered before writing: their responses go
        // out together in one write (read_head flushes before it waits for more input). An
        // intercepted call among them is over for its interceptors once its response is
        // rendered (the next request's head replaces this one's); otherwise they learn after
        // the write whether the response reached the client.
        if !conn.keep_alive.is_closing() && conn.req.has_input() && conn.wbuf.len() < PIPELINE_FLUSH
        {
            if let Some(p) = pending.take() {
                respond(router, p, conn, true);
            }
            continue;
        }
        let flushed = conn.flush().await;
        if let Some(p) = pending.take() {
            respond(router, p, conn, flushed);
        }
        if !flushed || conn.keep_alive.is_closing() {
            trace!(flushed, reason = ?conn.keep_alive.reason(), "connection closing");
            return TurnEnd::Close { unread: false };
        }
        conn.shrink_buffers(cfg.buffer_size);
        if !conn.req.has_input() {
            return TurnEnd::Idle;
        }
    }
}

/// What [`dispatch`] did with a request.
enum Dispatched {
    /// The response is rendered; an intercepted call's `on_response` is still due.
    Answered(Option<Pending>),
    /// The connection went away (the `100 Continue` could not be sent).
    Gone,
}

/// RPC dispatch for a request whose head is read and whose body framing is set up: routes
/// it, negotiates (or refuses: 404, 415 and the like, rendered by connect-wire), answers
/// `100 Continue` when the client waits for it, and runs the call, through its
/// interceptors if it has any.
async fn dispatch<L: Services>(
    router: &Router<L>,
    conn: &mut BusyConn,
    expects_continue: bool,
) -> Dispatched {
    let (head, head_bytes) = (conn.req.head(), conn.req.head_bytes());
    let path = head.path(head_bytes);
    trace!(method = %head.method(), path, "request");
    let Some(route) = router.route(path) else {
        debug!(path, "no such procedure");
        if expects_continue {
            conn.keep_alive.close(CloseReason::RefusedBeforeBody);
        }
        write_not_found(&mut conn.wbuf, conn.keep_alive.is_closing());
        return Dispatched::Answered(None);
    };
    let neg = match negotiate(&head.view(head_bytes), route.descriptor) {
        Ok(neg) => neg,
        Err(reject) => {
            // Refused before the body is read, with `Expect: 100-continue`: the client waits
            // for our answer before sending the body, so answer and close instead of
            // draining.
            if expects_continue {
                conn.keep_alive.close(CloseReason::RefusedBeforeBody);
            }
            write_refusal(&mut conn.wbuf, reject, conn.keep_alive.is_closing());
            return Dispatched::Answered(None);
        }
    };
    if expects_continue {
        conn.wbuf.extend_from_slice(CONTINUE_RESPONSE);
        if !conn.flush().await {
            return Dispatched::Gone;
        }
    }
    let chain = router.chain(route);
    if chain.is_empty() {
        router
            .call(route, Call::new(conn, route.descriptor, neg))
            .await;
        return Dispatched::Answered(None);
    }
    Dispatched::Answered(Some(intercepted(router, route, chain, conn, neg).await))
}

/// The connection's keep-alive after a call's response is rendered, decided here once: a
/// read that was cut off, or shutting down, makes this the last response (and says so on
/// it); an HTTP/1.0 client is told the connection stays; otherwise the rest of the request
/// body is discarded so the next request can be read, or the connection closes if it
/// cannot be.
async fn settle(conn: &mut BusyConn, resp_start: usize, minor: u8, shutdown: &Signal) {
    if conn.r.is_interrupted() && !conn.keep_alive.is_closing() {
        // The rest of the request is lost.
        conn.keep_alive.close(CloseReason::ReadCut);
        mark_connection(&mut conn.wbuf, resp_start, ConnectionMark::Close);
    }
    if !conn.keep_alive.is_closing() && minor == 0 {
        // HTTP/1.0 closes by default: a response that keeps the connection says so
        // (RFC 9112 §9.3).
        mark_connection(&mut conn.wbuf, resp_start, ConnectionMark::KeepAlive);
    }
    if shutdown.is_triggered() && !conn.keep_alive.is_closing() {
        conn.keep_alive.close(CloseReason::ShuttingDown);
        mark_connection(&mut conn.wbuf, resp_start, ConnectionMark::Close);
    }
    if !conn.keep_alive.is_closing() {
        conn.finish_body().await;
        if conn.keep_alive.is_closing() {
            // The body could not be drained: say so on the response.
            mark_connection(&mut conn.wbuf, resp_start, ConnectionMark::Close);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    use crate::runtime::Driver;
    use crate::server::{Router, Server, ServerConfig};

    /// A request whose body the server gives up on (more than `max_drain` to discard after
    /// a 404): the response arrives intact, and the connection keeps accepting the rest of
    /// the body instead of being reset, then ends with EOF.
    #[test]
    fn lingering_close_keeps_reading_an_abandoned_body() {
        let mut drivers = vec![Driver::Epoll];
        if Driver::Auto.resolve() == Driver::IoUring {
            drivers.push(Driver::IoUring);
        }
        for driver in drivers {
            let config = ServerConfig::new()
                .with_threads(1)
                .with_driver(driver)
                .with_linger_timeout(Duration::from_secs(10));
            let server = Server::bind("127.0.0.1:0".parse().unwrap(), config).unwrap();
            let (addr, handle) = (server.local_addr(), server.shutdown_handle());
            let thread = std::thread::spawn(move || server.serve(Router::new));

            let mut s = TcpStream::connect(addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let chunk = vec![0u8; 64 << 10];
            s.write_all(
                b"POST /no.Such/Method HTTP/1.1\r\nhost: t\r\ncontent-length: 2097152\r\n\r\n",
            )
            .unwrap();
            for _ in 0..4 {
                s.write_all(&chunk).unwrap();
            }
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                assert_eq!(
                    s.read(&mut byte).unwrap(),
                    1,
                    "{driver:?}: connection ended before the response"
                );
                head.push(byte[0]);
            }
            let head = String::from_utf8(head).unwrap();
            assert!(head.starts_with("HTTP/1.1 404 "), "{driver:?}: {head}");
            assert!(head.contains("connection: close"), "{driver:?}: {head}");
            // The server still reads (and discards) the rest of the body.
            for _ in 4..32 {
                s.write_all(&chunk).unwrap_or_else(|e| {
                    panic!("{driver:?}: connection reset while lingering: {e}")
                });
            }
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).unwrap();
            assert!(rest.is_empty(), "{driver:?}");
            // Our close ends the server's lingering.
            drop(s);

            handle.shutdown();
            thread.join().unwrap().unwrap();
        }
    }

    /// What every open connection holds while idle is mostly its task: the connection
    /// future, sized for its largest state. The busy part (calls, deadlines, the per-call
    /// state) runs in a pooled slot (`slot.rs`), so the task is the idle wait and the link.
    /// Wrappers written as `async fn`s that take a future by value double a future (they
    /// keep the argument and the awaited copy); this keeps both parts small (the busy part
    /// with no services: a service's handler futures add to it).
    #[test]
    fn the_connection_task_stays_small() {
        let (task, busy) = crate::runtime::block_on(Driver::Epoll, async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let _client = TcpStream::connect(addr).unwrap();
            let (accepted, _) = listener.accept().unwrap();
            let stream = monoio::net::TcpStream::from_std(accepted).unwrap();
            let cfg = std::rc::Rc::new(ServerConfig::new());
            let (r, w) = crate::transport::Transport::tcp(stream).split();
            let peer = crate::server::Peer {
                remote: addr,
                local: addr,
                tls: None,
            };
            let link = super::Link::new(r, w, peer);
            let router = std::rc::Rc::new(Router::new());
            let signal = std::rc::Rc::new(crate::server::shutdown::Signal::default());
            let busy = super::busy(
                Box::new(super::BusyConn::new(&cfg)),
                router.clone(),
                cfg.clone(),
                signal.clone(),
            );
            let busy = std::mem::size_of_val(&busy);
            let slots = {
                let (cfg, signal) = (cfg.clone(), signal.clone());
                std::rc::Rc::new(super::Slots::new(cfg.clone(), move |state| {
                    super::busy(state, router.clone(), cfg.clone(), signal.clone())
                }))
            };
            let first = monoio::time::Instant::now();
            let task = crate::server::guard::catch_unwind_future(super::serve(
                link, slots, cfg, signal, first,
            ));
            (std::mem::size_of_val(&task), busy)
        })
        .unwrap();
        assert!(task <= 2 << 10, "connection task is {task} bytes");
        assert!(busy <= 6 << 10, "busy turn is {busy} bytes");
    }
}
