#!/usr/bin/env bash
# bench/run-all.sh: the whole comparison in one command. Builds a release Parley and the
# instruments, mints users, runs every scenario against Parley and a private RabbitMQ Web-STOMP
# with the same load generator, runs the durable and fan-out scenarios again against Parley on a
# private MariaDB (scripts/mariadb.sh) and profiles both processes there, runs the raw-socket
# baseline and the micro-benchmarks, profiles one fan-out with perf, and writes docs/benchmarks.md
# and docs/bench/*.png.
#
#   bench/run-all.sh                      # REPS=3 (medians), about 14 minutes
#   QUICK=1 bench/run-all.sh              # one repetition, no 19,000-connection steps: about 5
#                                         # minutes, plus 1-2 for the MariaDB pass
#   BASELINE=<rev> QUICK=1 bench/run-all.sh
#       # also builds <rev>'s parley (git archive into build/bench-baseline/<sha>, RelWithDebInfo,
#       # ccache: a few minutes the first time, seconds after) and runs the durable and fan-out
#       # scenarios against it on SQLite in the same run: the report's "Before and after" table.
#       # Adds about 1-2 minutes besides the build.
#
# Environment: REPS, QUICK, BASELINE (a git revision; unset = no baseline pass), BENCH_WORK
# (scratch, default /tmp/parley-bench), BENCH_BUILD (build dir, default build/bench), PARLEY_PORT
# (default 18080), RABBIT_PORT_BASE (default 26000), MARIADB_PORT (default 0: a free port). Without
# mariadbd installed the MariaDB pass is skipped (the report says so). For trying the script
# itself: ONLY=<pass,...> runs only those passes (parley = the SQLite scenarios and their profile,
# mariadb, baseline, raw, rabbitmq, micro; default all), DURATION sets the seconds counted per
# phase (default 4) and BENCH_DOCS where benchmarks.md and bench/*.png go (default docs).
# Benchmarks print numbers; nothing here passes or fails on a time.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
quick=${QUICK:-0}
reps=${REPS:-$([[ $quick == 1 ]] && echo 1 || echo 3)}
work=${BENCH_WORK:-/tmp/parley-bench}
docs=$(realpath -m "${BENCH_DOCS:-$root/docs}")
build=${BENCH_BUILD:-$root/build/bench}
port=${PARLEY_PORT:-18080}
threads=$(nproc)
window=8            # messages in flight per sender in the "max" runs (raw baseline: writev of as many)
fixed=2000          # offered deliveries/s of the fixed-rate fan-out runs (RabbitMQ keeps up)
dm_rate=2000        # messages/s over 2,000 DM pairs
big=19000           # the largest step: one load process, under the 20,000 fd limit
[[ $quick == 1 ]] && big=0
duration=${DURATION:-4}
baseline=${BASELINE:-}
only=${ONLY:-}
for pass in ${only//,/ }; do
  case $pass in
    parley | mariadb | raw | rabbitmq | micro) ;;
    baseline) [[ -n $baseline ]] || { echo "ONLY=baseline needs BASELINE=<rev>" >&2; exit 2; } ;;
    *) echo "ONLY: unknown pass '$pass' (parley, mariadb, baseline, raw, rabbitmq, micro)" >&2; exit 2 ;;
  esac
done
want() { [[ -z $only || ",$only," == *",$1,"* ]]; }
started=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

bin=$work/bin
data=$work/parley-data
results=$work/results.jsonl
commands=$work/commands.txt
profile=$work/profile.txt
server_pid=
rabbit_dir=$work/rabbitmq
rabbit_version='?'
mariadb_dir=$work/mariadb/server
mariadb_facts=$work/mariadb/facts.tsv   # version, settings and the profiled run's CPU split
baseline_rev=

log() { printf '\n== %s\n' "$*" >&2; }
# Runs and records a command for the "exact commands" section of the report (a DSN's password
# masked: the section is published).
run() {
  printf '%s\n' "$*" | sed "s|$work|\$W|g; s|$root|.|g; s|\(://[^:/@ ]*:\)[^@ ]*@|\1***@|g" >>"$commands"
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
  "$root/scripts/mariadb.sh" stop "$mariadb_dir" || true
}
trap cleanup EXIT

