#!/usr/bin/env bash
# bench/run-all.sh: the whole comparison in one command. Builds a release Parley and the
# instruments, mints users, runs every scenario against Parley and a private RabbitMQ Web-STOMP
# with the same load generator, runs the raw-socket baseline and the micro-benchmarks, profiles one
# fan-out with perf, and writes docs/benchmarks.md and docs/bench/*.png.
#
#   bench/run-all.sh             # REPS=3 (medians), about 12 minutes
#   QUICK=1 bench/run-all.sh     # one repetition, no 19,000-connection steps: about 5 minutes
#
# Environment: REPS, QUICK, BENCH_WORK (scratch, default /tmp/parley-bench), BENCH_BUILD (build
# dir, default build/bench), PARLEY_PORT (default 18080), RABBIT_PORT_BASE (default 26000).
# Benchmarks print numbers; nothing here passes or fails on a time.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
quick=${QUICK:-0}
reps=${REPS:-$([[ $quick == 1 ]] && echo 1 || echo 3)}
work=${BENCH_WORK:-/tmp/parley-bench}
build=${BENCH_BUILD:-$root/build/bench}
port=${PARLEY_PORT:-18080}
threads=$(nproc)
window=8            # messages in flight per sender in the "max" runs (raw baseline: writev of as many)
fixed=2000          # offered deliveries/s of the fixed-rate fan-out runs (RabbitMQ keeps up)
dm_rate=2000        # messages/s over 2,000 DM pairs
big=19000           # the largest step: one load process, under the 20,000 fd limit
[[ $quick == 1 ]] && big=0
started=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

bin=$work/bin
data=$work/parley-data
results=$work/results.jsonl
commands=$work/commands.txt
server_pid=
rabbit_dir=$work/rabbitmq

log() { printf '\n== %s\n' "$*" >&2; }
# Runs and records a command for the "exact commands" section of the report.
run() {
  printf '%s\n' "$*" | sed "s|$work|\$W|g; s|$root|.|g" >>"$commands"
  "$@"
}

