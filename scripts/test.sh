#!/usr/bin/env bash
# The project's whole test suite, as run by CI (.ci/run) and by developers:
#   ./scripts/test.sh
# Installs what it needs (scripts/deps.sh), then runs formatting, lints, docs, unit,
# integration and doc tests, the golden-file checks, the examples, the MSRV check, `cargo
# package` of the published crates, the codegen corpus, a fresh copy built and tested with
# plain cargo, a copy on the newest dependency versions (warnings as errors), the protobuf
# conformance runner, the Connect conformance runner (server mode on both drivers with
# http1-config.yaml: Connect and gRPC-web; client mode with connect-config.yaml), a
# one-minute soak and short fuzz runs. Exits non-zero on the
# first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "dependencies"
./scripts/deps.sh
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --quiet
fi

step "rustfmt"
cargo fmt --all --check

step "clippy (pedantic, all targets, all features)"
cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings

step "module import circles (scripts/module-cycles.py)"
python3 scripts/module-cycles.py engine/connect-wire/src engine/connect-engine/src

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --quiet

step "tests"
cargo test --workspace --all-features --quiet

step "examples (hello-server + hello-client, hello-tls)"
./scripts/examples.sh

msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' Cargo.toml)
[[ $msrv == *.*.* ]] || msrv=$msrv.0
step "MSRV: the published crates on Rust $msrv"
here=$(rustc --version | cut -d' ' -f2)
if [[ $here == "$msrv" ]]; then
  echo "the toolchain here is Rust $here, the MSRV: every step of this script checks it"
else
  # rustup fetches the toolchain if it is missing; a failure here fails the run.
  cargo "+$msrv" check --quiet --all-features -p connect-wire -p connect-codegen -p connect-engine
fi

step "cargo package: the published crates, each verified against the others as packaged"
allow_dirty=()
if [[ -n $(git status --porcelain) ]]; then
  echo "(uncommitted changes: packaging with --allow-dirty)"
  allow_dirty=(--allow-dirty)
fi
# Cargo extracts each packaged crate from its temporary registry into
# $CARGO_HOME/registry/src/<hash>/<name>-<version> and, when that folder exists from an
# earlier run at the same version, builds the old sources found there; and it never rebuilds
# a registry crate it built before. Either way the check would run against stale code. So
# our crates' extracted folders go, and the verification builds in a target dir of its own
# from which our crates' artifacts are cleaned first (its dependencies stay built).
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
verify=target/package-verify
for crate in connect-wire connect-codegen connect-engine; do
  rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$crate-$version"
  cargo clean --quiet --target-dir "$verify" -p "$crate"
done
cargo package --quiet --target-dir "$verify" -p connect-wire -p connect-codegen -p connect-engine "${allow_dirty[@]}"

step "codegen corpus (googleapis and adversarial protos, both front doors, zero warnings, round trips)"
CORPUS_SKIP_DEPS=1 ./scripts/codegen-corpus.sh

step "the blocking client builds without monoio (no async runtime in its dependency tree)"
cargo build --quiet -p connect-engine --no-default-features --features blocking,gzip
if cargo tree -p connect-engine --no-default-features --features blocking,gzip -e normal,build \
    | grep -E 'monoio|io-uring|tokio'; then
  echo "connect-engine with only the blocking feature pulls in an async runtime" >&2
  exit 1
fi

step "fresh clone: plain cargo build and test, without scripts/deps.sh's downloads"
./scripts/fresh-clone.sh

step "newest dependency versions (cargo update in a copy): builds without warnings, tests pass"
./scripts/newest-deps.sh

step "protobuf conformance (TestAllTypesProto3, binary + JSON, --enforce_recommended)"
./scripts/protobuf-conformance.sh

step "Connect conformance, server mode (http1-config: Connect + gRPC-web), io_uring"
./scripts/connect-conformance.sh server io_uring
step "Connect conformance, server mode (http1-config: Connect + gRPC-web), epoll"
./scripts/connect-conformance.sh server epoll
step "Connect conformance, client mode (connect-config), async client"
./scripts/connect-conformance.sh client auto
step "Connect conformance, client mode (connect-config), blocking client"
./scripts/connect-conformance.sh client blocking

step "soak, 1 minute (RSS and descriptors stay flat under mixed load and connection churn)"
./scripts/soak.sh 1

step "fuzz smoke runs"
./scripts/fuzz-smoke.sh "${FUZZ_SECONDS:-15}"

step "all tests passed"