# start_parley BINARY DATA-DIR [VAR=value...]: the server under test, its send limits out of the
# way; the assignments choose another store.
start_parley() {
  local exe=$1 dir=$2
  shift 2
  env "$@" PARLEY_AUTH_ARGON2=min PARLEY_STOMP_SEND_RATE_PER_SECOND=100000000 \
    PARLEY_STOMP_SEND_BURST=100000000 PARLEY_LOG_LEVEL=warn "$exe" serve --listen "127.0.0.1:$port" \
    --data-dir "$dir" --threads "$threads" >>"$work/parley.log" 2>&1 &
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
cmake_flags=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_TESTS=OFF -DPARLEY_MODULES=all)
cmake -S "$root" -B "$build" "${cmake_flags[@]}" >/dev/null
cmake --build "$build" -j2 --target parley parley_bench raw_fanout parley_micro parley_bench_report
if [[ -n $baseline ]] && want baseline; then
  # The revision's committed tree (no working-tree changes), its parley built with the same flags.
  # ccache keys on paths relative to the tree, so another revision reuses every unchanged object.
  sha=$(git -C "$root" rev-parse --verify "$baseline^{commit}")
  baseline_rev=$(git -C "$root" show -s --format='%h %s' "$sha")
  baseline_src=$root/build/bench-baseline/$sha
  log "build baseline $baseline_rev ($baseline_src, RelWithDebInfo)"
  if [[ ! -f $baseline_src/CMakeLists.txt ]]; then
    rm -rf "$baseline_src.part" && mkdir -p "$baseline_src.part"
    git -C "$root" archive "$sha" | tar -x -C "$baseline_src.part"
    rm -rf "$baseline_src" && mv "$baseline_src.part" "$baseline_src"
  fi
  (
    export CCACHE_DIR=$HOME/.cache/ccache CCACHE_BASEDIR=$baseline_src CCACHE_NOHASHDIR=1
    cmake -S "$baseline_src" -B "$baseline_src/build" "${cmake_flags[@]}" \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
    cmake --build "$baseline_src/build" -j2 --target parley
  )
  if ! "$baseline_src/build/src/server/parley" admin mint-users --help >/dev/null 2>&1; then
    echo "BASELINE=$baseline: its parley has no 'admin mint-users' (added in 79886e1), so no" \
      "users for the scenarios; pick a later revision" >&2
    exit 1
  fi
fi
rm -rf "$work" && mkdir -p "$bin" "$work/plots"
# Copies, so a concurrent rebuild cannot change a binary in the middle of the run.
cp "$build/src/server/parley" "$build"/bench/{parley_bench,raw_fanout,parley_micro,parley_bench_report} "$bin/"
if [[ -n $baseline_rev ]]; then cp "$baseline_src/build/src/server/parley" "$bin/parley-baseline"; fi
: >"$results"
: >"$commands"
: >"$profile"
ulimit -n "$(ulimit -Hn)"

# ---- users (server stopped: see docs/benchmarks.md) --------------------------------------------
largest=$([[ $big == 0 ]] && echo 5000 || echo "$big")
# mint_users DIR DATA-DIR COMMAND...: every user file the scenarios read, as DIR/<prefix>.jsonl,
# minted by COMMAND (a parley binary, after `env VAR=value...` for another store). Every pass gets
# the same users, so its database holds the same rows.
mint_users() {
  local dir=$1 data_dir=$2 spec prefix count size layers
  shift 2
  mkdir -p "$dir"
  export PARLEY_STORAGE_SYNC=normal   # minting only; the servers run with the default (full)
  for spec in "idle_ $largest 10 3" "fan10_ 2000 10 1" "fan100_ $largest 100 1" \
    "fan1000_ 2000 1000 1" "dm_ 4000 2 1"; do
    read -r prefix count size layers <<<"$spec"
    run "$@" admin mint-users --data-dir "$data_dir" --prefix "$prefix" --count "$count" \
      --room-size "$size" --rooms-per-user "$layers" --access-ttl-seconds 7200 >"$dir/$prefix.jsonl"
  done
  unset PARLEY_STORAGE_SYNC
}
if want parley || want rabbitmq; then
  log "mint users"
  mint_users "$work" "$data" "$bin/parley"
