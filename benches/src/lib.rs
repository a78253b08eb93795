//! # connect-bench
//!
//! Criterion benchmarks of connect-engine's codecs against peers, on the messages of
//! `proto/bench.proto`:
//!
//! * [`connect`]: our generated code (connect-codegen, borrowed `Cow` fields);
//! * [`peer`]: prost for binary, with pbjson's serde impls for canonical proto3 JSON.
//!
//! [`fixtures`] builds equal messages for both and checks, before anything is timed, that
//! both sides decode each other's bytes to the same content. Run with
//! `cargo bench -p connect-bench` (see `PERF.md`, "Codecs").

/// Our generated code for `connectengine.bench.v1`.
pub mod connect {
    include!(concat!(env!("OUT_DIR"), "/connect/_include.rs"));
}

/// The peer: prost types for `connectengine.bench.v1` with pbjson's serde impls.
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod peer {
    include!(concat!(env!("OUT_DIR"), "/peer/connectengine.bench.v1.rs"));
    include!(concat!(
        env!("OUT_DIR"),
        "/peer/connectengine.bench.v1.serde.rs"
    ));
}

/// The end-to-end benchmark's echo service (`connectengine.bench.echo.v1`).
pub mod echo {
    include!(concat!(env!("OUT_DIR"), "/echo/_include.rs"));
    pub use connectengine::bench::echo::v1::*;
}

pub mod e2e;
pub mod fixtures;
