#!/usr/bin/env bash
# Builds the web client (Angular) into web/dist/browser, which `parley serve --static-dir` serves.
# npm ci from the committed lock file (cache in ~/.npm); skips quickly when the build is newer
# than every source. FORCE=1 rebuilds anyway.
set -euo pipefail
cd "$(dirname "$0")/../web"
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
export NG_CLI_ANALYTICS=false NG_FORCE_TTY=false

out=dist/browser/index.html
inputs=(src public package.json package-lock.json angular.json tsconfig.json tsconfig.app.json .postcssrc.json)

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== web: npm ci"
  npm ci --no-audit --no-fund --prefer-offline
fi

if [ -z "${FORCE:-}" ] && [ -f "$out" ] && [ -z "$(find "${inputs[@]}" -newer "$out" -print -quit)" ]; then
  echo "== web: dist is up to date ($(pwd)/dist/browser)"
  exit 0
fi

echo "== web: ng build (production)"
rm -rf dist
npx ng build --configuration production
test -f "$out"
echo "== web: built $(pwd)/dist/browser"
