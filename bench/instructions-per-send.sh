#!/usr/bin/env bash
# bench/instructions-per-send.sh BINARY...: instructions the server executes per durable send
# (valgrind callgrind, all threads), for each parley binary in turn, on SQLite. Wall-clock
# throughput on a shared 2-core machine varies by ±10 % between runs of one binary; instruction
# counts repeat within about 1 %, so this is the instrument for "did this change make the
# message path do more work". It does not see cache misses, system calls or waiting.
#
#   bench/instructions-per-send.sh /tmp/parley-before build/bench/src/server/parley
#
# Each binary gets its own data directory and users (minted by itself), a durable load of 50
# connections with 8 SENDs in flight (parley_bench from build/bench), and a 5 s window, 6 s after
# the start, between `callgrind_control --zero` and `--dump`; the sends in the window are read
# from /metrics (parley_store_jobs_total).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_WORK:-/tmp/parley-instructions}
port=${PARLEY_PORT:-18090}
load=$root/build/bench/bench/parley_bench
[[ $# -gt 0 ]] || { echo "usage: $0 BINARY..." >&2; exit 2; }
[[ -x $load ]] || { echo "$load is missing: run bench/run-all.sh once, or build target parley_bench in build/bench" >&2; exit 2; }
command -v valgrind >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
rm -rf "$work" && mkdir -p "$work"
ulimit -n "$(ulimit -Hn)"
server=
trap '[[ -n $server ]] && kill -9 $server 2>/dev/null || true' EXIT
jobs_total() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^parley_store_jobs_total/ { print $2 }'; }
i=0
for bin in "$@"; do
  i=$((i + 1))
  dir=$work/$i
  mkdir -p "$dir"
  PARLEY_STORAGE_SYNC=normal "$bin" admin mint-users --data-dir "$dir/data" --prefix dm_ --count 4000 \
    --room-size 2 --rooms-per-user 1 --access-ttl-seconds 7200 >"$dir/dm_.jsonl" 2>/dev/null
  PARLEY_AUTH_ARGON2=min PARLEY_STOMP_SEND_RATE_PER_SECOND=100000000 PARLEY_STOMP_SEND_BURST=100000000 \
    PARLEY_LOG_LEVEL=warn valgrind --tool=callgrind --callgrind-out-file="$dir/callgrind.out" \
    "$bin" serve --listen "127.0.0.1:$port" --data-dir "$dir/data" --threads 2 >"$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.2
  done
  "$load" --out "$dir/results.jsonl" --target parley --url "ws://127.0.0.1:$port/ws/websocket" \
    --server-pid "$server" --users "$dir/dm_.jsonl" --scenario durable --label instructions \
    --connections 50 --subscriptions 0 --window 8 --warmup 1 --duration 12 >/dev/null 2>&1 &
  load_pid=$!
  sleep 6
  j0=$(jobs_total)
  callgrind_control --zero "$server" >/dev/null 2>&1
  sleep 5
  callgrind_control --dump "$server" >/dev/null 2>&1
  j1=$(jobs_total)
  wait "$load_pid" || true
  kill -INT "$server"
  wait "$server" || true
  server=
  dump=$(ls -t "$dir"/callgrind.out.* | head -1)
  ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$dump")
  printf '%s\tsends %d\tinstructions %d\tper send %d\n' "$bin" "$((j1 - j0))" "$ir" "$((ir / (j1 - j0)))"
done
