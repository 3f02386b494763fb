#!/usr/bin/env bash
# Cluster-mode media against a real S3-compatible server that validates SigV4 signatures:
# scripts/s3.sh installs versitygw (once, cached in ~/go) and starts it on a free loopback port with
# a fresh posix root and random root credentials; this runs tests/integration (`npm run test:s3` in
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

work=$(mktemp -d "${TMPDIR:-/tmp}/parley-s3.XXXXXX")
cleanup() {
  "$root/scripts/s3.sh" stop "$work" || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The suite makes its own buckets; the one s3.sh makes is unused here.
endpoint=$("$root/scripts/s3.sh" start "$work")
echo "== versitygw on $endpoint; media integration tests against $parley_bin"

cd "$root/tests/e2e"
if ! S3_ENDPOINT="$endpoint" S3_ACCESS_KEY="$(cat "$work/access_key")" \
  S3_SECRET_KEY="$(cat "$work/secret_key")" S3_REGION=us-east-1 PARLEY_BIN="$parley_bin" \
  npm run --silent test:s3; then
  echo "versitygw log (tail):" >&2
  tail -n 30 "$work/versitygw.log" >&2
  exit 1
fi
