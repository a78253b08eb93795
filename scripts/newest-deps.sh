#!/usr/bin/env bash
# The workspace on the newest dependency versions its manifests allow, warnings as errors:
#   ./scripts/newest-deps.sh
# A user who adds connect-engine today gets what `cargo update` resolves, not our lock
# file's versions: a deprecation in a new release of a dependency (rustls deprecating its
# ring provider, say) shows up in their build. This copies the repository as git has it
# (tracked and unignored files) to target/newest-deps/src, runs `cargo update` there, then
# builds every target of every crate with all features and fails on any warning in our own
# crates (dependencies' warnings are capped by cargo), and runs the published crates' tests.
# It shares the workspace's target directory: dependencies whose version did not change are
# not built again.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$PWD/target/newest-deps
src=$work/src

rm -rf "$src"
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do
    if [[ -e $f || -L $f ]]; then printf '%s\0' "$f"; fi
  done |
  tar --null -T - -c | tar -x -C "$src"
# The conformance harnesses read the suites' protos from the caches scripts/deps.sh fills.
[[ -e .cache ]] && ln -s "$PWD/.cache" "$src/.cache"

export CARGO_TARGET_DIR=$PWD/target
cd "$src"
cargo update --quiet
versions() { awk '/^name = /{n=$3} /^version = /{print n, $3}' "$1" | tr -d '"' | sort; }
echo "newest versions: $(grep -c '^name = ' Cargo.lock) packages; newer than the lock file's:"
comm -13 <(versions "$OLDPWD/Cargo.lock") <(versions Cargo.lock) | sed 's/^/  /' | paste -sd' ' | fold -s -w 100

log=$work/build.log
if ! cargo build --workspace --all-targets --all-features --message-format short >"$log" 2>&1; then
  tail -n 60 "$log" >&2
  echo "newest-deps: the build failed (log: $log)" >&2
  exit 1
fi
if grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error)|^(warning|error)(\[|:)' "$log" \
    | grep -vE '^warning: connect-conformance@|generated [0-9]+ warnings?'; then
  echo "newest-deps: warnings with the newest dependency versions (log: $log)" >&2
  exit 1
fi
tests=$work/test.log
if ! cargo test --quiet --all-features -p connect-wire -p connect-codegen -p connect-engine \
    >"$tests" 2>&1; then
  tail -n 80 "$tests" >&2
  echo "newest-deps: tests failed (log: $tests)" >&2
  exit 1
fi
echo "newest-deps: no warnings; $(grep -c '^test result: ok' "$tests") test binaries passed"
