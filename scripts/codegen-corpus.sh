#!/usr/bin/env bash
# The codegen corpus test: generated code must build silently for real-world and adversarial
# .proto files, through both front doors, and round-trip in binary and JSON.
#   ./scripts/codegen-corpus.sh
#
# Corpora:
#   - googleapis: every .proto of the PyPI wheel googleapis-common-protos 1.70.0 (unpacked
#     into .cache/pip by scripts/deps.sh; never copied into the repository);
#   - adversarial: codegen/corpus/adversarial/*.proto (ours): names, collisions, layouts, JSON
#     names and comments that broke the generator.
# Front doors: the build.rs of the scratch crate codegen/corpus calls Config::compile_protos;
# protoc 3.21.6 (from the grpcio-tools wheel) runs protoc-gen-connect-engine.
# The scratch crate must pass `cargo clippy --all-targets -- -D warnings -W clippy::pedantic`,
# `RUSTDOCFLAGS="-D warnings" cargo doc` and `cargo test` without printing a warning.
# codegen/corpus/refused/*.proto must be refused by protoc and by both front doors, with an
# error naming the file and the element (each file says which in a `// refused:` line).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
start=$(date +%s)

[[ ${CORPUS_SKIP_DEPS:-} == 1 ]] || ./scripts/deps.sh
GOOGLEAPIS=$ROOT/.cache/pip/googleapis-common-protos-1.70.0
GRPC_TOOLS=$ROOT/.cache/pip/grpcio-tools-1.49.1
ADVERSARIAL=$ROOT/codegen/corpus/adversarial
REFUSED=$ROOT/codegen/corpus/refused
OUT=$ROOT/target/codegen-corpus
rm -rf "$OUT" && mkdir -p "$OUT"

protoc() {
  PYTHONPATH=$GRPC_TOOLS python3 -c \
    'import sys; from grpc_tools import protoc; sys.exit(protoc.main(["protoc"] + sys.argv[1:]))' \
    -I"$GRPC_TOOLS/grpc_tools/_proto" "$@"
}
fail() { printf 'codegen corpus: FAILED: %s\n' "$*" >&2; exit 1; }

cargo build --quiet -p connect-codegen --bin protoc-gen-connect-engine --example compile-protos
PLUGIN=$ROOT/target/debug/protoc-gen-connect-engine
COMPILE_PROTOS=$ROOT/target/debug/examples/compile-protos

# Plugin front door and descriptor sets (for the round-trip tests).
for corpus in googleapis adversarial; do
  if [[ $corpus == googleapis ]]; then dir=$GOOGLEAPIS; else dir=$ADVERSARIAL; fi
  mapfile -t files < <(cd "$dir" && find . -name '*.proto' | sed 's|^\./||' | sort)
  printf 'codegen corpus: %s: %d files\n' "$corpus" "${#files[@]}"
  mkdir -p "$OUT/$corpus-plugin"
  (cd "$dir" && protoc -I. --plugin=protoc-gen-connect-engine="$PLUGIN" \
    --connect-engine_out="$OUT/$corpus-plugin" \
    --include_imports --include_source_info --descriptor_set_out="$OUT/$corpus.pb" "${files[@]}") \
    || fail "$corpus: protoc with the plugin"
done

# Refused files. `// refused: TEXT`: protoc refuses the file too, and the build.rs front
# door's error names the file and TEXT (the element). `// refused (protoc accepts): TEXT`:
# JSON names that no JSON could tell apart, which protoc 3.21 accepts: the errors of both
# front doors name the file and TEXT (both fields and the JSON name).
refused=0
for f in "$REFUSED"/*.proto; do
  name=$(basename "$f")
  want=$(sed -n 's|^// refused: ||p' "$f")
  want_plugin=$(sed -n 's|^// refused (protoc accepts): ||p' "$f")
  [[ -n $want || -n $want_plugin ]] || fail "$name has no '// refused' line"
  mkdir -p "$OUT/refused"
  if err=$(cd "$REFUSED" && protoc -I. --plugin=protoc-gen-connect-engine="$PLUGIN" \
      --connect-engine_out="$OUT/refused" "$name" 2>&1); then
    fail "$name: accepted by protoc and the plugin"
  fi
  if [[ -n $want_plugin ]]; then
    (cd "$REFUSED" && protoc -I. --descriptor_set_out=/dev/null "$name") >/dev/null 2>&1 \
      || fail "$name: protoc refuses it: mark it '// refused:'"
    [[ $err == *"$name"* && $err == *"$want_plugin"* ]] \
      || fail "$name: the plugin's error does not name '$name' and '$want_plugin': $err"
    want=$want_plugin
  fi
  err=$("$COMPILE_PROTOS" "$OUT/refused" "$REFUSED" "$name" 2>&1 >/dev/null) \
    && fail "$name: the build.rs front door accepted it"
  [[ $err == *"$name"* && $err == *"$want"* ]] \
    || fail "$name: the build.rs front door's error does not name '$name' and '$want': $err"
  refused=$((refused + 1))
done
printf 'codegen corpus: %d refused files refused with the expected errors\n' "$refused"

# The scratch crate, built like a user's crate: offline, with the workspace's lock file.
cd "$ROOT/codegen/corpus"
cp "$ROOT/Cargo.lock" Cargo.lock
export CORPUS_GOOGLEAPIS=$GOOGLEAPIS CORPUS_OUT=$OUT CARGO_TARGET_DIR=$ROOT/target
check_silent() {
  local log=$OUT/$1.log; shift
  "$@" >"$log" 2>&1 || { cat "$log"; fail "$*"; }
  if grep -E '^(warning|error)(\[|:)' "$log"; then cat "$log"; fail "$* printed warnings"; fi
}
cargo fmt --check || fail "the scratch crate is not formatted (cargo fmt --manifest-path codegen/corpus/Cargo.toml)"
check_silent clippy cargo clippy --offline --all-targets -- -D warnings -W clippy::pedantic
RUSTDOCFLAGS="-D warnings" check_silent doc cargo doc --offline --no-deps
check_silent test cargo test --offline
grep -E '^test result:' "$OUT/test.log"
printf 'codegen corpus: passed in %ds\n' $(($(date +%s) - start))
