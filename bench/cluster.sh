#!/usr/bin/env bash
# bench/cluster.sh: the cluster on this machine, 1, 2 and 3 nodes, with the load generator of
# bench/run-all.sh. Each size is a fresh scripts/cluster.sh (Kafka log, 2 `parley persist`
# workers, Redis, MariaDB, HAProxy unused: the generator spreads its connections over the nodes,
# connection i on node i mod N). Per size: fan-out in rooms of 100 (every member subscribed,
# members spread over the nodes, so most deliveries cross Redis) at the maximum and at a fixed
# rate, and durable sends (a RECEIPT each: in Kafka and MariaDB); the CPU each process used.
# Writes docs/benchmarks-cluster.md. Nothing passes or fails on a time.
#
#   bench/cluster.sh                 # about 6 minutes
#   NODES="1 3" DURATION=8 bench/cluster.sh
#
# Environment: NODES (default "1 2 3"), DURATION (seconds counted per phase, default 5), BENCH_WORK
# (default /tmp/parley-bench-cluster), PORT (HAProxy's; nodes on PORT+1.., default 19080),
# BENCH_DOCS (default docs). Needs a release build with the benchmarks (build/release).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_WORK:-/tmp/parley-bench-cluster}
docs=$(realpath -m "${BENCH_DOCS:-$root/docs}")
port=${PORT:-19080}
duration=${DURATION:-5}
sizes=${NODES:-1 2 3}
fan=2000        # fan-out connections: 20 rooms of 100
fixed=2000      # deliveries/s offered in the fixed-rate fan-out
durable=200     # durable connections, each with 64 SENDs in flight
bin=$work/bin
results=$work/results.jsonl

log() { printf '== %s %s\n' "$(date +%T)" "$*" >&2; }
rm -rf "$work" && mkdir -p "$bin"
# Copies, so a concurrent rebuild cannot change a binary in the middle of the run.
cp "$root/build/release/src/server/parley" "$root/build/release/bench/parley_bench" "$bin/"
export PARLEY_BIN=$bin/parley PARLEY_AUTH_ARGON2=min PARLEY_LOG_LEVEL=warn \
  PARLEY_STOMP_SEND_RATE_PER_SECOND=100000000 PARLEY_STOMP_SEND_BURST=100000000
cluster_dir=$work/cluster
trap '"$root/scripts/cluster.sh" down "$cluster_dir" >/dev/null 2>&1 || true' EXIT

# Users straight into the cluster's MariaDB, with tokens signed by its keys.
mint() {
  env PARLEY_STORAGE_BACKEND=mariadb "PARLEY_STORAGE_MARIADB_DSN=$(cat "$cluster_dir/mariadb/dsn")" \
    PARLEY_AUTH_KEYS_DIR="$cluster_dir/keys" "$bin/parley" admin mint-users \
    --data-dir "$work/mint" --access-ttl-seconds 7200 "$@"
}

for n in $sizes; do
  log "cluster of $n nodes"
  rm -rf "$cluster_dir"
  S3=0 "$root/scripts/cluster.sh" up "$cluster_dir" "$n" "$port" >&2
  mint --prefix "fan${n}_" --count "$fan" --room-size 100 --rooms-per-user 1 >"$work/fan$n.jsonl"
  mint --prefix "dur${n}_" --count "$durable" --room-size 2 --rooms-per-user 1 >"$work/dur$n.jsonl"
  urls=() pids=() names=()
  for i in $(seq 1 "$n"); do
    urls+=(--url "ws://127.0.0.1:$((port + i))/ws/websocket")
    pids+=(--server-pid "$(cat "$cluster_dir/node$i.pid")")
    names+=("node$i")
  done
  for w in 1 2; do pids+=(--server-pid "$(cat "$cluster_dir/nodew$w.pid")"); names+=("worker$w"); done
  pids+=(--server-pid "$(cat "$cluster_dir/redis/redis.pid")"); names+=(redis)
  pids+=(--server-pid "$(cat "$cluster_dir/mariadb/server.pid")"); names+=(mariadb)
  pids+=(--server-pid "$(cat "$cluster_dir/kafka/kafka.pid")"); names+=(kafka)
  printf '%s\n' "${names[@]}" | jq -R . | jq -sc . >"$work/names$n.json"
  b() { "$bin/parley_bench" "${urls[@]}" "${pids[@]}" --out "$results" --threads 2 "$@"; }
  log "fan-out, rooms of 100, maximum"
  b --users "$work/fan$n.jsonl" --scenario fanout --connections "$fan" --subscriptions 1 \
    --rate 0 --window 8 --warmup 2 --duration "$duration" --label "fanout-max-$n"
  log "fan-out, rooms of 100, $fixed deliveries/s offered"
  b --users "$work/fan$n.jsonl" --scenario fanout --connections "$fan" --subscriptions 1 \
    --rate $((fixed / 100)) --warmup 2 --duration "$duration" --label "fanout-fixed-$n"
  log "durable sends through Kafka"
  b --users "$work/dur$n.jsonl" --scenario durable --connections "$durable" --subscriptions 1 \
    --rate 0 --window 64 --warmup 2 --duration "$duration" --label "durable-$n"
  "$root/scripts/cluster.sh" down "$cluster_dir" >&2
