#!/usr/bin/env bash
# Runs every cargo-fuzz target for a few seconds (default 15). cargo-fuzz needs nightly
# flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-15}
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O 2>&1 | tail -n 3
for target in $(cargo fuzz list); do
  echo "--- fuzz $target (${secs}s)"
  rm -rf "artifacts/$target"
  cargo fuzz run -O "$target" -- -max_total_time="$secs" -rss_limit_mb=2048 2>&1 | grep -E "^(Done|#[0-9]+ +DONE)|ERROR|panicked|SUMMARY" || true
  # libFuzzer leaves crash-* files under artifacts/ on failure.
  if compgen -G "artifacts/$target/crash-*" >/dev/null || compgen -G "artifacts/$target/leak-*" >/dev/null || compgen -G "artifacts/$target/timeout-*" >/dev/null; then
    echo "fuzz target $target found a failure:"; ls "artifacts/$target"; exit 1
  fi
done
