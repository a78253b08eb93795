//! The busy part of a connection, pooled per thread.
//!
//! A connection alternates between idle (waiting for the next request) and busy (reading,
//! running and answering requests until its input is used up). The busy part's future is
//! large: it holds the handler's future, the call's deadline timer, the response writes, and
//! the per-call state ([`BusyConn`]: parsed head, body decoder, scratch buffers, interceptor
//! record). The idle wait is small. Were both in the connection's task, every idle keep-alive
//! connection would hold room for the busy part (a task is sized for its largest state).
//!
//! So the busy part runs in a [`Slot`] taken from the thread's [`Slots`] for one turn and
//! given back after it: a thread holds as many slots as it has connections busy at once,
//! and an idle connection holds only its [`Link`] and its idle wait. A slot is reused in
//! place (its future is replaced with [`Pin::set`]), so a turn allocates nothing in steady
//! state. The slot's future type is erased behind [`Turn`]: it is the `async fn` that serves
//! requests, which has no name to store it under.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use super::busy_conn::{BusyConn, Link};
use super::config::ServerConfig;

/// Most free slots a thread keeps (each a few KiB: the busy future and its `BusyConn`;
/// I/O buffers go back to the buffer pool between turns).
const MAX_FREE: usize = 1024;

/// One turn of requests on a connection, type-erased.
pub(crate) trait Turn {
    /// Starts a turn on `link`, which has the first bytes of a request in its idle (or
    /// kept read) buffer.
    fn start(self: Pin<&mut Self>, link: Link);

    /// Drives the turn: `Some(link)` once the connection is idle again, `None` once it has
    /// closed.
    fn poll_turn(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Link>>;
}

/// How a busy turn left its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterTurn {
    /// Open and idle: it waits for its next request.
    Idle,
    /// Closed (the closing handshake done).
    Closed,
}

pin_project_lite::pin_project! {
    /// A reusable place for the busy future `F` that `make` starts from the per-call state.
    struct Slot<M, F> {
        make: M,
        cfg: Rc<ServerConfig>,
        // The per-call state while no turn runs (the running turn owns it).
        state: Option<Box<BusyConn>>,
        #[pin]
        turn: Option<F>,
    }
}

impl<M, F> Turn for Slot<M, F>
where
    M: Fn(Box<BusyConn>) -> F,
    F: Future<Output = (Box<BusyConn>, AfterTurn)>,
{
    fn start(self: Pin<&mut Self>, link: Link) {
        let mut this = self.project();
        let mut state = this
            .state
            .take()
            .unwrap_or_else(|| Box::new(BusyConn::new(this.cfg)));
        state.attach(link, this.cfg.buffer_size);
        this.turn.set(Some((this.make)(state)));
    }

    fn poll_turn(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Link>> {
        let mut this = self.project();
        let Some(turn) = this.turn.as_mut().as_pin_mut() else {
            return Poll::Ready(None);
        };
        let (mut state, after) = ready!(turn.poll(cx));
        this.turn.set(None);
        let link = state.detach(this.cfg.buffer_size);
        *this.state = Some(state);
        // A connection that closed is dropped here (its socket with it).
        Poll::Ready((after == AfterTurn::Idle).then_some(link))
    }
}

/// A thread's free slots, and how to make more.
pub(crate) struct Slots {
    free: RefCell<Vec<Pin<Box<dyn Turn>>>>,
    make: Box<dyn Fn() -> Pin<Box<dyn Turn>>>,
}

impl Slots {
    /// Slots whose turns are `make(state)` (the busy future, owning the per-call state and
    /// returning it with how the connection was left).
    pub(crate) fn new<M, F>(cfg: Rc<ServerConfig>, make: M) -> Self
    where
        M: Fn(Box<BusyConn>) -> F + Clone + 'static,
        F: Future<Output = (Box<BusyConn>, AfterTurn)> + 'static,
    {
        Slots {
            free: RefCell::new(Vec::new()),
            make: Box::new(move || {
                Box::pin(Slot {
                    make: make.clone(),
                    cfg: cfg.clone(),
                    state: None,
                    turn: None,
                })
            }),
        }
    }

    /// Runs one busy turn on `link` in a free slot (or a new one); gives the slot back
    /// after. `None`: the connection closed. Dropped mid-turn (the connection task ended),
    /// the slot is dropped too, with whatever the turn held.
    pub(crate) async fn run(&self, link: Link) -> Option<Link> {
        let mut slot = self
            .free
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| (self.make)());
        slot.as_mut().start(link);
        let link = std::future::poll_fn(|cx| slot.as_mut().poll_turn(cx)).await;
        let mut free = self.free.borrow_mut();
        if free.len() < MAX_FREE {
            free.push(slot);
        }
        link
    }

    /// Free slots held (for tests).
    #[cfg(test)]
    pub(crate) fn free(&self) -> usize {
        self.free.borrow().len()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::{AfterTurn, Slots};
    use crate::server::ServerConfig;
    use crate::server::busy_conn::Link;
    use crate::transport::{ReadHalf, WriteHalf};

    fn link() -> Link {
        let addr = "127.0.0.1:1".parse().unwrap();
        let peer = crate::server::Peer {
            remote: addr,
            local: addr,
            tls: None,
        };
        Link::new(ReadHalf::detached(), WriteHalf::detached(), peer)
    }

    /// Turns one after another reuse one slot and its per-call state; turns at once each
    /// get their own; a turn that closes its connection gives the slot back too.
    #[test]
    fn slots_and_their_state_are_reused() {
        crate::runtime::block_on(crate::runtime::Driver::Epoll, async {
            let cfg = Rc::new(ServerConfig::new());
            let seen = Rc::new(RefCell::new(Vec::new()));
            let slots = {
                let seen = seen.clone();
                Slots::new(cfg, move |state| {
                    let seen = seen.clone();
                    async move {
                        let at = std::ptr::from_ref(&*state) as usize;
                        seen.borrow_mut().push(at);
                        monoio::time::sleep(std::time::Duration::from_millis(1)).await;
                        // The remote port says whether the connection stays open.
                        let after = if state.peer.remote.port() == 1 {
                            AfterTurn::Idle
                        } else {
                            AfterTurn::Closed
                        };
                        (state, after)
                    }
                })
            };
            for _ in 0..3 {
                let back = slots.run(link()).await;
                assert_eq!(back.map(|l| l.peer.remote.port()), Some(1));
            }
            assert_eq!(slots.free(), 1);
            let (a, b) = monoio::join!(slots.run(link()), slots.run(link()));
            assert!(a.is_some() && b.is_some());
            assert_eq!(slots.free(), 2);
            let mut closing = link();
            closing.peer.remote.set_port(2);
            assert!(slots.run(closing).await.is_none());
            assert_eq!(slots.free(), 2);
            let seen = seen.borrow();
            assert_eq!(seen.len(), 6);
            assert!(seen[..3].iter().all(|&p| p == seen[0]), "{seen:?}");
            assert_ne!(seen[3], seen[4], "{seen:?}");
        })
        .unwrap();
    }
}
