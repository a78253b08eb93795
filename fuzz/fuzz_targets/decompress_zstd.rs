//! zstd decompression of arbitrary input with a small limit, reusing one `Codecs` (as a
//! core does, including after errors): never panics, never exceeds the limit.
#![no_main]

use std::cell::RefCell;

use connect_wire::compression::{Codecs, Compression};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static CODECS: RefCell<Codecs> = RefCell::new(Codecs::new());
}

fuzz_target!(|data: &[u8]| {
    CODECS.with_borrow_mut(|codecs| {
        let mut out = Vec::new();
        if codecs
            .decompress(Compression::Zstd, data, &mut out, 1 << 16)
            .is_ok()
        {
            assert!(out.len() <= 1 << 16);
        }
    });
});
