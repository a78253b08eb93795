#!/usr/bin/env bash
# Runs the hello examples as a user would and checks what they print:
#   - hello-server on a free port in the background, hello-client against it, then SIGTERM
#     to the server, which must exit cleanly (graceful shutdown);
#   - hello-tls, both sides in one process over TLS with a certificate made at start.
# Builds with the flags of the test step (scripts/test.sh), so nothing is rebuilt there.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --workspace --all-features --examples
bin=target/debug/examples

out=$(mktemp -d)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$out"
}
trap cleanup EXIT
fail() { echo "examples: $*" >&2; exit 1; }

"$bin/hello-server" 127.0.0.1:0 >"$out/server.txt" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  grep -q '^listening on ' "$out/server.txt" && break
  kill -0 "$server_pid" 2>/dev/null || fail "hello-server exited: $(cat "$out/server.txt")"
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$out/server.txt")
[[ -n $url ]] || fail "hello-server did not say where it listens: $(cat "$out/server.txt")"

"$bin/hello-client" Ada "$url" >"$out/client.txt" || fail "hello-client failed: $(cat "$out/client.txt")"
diff -u - "$out/client.txt" <<'WANT' || fail "hello-client printed something else"
Hello, Ada!
Hello, Ada!
Bonjour, Ada!
Hallo, Ada!
invalid_argument: name is empty
WANT
echo "hello-server + hello-client: ok"

kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
[[ $status -eq 0 ]] || fail "hello-server exited with status $status after SIGTERM: $(cat "$out/server.txt")"
echo "hello-server shut down on SIGTERM: ok"

"$bin/hello-tls" >"$out/tls.txt" || fail "hello-tls failed: $(cat "$out/tls.txt")"
diff -u - "$out/tls.txt" <<'WANT' || fail "hello-tls printed something else"
blocking: Hello, TLS!
async: Hello, TLS!
WANT
echo "hello-tls: ok"
