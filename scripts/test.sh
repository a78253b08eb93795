#!/usr/bin/env bash
# The project's whole test suite, as run by CI (.ci/run) and by developers:
#   ./scripts/test.sh
# Installs what it needs (scripts/deps.sh), then runs formatting, lints, unit/integration
# tests, the golden-file checks, the codegen corpus, the protobuf conformance runner, the
# Connect conformance runner (server mode on both drivers, client mode), a one-minute soak
# and short fuzz runs.
# Exits non-zero on the first failure.
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

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --quiet

step "tests"
cargo test --workspace --all-features --quiet

step "codegen corpus (googleapis and adversarial protos, both front doors, zero warnings, round trips)"
CORPUS_SKIP_DEPS=1 ./scripts/codegen-corpus.sh

step "the blocking client builds without monoio (no async runtime in its dependency tree)"
cargo build --quiet -p connect-engine --no-default-features --features blocking,gzip
if cargo tree -p connect-engine --no-default-features --features blocking,gzip -e normal,build \
    | grep -E 'monoio|io-uring|tokio'; then
  echo "connect-engine with only the blocking feature pulls in an async runtime" >&2
  exit 1
fi

step "protobuf conformance (TestAllTypesProto3, binary + JSON, --enforce_recommended)"
./scripts/protobuf-conformance.sh

step "Connect conformance, server mode, io_uring"
./scripts/connect-conformance.sh server io_uring
step "Connect conformance, server mode, epoll"
./scripts/connect-conformance.sh server epoll
step "Connect conformance, client mode (async client)"
./scripts/connect-conformance.sh client auto
step "Connect conformance, client mode (blocking client)"
./scripts/connect-conformance.sh client blocking

step "soak, 1 minute (RSS and descriptors stay flat under mixed load and connection churn)"
./scripts/soak.sh 1

step "fuzz smoke runs"
./scripts/fuzz-smoke.sh "${FUZZ_SECONDS:-15}"

step "all tests passed"
