//! What every clone of a [`BlockingClient`](super::BlockingClient) shares: its settings and
//! its idle connections.

use std::sync::{Arc, Mutex, PoisonError};

use super::conn::Conn;
use crate::client::{ClientConfig, Origin};

/// A blocking client's settings and idle connections, shared by its clones and threads.
pub(crate) struct Shared {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) origin: Origin,
    pub(crate) accept: String,
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    pub(crate) idle: Mutex<Vec<Conn>>,
}

impl Shared {
    pub(crate) fn give(&self, mut conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.config.max_idle_connections {
            conn.mark_idle();
            idle.push(conn);
        }
    }

    pub(crate) fn take(&self) -> Option<Conn> {
        loop {
            let c = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop()?;
            // Checked outside the lock: a liveness check is two syscalls.
            if c.is_usable(self.config.idle_timeout) {
                return Some(c);
            }
        }
    }
}
