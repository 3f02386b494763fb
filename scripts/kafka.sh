#!/usr/bin/env bash
# Starts and stops a throwaway Apache Kafka 4 broker (KRaft, one node that is its own controller)
# on loopback, for tests and local clusters, or with BROKERS=N a cluster of N such nodes. The jars
# come from Maven Central through scripts/kafka/pom.xml and are cached in
# ~/.cache/parley/kafka-<pom hash> between runs.
#
#   scripts/kafka.sh start DIR [PORT]   # fresh log dir in DIR; prints the bootstrap address
#   scripts/kafka.sh stop DIR           # shuts the broker(s) in DIR down (no-op if not running)
#   scripts/kafka.sh kill DIR [N]       # kill -9 (fault tests): broker N only, or all
#   scripts/kafka.sh restart DIR [N]    # start again on the same data and ports: N, or all down
#
# The address (127.0.0.1:PORT) is also written to DIR/address. PORT 0 or absent: a free port.
# BROKERS=N (1-9, start only; later commands read it from DIR/brokers): node.id 1..N in DIR/1..N,
# all of them controller voters, PORT the first one's; topics get replication factor min(N, 3)
# and min.insync.replicas one less (at least 1); the address is 127.0.0.1:P1,...,127.0.0.1:PN.
# One broker may die without stopping writes from N = 3 on (the quorum needs a majority).
# Readiness is probed with kcat (metadata request), never read from log lines.
set -euo pipefail

usage() { sed -n '2,17p' "$0" >&2; exit 2; }
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || usage
root=$(cd "$(dirname "$0")/.." && pwd)
pom=$root/scripts/kafka/pom.xml
# The cache is named after the pom's content: editing a version fetches afresh.
jars=${PARLEY_KAFKA_JARS:-$HOME/.cache/parley/kafka-$(sha256sum "$pom" | cut -c1-12)}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

fetch_jars() {
  [ -f "$jars/complete" ] && return 0
  command -v mvn >/dev/null || { echo "mvn not installed (apt-get install maven)" >&2; exit 1; }
  rm -rf "$jars"
  mkdir -p "$jars"
  mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$jars/libs" >&2
  touch "$jars/complete"
}

# How many brokers DIR holds: the single broker lives in DIR itself, broker n of several in DIR/n.
brokers() { cat "$dir/brokers" 2>/dev/null || echo 1; }
node_dir() { if [ "$(brokers)" = 1 ]; then echo "$dir"; else echo "$dir/$1"; fi; }

probe() { kcat -L -b "$(cat "$dir/address" 2>/dev/null || echo 127.0.0.1:1)" -m 2 >/dev/null 2>&1; }

# Broker n of several is ready once its metadata lists broker $2 (itself, or each of the others):
# a broker is listed only after the active controller registered and unfenced it, so a listing
# also proves the metadata quorum has a leader.
lists() {
  kcat -L -b "$(cat "$(node_dir "$1")/address" 2>/dev/null)" -m 2 2>/dev/null |
    grep -q "^  broker $2 at 127.0.0.1:$(cat "$(node_dir "$2")/port" 2>/dev/null)"
}

# server.properties of node n, then its process; does not wait.
spawn() {
  local n=$1 nd port controller count voters="" heap="-Xms256m -Xmx512m" i
  nd=$(node_dir "$n")
  count=$(brokers)
  port=$(cat "$nd/port")
  controller=$(cat "$nd/controller_port")
  echo "127.0.0.1:$port" >"$nd/address"
  for i in $(seq 1 "$count"); do
    voters=$voters${voters:+,}$i@127.0.0.1:$(cat "$(node_dir "$i")/controller_port")
  done
  # A single broker: every replication factor and ISR is 1, or consumer groups hang. Several: one
  # may be down and acks=all still succeed.
  local rf=$((count < 3 ? count : 3))
  local isr=$((rf > 1 ? rf - 1 : 1))
  cat >"$nd/server.properties" <<PROPS
process.roles=broker,controller
node.id=$n
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$nd/data
num.partitions=8
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
  if [ "$count" -gt 1 ]; then
    # Topics created with replication factor -1 (as Parley's are) take the default.
    printf 'default.replication.factor=%s\nmin.insync.replicas=%s\n' "$rf" "$isr" \
      >>"$nd/server.properties"
    heap="-Xms128m -Xmx384m"  # several JVMs on a small test machine
  fi
  if [ ! -f "$nd/data/meta.properties" ]; then
    java -cp "$jars/libs/*" kafka.tools.StorageTool format -t "$(cat "$dir/cluster_id")" \
      -c "$nd/server.properties" >>"$nd/kafka.log" 2>&1
  fi
  setsid java $heap -cp "$jars/libs/*" kafka.Kafka "$nd/server.properties" \
    >>"$nd/kafka.log" 2>&1 </dev/null &
  echo $! >"$nd/kafka.pid"
}

