#!/usr/bin/env bash
# Side by side (PERF.md, "Side by side"): our server, connect-go, connect-rust and a canned
# ceiling serving the same echo service (benches/proto/echo.proto), each single-threaded on
# core 0, loaded from core 1 with wrk and connect-load; medians of ROUNDS alternating runs.
#   ./scripts/perf-side-by-side.sh [seconds=5] [rounds=3]
# Needs wrk (apt-get install wrk); builds the peers with scripts/build-peers.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
cargo build --release -q -p connect-bench --bin perf-server --bin canned-server
cargo build --release -q -p connect-load
./scripts/build-peers.sh >/dev/null
exec python3 benches/e2e/side_by_side.py "${1:-5}" "${2:-3}"
