"""Side by side (PERF.md, "Side by side"): our server, connect-go, connect-rust and a canned
ceiling, the same echo service, measured with wrk and connect-load.

usage: python3 benches/e2e/side_by_side.py SECONDS ROUNDS   (run by scripts/perf-side-by-side.sh)

Each server runs single-threaded pinned to core 0; the loader runs pinned to core 1. For
every row and server: start the server, warm up for 1 s, measure for SECONDS, record the
server process's CPU time (user + sys from /proc/PID/stat) and what the loader reports. The
servers alternate within each round; the table shows medians over ROUNDS.
"""
import json, os, statistics, subprocess, sys, time, socket, collections

SECS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
BIN = os.path.join(ROOT, "target/release")
PEERS = os.path.join(ROOT, ".cache/peers/bin")
TICK = os.sysconf("SC_CLK_TCK")
PROTO = os.path.join(ROOT, "benches/proto/echo.proto")
ECHO = "connectengine.bench.echo.v1.EchoService/Echo"
REPEAT = "connectengine.bench.echo.v1.EchoService/Repeat"
MIB_TEXT = os.path.join("/tmp", "side_by_side_1mib.json")

SERVERS = {
    "ours": [os.path.join(BIN, "perf-server"), "--threads", "1", "--driver", "epoll"],
    "ours-io_uring": [os.path.join(BIN, "perf-server"), "--threads", "1", "--driver", "io_uring"],
    "connect-go": [os.path.join(PEERS, "connect-go-server")],
    "connect-rust": [os.path.join(PEERS, "connect-rust-server")],
    "canned": [os.path.join(BIN, "canned-server"), "--driver", "epoll"],
}


def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def wait_port(port):
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on {port} did not start")


