//! Whether a server connection carries another request: one decision, made in one place.
//!
//! A connection starts each request [`KeepAlive::Open`] unless the request itself ends it
//! ([`KeepAlive::for_request`]); anything that makes the connection unfit for another
//! request [`close`](KeepAlive::close)s it with a [`CloseReason`], and the first reason
//! stands. The server reads the decision when it renders the response head (`connection:
//! close`) and once the response is written (close or read the next request).

/// Why a connection closes after its current response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The client asked (`connection: close`, or HTTP/1.0 without `keep-alive`).
    ClientAsked,
    /// The server is shutting down.
    ShuttingDown,
    /// The request was refused while its client waited for `100 Continue`: its body never
    /// comes, so the connection cannot be read on.
    RefusedBeforeBody,
    /// The response has no framing of its own: its end is the close (a stream to an HTTP/1.0
    /// client).
    UnframedResponse,
    /// A read was cut off (deadline, stall, end of stream): where the next request starts is
    /// lost.
    ReadCut,
    /// A write was cut off or failed: the response is incomplete.
    WriteCut,
    /// The request body is left unread: too large, or more than the server drains.
    BodyUnread,
    /// The request body is malformed (its framing cannot be followed).
    BadBody,
}

/// Whether the connection carries another request after the current one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeepAlive {
    /// It may (once the response is written and the request body drained).
    #[default]
    Open,
    /// It closes after the current response, for this reason.
    Closing(CloseReason),
}

impl KeepAlive {
    /// The decision a request starts with: closing when its head asks for it
    /// (`head_keep_alive` false) or the server is shutting down.
    #[must_use]
    pub fn for_request(head_keep_alive: bool, shutting_down: bool) -> Self {
        if !head_keep_alive {
            KeepAlive::Closing(CloseReason::ClientAsked)
        } else if shutting_down {
            KeepAlive::Closing(CloseReason::ShuttingDown)
        } else {
            KeepAlive::Open
        }
    }

    /// The connection closes after this response (the first reason given stands).
    pub fn close(&mut self, why: CloseReason) {
        if *self == KeepAlive::Open {
            *self = KeepAlive::Closing(why);
        }
    }

    /// Whether the connection closes after this response.
    #[must_use]
    pub fn is_closing(self) -> bool {
        matches!(self, KeepAlive::Closing(_))
    }

    /// Why the connection closes, if it does.
    #[must_use]
    pub fn reason(self) -> Option<CloseReason> {
        match self {
            KeepAlive::Open => None,
            KeepAlive::Closing(why) => Some(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_reason_stands() {
        let mut ka = KeepAlive::for_request(true, false);
        assert_eq!(ka, KeepAlive::Open);
        assert!(!ka.is_closing());
        ka.close(CloseReason::BodyUnread);
        ka.close(CloseReason::WriteCut);
        assert_eq!(ka.reason(), Some(CloseReason::BodyUnread));
        assert!(ka.is_closing());
    }

    #[test]
    fn requests_start_closing_when_asked_or_shutting_down() {
        assert_eq!(
            KeepAlive::for_request(false, true).reason(),
            Some(CloseReason::ClientAsked)
        );
        assert_eq!(
            KeepAlive::for_request(true, true).reason(),
            Some(CloseReason::ShuttingDown)
        );
    }
}
