#!/usr/bin/env bash
# Cluster-mode media against a real S3-compatible server that validates SigV4 signatures:
# installs versitygw (once, cached in ~/go), starts it on a free loopback port with a fresh
# posix root and random root credentials, runs tests/integration (`npm run test:s3` in
# tests/e2e, which starts parley with media.s3.* pointing at it), and always stops it.
#
#   scripts/test-s3.sh [path/to/parley]     # default: $PARLEY_BIN or build/release/src/server/parley
#
# Needs: Go (to build versitygw the first time, ~4.5 min on 2 cores), curl, Node with
# `npm ci` done in tests/e2e, and a build with tests on (parley_sigv4_cli next to parley).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
parley_bin=${1:-${PARLEY_BIN:-$root/build/release/src/server/parley}}
parley_bin=$(realpath "$parley_bin")

# v1.7.0 is the version the project documents (shared/docs/COMPONENTS.md); pinned so every run
# tests against the same server.
version=v1.7.0
tools=${PARLEY_TOOLS_DIR:-$HOME/go/parley-tools}/versitygw-$version
vgw=$tools/versitygw
if [ ! -x "$vgw" ]; then
  command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
  echo "== installing versitygw $version into $tools (once)"
  mkdir -p "$tools"
  GOBIN="$tools" go install "github.com/versity/versitygw/cmd/versitygw@$version"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/parley-s3.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
access_key="parley$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
secret_key="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
mkdir -p "$work/data"
ROOT_ACCESS_KEY="$access_key" ROOT_SECRET_KEY="$secret_key" \
  "$vgw" --port "127.0.0.1:$port" --quiet posix "$work/data" >"$work/versitygw.log" 2>&1 &
pid=$!

# Up when it answers HTTP at all (an anonymous request gets 403); bounded wait, no fixed sleep.
deadline=$((SECONDS + 30))
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true)" != "000" ]; do
  if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
    echo "versitygw did not start:" >&2
    tail -n 30 "$work/versitygw.log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "== versitygw $version on 127.0.0.1:$port; media integration tests against $parley_bin"

cd "$root/tests/e2e"
if ! S3_ENDPOINT="http://127.0.0.1:$port" S3_ACCESS_KEY="$access_key" S3_SECRET_KEY="$secret_key" \
  S3_REGION=us-east-1 PARLEY_BIN="$parley_bin" npm run --silent test:s3; then
  echo "versitygw log (tail):" >&2
  tail -n 30 "$work/versitygw.log" >&2
  exit 1
fi
