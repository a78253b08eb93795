//! The Connect server: thread-per-core, one monoio runtime and one `SO_REUSEPORT` listener
//! per thread, HTTP/1.1 with optional TLS.
//!
//! ```no_run
//! # use connect_engine::server::{Router, Server, ServerConfig};
//! let server = Server::bind("127.0.0.1:8080".parse().unwrap(), ServerConfig::new()).unwrap();
//! println!("listening on {}", server.local_addr());
//! server.serve(|| Router::new() /* .add(ElizaServiceServer::new(MyEliza)) */).unwrap();
//! ```

mod busy_conn;
pub(crate) mod call;
mod config;
mod conn;
mod guard;
mod interceptor;
mod peer;
mod service;
mod shutdown;
mod slot;

use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use call::{CallInfo, Request, RequestHeaders, RequestStream, Response, ResponseStream};
pub use config::{ClientAuth, ServerConfig, tls_config};
pub use interceptor::{Interceptor, RequestInfo, ResponseInfo, TracingInterceptor};
pub use peer::{Peer, TlsInfo};
pub use service::{Router, Service, Services};
pub use shutdown::ShutdownHandle;
use tracing::{debug, error, info, warn};

use crate::runtime::{self, Driver};
use crate::transport::Transport;

/// A bound server, ready to [`serve`](Server::serve).
pub struct Server {
    config: ServerConfig,
    listeners: Vec<std::net::TcpListener>,
    local_addr: SocketAddr,
    shutdown: ShutdownHandle,
}

fn reuseport_listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