done

# ---- the report ---------------------------------------------------------------------------------
row() {  # label: one result line as JSON
  jq -c --arg l "$1" 'select(.label == $l)' "$results" | tail -n 1
}
ms() { jq -r "$1 / 1000 | . * 100 | round / 100"; }
{
  echo "# Parley cluster benchmarks"
  echo
  echo "Written by \`bench/cluster.sh\` on $(date -u +%Y-%m-%d) at $(git -C "$root" rev-parse --short HEAD)," \
    "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))." \
    "Each size is a fresh \`scripts/cluster.sh up\`: N \`parley serve\` nodes, 2 \`parley persist\`" \
    "workers, Kafka 4.1 (one broker), Redis, MariaDB, all on this machine with the load generator;" \
    "connection i goes to node i mod N, so in a room of 100 most deliveries cross Redis." \
    "Every message goes through the Kafka log: node → Kafka → worker (MariaDB commit) → Redis →" \
    "every node with a member. ${duration} s counted per phase after 2 s of warm-up."
  echo
  echo "| nodes | fan-out K=100 deliveries/s (max) | p50 ms | p99 ms | at $fixed/s offered: p50 ms | p99 ms | durable RECEIPTs/s | SEND → RECEIPT p50 ms | p99 ms |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for n in $sizes; do
    fm=$(row "fanout-max-$n") ff=$(row "fanout-fixed-$n") du=$(row "durable-$n")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" \
      "$(jq -r '.deliveries_per_s | round' <<<"$fm")" \
      "$(ms .delivery_latency_us.p50 <<<"$fm")" "$(ms .delivery_latency_us.p99 <<<"$fm")" \
      "$(ms .delivery_latency_us.p50 <<<"$ff")" "$(ms .delivery_latency_us.p99 <<<"$ff")" \
      "$(jq -r '.receipts_per_s | round' <<<"$du")" \
      "$(ms .receipt_latency_us.p50 <<<"$du")" "$(ms .receipt_latency_us.p99 <<<"$du")"
  done
  echo
  echo "CPU per delivery (fan-out at the maximum) and per RECEIPT (durable), in µs, by process:"
  echo
  for n in $sizes; do
    names=$(cat "$work/names$n.json")
    for kind in fanout-max durable; do
      r=$(row "$kind-$n")
      jq -r --argjson names "$names" --arg n "$n" --arg kind "$kind" '
        (if $kind == "fanout-max" then .deliveries_per_s else .receipts_per_s end) as $rate
        | ($rate * .duration_s) as $units
        | [$names, (.server_cpu_s_each | map(. * 1e6 / $units | . * 10 | round / 10))]
        | transpose | map("\(.[0]) \(.[1])") | join(", ")
        | "- \($n) node(s), \($kind): \(.)"' <<<"$r"
    done
  done
  echo
  echo "Raw results (JSON lines, one per phase): \`$results\` during the run."
} >"$docs/benchmarks-cluster.md"
log "wrote $docs/benchmarks-cluster.md"
cat "$docs/benchmarks-cluster.md"
