#!/usr/bin/env bash
# A/B of two client-bench builds in one run (PERF.md, "Clients"):
#   ./scripts/perf-clients-ab.sh OLD_CLIENT_BENCH NEW_CLIENT_BENCH [CALLS=100000] [ROUNDS=5]
# e.g. build the older commit in a worktree with its own target dir (`git worktree add
# /tmp/old <rev> && cd /tmp/old && cargo build --release -p connect-bench --bin
# client-bench`) and compare with ./target/release/client-bench. One perf-server (this
# tree's, single-threaded, epoll) pinned to core 0; each client pinned to core 1 makes CALLS
# unary Echo calls at 1 and at 16 in flight, as the async client on each driver and as the
# blocking client, old and new alternating within each round. Prints the median CPU µs per
# call (user + sys, as each client reports it) and new ÷ old.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 2 ]] || { echo "usage: $0 OLD_CLIENT_BENCH NEW_CLIENT_BENCH [CALLS] [ROUNDS]" >&2; exit 2; }
old=$1 new=$2 calls=${3:-100000} rounds=${4:-5}
cargo build --release -q -p connect-bench --bin perf-server
port=18430
out=$(mktemp)
trap 'kill $server 2>/dev/null || true; rm -f "$out"' EXIT
taskset -c 0 target/release/perf-server --addr "127.0.0.1:$port" --threads 1 --driver epoll >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

run() { # build kind conc binary flags...
  local build=$1 kind=$2 conc=$3 bin=$4; shift 4
  local line
  line=$(taskset -c 1 "$bin" "$@" --url "http://127.0.0.1:$port" --calls "$calls" --concurrency "$conc")
  echo "$line" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["errors"]==0, d; print("%.3f" % ((d["user_s"]+d["sys_s"])/d["calls"]*1e6))' |
    sed "s/^/$kind c=$conc $build /" >>"$out"
}

for _ in $(seq "$rounds"); do
  for conc in 1 16; do
    for build in old new; do
      bin=$old
      [[ $build == new ]] && bin=$new
      run "$build" async-epoll "$conc" "$bin" --driver epoll
      run "$build" async-io_uring "$conc" "$bin" --driver io_uring
      run "$build" blocking "$conc" "$bin" --blocking
    done
  done
done

python3 - "$out" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    kind, conc, build, us = line.split()
    rows.setdefault((kind, conc), {}).setdefault(build, []).append(float(us))
print("| client | in flight | old µs/call | new µs/call | new ÷ old |")
print("|---|---:|---:|---:|---:|")
for (kind, conc), b in sorted(rows.items()):
    o, n = statistics.median(b["old"]), statistics.median(b["new"])
    print(f"| {kind} | {conc[2:]} | {o:.2f} | {n:.2f} | {n / o:.3f} |")
EOF
