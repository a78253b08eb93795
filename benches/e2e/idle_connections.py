"""RSS per idle keep-alive connection (PERF.md, "Idle connections").

usage: python3 benches/e2e/idle_connections.py PORT COUNT SERVER_PID [--tls]
Opens COUNT connections to a running perf-server (with --tls: TLS connections, certificate
not verified), sends one unary request on each, reads the response, leaves them idle, and
reports the server's RSS growth per connection.
"""
import argparse, socket, ssl, time

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("count", type=int)
ap.add_argument("pid", type=int)
ap.add_argument("--tls", action="store_true")
a = ap.parse_args()


def rss():
    for line in open(f"/proc/{a.pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1])


body = b"\n\x0chello, world"
req = (b"POST /connectengine.bench.echo.v1.EchoService/Echo HTTP/1.1\r\nhost: x\r\n"
       b"content-type: application/proto\r\ncontent-length: 14\r\n\r\n" + body)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
base = rss()
socks = []
for i in range(a.count):
    s = socket.create_connection(("127.0.0.1", a.port))
    if a.tls:
        s = ctx.wrap_socket(s)
    s.sendall(req)
    socks.append(s)
for s in socks:
    data = b""
    while not data.endswith(b"hello, world"):
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("connection closed before the response")
        data += chunk
time.sleep(1)
after = rss()
print(f"{a.count} idle {'TLS ' if a.tls else ''}connections: RSS {base} KiB -> {after} KiB, "
      f"{(after - base) * 1024 / a.count:.0f} bytes per connection")
