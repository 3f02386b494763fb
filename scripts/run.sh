#!/usr/bin/env bash
# One command: install dependencies, build, and run parley all-in-one with demo data at
# http://127.0.0.1:8080/ (users alice, bob, carol; password Parley@demo1).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh release
./scripts/web-build.sh
args=(serve --demo --data-dir ./parley-data)
[ -f web/dist/browser/index.html ] && args+=(--static-dir web/dist/browser)
exec ./build/release/src/server/parley "${args[@]}" "$@"
