#!/usr/bin/env bash
# A parley cluster on this machine, the shape of a production one (docs/deployment.md), for trying
# it out, for tests and for benchmarks: a private MariaDB, Redis, Kafka and S3 server
# (scripts/mariadb.sh, redis.sh, kafka.sh, s3.sh), N `parley serve` nodes sharing them and their
# signing keys, `parley persist` workers, and HAProxy in front (deploy/haproxy/parley.cfg) on
# 127.0.0.1:PORT, with WebSocket and SockJS (sticky by session) through it.
#
#   scripts/cluster.sh up DIR [N] [PORT]   # N nodes (default 3) on PORT+1.. behind PORT (8080)
#   scripts/cluster.sh status DIR          # each process's /readyz, and HAProxy's
#   scripts/cluster.sh kill DIR I          # kill -9 node I (1-based) or worker wI: a crash
#   scripts/cluster.sh stop DIR I          # SIGTERM node I or worker wI: a drain
#   scripts/cluster.sh start DIR I         # start node I or worker wI again
#   scripts/cluster.sh down DIR            # stop everything started by `up`
#
# At `up`: KAFKA=0 has the nodes write MariaDB themselves (no Kafka, no workers); WORKERS (default
# 2) workers on PORT+51..; BROKERS=3 runs three Kafka brokers (replication factor 3,
# min.insync.replicas 2) instead of one; S3=0 keeps media in DIR/media instead of the S3 server.
#
# Needs a release build (scripts/build.sh release) and haproxy; the web client is served when
# web/dist is built (scripts/web-build.sh). Demo data: `up` passes --demo to node 1. Logs:
# DIR/node<I>.log, DIR/persist<I>.log, DIR/haproxy.log; each engine's in its directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
parley=${PARLEY_BIN:-$root/build/release/src/server/parley}

cmd=${1:-}
dir=${2:-}
usage() { sed -n '2,21p' "$0" >&2; exit 2; }
[ -n "$cmd" ] && [ -n "$dir" ] || usage

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
  [ -f "$dir/kafka.address" ] && echo "PARLEY_CLUSTER_KAFKA=$(cat "$dir/kafka.address")"
  if [ -f "$dir/s3/endpoint" ]; then
    echo "PARLEY_MEDIA_S3_ENDPOINT=$(cat "$dir/s3/endpoint")" \
      "PARLEY_MEDIA_S3_BUCKET=$(cat "$dir/s3/bucket")" PARLEY_MEDIA_S3_REGION=us-east-1 \
      "PARLEY_MEDIA_S3_ACCESS_KEY=$(cat "$dir/s3/access_key")" \
      "PARLEY_MEDIA_S3_SECRET_KEY=$(cat "$dir/s3/secret_key")"
  else
    echo "PARLEY_MEDIA_DIR=$dir/media"
  fi
  return 0
}

