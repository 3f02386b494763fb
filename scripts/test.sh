#!/usr/bin/env bash
# The whole test suite, as CI runs it: install, build (release + ASan/UBSan), unit/contract/fuzz
# corpus tests under ctest for both builds, the end-to-end suite with real clients against the real
# binary, media against a real S3 server, then the web client's unit and browser tests.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
./scripts/install-deps.sh

echo "== build (release)"
./scripts/build.sh release
echo "== ctest (release)"
ctest --preset release -j2

echo "== build (asan: AddressSanitizer + UndefinedBehaviorSanitizer)"
./scripts/build.sh asan
echo "== ctest (asan)"
ASAN_OPTIONS=detect_leaks=1 ctest --preset asan -j2

echo "== end-to-end (TypeScript, real clients)"
cd "$root/tests/e2e"
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
npm ci --no-audit --no-fund --prefer-offline
PARLEY_BIN="$root/build/release/src/server/parley" npm test

echo "== media against a real S3-compatible store (versitygw)"
"$root/scripts/test-s3.sh" "$root/build/release/src/server/parley"

echo "== web client: unit tests and browser end-to-end (Chromium via playwright-core)"
PARLEY_BIN="$root/build/release/src/server/parley" "$root/scripts/test-browser.sh"
