"""Soak test (PERF.md, "Soak"; run through scripts/soak.sh, which builds the binaries).

usage: python3 benches/e2e/soak.py --minutes M [--bin-dir target/release] [--driver auto]
           [--threads N] [--sample-every S] [--table-every S]

Starts `eliza serve` on a free port and, for M minutes, loads it with a mix of calls at once:
  * connect-load runs (one process each, closed or open loop, the whole time): unary Say over
    proto, JSON + gzip, GET; server-streaming Introduce over proto and JSON + gzip; bidi
    (half-duplex) Converse over proto and JSON + br;
  * connect-load runs that must end in errors, each with the codes it may give: a 1 ms
    deadline on long Converse calls (deadline_exceeded), a method the server lacks
    (unimplemented), a 5 MiB message plain, gzip-compressed and as a stream request
    (resource_exhausted);
  * short connect-load runs back to back (-n 200: a new process and new connections each);
  * connection churn from this script: a few hundred sockets held open in partial states
    (nothing sent, half a head, head and half a body, idle after a call) for 0.2-5 s each,
    and workers that connect and close at once, send half a head or half a body and close,
    send a request and reset, pipeline, or send malformed requests and check the answers.

Every S seconds it samples the server's RSS (/proc/PID/status VmRSS), its open file
descriptors (/proc/PID/fd) and its CPU use. It fails (exit 1) when:
  * RSS or descriptors keep growing: after a warm-up (the first 15 % of the run, at least
    20 s), the samples are cut into thirds and the largest of the last third may exceed the
    largest of the middle third by at most 20 % + 16 MiB (RSS) or 25 % + 64 (descriptors).
    RSS rises in steps for the first minutes before it levels off (PERF.md, "Soak"), so a
    short run catches only a fast leak; the 30-minute run is the real check;
  * descriptors do not return to the idle count (+2) within 20 s after the load stops;
  * a run that must succeed reports any error, or an expected-error run reports a code it may
    not give (or never gives the code it exists for);
  * a checked churn request gets a wrong answer, or a connection is refused;
  * the server logs a panic or an error, dies, or does not exit cleanly within 10 s of SIGTERM.
"""
import argparse
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ELIZA_PROTO = os.path.join(ROOT, "proto/connectrpc/eliza/v1/eliza.proto")
SVC = "connectrpc.eliza.v1.ElizaService"

# A schema naming a method the server does not have (same service, one unknown method).
MISSING_PROTO = """syntax = "proto3";
package connectrpc.eliza.v1;
service ElizaService { rpc Missing(SayRequest) returns (SayResponse) {} }
message SayRequest { string sentence = 1; }
message SayResponse { string sentence = 1; }
"""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=1.0)
    p.add_argument("--bin-dir", default=os.path.join(ROOT, "target/release"))
    p.add_argument("--driver", default="auto", choices=["auto", "io_uring", "epoll"])
    p.add_argument("--threads", type=int, default=None, help="server threads (default: cores)")
    p.add_argument("--sample-every", type=float, default=None,
                   help="seconds between samples (default 2 up to 5 minutes, else 5)")
    p.add_argument("--table-every", type=float, default=None,
                   help="seconds between rows of the final table (default: ~15 rows)")
    p.add_argument("--hold", type=int, default=200, help="sockets held open by the churn")
    return p.parse_args()


# ---------------------------------------------------------------- the server, from outside

