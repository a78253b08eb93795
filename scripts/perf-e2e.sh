#!/usr/bin/env bash
# End-to-end server cost, side by side (PERF.md, "End to end"):
#   ./scripts/perf-e2e.sh [seconds=10] [rounds=3]
# Each server runs single-threaded pinned to core 0; wrk runs pinned to core 1. For each
# server and load shape it records requests completed and the server process's CPU time
# (user + sys from /proc/<pid>/stat) during the measured window, and prints CPU µs per request
# as medians over the rounds, with ratios to the canned-response ceiling measured in the
# same run. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-3}
cargo build --release -q -p connect-bench --bin perf-server --bin canned-server
bin=target/release
port=18181
tick=$(getconf CLK_TCK)
out=$(mktemp -d)
lua=benches/e2e

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run_one() { # name cmd... ; appends "name shape reqs cpu_us_per_req" to $out/results
  local name=$1 shape=$2; shift 2
  taskset -c 0 "$@" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  local script=$lua/unary.lua conns=64
  case $shape in
    c1) conns=1 ;;
    c64) conns=64 ;;
    pipelined) script=$lua/pipelined.lua; conns=16 ;;
  esac
  taskset -c 1 wrk -t1 -c"$conns" -d2s -s "$script" "http://127.0.0.1:$port/connectengine.bench.echo.v1.EchoService/Echo" >/dev/null
  local c0; c0=$(cpu_ticks $pid)
  local log; log=$(taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" -s "$script" "http://127.0.0.1:$port/connectengine.bench.echo.v1.EchoService/Echo")
  local c1; c1=$(cpu_ticks $pid)
  kill -TERM $pid; wait $pid 2>/dev/null || true
  local reqs; reqs=$(echo "$log" | awk '/requests in/ {print $1}')
  local non2xx; non2xx=$(echo "$log" | awk '/Non-2xx/ {print $NF}')
  if [[ -n $non2xx ]]; then echo "$name $shape: $non2xx non-2xx responses" >&2; exit 1; fi
  local us; us=$(awk -v c=$((c1 - c0)) -v t="$tick" -v r="$reqs" 'BEGIN { printf "%.3f", c / t / r * 1e6 }')
  echo "$name $shape $reqs $us" | tee -a "$out/results"
  port=$((port + 1))
}

for round in $(seq "$rounds"); do
  for shape in c64 pipelined c1; do
    run_one canned "$shape" "$bin/canned-server"
    run_one connect-epoll "$shape" "$bin/perf-server" --driver epoll
    run_one connect-io_uring "$shape" "$bin/perf-server" --driver io_uring
    run_one connect-epoll+noop "$shape" "$bin/perf-server" --driver epoll --noop-interceptor
  done
done

echo
echo "server CPU µs per request (median of $rounds rounds, ${secs}s each); req/s; ratio to canned"
for shape in c64 pipelined c1; do
  base=$(awk -v s=$shape '$2 == s && $1 == "canned" {print $4}' "$out/results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  for name in canned connect-epoll connect-io_uring connect-epoll+noop; do
    med=$(awk -v s=$shape -v n=$name '$2 == s && $1 == n {print $4}' "$out/results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    rps=$(awk -v s=$shape -v n=$name -v d="$secs" '$2 == s && $1 == n {print $3 / d}' "$out/results" | sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]}')
    awk -v s=$shape -v n=$name -v m="$med" -v b="$base" -v r="$rps" 'BEGIN { printf "%-10s %-20s %8.3f µs  %8s req/s  x%.2f\n", s, n, m, r, m / b }'
  done
done
