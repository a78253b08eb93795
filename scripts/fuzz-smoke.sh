#!/usr/bin/env bash
# Runs every cargo-fuzz target for a few seconds (default 15). cargo-fuzz needs nightly
# flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
#
# Each run reads two corpus directories: fuzz/corpus/<target> (git-ignored, where libFuzzer
# writes what it finds) and fuzz/seeds/<target> (the in-tree seeds, which libFuzzer only
# reads: new inputs go to the first directory). Every target must have seeds.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-15}
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O 2>&1 | tail -n 3
for target in $(cargo fuzz list); do
  echo "--- fuzz $target (${secs}s)"
  if ! compgen -G "seeds/$target/*" >/dev/null; then
    echo "fuzz target $target has no seeds in fuzz/seeds/$target (see fuzz/seeds/generate.py)"; exit 1
  fi
  mkdir -p "corpus/$target"
  rm -rf "artifacts/$target"
  cargo fuzz run -O "$target" "corpus/$target" "seeds/$target" -- -max_total_time="$secs" -rss_limit_mb=2048 2>&1 | grep -E "^(Done|#[0-9]+ +DONE)|ERROR|panicked|SUMMARY" || true
  # libFuzzer leaves crash-* files under artifacts/ on failure.
  if compgen -G "artifacts/$target/crash-*" >/dev/null || compgen -G "artifacts/$target/leak-*" >/dev/null || compgen -G "artifacts/$target/timeout-*" >/dev/null; then
    echo "fuzz target $target found a failure:"; ls "artifacts/$target"; exit 1
  fi
done
