//! Generated code of benches/proto/echo.proto and what the peer's two binaries share.

/// The generated messages (buffa) and service trait and client (connectrpc).
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    connectrpc::include_generated!();
}

pub use proto::connectengine::bench::echo::v1::*;