class Proc:
    """/proc readings of one process."""

    def __init__(self, pid):
        self.pid = pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def rss_kib(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def fds(self):
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def cpu_s(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime


def start_server(args, log_path):
    cmd = [os.path.join(args.bin_dir, "eliza"), "serve", "--addr", "127.0.0.1:0",
           "--driver", args.driver]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=log)
    deadline = time.time() + 30
    while time.time() < deadline:
        with open(log_path) as f:
            for line in f:
                if "listening on http://" in line:
                    port = int(line.rsplit(":", 1)[1])
                    return proc, port
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    sys.exit(f"soak: the server did not start; log:\n{open(log_path).read()}")


# ---------------------------------------------------------------- connect-load runs

def load_jobs(tmp):
    """(name, connect-load arguments, expectation). Expectation: None = no errors at all, or
    (codes it may give, code it must give at least once, whether calls may succeed)."""
    conv20 = os.path.join(tmp, "converse20.json")
    conv500 = os.path.join(tmp, "converse500.json")
    big_say = os.path.join(tmp, "big_say.json")
    big_intro = os.path.join(tmp, "big_introduce.json")
    missing = os.path.join(tmp, "missing.proto")
    with open(conv20, "w") as f:
        json.dump([{"sentence": f"I feel tired {i}"} for i in range(20)], f)
    with open(conv500, "w") as f:
        json.dump([{"sentence": f"I need a break {i}"} for i in range(500)], f)
    with open(big_say, "w") as f:
        json.dump({"sentence": "a" * (5 << 20)}, f)  # over the 4 MiB message limit
    with open(big_intro, "w") as f:
        json.dump({"name": "b" * (5 << 20)}, f)
    with open(missing, "w") as f:
        f.write(MISSING_PROTO)
    eliza = ["--proto", ELIZA_PROTO, "--import-path", os.path.join(ROOT, "proto")]
    say, intro, conv = f"{SVC}/Say", f"{SVC}/Introduce", f"{SVC}/Converse"
    hi = '{"sentence": "I feel happy"}'
    ada = '{"name": "Ada"}'
    exhausted = ({"resource_exhausted"}, "resource_exhausted", False)
    return [
        ("say proto", eliza + ["--method", say, "--data", hi, "-c", "24"], None),
        ("say json gzip", eliza + ["--method", say, "--data", hi, "--codec", "json",
                                   "--compress", "gzip", "-c", "12"], None),
        ("say GET json", eliza + ["--method", say, "--data", hi, "--get", "--codec", "json",
                                  "-c", "8"], None),
        ("say proto zstd", eliza + ["--method", say, "--data", hi, "--compress", "zstd",
                                    "-c", "4"], None),
        ("introduce proto", eliza + ["--method", intro, "--data", ada, "-c", "12"], None),
        ("introduce json gzip", eliza + ["--method", intro, "--data", ada, "--codec", "json",
                                         "--compress", "gzip", "-c", "8"], None),
        ("converse proto", eliza + ["--method", conv, "--data-file", conv20, "-c", "8"], None),
        ("converse json br", eliza + ["--method", conv, "--data-file", conv20, "--codec",
                                      "json", "--compress", "br", "-c", "4"], None),
        # The server's deadline is the client's rounded down to whole milliseconds, so it can
        # pass first and cut a response write: the server then closes the connection and the
        # client (whose own deadline has not passed yet) sees it end early or, when nothing
        # of the response went out yet, end without one (ALLOWED_MESSAGES).
        ("converse 1 ms deadline", eliza + ["--method", conv, "--data-file", conv500,
                                            "--timeout-ms", "1", "-c", "4"],
         ({"deadline_exceeded", "unavailable"}, "deadline_exceeded", True)),
        ("unknown method", ["--proto", missing, "--method", f"{SVC}/Missing", "--data", hi,
                            "-c", "4", "--rate", "200"],
         ({"unimplemented"}, "unimplemented", False)),
        ("say 5 MiB", eliza + ["--method", say, "--data-file", big_say, "-c", "2",
                               "--rate", "5"], exhausted),
        ("say 5 MiB gzip", eliza + ["--method", say, "--data-file", big_say, "--compress",
                                    "gzip", "-c", "1", "--rate", "2"], exhausted),
        ("introduce 5 MiB", eliza + ["--method", intro, "--data-file", big_intro, "-c", "1",
                                     "--rate", "2"], exhausted),
    ]


# Messages a connect-load run may report for a code the expectation allows anyway, when the
# code is a catch-all: only these are accepted.
ALLOWED_MESSAGES = {"unavailable": {"connection closed before the response was complete",
                                     "the server closed the connection without a response"}}


def check_summary(name, summary, expect, want_calls=None):
    """Problems with one connect-load summary (a list of strings)."""
    problems = []
    codes = dict(summary["errors_by_code"])
    examples = dict(summary["error_examples"])
    if summary["calls"] == 0:
        problems.append(f"{name}: no calls")
    if want_calls is not None and summary["calls"] != want_calls:
        problems.append(f"{name}: {summary['calls']} calls, wanted {want_calls}")
    if expect is None:
        if summary["errors"]:
            problems.append(f"{name}: {summary['errors']} errors: {codes} e.g. {examples}")
        return problems
    allowed, required, may_succeed = expect
    for code, n in codes.items():
        if code not in allowed:
            problems.append(f"{name}: unexpected {code} x{n}: {examples.get(code)!r}")
        elif code in ALLOWED_MESSAGES and examples.get(code) not in ALLOWED_MESSAGES[code]:
            problems.append(f"{name}: unexpected {code} message {examples.get(code)!r}")
    if codes.get(required, 0) == 0:
        problems.append(f"{name}: never gave {required}")
    if not may_succeed and summary["errors"] != summary["calls"]:
        problems.append(f"{name}: {summary['calls'] - summary['errors']} calls succeeded")
    return problems


def connect_load(bin_dir, url, argv):
    return [os.path.join(bin_dir, "connect-load"), "--url", url, "--format", "json"] + argv


def short_runs(bin_dir, url, stop_at, results):
    """connect-load -n 200 back to back until stop_at: new connections every run."""
    argv = ["--proto", ELIZA_PROTO, "--import-path", os.path.join(ROOT, "proto"), "--method",
            f"{SVC}/Say", "--data", '{"sentence": "I am here"}', "--codec", "json", "-n", "200",
            "-c", "8"]
    while time.time() < stop_at - 2:
        p = subprocess.run(connect_load(bin_dir, url, argv), capture_output=True, text=True,
                           check=False)
        if p.returncode != 0:
            results["problems"].append(f"short run exited {p.returncode}: {p.stderr.strip()}")
            results["runs"] += 1
            continue
        s = json.loads(p.stdout)
        results["runs"] += 1
        results["calls"] += s["calls"]
        results["problems"] += check_summary("short run", s, None, want_calls=200)


# ---------------------------------------------------------------- connection churn

SAY_PATH = f"/{SVC}/Say"
SAY_BODY = b'{"sentence": "I feel fine"}'


def request(body=SAY_BODY, path=SAY_PATH, extra=b""):
    return (b"POST %s HTTP/1.1\r\nhost: soak\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n%s\r\n" % (path.encode(), len(body), extra)) + body


SAY = request()
SAY_HEAD_LEN = SAY.index(b"\r\n\r\n") + 4
GET_SAY = (b"GET %s?encoding=json&message=%%7B%%22sentence%%22%%3A%%22hi%%22%%7D HTTP/1.1\r\n"
           b"host: soak\r\n\r\n" % SAY_PATH.encode())


class Reader:
    """Reads HTTP/1.1 responses off a blocking socket."""

    def __init__(self, sock):
        self.s, self.buf = sock, b""

    def fill(self):
        data = self.s.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out

    def response(self):
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(b":", 1)
            headers[k.strip().lower().decode()] = v.strip().decode()
        if "content-length" in headers:
            body = self.take(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            body = b""
            while True:
                size = int(self.line().split(b";")[0], 16)
                if size == 0:
                    while self.line():
                        pass
                    break
                body += self.take(size)
                self.take(2)
        else:
            body = b""
        return status, headers, body


def expect_say(status, body, what):
    if status != 200 or b'"sentence"' not in body:
        raise AssertionError(f"{what}: {status} {body[:120]!r}")


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def churn_once(port, kind):
    """One short-lived connection of `kind`; raises on a wrong answer."""
    s = connect(port)
    try:
        r = Reader(s)
        if kind == "connect+close":
            pass
        elif kind == "half head":
            s.sendall(SAY[:random.randrange(1, SAY_HEAD_LEN - 1)])
        elif kind == "half body":
            s.sendall(SAY[:SAY_HEAD_LEN + random.randrange(1, len(SAY_BODY))])
        elif kind == "request+reset":
            s.sendall(SAY)
            reset(s)
            return
        elif kind == "request, no read":
            s.sendall(SAY)
        elif kind == "two calls":
            for _ in range(2):
                s.sendall(SAY)
                status, _, body = r.response()
                expect_say(status, body, kind)
        elif kind == "pipelined x4":
            s.sendall(SAY * 3 + GET_SAY)
            for _ in range(4):
                status, _, body = r.response()
                expect_say(status, body, kind)
        elif kind == "malformed head":
            s.sendall(b"GARBAGE / HTTP/1.1\r\nno colon here\r\n\r\n")
            status, _, _ = r.response()
            if status != 400:
                raise AssertionError(f"{kind}: {status}")
        elif kind == "bad JSON":
            s.sendall(request(b'{"sentence":'))
            status, _, body = r.response()
            if status != 400 or b"invalid_argument" not in body:
                raise AssertionError(f"{kind}: {status} {body[:120]!r}")
        elif kind == "unknown path":
            s.sendall(request(path="/no.such.Service/Method"))
            status, _, _ = r.response()
            if status != 404:
                raise AssertionError(f"{kind}: {status}")
        elif kind == "huge head":
            s.sendall(request(extra=b"x-big: " + b"y" * (128 << 10) + b"\r\n"))
            status, _, _ = r.response()
            if status != 431:
                raise AssertionError(f"{kind}: {status}")
        else:
            raise ValueError(kind)
    finally:
        s.close()


CHURN_KINDS = ["connect+close", "half head", "half body", "request+reset", "request, no read",
               "two calls", "pipelined x4", "malformed head", "bad JSON", "unknown path",
               "huge head"]


class Churn:
    def __init__(self, port, hold):
        self.port, self.hold = port, hold
        self.lock = threading.Lock()
        self.counts = defaultdict(int)
        self.failures = defaultdict(int)
        self.examples = []
        self.stop = threading.Event()
        self.total = 0

    def record(self, kind, error=None):
        with self.lock:
            self.counts[kind] += 1
            self.total += 1
            if error is not None:
                self.failures[kind] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{kind}: {error!r}")

    def worker(self):
        while not self.stop.is_set():
            kind = random.choice(CHURN_KINDS)
            try:
                churn_once(self.port, kind)
                self.record(kind)
            except Exception as e:  # every failure is reported with its kind
                self.record(kind, e)
            time.sleep(random.uniform(0, 0.04))

    def holder(self):
        """Keeps `hold` sockets open in partial states, each for 0.2-5 s."""
        held = []  # (close at, socket)
        states = ["nothing sent", "half head held", "half body held", "idle after a call"]
        while not self.stop.is_set():
            now = time.time()
            for at, s in [h for h in held if h[0] <= now]:
                s.close()
            held = [h for h in held if h[0] > now]
            while len(held) < self.hold and not self.stop.is_set():
                kind = random.choice(states)
                try:
                    s = connect(self.port)
                    if kind == "half head held":
                        s.sendall(SAY[:random.randrange(1, SAY_HEAD_LEN - 1)])
                    elif kind == "half body held":
                        s.sendall(SAY[:SAY_HEAD_LEN + 3])
                    elif kind == "idle after a call":
                        s.sendall(SAY)
                        status, _, body = Reader(s).response()
                        expect_say(status, body, kind)
                    held.append((now + random.uniform(0.2, 5.0), s))
                    self.record(kind)
                except Exception as e:
                    self.record(kind, e)
                    break
            time.sleep(0.01)
        for _, s in held:
            s.close()

    def start(self, workers=12):
        self.threads = [threading.Thread(target=self.worker, daemon=True) for _ in range(workers)]
        self.threads.append(threading.Thread(target=self.holder, daemon=True))
        for t in self.threads:
            t.start()

    def join(self):
        self.stop.set()
        for t in self.threads:
            t.join(60)


# ---------------------------------------------------------------- verdicts

def growth(samples, key, warmup_s):
    """(max of the middle third, max of the last third) after the warm-up, or None."""
    post = [s[key] for s in samples if s["t"] >= warmup_s]
    if len(post) < 6:
        return None
    third = len(post) // 3
    return max(post[third:2 * third]), max(post[2 * third:])


def slope_per_min(samples, key, warmup_s):
    pts = [(s["t"], s[key]) for s in samples if s["t"] >= warmup_s]
    if len(pts) < 2:
        return 0.0
    n = len(pts)
    mt = sum(t for t, _ in pts) / n
    mv = sum(v for _, v in pts) / n
    var = sum((t - mt) ** 2 for t, _ in pts)
    return 60 * sum((t - mt) * (v - mv) for t, v in pts) / var if var else 0.0


def row(s):
    return (f"{s['t']:>7.0f} {s['rss'] / 1024:>9.1f} {s['fds']:>6} {s['cpu']:>6.0f} "
            f"{s['load']:>6.2f} {s['churn']:>9} {s['phase']}")


HEADER = f"{'t (s)':>7} {'RSS MiB':>9} {'fds':>6} {'CPU %':>6} {'load1':>6} {'churn':>9} phase"


def main():
    args = parse_args()
    duration = args.minutes * 60
    every = args.sample_every or (2.0 if duration <= 300 else 5.0)
    table_every = args.table_every or max(every, duration / 15)
    warmup = max(20.0, 0.15 * duration)
    tmp = tempfile.mkdtemp(prefix="soak-")
    log_path = os.path.join(tmp, "server.log")
    server, port = start_server(args, log_path)
    url = f"http://127.0.0.1:{port}"
    proc = Proc(server.pid)
    problems = []
    print(f"soak: eliza pid {server.pid} on {url} (driver {args.driver}), {args.minutes:g} min, "
          f"sample every {every:g} s, warm-up {warmup:g} s, {os.cpu_count()} cpus, "
          f"load {os.getloadavg()[0]:.2f}; work dir {tmp}", flush=True)
    time.sleep(0.5)
    idle_fds, idle_rss = proc.fds(), proc.rss_kib()

    jobs = load_jobs(tmp)
    running = []
    for name, argv, expect in jobs:
        out = open(os.path.join(tmp, f"load-{len(running)}.json"), "w+")
        err = open(os.path.join(tmp, f"load-{len(running)}.err"), "w+")
        cmd = connect_load(args.bin_dir, url, argv + ["-z", f"{duration:.0f}s"])
        running.append((name, expect, subprocess.Popen(cmd, stdout=out, stderr=err), out, err))
    start = time.time()
    stop_at = start + duration
    shorts = {"runs": 0, "calls": 0, "problems": []}
    short_thread = threading.Thread(target=short_runs, args=(args.bin_dir, url, stop_at, shorts),
                                    daemon=True)
    short_thread.start()
    churn = Churn(port, args.hold)
    churn.start()

    samples = []
    last_cpu, last_t = proc.cpu_s(), start

    def sample(phase):
        nonlocal last_cpu, last_t
        now, cpu = time.time(), proc.cpu_s()
        s = {"t": now - start, "rss": proc.rss_kib(), "fds": proc.fds(),
             "cpu": 100 * (cpu - last_cpu) / max(now - last_t, 1e-3),
             "load": os.getloadavg()[0], "churn": churn.total, "phase": phase}
        last_cpu, last_t = cpu, now
        print(row(s), flush=True)
        return s

    print(f"idle before the load: RSS {idle_rss / 1024:.1f} MiB, {idle_fds} fds", flush=True)
    print(HEADER, flush=True)
    next_at = start + every
    while time.time() < stop_at:
        time.sleep(max(0.0, min(next_at, stop_at) - time.time()))
        if time.time() >= stop_at:
            break
        if server.poll() is not None:
            problems.append(f"the server exited with {server.returncode} during the load")
            break
        samples.append(sample("load"))
        next_at += every

    churn.join()
    for name, expect, p, out, err in running:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            problems.append(f"{name}: connect-load did not finish")
    short_thread.join(60)
    load_results = []
    for name, expect, p, out, err in running:
        out.seek(0)
        err.seek(0)
        text = out.read()
        if p.returncode != 0 or not text.strip():
            problems.append(f"{name}: connect-load exited {p.returncode}: {err.read().strip()}")
            continue
        s = json.loads(text)
        load_results.append((name, expect, s))
        problems += check_summary(name, s, expect)
    problems += shorts["problems"]

    # After the load: every connection closed, the descriptors must come back to idle.
    settle_end = time.time() + 20
    settled = None
    while server.poll() is None and time.time() < settle_end:
        time.sleep(1)
        s = sample("after")
        samples.append(s)
        if s["fds"] <= idle_fds + 2:
            settled = s
            break

    # Verdicts.
    rss = growth([s for s in samples if s["phase"] == "load"], "rss", warmup)
    fds = growth([s for s in samples if s["phase"] == "load"], "fds", warmup)
    if rss is None or fds is None:
        problems.append("too few samples after the warm-up to judge growth")
    else:
        if rss[1] > rss[0] * 1.20 + 16 * 1024:
            problems.append(f"RSS keeps growing: max {rss[0] / 1024:.1f} MiB in the middle third, "
                            f"{rss[1] / 1024:.1f} MiB in the last")
        if fds[1] > fds[0] * 1.25 + 64:
            problems.append(f"descriptors keep growing: max {fds[0]} in the middle third, "
                            f"{fds[1]} in the last")
    if settled is None:
        problems.append(f"descriptors did not return to idle ({idle_fds} + 2) within 20 s "
                        f"after the load: {samples[-1]['fds'] if samples else '?'}")
    for kind, n in sorted(churn.failures.items()):
        problems.append(f"churn {kind}: {n} of {churn.counts[kind]} failed")
    problems += [f"churn example: {e}" for e in churn.examples]

    # Shutdown: the idle server must exit cleanly at once.
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=10)
            if code != 0:
                problems.append(f"the server exited with {code} after SIGTERM")
        except subprocess.TimeoutExpired:
            server.kill()
            problems.append("the server did not exit within 10 s of SIGTERM")
    with open(log_path) as f:
        bad = [line.rstrip() for line in f if "panick" in line or "ERROR" in line]
    problems += [f"server log: {line}" for line in bad[:10]]

    # Report.
    print(f"\nSamples every ~{table_every:g} s (of {len(samples)}; RSS and fds of the server, "
          f"CPU % = its share of one core since the previous sample, load1 = machine load "
          f"average, churn = churn connections so far):")
    print(HEADER)
    shown, next_row = [], 0.0
    for s in samples:
        if s["t"] + every / 2 >= next_row or s is samples[-1] or s["phase"] != "load":
            shown.append(s)
            next_row = s["t"] + table_every
    for s in shown:
        print(row(s))
    if rss and fds:
        print(f"\nafter the {warmup:g} s warm-up: RSS max {rss[0] / 1024:.1f} MiB (middle third) "
              f"-> {rss[1] / 1024:.1f} MiB (last third), trend "
              f"{slope_per_min(samples[:-1], 'rss', warmup) / 1024:+.2f} MiB/min; fds max "
              f"{fds[0]} -> {fds[1]}; idle fds {idle_fds} before, "
              f"{settled['fds'] if settled else '?'} after")
    print(f"\n{'connect-load run':<24} {'calls':>10} {'calls/s':>9} {'errors':>9}  codes")
    total_calls = 0
    for name, expect, s in load_results:
        total_calls += s["calls"]
        codes = ", ".join(f"{c} {n}" for c, n in s["errors_by_code"]) or "-"
        print(f"{name:<24} {s['calls']:>10} {s['rate']:>9.0f} {s['errors']:>9}  {codes}")
    total_calls += shorts["calls"]
    print(f"{'short runs (-n 200)':<24} {shorts['calls']:>10} {'':>9} {'':>9}  "
          f"{shorts['runs']} runs")
    print(f"total calls: {total_calls}")
    print(f"\nchurn connections: {churn.total}")
    print("  " + ", ".join(f"{k} {n}" for k, n in sorted(churn.counts.items())))
    if problems:
        print("\nSOAK FAILED:")
        for p in problems:
            print(f"  - {p}")
        sys.exit(1)
    print("\nsoak passed")


if __name__ == "__main__":
    main()