fi

all_steps=1000,5000
small_steps=1000,5000
if [[ $big != 0 ]]; then all_steps=$all_steps,$big; fi
bench() { run "$bin/parley_bench" --out "$results" "$@"; }

# durable_and_fanout TARGET URL PID USERS-DIR [LABEL-SUFFIX]: the scenarios every pass runs, the
# suffix naming the pass in the results (durable-mariadb, fanout-10-baseline, ...).
durable_and_fanout() {
  local t=$1 url=$2 pid=$3 users=$4 suffix=${5:-}
  # First, while the server is fresh: RabbitMQ is still deleting the fan-out runs' queues long after.
  log "$t$suffix: durable sends with receipts"
  bench --target "$t" --url "$url" --server-pid "$pid" --users "$users/dm_.jsonl" --scenario durable \
    --label "durable$suffix" --connections 200 --subscriptions 0 --window 64 --repeat "$reps" \
    --warmup 1 --duration "$duration"
  for k in 10 100 1000; do
    log "$t$suffix: fan-out, rooms of $k"
    bench --target "$t" --url "$url" --server-pid "$pid" --users "$users/fan${k}_.jsonl" --scenario fanout \
      --label "fanout-$k$suffix" --connections 2000 --rate "0,$((fixed / k))" --window "$window" \
      --repeat "$reps" --warmup 1 --duration "$duration"
  done
}

# Every traffic scenario, against either target ($1 = parley|rabbitmq, $2 = URL, $3 = pid).
traffic_scenarios() {
  local t=$1 url=$2 pid=$3
  durable_and_fanout "$t" "$url" "$pid" "$work"
  local sizes=5000
  if [[ $t == parley && $big != 0 ]]; then sizes="5000 $big"; fi
  for n in $sizes; do
    log "$t: fan-out, rooms of 100, $n connections"
    bench --target "$t" --url "$url" --server-pid "$pid" --users "$work/fan100_.jsonl" --scenario fanout \
      --label fanout-100 --connections "$n" --window "$window" --warmup 1 --duration "$duration"
  done
  log "$t: 2,000 DM pairs at $dm_rate messages/s"
  bench --target "$t" --url "$url" --server-pid "$pid" --users "$work/dm_.jsonl" --scenario dm --label dm \
    --connections 4000 --rate "$dm_rate" --window 64 --repeat "$reps" --warmup 1 --duration "$duration"
}

# The flat profile the report reads: "share dso [k|.] symbol" lines, self time.
perf_top() {  # perf.data text-out
  perf report -i "$1" --no-children -g none --sort dso,symbol --stdio --percent-limit 0.02 \
    2>/dev/null | grep '%' >"$2" || true
}

# User + system CPU seconds a process has used so far, all its threads (/proc/<pid>/stat fields
# 14 and 15, counted after the parenthesised name).
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' "/proc/$1/stat"
}

# ---- Parley -----------------------------------------------------------------------------------
url=ws://127.0.0.1:$port/ws/websocket
if want parley; then
  for rep in $(seq 1 "$reps"); do
    # Only the small steps repeat; the largest once is enough.
    steps=$([[ $rep == 1 ]] && echo "$all_steps" || echo "$small_steps")
    log "parley: idle sessions, ladder $steps (fresh server, run $rep)"
    start_parley "$bin/parley" "$data"
    bench --url "$url" --server-pid "$server_pid" --users "$work/idle_.jsonl" --scenario idle --label idle \
      --steps "$steps" --subscriptions 3
    stop_parley
  done

  start_parley "$bin/parley" "$data"
  traffic_scenarios parley "$url" "$server_pid"
  if command -v perf >/dev/null; then
    log "parley: perf profile of a fan-out (rooms of 100, max)"
    run perf record -e cpu-clock -F 999 -g -p "$server_pid" -o "$work/perf.data" -- sleep 7 >/dev/null 2>&1 &
    perf_pid=$!
    bench --url "$url" --server-pid "$server_pid" --users "$work/fan100_.jsonl" --scenario fanout \
      --label profile --connections 2000 --window "$window" --warmup 1 --duration 5 >/dev/null
    wait "$perf_pid" || true
    perf_top "$work/perf.data" "$profile"
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
fi

