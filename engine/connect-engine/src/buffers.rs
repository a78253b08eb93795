//! Per-thread pool of I/O buffers, shared by the server and the clients on a thread.
//!
//! A server connection takes a read and a write buffer for each busy turn (in its slot, see
//! `server/slot.rs`) and gives them back when the turn ends; while idle it holds only its
//! small idle buffer (`IDLE_READ` bytes), unless it is bursty and waits with a pooled read
//! buffer. Client calls take their buffers for the call's duration; an idle pooled async
//! connection keeps the read buffer its posted read fills. New connections and calls reuse
//! memory instead of allocating it: taking and giving are a `Vec` pop and push, no
//! allocation in steady state.

use std::cell::RefCell;

/// Most buffers kept per thread (at the default 16 KiB, 16 MiB).
const MAX_POOLED: usize = 1024;

/// Largest buffer kept: bigger ones (grown by a large message) are freed instead.
const MAX_KEPT: usize = 256 * 1024;

/// Most bytes of buffer capacity kept per thread: a burst of large messages must not leave
/// each thread holding `MAX_POOLED` buffers of `MAX_KEPT` bytes (256 MiB).
const MAX_POOLED_BYTES: usize = 16 << 20;

struct Pool {
    buffers: Vec<Vec<u8>>,
    /// Capacity of the buffers held.
    bytes: usize,
}

thread_local! {
    static POOL: RefCell<Pool> = const {
        RefCell::new(Pool {
            buffers: Vec::new(),
            bytes: 0,
        })
    };
}

/// An empty buffer with at least `size` bytes of capacity.
pub(crate) fn take(size: usize) -> Vec<u8> {
    POOL.with(|p| {
        let mut pool = p.borrow_mut();
        let buf = pool.buffers.pop()?;
        pool.bytes -= buf.capacity();
        Some(buf)
    })
    .filter(|b| b.capacity() >= size)
    .unwrap_or_else(|| Vec::with_capacity(size))
}

/// Returns a buffer to the pool (cleared). Buffers of the wrong size, or beyond the pool's
/// count or byte bounds, are dropped.
pub(crate) fn give(mut buf: Vec<u8>, size: usize) {
    if buf.capacity() < size || buf.capacity() > MAX_KEPT.max(size) {
        return;
    }
    buf.clear();
    POOL.with(|p| {
        let mut pool = p.borrow_mut();
        if pool.buffers.len() < MAX_POOLED && pool.bytes + buf.capacity() <= MAX_POOLED_BYTES {
            if pool.buffers.capacity() == 0 {
                pool.buffers.reserve_exact(MAX_POOLED);
            }
            pool.bytes += buf.capacity();
            pool.buffers.push(buf);
        }
    });
}

thread_local! {
    static SCRATCH: RefCell<Vec<connect_wire::client::Scratch>> = const { RefCell::new(Vec::new()) };
}

/// A client call's working buffers (encoding, decompression, GET query), reused.
pub(crate) fn take_scratch() -> connect_wire::client::Scratch {
    SCRATCH.with(|p| p.borrow_mut().pop()).unwrap_or_default()
}

/// Returns a call's working buffers; ones grown past 256 KiB are freed instead.
pub(crate) fn give_scratch(mut s: connect_wire::client::Scratch) {
    if s.body.capacity() > MAX_KEPT
        || s.plain.capacity() > MAX_KEPT
        || s.query.capacity() > MAX_KEPT
    {
        return;
    }
    s.body.clear();
    s.plain.clear();
    s.query.clear();
    SCRATCH.with(|p| {
        let mut pool = p.borrow_mut();
        if pool.len() < MAX_POOLED {
            pool.push(s);
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn buffers_are_reused() {
        let b = super::take(1024);
        let ptr = b.as_ptr();
        super::give(b, 1024);
        let again = super::take(1024);
        assert_eq!(again.as_ptr(), ptr);
        assert!(again.is_empty() && again.capacity() >= 1024);
        // Too small for the request, or far too big: not kept.
        super::give(Vec::with_capacity(10), 1024);
        super::give(Vec::with_capacity(1 << 20), 1024);
        assert!(super::take(1024).capacity() < 1 << 20);
    }

    #[test]
    fn the_pool_holds_a_bounded_number_of_bytes() {
        for _ in 0..super::MAX_POOLED {
            super::give(Vec::with_capacity(super::MAX_KEPT), 1024);
        }
        let held = super::POOL.with(|p| p.borrow().bytes);
        assert!(held <= super::MAX_POOLED_BYTES, "{held}");
        let counted: usize =
            super::POOL.with(|p| p.borrow().buffers.iter().map(Vec::capacity).sum());
        assert_eq!(counted, held);
        while super::POOL.with(|p| !p.borrow().buffers.is_empty()) {
            drop(super::take(1));
        }
        assert_eq!(super::POOL.with(|p| p.borrow().bytes), 0);
    }
}
