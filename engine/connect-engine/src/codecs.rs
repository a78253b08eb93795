//! Per-thread compression contexts (libdeflate, zstd), shared by the server and the clients
//! of a thread.

use std::cell::RefCell;

use connect_wire::compression::Codecs;

thread_local! {
    static CODECS: RefCell<Codecs> = RefCell::new(Codecs::new());
}

/// Runs `f` with this thread's compression contexts. Never held across an await.
pub(crate) fn with_codecs<R>(f: impl FnOnce(&mut Codecs) -> R) -> R {
    CODECS.with(|c| f(&mut c.borrow_mut()))
}