port_of() {
  local base
  base=$(cat "$dir/port")
  case "$1" in
    w*) echo $((base + 50 + ${1#w})) ;;
    *) echo $((base + $1)) ;;
  esac
}

start_worker() {
  local i=$1 port
  port=$(port_of "w$i")
  # A stable instance name (Kafka static membership): restarted, it takes its partitions back.
  env $(cluster_env) PARLEY_CLUSTER_PERSIST_LISTEN="127.0.0.1:$port" \
    PARLEY_CLUSTER_PERSIST_INSTANCE="persist-w$i" \
    setsid "$parley" persist >>"$dir/persist$i.log" 2>&1 </dev/null &
  echo $! >"$dir/nodew$i.pid"
  wait_ready "$port" "worker w$i"
}

start_node() {
  local i=$1 port extra=()
  case "$i" in w[0-9]*) start_worker "${i#w}"; return ;; esac
  [[ "$i" =~ ^[0-9]+$ ]] || { echo "not a node (1..N) or a worker (w1..): $i" >&2; exit 2; }
  port=$(port_of "$i")
  [ "$i" = 1 ] && extra+=(--demo)
  [ -f "$root/web/dist/browser/index.html" ] && extra+=(--static-dir "$root/web/dist/browser")
  env $(cluster_env) PARLEY_CLUSTER_NODE_ID="node$i" PARLEY_AUTH_KEYS_DIR="$dir/keys" \
    PARLEY_SERVER_TRUSTED_PROXIES=127.0.0.1 \
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

workers() { cat "$dir/workers" 2>/dev/null || echo 0; }

case "$cmd" in
  up)
    n=${3:-3}
    port=${4:-8080}
    [ -x "$parley" ] || { echo "no parley binary at $parley (scripts/build.sh release)" >&2; exit 1; }
    command -v haproxy >/dev/null || { echo "haproxy not installed (apt-get install haproxy)" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(realpath "$dir")
    echo "$port" >"$dir/port"
    echo "$n" >"$dir/nodes"
    "$root/scripts/mariadb.sh" start "$dir/mariadb" >/dev/null
    "$root/scripts/redis.sh" start "$dir/redis" >/dev/null
    [ "${S3:-1}" = 1 ] && "$root/scripts/s3.sh" start "$dir/s3" >/dev/null
    w=0
    if [ "${KAFKA:-1}" = 1 ]; then
      w=${WORKERS:-2}
      "$root/scripts/kafka.sh" start "$dir/kafka" >"$dir/kafka.address"  # BROKERS passes through
    fi
    echo "$w" >"$dir/workers"
    for i in $(seq 1 "$w"); do start_worker "$i"; done
    for i in $(seq 1 "$n"); do start_node "$i"; done
    {
      sed -e "s/^\(\s*bind\s\+\)\S\+/\1127.0.0.1:$port/" -e '/^\s*server /d' \
        "$root/deploy/haproxy/parley.cfg"
      for i in $(seq 1 "$n"); do echo "    server node$i 127.0.0.1:$((port + i)) check"; done
    } >"$dir/haproxy.cfg"
    haproxy -D -f "$dir/haproxy.cfg" -p "$dir/haproxy.pid" >>"$dir/haproxy.log" 2>&1
    wait_ready "$port" "haproxy"
    echo "parley cluster of $n nodes and $w workers at http://127.0.0.1:$port/" \
      "(demo users alice, bob, carol; password Parley@demo1)"
    ;;
  status)
    dir=$(realpath "$dir")
    for i in $(seq 1 "$(cat "$dir/nodes")"); do
      echo "node$i 127.0.0.1:$(port_of "$i") pid $(node_pid "$i") /readyz $(readyz "$(port_of "$i")")"
    done
    for i in $(seq 1 "$(workers)"); do
      echo "persist w$i 127.0.0.1:$(port_of "w$i") pid $(node_pid "w$i")" \
        "/readyz $(readyz "$(port_of "w$i")")"
    done
    [ -f "$dir/kafka.address" ] && echo "kafka $(cat "$dir/kafka.address")"
    [ -f "$dir/s3/endpoint" ] && echo "s3 $(cat "$dir/s3/endpoint") bucket $(cat "$dir/s3/bucket")"
    echo "haproxy 127.0.0.1:$(cat "$dir/port") /readyz $(readyz "$(cat "$dir/port")")"
    ;;
  kill) signal_node 9 "${3:?node number or wI}" ;;
  stop) signal_node TERM "${3:?node number or wI}" ;;
  start) dir=$(realpath "$dir"); start_node "${3:?node number or wI}" ;;
  down)
    [ -d "$dir" ] || exit 0
    dir=$(realpath "$dir")
    if [ -f "$dir/haproxy.pid" ]; then
      kill "$(cat "$dir/haproxy.pid")" 2>/dev/null || true
      rm -f "$dir/haproxy.pid"
    fi
    for i in $(seq 1 "$(cat "$dir/nodes" 2>/dev/null || echo 0)"); do signal_node TERM "$i"; done
    for i in $(seq 1 "$(workers)"); do signal_node TERM "w$i"; done
    [ -d "$dir/kafka" ] && "$root/scripts/kafka.sh" stop "$dir/kafka"
    [ -d "$dir/s3" ] && "$root/scripts/s3.sh" stop "$dir/s3"
    "$root/scripts/redis.sh" stop "$dir/redis"
    "$root/scripts/mariadb.sh" stop "$dir/mariadb"
    ;;
  *) usage ;;
esac
