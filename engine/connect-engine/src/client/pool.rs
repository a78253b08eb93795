//! Idle connections of one async client on one thread.

use std::cell::RefCell;

use super::config::ClientConfig;
use super::conn::{Conn, Rest};
use crate::buffers;

/// Idle connections of one client on one thread.
pub(crate) struct Pool {
    idle: RefCell<Vec<Conn>>,
    max_idle: usize,
    idle_timeout: std::time::Duration,
    buffer_size: usize,
}

impl Pool {
    pub(crate) fn new(config: &ClientConfig) -> Pool {
        Pool {
            idle: RefCell::new(Vec::new()),
            max_idle: config.max_idle_connections,
            idle_timeout: config.idle_timeout,
            buffer_size: config.buffer_size,
        }
    }

    pub(crate) fn take(&self) -> Option<Conn> {
        let mut idle = self.idle.borrow_mut();
        // Most recently used first: the likeliest to be alive.
        while let Some(mut c) = idle.pop() {
            if c.is_usable(self.idle_timeout) {
                return Some(c);
            }
        }
        None
    }

    /// Keeps `conn` for reuse, with a read posted into `rbuf` (its last response's buffer;
    /// see `conn.rs`) unless it is checked otherwise; `rbuf` goes back to the thread's
    /// buffers when it is not needed, when the pool is full, or when something was already
    /// waiting on the connection.
    pub(crate) fn give(&self, mut conn: Conn, mut rbuf: Vec<u8>) {
        let mut idle = self.idle.borrow_mut();
        let size = self.buffer_size.max(1024);
        if idle.len() >= self.max_idle {
            buffers::give(rbuf, size);
            return;
        }
        // A buffer grown by a large response is not kept for the idle wait.
        if rbuf.capacity() < size || rbuf.capacity() > size.saturating_mul(4) {
            let mut fresh = buffers::take(size);
            if fresh.capacity() > size.saturating_mul(4) {
                fresh = Vec::with_capacity(size);
            }
            buffers::give(std::mem::replace(&mut rbuf, fresh), size);
        }
        rbuf.clear();
        match conn.rest(rbuf) {
            Rest::Posted => idle.push(conn),
            Rest::Quiet(rbuf) => {
                buffers::give(rbuf, size);
                idle.push(conn);
            }
            Rest::Stale => {}
        }
    }

    /// Idle connections held.
    pub(crate) fn len(&self) -> usize {
        self.idle.borrow().len()
    }
}