stop_parley() {
  if [[ -n $server_pid ]]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
cleanup() {
  stop_parley
  "$root/bench/rabbitmq.sh" stop "$rabbit_dir" || true
}
trap cleanup EXIT

start_parley() {
  PARLEY_AUTH_ARGON2=min PARLEY_STOMP_SEND_RATE_PER_SECOND=100000000 PARLEY_STOMP_SEND_BURST=100000000 \
    PARLEY_LOG_LEVEL=warn "$bin/parley" serve --listen "127.0.0.1:$port" --data-dir "$data" \
    --threads "$threads" >>"$work/parley.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return; fi
    sleep 0.1
  done
  echo "parley did not start; see $work/parley.log" >&2
  exit 1
}

# ---- build ----------------------------------------------------------------------------------
log "build ($build, RelWithDebInfo)"
if ! command -v gnuplot >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null
fi
if ! command -v perf >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq linux-perf >/dev/null || true
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target parley parley_bench raw_fanout parley_micro parley_bench_report
rm -rf "$work" && mkdir -p "$bin" "$work/plots"
# Copies, so a concurrent rebuild cannot change a binary in the middle of the run.
cp "$build/src/server/parley" "$build"/bench/{parley_bench,raw_fanout,parley_micro,parley_bench_report} "$bin/"
: >"$results"
: >"$commands"
ulimit -n "$(ulimit -Hn)"

# ---- users (server stopped: see docs/benchmarks.md) --------------------------------------------
log "mint users"
mint() {  # prefix count room-size rooms-per-user
  run "$bin/parley" admin mint-users --data-dir "$data" --prefix "$1" --count "$2" --room-size "$3" \
    --rooms-per-user "$4" --access-ttl-seconds 7200 >"$work/$1.jsonl"
}
export PARLEY_STORAGE_SYNC=normal   # minting only; the server below runs with the default (full)
largest=$([[ $big == 0 ]] && echo 5000 || echo "$big")
mint idle_ "$largest" 10 3
mint fan10_ 2000 10 1
mint fan100_ "$largest" 100 1
mint fan1000_ 2000 1000 1
mint dm_ 4000 2 1
unset PARLEY_STORAGE_SYNC

all_steps=1000,5000
small_steps=1000,5000
if [[ $big != 0 ]]; then all_steps=$all_steps,$big; fi
bench() { run "$bin/parley_bench" --out "$results" "$@"; }

# Every traffic scenario, against either target ($1 = parley|rabbitmq, $2 = URL, $3 = pid).
traffic_scenarios() {
  local t=$1 url=$2 pid=$3
  # First, while the server is fresh: RabbitMQ is still deleting the fan-out runs' queues long after.
  log "$t: durable sends with receipts"
  bench --target "$t" --url "$url" --server-pid "$pid" --users "$work/dm_.jsonl" --scenario durable \
    --label durable --connections 200 --subscriptions 0 --window 64 --repeat "$reps" --warmup 1 --duration 4
  for k in 10 100 1000; do
    log "$t: fan-out, rooms of $k"
    bench --target "$t" --url "$url" --server-pid "$pid" --users "$work/fan${k}_.jsonl" --scenario fanout \
      --label "fanout-$k" --connections 2000 --rate "0,$((fixed / k))" --window "$window" --repeat "$reps" \
      --warmup 1 --duration 4
  done
  local sizes=5000
  if [[ $t == parley && $big != 0 ]]; then sizes="5000 $big"; fi
  for n in $sizes; do
    log "$t: fan-out, rooms of 100, $n connections"
    bench --target "$t" --url "$url" --server-pid "$pid" --users "$work/fan100_.jsonl" --scenario fanout \
      --label fanout-100 --connections "$n" --window "$window" --warmup 1 --duration 4
  done
  log "$t: 2,000 DM pairs at $dm_rate messages/s"
  bench --target "$t" --url "$url" --server-pid "$pid" --users "$work/dm_.jsonl" --scenario dm --label dm \
    --connections 4000 --rate "$dm_rate" --window 64 --repeat "$reps" --warmup 1 --duration 4
}

# ---- Parley -----------------------------------------------------------------------------------
url=ws://127.0.0.1:$port/ws/websocket
for rep in $(seq 1 "$reps"); do
  # Only the small steps repeat; the largest once is enough.
  steps=$([[ $rep == 1 ]] && echo "$all_steps" || echo "$small_steps")
  log "parley: idle sessions, ladder $steps (fresh server, run $rep)"
  start_parley
  bench --url "$url" --server-pid "$server_pid" --users "$work/idle_.jsonl" --scenario idle --label idle \
    --steps "$steps" --subscriptions 3
  stop_parley
done

start_parley
traffic_scenarios parley "$url" "$server_pid"
profile=$work/profile.txt
: >"$profile"
if command -v perf >/dev/null; then
  log "parley: perf profile of a fan-out (rooms of 100, max)"
  run perf record -e cpu-clock -F 999 -g -p "$server_pid" -o "$work/perf.data" -- sleep 7 >/dev/null 2>&1 &
  perf_pid=$!
  bench --url "$url" --server-pid "$server_pid" --users "$work/fan100_.jsonl" --scenario fanout \
    --label profile --connections 2000 --window "$window" --warmup 1 --duration 5 >/dev/null
  wait "$perf_pid" || true
  perf report -i "$work/perf.data" --no-children -g none --sort dso,symbol --stdio --percent-limit 0.02 \
    2>/dev/null | grep '%' >"$profile" || true
  log "parley: system calls of the same fan-out"
  # Warm-up 1 s after a 0.3 s start delay: count 4 s inside the 5 s counted window.
  ( sleep 2.5 && perf stat --per-thread -x ' ' -e 'syscalls:sys_enter_sendmsg,syscalls:sys_enter_recvmsg,syscalls:sys_enter_recvfrom,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_futex,syscalls:sys_enter_fdatasync' \
      -p "$server_pid" -o "$work/syscalls.raw" -- sleep 4 >/dev/null 2>&1 ) &
  stat_pid=$!
  bench --url "$url" --server-pid "$server_pid" --users "$work/fan100_.jsonl" --scenario fanout \
    --label syscalls --connections 2000 --window "$window" --warmup 1 --duration 5 >/dev/null
  wait "$stat_pid" || true
  # perf -x ' ' lines: "<thread> <count> <unit> <event> ..."; keep "<thread> <count> <event>".
  awk '$NF != "" && $0 ~ /syscalls:/ { for (i = 1; i <= NF; i++) if ($i ~ /^syscalls:/) print $1, $2, $i }' \
    "$work/syscalls.raw" >"$work/syscalls.txt" 2>/dev/null || true
fi
stop_parley
frame=$(grep '"target":"parley"' "$results" | grep '"label":"fanout-100"' | grep -o '"frame_bytes":[0-9.eE+]*' |
  head -1 | cut -d: -f2)
frame=$(printf '%.0f' "${frame:-500}")

# ---- the raw-socket limit -----------------------------------------------------------------------
log "raw fan-out limit ($frame-byte frames)"
raw_sizes="2000 5000"
if [[ $big != 0 ]]; then raw_sizes="$raw_sizes $big"; fi
for n in $raw_sizes; do
  for b in 1 "$window"; do
    r=$([[ $n == 2000 ]] && echo "$reps" || echo 1)
    for _ in $(seq 1 "$r"); do
      run "$bin/raw_fanout" --connections "$n" --frame-bytes "$frame" --batch "$b" --threads "$threads" \
        --label "raw-$n-b$b" --duration 4 --out "$results"
    done
  done
done

# ---- RabbitMQ Web-STOMP -------------------------------------------------------------------------
log "rabbitmq: idle sessions (fresh broker)"
run "$root/bench/rabbitmq.sh" start "$rabbit_dir"
rabbit_pid=$("$root/bench/rabbitmq.sh" pid "$rabbit_dir")
rurl=ws://127.0.0.1:$((${RABBIT_PORT_BASE:-26000} + 4))/ws
# RabbitMQ keeps file handles in reserve and accepts at most 17,910 sockets under the 20,000 fd
# limit (its log says so at start): its ladder stops at 17,500.
rabbit_steps=$small_steps
if [[ $big != 0 ]]; then rabbit_steps=$small_steps,17500; fi
bench --target rabbitmq --url "$rurl" --server-pid "$rabbit_pid" --users "$work/idle_.jsonl" --scenario idle \
  --label idle --steps "$rabbit_steps" --subscriptions 3
# A restart drops the idle ladder's thousands of queues at once instead of one by one.
run "$root/bench/rabbitmq.sh" stop "$rabbit_dir"
run "$root/bench/rabbitmq.sh" start "$rabbit_dir"
rabbit_pid=$("$root/bench/rabbitmq.sh" pid "$rabbit_dir")
traffic_scenarios rabbitmq "$rurl" "$rabbit_pid"
rabbit_version=$(dpkg-query -W -f '${Version}' rabbitmq-server 2>/dev/null || echo '?')
"$root/bench/rabbitmq.sh" stop "$rabbit_dir"

# ---- micro-benchmarks ---------------------------------------------------------------------------
log "micro-benchmarks"
run "$bin/parley_micro" --benchmark_min_time=0.2 --benchmark_format=console \
  --benchmark_out="$work/micro.json" --benchmark_out_format=json

# ---- the report ---------------------------------------------------------------------------------
log "report"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
{
  printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  printf 'cpu\t%s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  printf 'cores\t%s\n' "$(nproc)"
  printf 'memory\t%s\n' "$(free -g | awk '/Mem:/ {print $2 " GiB"}')"
  printf 'kernel\t%s\n' "$(uname -r)"
  printf 'fd_limit\t%s\n' "$(ulimit -Hn)"
  printf 'parley\t%s\n' "$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo ' + uncommitted changes')"
  printf 'parley_threads\t%s\n' "$threads"
  printf 'rabbitmq\t%s (Web-STOMP plugin, Erlang %s)\n' "$rabbit_version" \
    "$(dpkg-query -W -f '${Version}' erlang-base 2>/dev/null || echo '?')"
  printf 'load_before\t%s\n' "$load_before"
  printf 'load_after\t%s\n' "$load_after"
  printf 'shared\t%s\n' "$(awk -v l="${load_before%% *}" 'BEGIN { print (l > 0.5 ? "yes" : "no") }')"
  printf 'reps\t%s\n' "$reps"
  printf 'command\t%s\n' "$([[ $quick == 1 ]] && echo 'QUICK=1 ')bench/run-all.sh"
  printf 'minutes\t%s\n' "$(( ($(date +%s) - started + 59) / 60 ))"
  while IFS= read -r line; do printf 'commands\t%s\n' "$line"; done <"$commands"
} >"$work/facts.tsv"
mkdir -p "$root/docs/bench"
"$bin/parley_bench_report" --results "$results" --micro "$work/micro.json" --facts "$work/facts.tsv" \
  --profile "$profile" --syscalls "$work/syscalls.txt" --analysis "$root/bench/analysis.md" --fixed-deliveries "$fixed" --window "$window" \
  --plot-dir "$work/plots" --png-dir "$root/docs/bench" --out "$root/docs/benchmarks.md"
(cd "$work/plots" && gnuplot plots.gp)
log "wrote docs/benchmarks.md and docs/bench/*.png (raw results: $results)"
