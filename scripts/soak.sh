#!/usr/bin/env bash
# Soak test (PERF.md, "Soak"): the Eliza server under a mix of unary, streaming, erroring and
# connect/disconnect load for MINUTES (default 1), failing if its RSS or open descriptors keep
# growing, or on any unexpected error (benches/e2e/soak.py documents the mix and the checks):
#   ./scripts/soak.sh [minutes=1] [soak.py options, e.g. --driver epoll]
# Builds the release binaries first.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-1}
shift || true
cargo build --release -q -p eliza -p connect-load
exec python3 benches/e2e/soak.py --minutes "$minutes" \
  --bin-dir "${CARGO_TARGET_DIR:-target}/release" "$@"
