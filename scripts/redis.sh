#!/usr/bin/env bash
# Starts and stops a throwaway Redis 7 server (Debian's redis-server) on loopback, for tests and
# local clusters. No persistence: Parley keeps nothing in Redis that history cannot rebuild.
#
#   scripts/redis.sh start DIR [PORT]   # prints the server's address (127.0.0.1:PORT) on stdout
#   scripts/redis.sh stop DIR           # shuts the server in DIR down (no-op if not running)
#   scripts/redis.sh kill DIR           # kill -9 (fault tests)
#   scripts/redis.sh restart DIR        # start again on the same port
#
# The address is also written to DIR/address. PORT 0 or absent: a free port.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,10p' "$0" >&2; exit 2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

ping() { redis-cli -p "$(cat "$dir/port" 2>/dev/null || echo 0)" ping >/dev/null 2>&1; }

launch() {
  local port=$1
  echo "$port" >"$dir/port"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save '' --appendonly no \
    --maxclients 10000 >/dev/null
  local deadline=$((SECONDS + 30))
  until ping; do
    if [ $SECONDS -ge $deadline ]; then
      echo "redis did not start in $dir:" >&2
      tail -n 30 "$dir/redis.log" >&2 || true
      exit 1
    fi
    sleep 0.05
  done
  echo "127.0.0.1:$port" >"$dir/address"
}

case "$cmd" in
  start)
    command -v redis-server >/dev/null ||
      { echo "redis-server not installed (apt-get install redis-server redis-tools)" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(realpath "$dir")
    if ping; then cat "$dir/address"; exit 0; fi
    port=${3:-0}
    [ "$port" = 0 ] && port=$(free_port)
    launch "$port"
    cat "$dir/address"
    ;;
  restart)
    dir=$(realpath "$dir")
    ping || launch "$(cat "$dir/port")"
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
    redis-cli -p "$(cat "$dir/port" 2>/dev/null || echo 0)" shutdown nosave >/dev/null 2>&1 || true
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    ;;
  kill)
    pid=$(cat "$dir/redis.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    rm -f "$dir/redis.pid"
    ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
