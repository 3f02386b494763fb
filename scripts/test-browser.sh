#!/usr/bin/env bash
# Tests of the web client:
#   1. unit tests (reducers, selectors, connection service, validation): `ng test` = vitest + jsdom;
#   2. browser end-to-end tests: playwright-core drives Debian's Chromium against the real parley
#      binary serving web/dist/browser (tests/browser, node's test runner).
# Installs Chromium through apt when missing, builds the client when needed. Exits non-zero on
# any failure. PARLEY_BIN selects the server (default: the release build); WEB_UNIT=0 skips step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
export NG_CLI_ANALYTICS=false

missing=()
for pkg in chromium chromium-driver fonts-dejavu-core; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

./scripts/web-build.sh

if [ "${WEB_UNIT:-1}" != "0" ]; then
  echo "== web unit tests (vitest via ng test)"
  (cd web && npx ng test --watch=false)
fi

echo "== browser end-to-end tests (playwright-core + Chromium)"
export PARLEY_BIN="${PARLEY_BIN:-$root/build/release/src/server/parley}"
if [ ! -x "$PARLEY_BIN" ]; then
  echo "parley binary not found at $PARLEY_BIN (build the release preset or set PARLEY_BIN)" >&2
  exit 1
fi
cd "$root/tests/browser"
npm ci --no-audit --no-fund --prefer-offline
npm test
