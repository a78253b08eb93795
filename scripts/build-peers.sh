#!/usr/bin/env bash
# Builds the benchmark peers of benches/peers/ (PERF.md, "Side by side"): the EchoService of
# benches/proto/echo.proto served and called with connect-go and with connect-rust:
#   ./scripts/build-peers.sh
# Writes only under .cache/peers/: the code generators (gobin/), the generated code (gen/,
# echo.binpb), cargo's target dir (target/) and the four binaries (bin/):
#   connect-go-server connect-go-client connect-rust-server connect-rust-client
# Idempotent: the tools are installed once, and go and cargo rebuild only what changed.
# Needs go and cargo, and the Go module proxy and crates.io (or warm caches).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache=$root/.cache/peers
proto_dir=$root/benches/proto
proto=$proto_dir/echo.proto
peers=$root/benches/peers

# Tool versions, pinned.
buf_version=v1.75.0
protoc_gen_go_version=v1.36.10      # google.golang.org/protobuf, as in connect-go/go.mod
protoc_gen_connect_go_version=v1.19.1 # connectrpc.com/connect, as in connect-go/go.mod

export GOTOOLCHAIN=local
export GOFLAGS=-buildvcs=false
export GOBIN=$cache/gobin
export PATH=$GOBIN:$PATH
jobs=${PEERS_JOBS:-1}

mkdir -p "$cache/bin" "$GOBIN" "$cache/gen"
[[ -f $proto ]] || { echo "build-peers: $proto is missing" >&2; exit 1; }

# go_tool NAME MODULE_PATH@VERSION: installs a Go tool into $GOBIN unless that version is there.
go_tool() {
  local name=$1 pkg=$2 stamp="$GOBIN/.$1.version"
  if [[ -x $GOBIN/$name && -f $stamp && $(cat "$stamp") == "$pkg" ]]; then return; fi
  echo "build-peers: go install $pkg" >&2
  nice go install -p "$jobs" "$pkg"
  echo "$pkg" > "$stamp"
}
go_tool buf github.com/bufbuild/buf/cmd/buf@$buf_version
go_tool protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go@$protoc_gen_go_version
go_tool protoc-gen-connect-go connectrpc.com/connect/cmd/protoc-gen-connect-go@$protoc_gen_connect_go_version

# Descriptor set for connectrpc-build (which would otherwise need protoc). buf writes only when
# asked, so compare first to keep cargo's rerun-if-changed quiet when nothing changed.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
buf build "$proto_dir" --path "$proto" -o "$tmp/echo.binpb"
cmp -s "$tmp/echo.binpb" "$cache/echo.binpb" 2>/dev/null || cp "$tmp/echo.binpb" "$cache/echo.binpb"

# Go code: messages (protoc-gen-go) and service (protoc-gen-connect-go) as the module that
# connect-go/go.mod replaces connectengine.local/bench/peers/echov1 with.
gen_go=$cache/gen/go
buf generate "$proto_dir" --path "$proto" --template "$peers/connect-go/buf.gen.yaml" -o "$tmp/go"
cat > "$tmp/go/go.mod" <<EOF
module connectengine.local/bench/peers/echov1

go 1.24.0

require (
	connectrpc.com/connect $protoc_gen_connect_go_version
	google.golang.org/protobuf $protoc_gen_go_version
)
EOF
if ! diff -rq "$tmp/go" "$gen_go" >/dev/null 2>&1; then
  rm -rf "$gen_go"
  cp -r "$tmp/go" "$gen_go"
fi

echo "build-peers: building connect-go" >&2
(
  cd "$peers/connect-go"
  export GOMAXPROCS=$jobs
  nice go build -p "$jobs" -trimpath -o "$cache/bin/connect-go-server" ./cmd/server
  nice go build -p "$jobs" -trimpath -o "$cache/bin/connect-go-client" ./cmd/client
)

echo "build-peers: building connect-rust" >&2
export CARGO_TARGET_DIR=$cache/target
export ECHO_DESCRIPTOR_SET=$cache/echo.binpb
nice cargo build --release --locked -j "$jobs" --manifest-path "$peers/connect-rust/Cargo.toml" \
  --bin connect-rust-server --bin connect-rust-client
for b in connect-rust-server connect-rust-client; do
  cp -f "$CARGO_TARGET_DIR/release/$b" "$cache/bin/$b.tmp"
  mv -f "$cache/bin/$b.tmp" "$cache/bin/$b"
done

for b in connect-go-server connect-go-client connect-rust-server connect-rust-client; do
  [[ -x $cache/bin/$b ]] || { echo "build-peers: $cache/bin/$b was not built" >&2; exit 1; }
  echo "$cache/bin/$b"
done
