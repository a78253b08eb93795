//! glibc malloc tuning: memory of finished calls goes back to the system.
//!
//! glibc serves an allocation of at least `M_MMAP_THRESHOLD` bytes with its own `mmap` and
//! unmaps it when freed, but it raises that threshold every time such a block is freed (up
//! to 32 MiB), so after one large call the next large buffers come from the heap, where
//! freed memory mostly stays resident. Measured with `benches/e2e/converse_memory.py` (four
//! 15 MiB half-duplex calls at once, twice): the second round left 53 MiB resident without
//! this, 5 MiB with it (PERF.md, "Large streams"). Fixing the threshold turns the dynamic
//! adjustment off. This is the binary's choice, not the library's: a process-wide setting.
//!
//! The only `unsafe` in the demo: one call into the C library.

#![allow(unsafe_code)]

/// Blocks of this size and more are mapped and unmapped on their own.
const MMAP_THRESHOLD: libc::c_int = 256 * 1024;

/// Sets a fixed `M_MMAP_THRESHOLD` (glibc only; elsewhere nothing to do).
pub(crate) fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` takes two integers and only changes allocator parameters; it is
    // called before any other thread exists, so no allocation races with the change.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
