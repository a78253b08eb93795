//! The server under test for the Connect conformance runner: see `harness.rs`. When
//! the Connect conformance protos were not found (see `build.rs`), a stub that says what is
//! missing.

#[cfg(connect_conformance)]
mod harness;

#[cfg(connect_conformance)]
fn main() -> std::process::ExitCode {
    harness::main()
}

#[cfg(not(connect_conformance))]
fn main() -> std::process::ExitCode {
    connect_conformance::missing_protos("conformance-server", env!("CONNECT_CONFORMANCE_MISSING"))
}