def loader(cmd):
    """Runs a loader pinned to core 1; returns (stdout, its CPU seconds)."""
    p = subprocess.Popen(["taskset", "-c", "1"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate()
    ru = p.returncode
    if ru != 0:
        raise RuntimeError(f"{cmd[0]} failed: {err.strip()[:400]}")
    return out


def load_cmd(port, secs, method, data, extra):
    return [os.path.join(BIN, "connect-load"), "--url", f"http://127.0.0.1:{port}", "--proto", PROTO,
            "--method", method, "--format", "json", "-z", f"{secs}s"] + (["--data", data] if data else []) + extra


def wrk_cmd(port, secs, script, conns):
    return ["wrk", "-t1", f"-c{conns}", f"-d{secs}s", "-s", os.path.join(ROOT, "benches/e2e", script),
            f"http://127.0.0.1:{port}/{ECHO}"]


def parse_wrk(out):
    for line in out.splitlines():
        if "requests in" in line:
            return int(line.split()[0])
        if "Non-2xx" in line:
            raise RuntimeError("wrk saw non-2xx responses: " + line)
    raise RuntimeError("no wrk summary")


def measure(server, port, row):
    """Starts `server`, runs `row`, returns a dict of figures."""
    env = dict(os.environ, GOMAXPROCS="1")
    proc = subprocess.Popen(["taskset", "-c", "0"] + SERVERS[server] + ["--addr", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_port(port)
        kind, args = row["kind"], row["args"]
        warm = args(port, 1)
        loader(warm)
        c0, t0 = cpu(proc.pid), time.time()
        if kind == "wrk":
            out = loader(args(port, SECS))
            calls, extra = parse_wrk(out), {}
        else:
            t_start = os.times()
            out = loader(args(port, SECS))
            t_end = os.times()
            d = json.loads(out)
            if d["errors"]:
                raise RuntimeError(f"{server} {row['name']}: {d['errors']} errors {d['errors_by_code']}")
            calls = d["calls"]
            extra = {"p50": d["latency_us"]["p50"], "p99": d["latency_us"]["p99"],
                     "messages": d["messages_received"], "rate": d["rate"],
                     "loader_cpu": (t_end.children_user - t_start.children_user) + (t_end.children_system - t_start.children_system)}
        c1, t1 = cpu(proc.pid), time.time()
        r = {"calls": calls, "cpu": c1 - c0, "wall": t1 - t0}
        r.update(extra)
        return r
    finally:
        proc.terminate()
        proc.wait()


def loader_cost(port):
    """The loaders' own CPU per call against our server: wrk and connect-load, same request."""
    proc = subprocess.Popen(["taskset", "-c", "0"] + SERVERS["ours"] + ["--addr", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        res = {}
        for name, cmd in [("wrk", wrk_cmd(port, SECS, "unary.lua", 64)),
                          ("connect-load", load_cmd(port, SECS, ECHO, '{"text":"hello, world"}', ["-c", "64"]))]:
            t0 = os.times()
            out = loader(cmd)
            t1 = os.times()
            used = (t1.children_user - t0.children_user) + (t1.children_system - t0.children_system)
            calls = parse_wrk(out) if name == "wrk" else json.loads(out)["calls"]
            res[name] = used / calls * 1e6
        return res
    finally:
        proc.terminate()
        proc.wait()


def main():
    with open(MIB_TEXT, "w") as f:
        json.dump({"text": "x" * (1 << 20)}, f)
    small = '{"text":"hello, world"}'
    rows = [
        {"name": "unary, 64 connections (wrk)", "kind": "wrk", "servers": ["ours", "ours-io_uring", "connect-go", "connect-rust", "canned"],
         "args": lambda port, s: wrk_cmd(port, s, "unary.lua", 64)},
        {"name": "unary, 16 connections x 16 pipelined (wrk)", "kind": "wrk", "servers": ["ours", "ours-io_uring", "connect-go", "connect-rust", "canned"],
         "args": lambda port, s: wrk_cmd(port, s, "pipelined.lua", 16)},
        {"name": "unary JSON, 64 in flight (connect-load)", "kind": "load", "servers": ["ours", "connect-go", "connect-rust"],
         "args": lambda port, s: load_cmd(port, s, ECHO, small, ["-c", "64", "--codec", "json"])},
        {"name": "unary gzip, 64 in flight (connect-load)", "kind": "load", "servers": ["ours", "connect-go", "connect-rust"],
         "args": lambda port, s: load_cmd(port, s, ECHO, small, ["-c", "64", "--compress", "gzip"])},
        {"name": "unary 1 MiB message, 4 in flight (connect-load)", "kind": "load", "servers": ["ours", "connect-go", "connect-rust"],
         "args": lambda port, s: [*load_cmd(port, s, ECHO, None, ["-c", "4"]), "--data-file", MIB_TEXT]},
        {"name": "server stream of 1,000 messages, 16 in flight (connect-load)", "kind": "load", "servers": ["ours", "connect-go", "connect-rust"],
         "args": lambda port, s: load_cmd(port, s, REPEAT, '{"text":"hello, world","count":1000}', ["-c", "16"])},
    ]
    results = collections.defaultdict(list)
    port = 18600
    for rnd in range(ROUNDS):
        for row in rows:
            for server in row["servers"]:
                port += 1
                r = measure(server, port, row)
                results[(row["name"], server)].append(r)
                print(f"round {rnd + 1} | {row['name']} | {server}: {r['calls']} calls, "
                      f"{r['cpu'] / max(r['calls'], 1) * 1e6:.2f} us CPU/call", file=sys.stderr, flush=True)
    # Latency at a fixed rate: half the slowest peer's maximum from the 64-connection row.
    top = {s: statistics.median(r["calls"] / r["wall"] for r in results[(rows[0]["name"], s)])
           for s in ["ours", "connect-go", "connect-rust"]}
    rate = int(min(top.values()) / 2)
    lat_row = {"name": f"unary at a fixed {rate}/s, open loop (connect-load)", "kind": "load",
               "servers": ["ours", "connect-go", "connect-rust"],
               "args": lambda port, s: load_cmd(port, s, ECHO, small, ["-c", "64", "--rate", str(rate)])}
    rows.append(lat_row)
    for rnd in range(ROUNDS):
        for server in lat_row["servers"]:
            port += 1
            results[(lat_row["name"], server)].append(measure(server, port, lat_row))
    port += 1
    costs = [loader_cost(port + i) for i in range(ROUNDS)]

    def med(name, server, f):
        return statistics.median(f(r) for r in results[(name, server)])

    print("| row | server | server CPU µs / call | calls/s | vs ours | p50 / p99 ms | messages/s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for row in rows:
        base = med(row["name"], "ours", lambda r: r["cpu"] / r["calls"])
        for server in row["servers"]:
            per = med(row["name"], server, lambda r: r["cpu"] / r["calls"])
            rate_s = med(row["name"], server, lambda r: r["calls"] / r["wall"])
            lat = ""
            if "p50" in results[(row["name"], server)][0]:
                lat = f"{med(row['name'], server, lambda r: r['p50']) / 1000:.2f} / {med(row['name'], server, lambda r: r['p99']) / 1000:.2f}"
            msgs = ""
            if "stream" in row["name"]:
                msgs = f"{med(row['name'], server, lambda r: r['messages'] / r['wall']):.0f}"
            print(f"| {row['name']} | {server} | {per * 1e6:.2f} | {rate_s:.0f} | {per / base:.2f} | {lat} | {msgs} |")
    print()
    print(f"Loader CPU µs per call against our server, 64 connections: "
          f"wrk {statistics.median(c['wrk'] for c in costs):.2f}, "
          f"connect-load {statistics.median(c['connect-load'] for c in costs):.2f}")


if __name__ == "__main__":
    main()
