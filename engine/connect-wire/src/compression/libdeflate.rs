//! libdeflate's gzip decoder with the one thing the safe `libdeflater` crate leaves out: how
//! many input bytes a member took (`libdeflate_gzip_decompress_ex`). Without it a
//! multi-member gzip stream (RFC 1952 §2.2) cannot be decoded member by member: the
//! decoder stops after the first member and says nothing of the bytes that follow.
//!
//! This is the one module of `connect-wire` with `unsafe` code: two FFI calls and a pointer
//! that lives as long as the value. The alternative, a safe streaming inflater, is measured
//! against it in `benches/benches/gzip.rs` (PERF.md, "gzip").

#![allow(unsafe_code)]

use std::ptr::NonNull;

use libdeflate_sys::{
    libdeflate_alloc_decompressor, libdeflate_decompressor, libdeflate_free_decompressor,
    libdeflate_gzip_decompress_ex, libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE,
    libdeflate_result_LIBDEFLATE_SUCCESS,
};

/// Why a member could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MemberError {
    /// Not a valid gzip member (header, data, CRC-32 or ISIZE).
    BadData,
    /// The output slice is too small for the member's data.
    InsufficientSpace,
}

/// A libdeflate decompressor (about 32 KiB of tables), reused call after call.
pub(super) struct GzipDecoder {
    ptr: NonNull<libdeflate_decompressor>,
}

// SAFETY: a libdeflate decompressor is plain memory with no thread affinity; `&mut self` on
// every use keeps it from being used from two threads at once.
unsafe impl Send for GzipDecoder {}

impl GzipDecoder {
    /// A new decoder; `None` when the allocation fails.
    pub(super) fn new() -> Option<Self> {
        // SAFETY: no preconditions; returns NULL on allocation failure, checked here.
        let ptr = unsafe { libdeflate_alloc_decompressor() };
        NonNull::new(ptr).map(|ptr| GzipDecoder { ptr })
    }

    /// Decodes the gzip member at the start of `input` into `out`, returning how many input
    /// bytes it took and how many output bytes it produced. Bytes after the member are not
    /// looked at. On error nothing is known of `out`'s contents.
    pub(super) fn member(
        &mut self,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, usize), MemberError> {
        let mut consumed = 0usize;
        let mut produced = 0usize;
        // SAFETY: `self.ptr` is a live decompressor owned by `self` (freed only in `drop`) and
        // borrowed mutably for the call; `input` is readable for `input.len()` bytes and `out`
        // writable for `out.len()` bytes, and libdeflate reads and writes within those bounds
        // only; both result pointers are valid `usize`s on this stack frame. libdeflate keeps
        // no pointer after returning.
        let result = unsafe {
            libdeflate_gzip_decompress_ex(
                self.ptr.as_ptr(),
                input.as_ptr().cast(),
                input.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                &raw mut consumed,
                &raw mut produced,
            )
        };
        #[allow(non_upper_case_globals)]
        match result {
            libdeflate_result_LIBDEFLATE_SUCCESS
                if consumed <= input.len() && produced <= out.len() =>
            {
                Ok((consumed, produced))
            }
            libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE => Err(MemberError::InsufficientSpace),
            // BAD_DATA (SHORT_OUTPUT cannot happen with a result pointer).
            _ => Err(MemberError::BadData),
        }
    }
}

impl Drop for GzipDecoder {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `libdeflate_alloc_decompressor` and is freed once.
        unsafe { libdeflate_free_decompressor(self.ptr.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut c = libdeflater::Compressor::new(libdeflater::CompressionLvl::default());
        let mut out = vec![0; c.gzip_compress_bound(data.len())];
        let n = c.gzip_compress(data, &mut out).unwrap();
        out.truncate(n);
        out
    }

    #[test]
    fn reports_the_member_length() {
        let mut d = GzipDecoder::new().unwrap();
        let mut two = gzip(b"hello");
        let first = two.len();
        two.extend_from_slice(&gzip(b"world!"));
        let mut out = [0u8; 16];
        assert_eq!(d.member(&two, &mut out), Ok((first, 5)));
        assert_eq!(&out[..5], b"hello");
        assert_eq!(
            d.member(&two[first..], &mut out),
            Ok((two.len() - first, 6))
        );
        assert_eq!(&out[..6], b"world!");
        assert_eq!(
            d.member(&two, &mut out[..4]),
            Err(MemberError::InsufficientSpace)
        );
        assert_eq!(d.member(&two[1..], &mut out), Err(MemberError::BadData));
        assert_eq!(d.member(&[], &mut out), Err(MemberError::BadData));
    }
}
