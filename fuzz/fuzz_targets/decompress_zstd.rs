//! zstd decompression of real zstd streams, mutated to attack the size limit (see
//! `connect_fuzz::decompress` for the input layout and the properties checked).
#![no_main]

use connect_wire::compression::Compression;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| connect_fuzz::decompress::run(Compression::Zstd, data));
