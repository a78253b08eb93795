//! [`Input`]: reads generation choices off the front of the fuzzer's bytes.
//!
//! The encoding is deliberately plain so that seeds can be written by hand (see
//! `fuzz/seeds/generate.py`): a byte is one byte, a `u16` two little-endian bytes, and an
//! exhausted input reads as zeros (the fuzzer's shortest inputs are then the simplest cases).

/// A cursor over fuzzer input.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// A cursor at the start of `data`.
    #[must_use]
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// The next byte (0 once exhausted).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes, little-endian (missing bytes read as 0).
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// The next four bytes, little-endian (missing bytes read as 0).
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// A choice in `0..n` from one byte (`n` at most 256; 0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        usize::from(self.byte()) % n
    }

    /// Whether the next byte is odd.
    pub fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// Up to `n` bytes (fewer when the input runs out).
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// A length-prefixed byte string: one length byte, then up to that many bytes.
    pub fn bytes(&mut self) -> &'a [u8] {
        let n = usize::from(self.byte());
        self.take(n)
    }

    /// Everything not read yet.
    #[must_use]
    pub fn rest(self) -> &'a [u8] {
        self.data
    }

    /// Whether everything has been read.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::Input;

    #[test]
    fn reads_in_order_and_pads_with_zeros() {
        let mut i = Input::new(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(i.byte(), 1);
        assert_eq!(i.u16(), 0x0302);
        assert_eq!(i.below(3), 1);
        assert_eq!(i.bytes(), &[6][..]);
        assert!(i.is_empty());
        assert_eq!(i.u32(), 0);
        assert!(!i.flag());
    }
}
