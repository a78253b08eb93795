"""Server memory during and after large half-duplex Converse calls (PERF.md, "Large streams").

usage: python3 benches/e2e/converse_memory.py PORT SERVER_PID [CALLS] [MIB] [empty|distinct]
Sends CALLS concurrent Converse calls (default 4) to a running `eliza serve`, each a body of
MIB MiB (default 16, just under the default 16 MiB body limit) of messages: empty ones (5-byte
envelopes, the default) or distinct short sentences (`my 123456`, each answered differently),
reads every response to its end, and prints the server's RSS before, at its peak while the
calls run (sampled every 10 ms), and 2 s after the last call finished.
"""
import socket, sys, threading, time

port, pid = int(sys.argv[1]), int(sys.argv[2])
calls = int(sys.argv[3]) if len(sys.argv) > 3 else 4
mib = int(sys.argv[4]) if len(sys.argv) > 4 else 16

def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])

kind = sys.argv[5] if len(sys.argv) > 5 else "empty"
if kind == "empty":
    n = (mib << 20) // 5 - 8  # stay under the body limit
    body = b"\x00\x00\x00\x00\x00" * n
else:
    parts, size, n = [], 0, 0
    while size < (mib << 20) - 64:
        text = b"my %d" % n
        msg = b"\x0a" + bytes([len(text)]) + text
        env = b"\x00" + len(msg).to_bytes(4, "big") + msg
        parts.append(env)
        size += len(env)
        n += 1
    body = b"".join(parts)
head = (b"POST /connectrpc.eliza.v1.ElizaService/Converse HTTP/1.1\r\nhost: x\r\n"
        b"content-type: application/connect+proto\r\ncontent-length: %d\r\n\r\n" % len(body))
results = []

def call():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(head + body)
    got = 0
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        got += len(chunk)
        if chunk.endswith(b"0\r\n\r\n"):
            break
    results.append(got)
    s.close()

base = rss()
peak = base
threads = [threading.Thread(target=call) for _ in range(calls)]
for t in threads:
    t.start()
while any(t.is_alive() for t in threads):
    peak = max(peak, rss())
    time.sleep(0.01)
time.sleep(2)
after = rss()
print(f"{calls} x {mib} MiB Converse ({n} {kind} messages each, {sum(results)//calls} response bytes each): "
      f"RSS before {base/1024:.0f} MiB, peak {peak/1024:.0f} MiB, 2 s after {after/1024:.0f} MiB")