# Polls until `ready` succeeds; fails with the log tails of nodes $2... if one of them died.
await() {
  local ready=$1 deadline=$((SECONDS + ($(brokers) == 1 ? 60 : 90))) n nd
  shift
  until $ready; do
    for n in "$@"; do
      nd=$(node_dir "$n")
      if [ $SECONDS -ge $deadline ] || ! kill -0 "$(cat "$nd/kafka.pid")" 2>/dev/null; then
        echo "kafka did not start in $nd:" >&2
        tail -n 30 "$nd/kafka.log" >&2 || true
        exit 1
      fi
    done
    sleep 0.2
  done
}

running() { kill -0 "$(cat "$(node_dir "$1")/kafka.pid" 2>/dev/null || echo x)" 2>/dev/null; }

# After start: every broker lists every broker.
all_listed() {
  local i j
  for i in $(seq 1 "$(brokers)"); do
    for j in $(seq 1 "$(brokers)"); do lists "$i" "$j" || return 1; done
  done
}
up() { if [ "$(brokers)" = 1 ]; then probe; else all_listed; fi; }
# After restart: each broker in $restarted lists itself.
restarted=""
restarted_listed() {
  local i
  for i in $restarted; do lists "$i" "$i" || return 1; done
}

# The brokers a command addresses, into $nodes: N (checked against DIR/brokers), else all.
pick() {
  local count
  count=$(brokers)
  if [ -z "${1:-}" ]; then nodes=$(seq 1 "$count"); return; fi
  [[ $1 =~ ^[1-9]$ ]] && [ "$1" -le "$count" ] || { echo "no broker $1 in $dir" >&2; exit 2; }
  nodes=$1
}

wait_gone() {
  local pid=$1
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

# Sends signal $1 to the brokers $2...; waits until all are gone.
signal() {
  local sig=$1 n pid pids="" deadline=$((SECONDS + 30))
  shift
  for n in "$@"; do
    pid=$(cat "$(node_dir "$n")/kafka.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill "-$sig" "$pid" 2>/dev/null || true
    pids="$pids $pid"
  done
  for pid in $pids; do
    # A broker of several that is left without a quorum waits for it (measured: 5 min) before it
    # gives up its controlled shutdown; a throwaway cluster loses nothing to a kill -9 instead.
    while [ "$(brokers)" != 1 ] && [ "$sig" = TERM ] && kill -0 "$pid" 2>/dev/null; do
      [ $SECONDS -lt $deadline ] || kill -9 "$pid" 2>/dev/null || true
      sleep 0.05
    done
    wait_gone "$pid"
  done
  for n in "$@"; do rm -f "$(node_dir "$n")/kafka.pid"; done
}

case "$cmd" in
  start)
    command -v java >/dev/null ||
      { echo "java not installed (apt-get install default-jre-headless)" >&2; exit 1; }
    command -v kcat >/dev/null || { echo "kcat not installed (apt-get install kcat)" >&2; exit 1; }
    count=${BROKERS:-1}
    [[ $count =~ ^[1-9]$ ]] || { echo "BROKERS must be 1-9" >&2; exit 2; }
    mkdir -p "$dir"
    dir=$(realpath "$dir")
    if [ "$(brokers)" = "$count" ] && up; then
      cat "$dir/address"
      exit 0
    fi
    fetch_jars
    java -cp "$jars/libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1 \
      >"$dir/cluster_id"
    port=${3:-0}
    if [ "$count" = 1 ]; then
      rm -f "$dir/brokers"
      rm -rf "$dir/data"
      [ "$port" = 0 ] && port=$(free_port)
      echo "$port" >"$dir/port"
      free_port >"$dir/controller_port"
      spawn 1
      await probe 1
    else
      echo "$count" >"$dir/brokers"
      for n in $(seq 1 "$count"); do
        rm -rf "$dir/$n/data"
        mkdir -p "$dir/$n"
        if [ "$port" = 0 ] || [ "$n" -gt 1 ]; then port=$(free_port); fi
        echo "$port" >"$dir/$n/port"
        free_port >"$dir/$n/controller_port"
      done
      for n in $(seq 1 "$count"); do spawn "$n"; done
      for n in $(seq 1 "$count"); do cat "$dir/$n/address"; done | paste -sd, >"$dir/address"
      await all_listed $(seq 1 "$count")
    fi
    cat "$dir/address"
    ;;
  restart)
    dir=$(realpath "$dir")
    if [ "$(brokers)" = 1 ]; then
      probe || { spawn 1; await probe 1; }
    else
      pick "${3:-}"
      for n in $nodes; do
        running "$n" || { spawn "$n"; restarted="$restarted $n"; }
      done
      [ -z "$restarted" ] || await restarted_listed $restarted
    fi
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    # All at once: stopped one by one, the last ones would wait for a quorum that is gone.
    pick
    signal TERM $nodes
    ;;
  kill)
    pick "${3:-}"
    signal 9 $nodes
    ;;
  *) usage ;;
esac
