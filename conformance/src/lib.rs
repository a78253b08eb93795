//! Generated code shared by the conformance harnesses and the codec tests, and the
//! Connect conformance service ([`connect_service`], built when the Connect conformance protos
//! were found; see `build.rs`).

include!(concat!(env!("OUT_DIR"), "/_include.rs"));

#[cfg(connect_conformance)]
pub mod connect_service;

/// What a harness binary built without its protos does: says why they are missing (`why`,
/// from the build script) and how to get them, and exits with status 2.
#[must_use]
pub fn missing_protos(binary: &str, why: &str) -> std::process::ExitCode {
    eprintln!(
        "{binary}: this build has no harness: {why}.\n\
         Run scripts/deps.sh (it installs the conformance suites and their protos), then build again."
    );
    std::process::ExitCode::from(2)
}
