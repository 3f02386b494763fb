#!/usr/bin/env bash
# A parley cluster on this machine, for trying it out and for benchmarks: a private MariaDB and
# Redis (scripts/mariadb.sh, scripts/redis.sh), N parley nodes sharing them, their signing keys and
# their media directory, and HAProxy in front (deploy/haproxy/parley.cfg) on 127.0.0.1:PORT.
#
#   scripts/cluster.sh up DIR [N] [PORT]   # N nodes (default 2) on PORT+1.. behind PORT (default 8080)
#   scripts/cluster.sh status DIR          # each node's /readyz, and HAProxy's
#   scripts/cluster.sh kill DIR I          # kill -9 node I (1-based): a crash
#   scripts/cluster.sh stop DIR I          # SIGTERM node I: a drain
#   scripts/cluster.sh start DIR I         # start node I again
#   scripts/cluster.sh down DIR            # stop everything started by `up`
#
# With KAFKA=1 at `up`, the message path goes through the Kafka log: a private Kafka
# (scripts/kafka.sh) and one `parley persist` worker, which kill/stop/start call `w`.
#
# Needs a release build (scripts/build.sh release) and haproxy. Demo data: `up` passes --demo to
# node 1. Logs: DIR/node<I>.log, DIR/persist.log, DIR/haproxy.log.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
parley=${PARLEY_BIN:-$root/build/release/src/server/parley}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,17p' "$0" >&2; exit 2; }

readyz() { curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$1/readyz" || true; }

wait_ready() {
  local port=$1 what=$2 deadline=$((SECONDS + 20))
  until [ "$(readyz "$port")" = 200 ]; do
    if [ $SECONDS -ge $deadline ]; then echo "$what is not ready on port $port" >&2; exit 1; fi
    sleep 0.1
  done
}

# The environment every parley process of the cluster shares.
cluster_env() {
  echo PARLEY_STORAGE_BACKEND=mariadb "PARLEY_STORAGE_MARIADB_DSN=$(cat "$dir/mariadb/dsn")" \
    "PARLEY_CLUSTER_REDIS=$(cat "$dir/redis/address")"
  [ -f "$dir/kafka/address" ] && echo "PARLEY_CLUSTER_KAFKA=$(cat "$dir/kafka/address")"
  return 0
}

start_worker() {
  local port=$(($(cat "$dir/port") + 99))
  env $(cluster_env) PARLEY_CLUSTER_PERSIST_LISTEN="127.0.0.1:$port" \
    setsid "$parley" persist >>"$dir/persist.log" 2>&1 </dev/null &
  echo $! >"$dir/nodew.pid"
  wait_ready "$port" "the persistence worker"
}

start_node() {
  local i=$1
  [ "$i" = w ] && { start_worker; return; }
  local port=$(($(cat "$dir/port") + i)) extra=()
  [ "$i" = 1 ] && extra+=(--demo)
  [ -f "$root/web/dist/browser/index.html" ] && extra+=(--static-dir "$root/web/dist/browser")
  env $(cluster_env) PARLEY_CLUSTER_NODE_ID="node$i" PARLEY_AUTH_KEYS_DIR="$dir/keys" PARLEY_MEDIA_DIR="$dir/media" \
    setsid "$parley" serve --listen "127.0.0.1:$port" --data-dir "$dir/node$i" "${extra[@]}" \
    >>"$dir/node$i.log" 2>&1 </dev/null &
  echo $! >"$dir/node$i.pid"
  wait_ready "$port" "node $i"
}

node_pid() { cat "$dir/node$1.pid" 2>/dev/null || true; }

signal_node() {
  local pid
  pid=$(node_pid "$2")
  [ -n "$pid" ] && kill "-$1" "$pid" 2>/dev/null || true
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$dir/node$2.pid"
}

case "$cmd" in
  up)
    n=${3:-2}
    port=${4:-8080}
    [ -x "$parley" ] || { echo "no parley binary at $parley (scripts/build.sh release)" >&2; exit 1; }
    command -v haproxy >/dev/null || { echo "haproxy not installed (apt-get install haproxy)" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(realpath "$dir")
    echo "$port" >"$dir/port"
    echo "$n" >"$dir/nodes"
    "$root/scripts/mariadb.sh" start "$dir/mariadb" >/dev/null
    "$root/scripts/redis.sh" start "$dir/redis" >/dev/null
    if [ "${KAFKA:-0}" = 1 ]; then
      "$root/scripts/kafka.sh" start "$dir/kafka" >/dev/null
      start_worker
    fi
    for i in $(seq 1 "$n"); do start_node "$i"; done
    {
      sed -e "s/^\(\s*bind\s\+\)\S\+/\1127.0.0.1:$port/" -e '/^\s*server /d' \
        "$root/deploy/haproxy/parley.cfg"
      for i in $(seq 1 "$n"); do echo "    server node$i 127.0.0.1:$((port + i)) check"; done
    } >"$dir/haproxy.cfg"
    haproxy -D -f "$dir/haproxy.cfg" -p "$dir/haproxy.pid" >>"$dir/haproxy.log" 2>&1
    wait_ready "$port" "haproxy"
    echo "parley cluster of $n nodes at http://127.0.0.1:$port/ (demo users alice, bob, carol; password Parley@demo1)"
    ;;
  status)
    dir=$(realpath "$dir")
    port=$(cat "$dir/port")
    for i in $(seq 1 "$(cat "$dir/nodes")"); do
      echo "node$i 127.0.0.1:$((port + i)) pid $(node_pid "$i") /readyz $(readyz $((port + i)))"
    done
    [ -f "$dir/kafka/address" ] &&
      echo "persist 127.0.0.1:$((port + 99)) pid $(node_pid w) /readyz $(readyz $((port + 99)))"
    echo "haproxy 127.0.0.1:$port /readyz $(readyz "$port")"
    ;;
  kill) signal_node 9 "${3:?node number}" ;;
  stop) signal_node TERM "${3:?node number}" ;;
  start) dir=$(realpath "$dir"); start_node "${3:?node number}" ;;
  down)
    [ -d "$dir" ] || exit 0
    dir=$(realpath "$dir")
    if [ -f "$dir/haproxy.pid" ]; then kill "$(cat "$dir/haproxy.pid")" 2>/dev/null || true; rm -f "$dir/haproxy.pid"; fi
    for i in $(seq 1 "$(cat "$dir/nodes" 2>/dev/null || echo 0)"); do signal_node TERM "$i"; done
    signal_node TERM w
    [ -d "$dir/kafka" ] && "$root/scripts/kafka.sh" stop "$dir/kafka"
    "$root/scripts/redis.sh" stop "$dir/redis"
    "$root/scripts/mariadb.sh" stop "$dir/mariadb"
    ;;
  *) sed -n '2,17p' "$0" >&2; exit 2 ;;
esac
