"""RSS per idle keep-alive connection (PERF.md, "Idle connections").

usage: python3 benches/e2e/idle_connections.py PORT COUNT SERVER_PID
Opens COUNT connections to a running perf-server, sends one unary request on each, reads the
response, leaves them idle, and reports the server's RSS growth per connection.
"""
import socket, sys, time, os
port = int(sys.argv[1]); n = int(sys.argv[2]); pid = int(sys.argv[3])
def rss():
    for l in open(f"/proc/{pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1])
body = b"\n\x0chello, world"
req = b"POST /connectengine.bench.echo.v1.EchoService/Echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/proto\r\ncontent-length: 14\r\n\r\n" + body
base = rss()
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    socks.append(s)
for s in socks:
    data = b""
    while not data.endswith(b"hello, world"):
        data += s.recv(4096)
time.sleep(1)
after = rss()
print(f"{n} idle connections: RSS {base} KiB -> {after} KiB, {(after-base)*1024/n:.0f} bytes per connection")