# ---- Parley on MariaDB --------------------------------------------------------------------------
# The durable and fan-out scenarios again, the store on a private MariaDB with its own users; then
# a second durable run with perf on parley and on mariadbd, and the CPU each used over the same
# seconds inside the counted window.
mkdir -p "$work/mariadb"
if ! want mariadb; then
  printf 'mariadb_skipped\tthe MariaDB pass was not run (ONLY=%s)\n' "$only" >"$mariadb_facts"
elif ! command -v mariadbd >/dev/null; then
  log "parley on mariadb: skipped, mariadbd is not installed"
  printf 'mariadb_skipped\tmariadbd is not installed (Debian: mariadb-server), so the pass was skipped\n' \
    >"$mariadb_facts"
else
  log "parley on mariadb: private server, users"
  dsn=$(run "$root/scripts/mariadb.sh" start "$mariadb_dir" "${MARIADB_PORT:-0}")
  mariadb --no-defaults --socket="$mariadb_dir/mysqld.sock" -uroot -N -B -e \
    'SELECT @@version, @@innodb_flush_log_at_trx_commit, @@innodb_buffer_pool_size DIV 1048576' |
    awk -F'\t' '{ printf "mariadb\t%s (innodb_flush_log_at_trx_commit=%s, buffer pool %s MiB)\n", $1, $2, $3 }' \
      >"$mariadb_facts"
  maria_data=$work/mariadb/parley-data
  on_mariadb=(PARLEY_STORAGE_BACKEND=mariadb "PARLEY_STORAGE_MARIADB_DSN=$dsn")
  mint_users "$work/mariadb" "$maria_data" env "${on_mariadb[@]}" "$bin/parley"
  start_parley "$bin/parley" "$maria_data" "${on_mariadb[@]}"
  durable_and_fanout parley "$url" "$server_pid" "$work/mariadb" -mariadb

  log "parley on mariadb: perf profile of a durable run (parley and mariadbd)"
  mariadbd_pid=$(cat "$mariadb_dir/server.pid")
  (
    sleep 2  # connected, past the start delay and the warm-up: 4 s inside the 6 s counted
    if command -v perf >/dev/null; then
      for p in "parley $server_pid" "mariadbd $mariadbd_pid"; do
        run perf record -e cpu-clock -F 999 -g -p "${p#* }" -o "$work/mariadb/perf-${p% *}.data" \
          -- sleep 4 >/dev/null 2>&1 &
      done
    fi
    # The CPU over a window of its own: perf takes a while to start and to write its data.
    t0=$(date +%s.%N) p0=$(cpu_seconds "$server_pid") d0=$(cpu_seconds "$mariadbd_pid")
    sleep 3.5
    t1=$(date +%s.%N) p1=$(cpu_seconds "$server_pid") d1=$(cpu_seconds "$mariadbd_pid")
    wait
    awk -v s="$t0 $t1" -v p="$p0 $p1" -v d="$d0 $d1" 'BEGIN {
      split(s, a); split(p, b); split(d, c)
      printf "mariadb_cpu_seconds\t%.2f\nmariadb_cpu_parley_s\t%.2f\nmariadb_cpu_mariadbd_s\t%.2f\n",
        a[2] - a[1], b[2] - b[1], c[2] - c[1] }' >>"$mariadb_facts"
  ) &
  probe_pid=$!
  bench --url "$url" --server-pid "$server_pid" --users "$work/mariadb/dm_.jsonl" --scenario durable \
    --label profile-mariadb --connections 200 --subscriptions 0 --window 64 --warmup 1 --duration 6 \
    >/dev/null
  wait "$probe_pid" || true
  if command -v perf >/dev/null; then
    for p in parley mariadbd; do
      perf_top "$work/mariadb/perf-$p.data" "$work/mariadb/profile-$p.txt"
    done
  fi
  stop_parley
  run "$root/scripts/mariadb.sh" stop "$mariadb_dir"