impl Server {
    /// Binds one listener per thread on `addr` (port 0 picks a free port, shared by all
    /// threads).
    pub fn bind(addr: SocketAddr, config: ServerConfig) -> std::io::Result<Server> {
        let first = reuseport_listener(addr)?;
        let local_addr = first.local_addr()?;
        let mut listeners = vec![first];
        for _ in 1..config.threads {
            listeners.push(reuseport_listener(local_addr)?);
        }
        Ok(Server {
            config,
            listeners,
            local_addr,
            shutdown: ShutdownHandle::default(),
        })
    }

    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle that stops the server gracefully.
    #[must_use]
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Serves until shutdown (see [`ShutdownHandle`]; call
    /// [`ShutdownHandle::on_signals`] for SIGTERM/SIGINT). `router` runs once on each
    /// thread to build that thread's services.
    pub fn serve<L, F>(self, router: F) -> std::io::Result<()>
    where
        L: Services,
        F: Fn() -> Router<L> + Send + Sync + 'static,
    {
        let Server {
            config,
            listeners,
            local_addr,
            shutdown,
        } = self;
        let driver = config.driver.resolve();
        info!(%local_addr, threads = listeners.len(), driver = driver.name(), tls = config.tls.is_some(), "serving");
        let router = Arc::new(router);
        let config = Arc::new(config);
        let open = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = listeners
            .into_iter()
            .enumerate()
            .map(|(i, listener)| {
                let (router, config, open, flag) = (
                    router.clone(),
                    config.clone(),
                    open.clone(),
                    shutdown.flag.clone(),
                );
                // Deeply nested JSON recurses once per level; 8 MiB covers the recursion
                // limit even in debug builds.
                std::thread::Builder::new()
                    .name(format!("connect-{i}"))
                    .stack_size(8 << 20)
                    .spawn(move || {
                        runtime::block_on(
                            driver,
                            thread_main(listener, router(), (*config).clone(), open, flag),
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        let mut result = Ok(());
        for t in threads {
            match t.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(e),
                Err(_) => result = Err(std::io::Error::other("server thread panicked")),
            }
        }
        result
    }
}

/// The driver a server with this config would use.
#[must_use]
pub fn resolved_driver(config: &ServerConfig) -> Driver {
    config.driver.resolve()
}

/// Keeps this thread's cached `Date` field (see `connect_wire::http1::date`) current:
/// re-formatted once a second, just after the second turns.
async fn keep_date() {
    loop {
        let now = std::time::SystemTime::now();
        connect_wire::http1::date::set_now(now);
        let nanos_in = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        // subsec_nanos < 10^9: at least 1 ns to wait.
        let wait = 1_000_000_000 - nanos_in.min(999_999_999);
        monoio::time::sleep(std::time::Duration::from_nanos(u64::from(wait))).await;
    }
}

/// Connections taken from the kernel's accept queue per round of the accept loop, after the
/// one the driver's accept returned.
const ACCEPT_BATCH: usize = 64;

/// What every connection task of one server thread shares.
struct Shared {
    config: Rc<ServerConfig>,
    /// Where connections run their busy turns (see `slot.rs`).
    slots: Rc<slot::Slots>,
    signal: Rc<shutdown::Signal>,
    tls: Option<Arc<rustls::ServerConfig>>,
    /// Open connections over all threads.
    open: Arc<AtomicUsize>,
    /// Connection tasks of this thread.
    active: Rc<std::cell::Cell<usize>>,
}

async fn thread_main<L: Services>(
    listener: std::net::TcpListener,
    router: Router<L>,
    config: ServerConfig,
    open: Arc<AtomicUsize>,
    flag: Arc<std::sync::atomic::AtomicBool>,
) {
    // A second handle to the listening socket, for draining its queue with plain nonblocking
    // accept(2) calls (the socket is nonblocking, see `reuseport_listener`).
    let queue = match listener.try_clone() {
        Ok(q) => q,
        Err(e) => {
            warn!(error = %e, "listener");
            return;
        }
    };
    let listener = match monoio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            warn!(error = %e, "listener");
            return;
        }
    };
    let signal = Rc::new(shutdown::Signal::default());
    monoio::spawn(shutdown::relay(flag, signal.clone()));
    if config.send_date {
        monoio::spawn(keep_date());
    }
    let router = Rc::new(router);
    let config = Rc::new(config);
    let slots = {
        let (router, config, signal) = (router.clone(), config.clone(), signal.clone());
        Rc::new(slot::Slots::new(config.clone(), move |state| {
            conn::busy(state, router.clone(), config.clone(), signal.clone())
        }))
    };
    let shared = Shared {
        tls: config.tls.clone(),
        config,
        slots,
        signal,
        open,
        active: Rc::new(std::cell::Cell::new(0usize)),
    };
    {
        // On shutdown the listening socket is shut down first, which makes the pending accept
        // complete (with an error, or with a connection, which then closes as idle ones do
        // at shutdown): dropping an io_uring accept that has already completed in the kernel
        // would leave its connection open with nobody serving it. Should the accept not
        // wake, it is dropped after a while.
        let mut closing = std::pin::pin!(async {
            shared.signal.wait().await;
            if let Err(e) = socket2::SockRef::from(&queue).shutdown(std::net::Shutdown::Both) {
                debug!(error = %e, "shutting down the listener");
            }
            monoio::time::sleep(std::time::Duration::from_millis(500)).await;
        });
        loop {
            let accepted = monoio::select! {
                a = listener.accept() => a,
                () = &mut closing => break,
            };
            match accepted {
                Ok((stream, peer)) => start_connection(&shared, stream, peer),
                Err(_) if shared.signal.is_triggered() => break,
                Err(e) => {
                    debug!(error = %e, "accept");
                    // Out of file descriptors (or similar): back off instead of spinning.
                    monoio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            }
            // The driver's accept gives one connection per wait; on io_uring that is one trip
            // through the ring, which under load comes only after every ready task has run. Take
            // what else the kernel has queued now: accepting one connection per round let the
            // queue overflow under a connection storm (SYNs dropped, clients waiting seconds for
            // retransmits) while the server was far from busy.
            for _ in 0..ACCEPT_BATCH {
                if shared.signal.is_triggered() {
                    break;
                }
                match queue.accept() {
                    Ok((stream, peer)) => {
                        // Nonblocking, as the driver's own accept returns sockets for epoll (and
                        // as the client's sockets are on both drivers).
                        match stream
                            .set_nonblocking(true)
                            .and_then(|()| monoio::net::TcpStream::from_std(stream))
                        {
                            Ok(stream) => start_connection(&shared, stream, peer),
                            Err(e) => debug!(%peer, error = %e, "accepted socket"),
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => {
                        debug!(error = %e, "accept");
                        break;
                    }
                }
            }
        }
    }
    // Graceful shutdown: no more accepts (both handles closed, so the socket is closed and
    // new connections are refused); wait for in-flight connections.
    drop(listener);
    drop(queue);
    let deadline = std::time::Instant::now() + shared.config.shutdown_grace;
    while shared.active.get() > 0 && std::time::Instant::now() < deadline {
        monoio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Starts serving an accepted connection on this thread (or closes it at once past the
/// connection limit).
fn start_connection(shared: &Shared, stream: monoio::net::TcpStream, peer: SocketAddr) {
    if shared.open.fetch_add(1, Ordering::AcqRel) >= shared.config.max_connections {
        shared.open.fetch_sub(1, Ordering::AcqRel);
        debug!(%peer, "connection limit reached");
        return;
    }
    let _ = stream.set_nodelay(true);
    let counted = Counted::new(shared.open.clone(), shared.active.clone());
    let local = stream.local_addr().unwrap_or(peer);
    let first_request = monoio::time::Instant::now() + shared.config.header_read_timeout;
    let start = Start {
        slots: shared.slots.clone(),
        config: shared.config.clone(),
        signal: shared.signal.clone(),
        counted,
        remote: peer,
        local,
        first_request,
    };
    let Some(acceptor) = shared.tls.clone() else {
        start.spawn(Transport::tcp(stream), None);
        return;
    };
    // The handshake runs in a task of its own, which then starts the connection's: its
    // state (rustls's and ours) would otherwise size the connection task, which idle
    // connections keep.
    monoio::spawn(async move {
        let until = start.first_request;
        match monoio::time::timeout_at(until, crate::tls::accept(stream, acceptor)).await {
            Ok(Ok((s, info))) => start.spawn(Transport::tls_server(s), Some(Box::new(info))),
            Ok(Err(e)) => debug!(%peer, error = %e, "TLS handshake"),
            Err(_) => debug!(%peer, "TLS handshake timed out"),
        }
    });
}

/// What a connection's task is started with, once its transport is ready.
struct Start {
    slots: Rc<slot::Slots>,
    config: Rc<ServerConfig>,
    signal: Rc<shutdown::Signal>,
    counted: Counted,
    remote: SocketAddr,
    local: SocketAddr,
    /// When the first request must have begun (the header read timeout from the accept).
    first_request: monoio::time::Instant,
}

impl Start {
    /// Spawns the task that serves the connection until it closes.
    fn spawn(self, transport: Transport, tls: Option<Box<TlsInfo>>) {
        let (r, w) = transport.split();
        let peer = Peer {
            remote: self.remote,
            local: self.local,
            tls,
        };
        let link = busy_conn::Link::new(r, w, peer);
        debug!(peer = %self.remote, "connection opened");
        // Handlers' panics are caught per call (`run_handler`); this catches any other panic
        // of the connection task, so it costs only this connection.
        monoio::spawn(Connection {
            serve: guard::catch_unwind_future(conn::serve(
                link,
                self.slots,
                self.config,
                self.signal,
                self.first_request,
            )),
            peer: self.remote,
            _counted: self.counted,
        });
    }
}

/// An open connection, counted in the server's and the thread's totals until dropped.
struct Counted {
    open: Arc<AtomicUsize>,
    active: Rc<std::cell::Cell<usize>>,
}

impl Counted {
    fn new(open: Arc<AtomicUsize>, active: Rc<std::cell::Cell<usize>>) -> Self {
        active.set(active.get() + 1);
        Counted { open, active }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::AcqRel);
        self.active.set(self.active.get() - 1);
    }
}

pin_project_lite::pin_project! {
    /// A connection's task: its serving future, and its place in the counts. A struct
    /// rather than an `async` block, which would keep the future twice (the captured value
    /// and the awaited one) in every connection's task.
    struct Connection<F> {
        #[pin]
        serve: guard::CatchUnwind<F>,
        peer: SocketAddr,
        _counted: Counted,
    }
}

impl<F: std::future::Future<Output = ()>> std::future::Future for Connection<F> {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let this = self.project();
        let peer = *this.peer;
        if let Err(payload) = std::task::ready!(this.serve.poll(cx)) {
            error!(%peer, panic = guard::panic_message(&*payload), "connection task panicked");
        }
        debug!(%peer, "connection closed");
        std::task::Poll::Ready(())
    }
}
