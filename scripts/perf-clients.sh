#!/usr/bin/env bash
# Client CPU per unary call, side by side (PERF.md, "Clients"):
#   ./scripts/perf-clients.sh [calls=100000] [rounds=3]
# One server (our perf-server, single-threaded, pinned to core 0); every client pinned to
# core 1 calls it with the same 12-byte message, at 1 and 16 calls in flight. Each client
# reports its own CPU time (user + sys) over the measured calls; we print CPU µs per call as
# medians over the rounds (clients alternate within each round) and the ratio to
# connect-rust's client. Builds the peers with scripts/build-peers.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-100000}
rounds=${2:-3}
cargo build --release -q -p connect-bench --bin perf-server --bin client-bench
./scripts/build-peers.sh >/dev/null
bin=target/release
peers=.cache/peers/bin
port=18420
out=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$out"' EXIT
taskset -c 0 "$bin/perf-server" --addr "127.0.0.1:$port" --threads 1 --driver epoll >/dev/null 2>&1 &
server=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
url=http://127.0.0.1:$port

run() { # name conc cmd...
  local name=$1 conc=$2; shift 2
  local line; line=$(taskset -c 1 "$@" --url "$url" --calls "$calls" --concurrency "$conc")
  local us; us=$(echo "$line" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["errors"]==0, d; n=d["calls"]; print("%.2f %.2f %.2f" % ((d["user_s"]+d["sys_s"])/n*1e6, d["user_s"]/n*1e6, d["sys_s"]/n*1e6))')
  echo "$name c=$conc $us" | tee -a "$out/results"
}

for round in $(seq "$rounds"); do
  for conc in 1 16; do
    run ours-async-epoll "$conc" "$bin/client-bench" --driver epoll
    run ours-async-io_uring "$conc" "$bin/client-bench" --driver io_uring
    run ours-blocking "$conc" "$bin/client-bench" --blocking
    run connect-rust "$conc" "$peers/connect-rust-client"
    GOMAXPROCS=1 run connect-go "$conc" "$peers/connect-go-client"
  done
done

echo
echo "client CPU µs per unary call: total, user, sys (medians of $rounds rounds; ratio = connect-rust total / client total)"
python3 - "$out/results" <<'PY'
import sys, statistics, collections
r = collections.defaultdict(list)
u = collections.defaultdict(list)
k = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, conc, us, user, sys_ = line.split()
    r[(name, conc)].append(float(us))
    u[(name, conc)].append(float(user))
    k[(name, conc)].append(float(sys_))
names = ["ours-async-epoll", "ours-async-io_uring", "ours-blocking", "connect-rust", "connect-go"]
print(f"{'':5} {'client':22} {'total':>9} {'user':>7} {'sys':>7}  ratio")
for conc in ["c=1", "c=16"]:
    base = statistics.median(r[("connect-rust", conc)])
    for n in names:
        m = statistics.median(r[(n, conc)])
        mu = statistics.median(u[(n, conc)])
        mk = statistics.median(k[(n, conc)])
        print(f"{conc:5} {n:22} {m:9.2f} {mu:7.2f} {mk:7.2f}  x{base / m:.2f}")
PY
