#!/usr/bin/env bash
# Starts and stops a throwaway Apache Kafka 4 broker (KRaft, one node that is its own controller)
# on loopback, for tests and local clusters. The jars come from Maven Central through
# scripts/kafka/pom.xml and are cached in ~/.cache/parley/kafka-<pom hash> between runs.
#
#   scripts/kafka.sh start DIR [PORT]   # fresh log dir in DIR; prints the bootstrap address
#   scripts/kafka.sh stop DIR           # shuts the broker in DIR down (no-op if not running)
#   scripts/kafka.sh kill DIR           # kill -9 (fault tests)
#   scripts/kafka.sh restart DIR        # start again on the same data and ports
#
# The address (127.0.0.1:PORT) is also written to DIR/address. PORT 0 or absent: a free port.
# Readiness is probed with kcat (metadata request), never read from log lines.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,12p' "$0" >&2; exit 2; }
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

probe() { kcat -L -b "$(cat "$dir/address" 2>/dev/null || echo 127.0.0.1:1)" -m 2 >/dev/null 2>&1; }

launch() {
  local port controller
  port=$(cat "$dir/port")
  controller=$(cat "$dir/controller_port")
  echo "127.0.0.1:$port" >"$dir/address"
  # A single broker: every replication factor and ISR is 1, or consumer groups hang.
  cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=8
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF
  if [ ! -f "$dir/data/meta.properties" ]; then
    java -cp "$jars/libs/*" kafka.tools.StorageTool format -t "$(cat "$dir/cluster_id")" \
      -c "$dir/server.properties" >>"$dir/kafka.log" 2>&1
  fi
  setsid java -Xms256m -Xmx512m -cp "$jars/libs/*" kafka.Kafka "$dir/server.properties" \
    >>"$dir/kafka.log" 2>&1 </dev/null &
  echo $! >"$dir/kafka.pid"
  local deadline=$((SECONDS + 60))
  until probe; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null; then
      echo "kafka did not start in $dir:" >&2
      tail -n 30 "$dir/kafka.log" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
}

wait_gone() {
  local pid=$1
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

case "$cmd" in
  start)
    command -v java >/dev/null || { echo "java not installed (apt-get install default-jre-headless)" >&2; exit 1; }
    command -v kcat >/dev/null || { echo "kcat not installed (apt-get install kcat)" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(realpath "$dir")
    if probe; then cat "$dir/address"; exit 0; fi
    fetch_jars
    rm -rf "$dir/data"
    port=${3:-0}
    [ "$port" = 0 ] && port=$(free_port)
    echo "$port" >"$dir/port"
    free_port >"$dir/controller_port"
    java -cp "$jars/libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1 >"$dir/cluster_id"
    launch
    cat "$dir/address"
    ;;
  restart)
    dir=$(realpath "$dir")
    probe || launch
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    pid=$(cat "$dir/kafka.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    wait_gone "$pid"
    rm -f "$dir/kafka.pid"
    ;;
  kill)
    pid=$(cat "$dir/kafka.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    wait_gone "$pid"
    rm -f "$dir/kafka.pid"
    ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