fi

# ---- the baseline revision ----------------------------------------------------------------------
if [[ -n $baseline_rev ]]; then
  log "baseline $baseline_rev: users, durable and fan-out on SQLite (fresh server)"
  mint_users "$work/baseline" "$work/baseline/parley-data" "$bin/parley-baseline"
  start_parley "$bin/parley-baseline" "$work/baseline/parley-data"
  durable_and_fanout parley "$url" "$server_pid" "$work/baseline" -baseline
  stop_parley
fi

# ---- the raw-socket limit -----------------------------------------------------------------------
if want raw; then
  frame=$(grep '"target":"parley"' "$results" | grep '"label":"fanout-100"' |
    grep -o '"frame_bytes":[0-9.eE+]*' | head -1 | cut -d: -f2 || true)
  frame=$(printf '%.0f' "${frame:-500}")
  log "raw fan-out limit ($frame-byte frames)"
  raw_sizes="2000 5000"
  if [[ $big != 0 ]]; then raw_sizes="$raw_sizes $big"; fi
  for n in $raw_sizes; do
    for b in 1 "$window"; do
      r=$([[ $n == 2000 ]] && echo "$reps" || echo 1)
      for _ in $(seq 1 "$r"); do
        run "$bin/raw_fanout" --connections "$n" --frame-bytes "$frame" --batch "$b" --threads "$threads" \
          --label "raw-$n-b$b" --duration "$duration" --out "$results"
      done
    done
  done
fi

# ---- RabbitMQ Web-STOMP -------------------------------------------------------------------------
if want rabbitmq; then
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
fi

# ---- micro-benchmarks ---------------------------------------------------------------------------
if want micro; then
  log "micro-benchmarks"
  run "$bin/parley_micro" --benchmark_min_time=0.2 --benchmark_format=console \
    --benchmark_out="$work/micro.json" --benchmark_out_format=json
fi

# ---- the report ---------------------------------------------------------------------------------
log "report"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
knobs=
for v in QUICK REPS BASELINE ONLY DURATION; do
  if [[ -n ${!v:-} ]]; then knobs+="$v=${!v} "; fi
done
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
  cat "$mariadb_facts"
  if [[ -n $baseline_rev ]]; then printf 'baseline\t%s\n' "$baseline_rev"; fi
  printf 'load_before\t%s\n' "$load_before"
  printf 'load_after\t%s\n' "$load_after"
  printf 'shared\t%s\n' "$(awk -v l="${load_before%% *}" 'BEGIN { print (l > 0.5 ? "yes" : "no") }')"
  printf 'reps\t%s\n' "$reps"
  printf 'command\t%sbench/run-all.sh\n' "$knobs"
  printf 'minutes\t%s\n' "$(( ($(date +%s) - started + 59) / 60 ))"
  while IFS= read -r line; do printf 'commands\t%s\n' "$line"; done <"$commands"
} >"$work/facts.tsv"
mkdir -p "$docs/bench"
"$bin/parley_bench_report" --results "$results" --micro "$work/micro.json" --facts "$work/facts.tsv" \
  --profile "$profile" --syscalls "$work/syscalls.txt" --analysis "$root/bench/analysis.md" --fixed-deliveries "$fixed" --window "$window" \
  --mariadb-parley-profile "$work/mariadb/profile-parley.txt" \
  --mariadb-server-profile "$work/mariadb/profile-mariadbd.txt" \
  --plot-dir "$work/plots" --png-dir "$docs/bench" --out "$docs/benchmarks.md"
if ! (cd "$work/plots" && gnuplot plots.gp); then
  # A partial run leaves some plots without data.
  [[ -n $only ]] || exit 1
  log "gnuplot failed on a plot without data (ONLY=$only)"
fi
log "wrote $docs/benchmarks.md and $docs/bench/*.png (raw results: $results)"
