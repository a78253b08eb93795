//! The `Date` field of responses (RFC 9110 §6.6.1: an origin server with a clock sends it in
//! every 2xx, 3xx and 4xx response, and may in 5xx).
//!
//! Formatting a date per response would cost more than the rest of a small response head,
//! so each thread keeps the field formatted once per second: the driver says what time it
//! is ([`set_now`], e.g. from a once-a-second timer), and [`write_status_line`] appends the
//! cached field after every final status line. A thread whose driver never set a time
//! writes no `Date` (the core has no clock of its own; tests stay deterministic).
//!
//! [`write_status_line`]: super::write_status_line

use std::cell::RefCell;
use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// 10000-01-01T00:00:00Z: IMF-fixdate has four-digit years.
const END_OF_9999: u64 = 253_402_300_800;

/// `date: ` + IMF-fixdate (29 bytes) + CRLF.
const FIELD_LEN: usize = 6 + 29 + 2;

struct Cached {
    /// The second `field` shows (Unix time), or `None` before the first [`set_now`].
    second: Option<u64>,
    field: [u8; FIELD_LEN],
}

thread_local! {
    static DATE: RefCell<Cached> = const {
        RefCell::new(Cached {
            second: None,
            field: [0; FIELD_LEN],
        })
    };
}

/// Sets the time this thread's response heads carry, re-formatting the field only when the
/// second changed.
pub fn set_now(now: SystemTime) {
    let second = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    DATE.with_borrow_mut(|c| {
        if c.second == Some(second) {
            return;
        }
        if second >= END_OF_9999 {
            // Not an IMF-fixdate (and httpdate would panic): no field rather than a bad one.
            c.second = None;
            return;
        }
        let shown = UNIX_EPOCH + std::time::Duration::from_secs(second);
        let mut field = [0u8; FIELD_LEN];
        let mut w = &mut field[..];
        // Always 29 bytes for years 1970..=9999.
        if write!(w, "date: {}\r\n", httpdate::HttpDate::from(shown)).is_ok() && w.is_empty() {
            c.field = field;
            c.second = Some(second);
        }
    });
}

/// Stops writing `Date` on this thread (until the next [`set_now`]).
pub fn clear() {
    DATE.with_borrow_mut(|c| c.second = None);
}

/// Appends the cached `date: ...\r\n` field, if this thread has a time.
pub fn write_date(out: &mut Vec<u8>) {
    DATE.with_borrow(|c| {
        if c.second.is_some() {
            out.extend_from_slice(&c.field);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_is_an_imf_fixdate_cached_per_second() {
        let mut out = Vec::new();
        write_date(&mut out);
        assert!(out.is_empty(), "no time set: no field");
        // RFC 9110 §5.6.7's example.
        set_now(UNIX_EPOCH + std::time::Duration::from_secs(784_111_777));
        write_date(&mut out);
        assert_eq!(out, b"date: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
        out.clear();
        set_now(UNIX_EPOCH + std::time::Duration::from_millis(784_111_777_999));
        write_date(&mut out);
        assert_eq!(out, b"date: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
        out.clear();
        set_now(UNIX_EPOCH + std::time::Duration::from_secs(784_111_778));
        write_date(&mut out);
        assert_eq!(out, b"date: Sun, 06 Nov 1994 08:49:38 GMT\r\n");
        clear();
        out.clear();
        write_date(&mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn dates_outside_the_formattable_range_write_nothing() {
        clear();
        // Year 10000 cannot be an IMF-fixdate; the field stays off rather than malformed.
        let far = UNIX_EPOCH + std::time::Duration::from_secs(END_OF_9999);
        set_now(far);
        let mut out = Vec::new();
        write_date(&mut out);
        assert!(out.is_empty(), "{out:?}");
        set_now(far - std::time::Duration::from_secs(1));
        write_date(&mut out);
        assert_eq!(out, b"date: Fri, 31 Dec 9999 23:59:59 GMT\r\n");
        clear();
    }
}
