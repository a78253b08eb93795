//! The testee for the official protobuf conformance runner: see `harness.rs`. When the
//! protobuf conformance protos were not found (see `build.rs`), a stub that says what is
//! missing.

#[cfg(protobuf_conformance)]
mod harness;

#[cfg(protobuf_conformance)]
fn main() -> std::io::Result<()> {
    harness::main()
}

#[cfg(not(protobuf_conformance))]
fn main() -> std::process::ExitCode {
    connect_conformance::missing_protos("protobuf-testee", env!("PROTOBUF_CONFORMANCE_MISSING"))
}
