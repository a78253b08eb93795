#!/usr/bin/env bash
# Runs the official Connect conformance runner (connectconformance v1.0.5) against our
# server or client:
#   ./scripts/connect-conformance.sh server|client io_uring|epoll|auto|blocking [runner flags...]
# (`blocking`, client mode only: every case on the blocking client.) The server runs
# conformance/http1-config.yaml (HTTP/1.1, Connect and gRPC-web, six compressions, TLS with
# client certificates: 4,044 cases; it contains every case of connect-config.yaml); the
# clients, which speak only Connect so far, conformance/connect-config.yaml (1,612 cases).
# CONFORMANCE_CONFIG=path overrides the choice.
# e.g. `... server epoll -v --run 'Basic/**'`. Requires scripts/deps.sh to have run.
# Prints the runner's summary; exits non-zero unless every case passed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

usage() { echo "usage: $0 server|client io_uring|epoll|auto|blocking [runner flags...]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
mode=$1 driver=$2
shift 2
case $mode in server | client) ;; *) usage ;; esac
extra=()
case $driver in
  io_uring | epoll | auto) ;;
  blocking) [[ $mode == client ]] || usage; extra=(--blocking); driver=auto ;;
  *) usage ;;
esac

runner=$(go env GOPATH)/bin/connectconformance
[[ -x $runner ]] || { echo "$runner not found: run scripts/deps.sh" >&2; exit 1; }

cargo build --release -q -p connect-conformance --bin "conformance-$mode"
binary=$ROOT/target/release/conformance-$mode

if [[ $mode == server ]]; then config=conformance/http1-config.yaml; else config=conformance/connect-config.yaml; fi
config=${CONFORMANCE_CONFIG:-$config}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "connectconformance --mode $mode --conf $config, driver $driver ${extra[*]}"
status=0
CONNECT_DRIVER=$driver "$runner" --mode "$mode" --conf "$config" "$@" -- "$binary" "${extra[@]}" \
  >"$out/log.txt" 2>&1 || status=$?
# Failures (and -v output) first, then the summary lines.
grep -vE '^(Total cases:|[0-9]+ passed, [0-9]+ failed)' "$out/log.txt" | tail -n 200 || true
grep -E '^(Total cases:|[0-9]+ passed, [0-9]+ failed)' "$out/log.txt" || true
if [[ $status -ne 0 ]] || ! grep -qE '^[0-9]+ passed, 0 failed' "$out/log.txt"; then
  echo "Connect conformance ($driver): FAILED (runner exit status $status)" >&2
  exit 1
fi
