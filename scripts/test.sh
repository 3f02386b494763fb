#!/usr/bin/env bash
# The whole test suite, as CI runs it: install, build (release + ASan/UBSan), unit/contract/fuzz
# corpus tests under ctest for both builds, the end-to-end suite with real clients against the real
# binary on SQLite and again on MariaDB, MariaDB outages, media against a real S3 server, then the
# web client's unit and browser tests; the end-to-end suite runs a third time with every server a
# cluster of two nodes (MariaDB + Redis) behind HAProxy, and a fault suite kills its parts. One
# MariaDB, one Redis and one Kafka broker serve every suite that needs one (each makes its own
# databases, key prefixes or topics); they are stopped on exit.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
suite_started=$SECONDS
stage_started=$SECONDS
stage_name=""
# Prints how long the previous stage took, then the next stage's heading.
stage() {
  [ -n "$stage_name" ] && printf '== %s took %ds\n' "$stage_name" $((SECONDS - stage_started))
  stage_name="$1"
  stage_started=$SECONDS
  [ -n "$1" ] && echo "== $1"
  return 0
}
mariadb_dir="$root/build/ci-mariadb"
redis_dir="$root/build/ci-redis"
kafka_dir="$root/build/ci-kafka"
finish() {
  stage ""
  "$root/scripts/mariadb.sh" stop "$mariadb_dir" || true
  "$root/scripts/redis.sh" stop "$redis_dir" || true
  "$root/scripts/kafka.sh" stop "$kafka_dir" || true
  echo "== total $((SECONDS - suite_started))s"
}
trap finish EXIT

stage "install dependencies"
./scripts/install-deps.sh

stage "start MariaDB (shared by the contract and end-to-end suites)"
PARLEY_TEST_MARIADB_DSN=$("$root/scripts/mariadb.sh" start "$mariadb_dir")
export PARLEY_TEST_MARIADB_DSN
stage "start Redis (shared by the contract and end-to-end suites)"
"$root/scripts/redis.sh" start "$redis_dir" >/dev/null
PARLEY_TEST_REDIS=$(cat "$redis_dir/address")
export PARLEY_TEST_REDIS
stage "start Kafka (KRaft, one broker; jars cached in ~/.cache/parley)"
PARLEY_TEST_KAFKA=$("$root/scripts/kafka.sh" start "$kafka_dir")
export PARLEY_TEST_KAFKA

stage "build (release)"
./scripts/build.sh release
stage "ctest (release)"
ctest --preset release -j2

stage "build (asan: AddressSanitizer + UndefinedBehaviorSanitizer)"
./scripts/build.sh asan
stage "ctest (asan)"
ASAN_OPTIONS=detect_leaks=1 ctest --preset asan -j2

stage "end-to-end (TypeScript, real clients)"
cd "$root/tests/e2e"
export npm_config_cache="${npm_config_cache:-$HOME/.npm}"
npm ci --no-audit --no-fund --prefer-offline
PARLEY_BIN="$root/build/release/src/server/parley" npm test

stage "end-to-end again, every server on MariaDB"
PARLEY_E2E_MARIADB_DSN=$PARLEY_TEST_MARIADB_DSN PARLEY_BIN="$root/build/release/src/server/parley" npm test

stage "end-to-end again, every server a cluster: 2 nodes (MariaDB + Redis) behind HAProxy"
PARLEY_E2E_MARIADB_DSN=$PARLEY_TEST_MARIADB_DSN PARLEY_E2E_REDIS=$PARLEY_TEST_REDIS PARLEY_E2E_NODES=2 \
  PARLEY_BIN="$root/build/release/src/server/parley" npm test

stage "cluster faults: a node killed and drained, Redis killed (2 nodes behind HAProxy)"
PARLEY_E2E_MARIADB_DSN=$PARLEY_TEST_MARIADB_DSN PARLEY_E2E_REDIS=$PARLEY_TEST_REDIS \
  PARLEY_BIN="$root/build/release/src/server/parley" npm run test:cluster

stage "end-to-end again through the Kafka log: 2 nodes behind HAProxy, a parley persist worker"
PARLEY_E2E_MARIADB_DSN=$PARLEY_TEST_MARIADB_DSN PARLEY_E2E_REDIS=$PARLEY_TEST_REDIS \
  PARLEY_E2E_KAFKA=$PARLEY_TEST_KAFKA PARLEY_E2E_NODES=2 \
  PARLEY_BIN="$root/build/release/src/server/parley" npm test

stage "Kafka log faults: the worker killed and absent, poison records"
PARLEY_E2E_MARIADB_DSN=$PARLEY_TEST_MARIADB_DSN PARLEY_E2E_REDIS=$PARLEY_TEST_REDIS \
  PARLEY_E2E_KAFKA=$PARLEY_TEST_KAFKA PARLEY_BIN="$root/build/release/src/server/parley" \
  npm run test:kafka

stage "Kafka log on three brokers (replication factor 3): the room's partition leader killed -9"
PARLEY_E2E_MARIADB_DSN=$PARLEY_TEST_MARIADB_DSN PARLEY_E2E_REDIS=$PARLEY_TEST_REDIS \
  PARLEY_E2E_KAFKA=$PARLEY_TEST_KAFKA PARLEY_BIN="$root/build/release/src/server/parley" \
  npm run test:kafka3

stage "MariaDB missing at start and killed while serving"
PARLEY_BIN="$root/build/release/src/server/parley" npm run test:mariadb

stage "media against a real S3-compatible store (versitygw)"
"$root/scripts/test-s3.sh" "$root/build/release/src/server/parley"

stage "deployment files: compose schema, parley's keys, systemd units (tests/deploy)"
(cd "$root/tests/deploy" && npm ci --no-audit --no-fund --prefer-offline &&
  PARLEY_BIN="$root/build/release/src/server/parley" npm test)

stage "scripts/cluster.sh: 3 nodes, 2 workers, Kafka, Redis, MariaDB, S3 behind HAProxy (its own engines)"
PARLEY_BIN="$root/build/release/src/server/parley" npm run test:cluster-script

stage "web client: unit tests and browser end-to-end (Chromium via playwright-core)"
PARLEY_BIN="$root/build/release/src/server/parley" "$root/scripts/test-browser.sh"
