//! Thread-per-core runtimes: one monoio runtime per thread, io_uring or epoll.

use std::future::Future;
use std::io;

/// Which monoio driver to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Driver {
    /// io_uring when the kernel allows it (`MONOIO_FORCE_LEGACY_DRIVER=1` forces epoll),
    /// else epoll.
    #[default]
    Auto,
    /// io_uring, built with `COOP_TASKRUN` and `SINGLE_ISSUER` (see `PERF.md`); fails if
    /// the kernel refuses it.
    IoUring,
    /// epoll (monoio's "legacy" driver).
    Epoll,
}

impl Driver {
    /// The driver `Auto` resolves to on this machine.
    #[must_use]
    pub fn resolve(self) -> Driver {
        match self {
            Driver::Auto if monoio::utils::detect_uring() => Driver::IoUring,
            Driver::Auto => Driver::Epoll,
            other => other,
        }
    }

    /// A short name for logs.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Driver::Auto => "auto",
            Driver::IoUring => "io_uring",
            Driver::Epoll => "epoll",
        }
    }
}

/// Ring entries per thread.
const RING_ENTRIES: u32 = 1024;

/// Runs `fut` to completion on a new runtime of the given driver on the current thread.
pub fn block_on<F: Future>(driver: Driver, fut: F) -> io::Result<F::Output> {
    if driver.resolve() == Driver::IoUring {
        let mut ring = io_uring::IoUring::builder();
        // Measured faster than monoio's default ring setup for small request/response loads
        // (PERF.md, "drivers"): fewer task-work interrupts, one submitter.
        ring.setup_coop_taskrun().setup_single_issuer();
        let mut rt = monoio::RuntimeBuilder::<monoio::IoUringDriver>::new()
            .with_entries(RING_ENTRIES)
            .uring_builder(ring)
            .enable_timer()
            .build()?;
        Ok(rt.block_on(fut))
    } else {
        let mut rt = monoio::RuntimeBuilder::<monoio::LegacyDriver>::new()
            .with_entries(RING_ENTRIES)
            .enable_timer()
            .build()?;
        Ok(rt.block_on(fut))
    }
}
