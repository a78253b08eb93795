#!/usr/bin/env bash
# A/B of two perf-server builds in one run (PERF.md, "Idle connections: memory"):
#   ./scripts/perf-ab.sh OLD_BINARY NEW_BINARY [ROUNDS] [SECONDS]
# e.g. build the older commit in a worktree with its own target dir
# (`git worktree add /tmp/old <rev> && CARGO_TARGET_DIR=/tmp/old-target cargo build --release
# -p connect-bench --bin perf-server` there) and compare with ./target/release/perf-server.
# Each server runs single-threaded pinned to core 0, wrk pinned to core 1, shapes as in
# perf-e2e.sh (64 connections, 16 pipelined ×16, 1 connection), both drivers, builds
# alternating; prints server CPU µs per request, median over the rounds. Needs wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 2 ]] || { echo "usage: $0 OLD_BINARY NEW_BINARY [ROUNDS] [SECONDS]" >&2; exit 2; }
old=$1 new=$2 rounds=${3:-5} secs=${4:-4}
port=19100 tick=$(getconf CLK_TCK) lua=benches/e2e
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run_one() { # name shape binary driver
  local name=$1 shape=$2 bin=$3 driver=$4
  taskset -c 0 "$bin" --driver "$driver" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  local script=$lua/unary.lua conns=64
  case $shape in c1) conns=1 ;; pipelined) script=$lua/pipelined.lua; conns=16 ;; esac
  local url="http://127.0.0.1:$port/connectengine.bench.echo.v1.EchoService/Echo"
  taskset -c 1 wrk -t1 -c"$conns" -d1s -s "$script" "$url" >/dev/null
  local c0 log c1 reqs
  c0=$(cpu_ticks $pid)
  log=$(taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s "$script" "$url")
  c1=$(cpu_ticks $pid)
  kill -TERM $pid; wait $pid 2>/dev/null || true
  reqs=$(echo "$log" | awk '/requests in/ {print $1}')
  if echo "$log" | grep -q Non-2xx; then echo "$name $shape $driver: non-2xx responses" >&2; exit 1; fi
  awk -v n="$name" -v s="$shape" -v d="$driver" -v c=$((c1 - c0)) -v t="$tick" -v r="$reqs" \
    'BEGIN { printf "%s %s %s %.3f\n", n, s, d, c / t / r * 1e6 }' | tee -a "$out"
  port=$((port + 1))
}
for _ in $(seq "$rounds"); do
  for shape in c64 pipelined c1; do
    for driver in epoll io_uring; do
      run_one old $shape "$old" $driver
      run_one new $shape "$new" $driver
    done
  done
done
echo
echo "server CPU µs per request, median of $rounds rounds of ${secs}s: shape driver old new new/old"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for shape in c64 pipelined c1; do
  for driver in epoll io_uring; do
    o=$(awk -v s=$shape -v d=$driver '$1 == "old" && $2 == s && $3 == d {print $4}' "$out" | median)
    n=$(awk -v s=$shape -v d=$driver '$1 == "new" && $2 == s && $3 == d {print $4}' "$out" | median)
    awk -v s=$shape -v d=$driver -v o="$o" -v n="$n" 'BEGIN { printf "%s %s %s %s %.2f\n", s, d, o, n, n / o }'
  done
done
