#!/usr/bin/env bash
# A private RabbitMQ 3.10 with Web-STOMP on loopback, for bench/run-all.sh (and by hand):
#   bench/rabbitmq.sh start DIR   installs rabbitmq-server if missing, starts it, waits for Web-STOMP
#   bench/rabbitmq.sh stop DIR    stops the broker and its epmd
#   bench/rabbitmq.sh pid DIR     the broker's OS pid (beam.smp), for memory and CPU readings
# Everything lives in DIR; ports come from RABBIT_PORT_BASE (default 26000): +1 AMQP, +2 Erlang
# distribution, +3 epmd, +4 Web-STOMP (ws://127.0.0.1:<base+4>/ws). The /usr/sbin wrappers switch
# user and ignore the environment, so the scripts in /usr/lib/rabbitmq/bin are used directly.
set -euo pipefail

cmd=${1:?start|stop|pid}
dir=$(realpath -m "${2:?data directory}")
base=${RABBIT_PORT_BASE:-26000}
bin=/usr/lib/rabbitmq/bin

export HOME=$dir/home
export RABBITMQ_NODENAME=peer@localhost
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$((base + 1))
export RABBITMQ_DIST_PORT=$((base + 2))
export ERL_EPMD_PORT=$((base + 3))
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export RABBITMQ_MNESIA_BASE=$dir/mnesia
export RABBITMQ_LOG_BASE=$dir/log
export RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf
export RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
export RABBITMQ_PID_FILE=$dir/rabbit.pid

case $cmd in
  start)
    if [[ ! -x $bin/rabbitmq-server ]]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server >/dev/null
    fi
    mkdir -p "$HOME" "$RABBITMQ_MNESIA_BASE" "$RABBITMQ_LOG_BASE"
    # idle_timeout: idle benchmark sessions send no heart-beats and must not be reaped while the
    # ladder of connections is built (cowboy's default is 60 s).
    cat >"$RABBITMQ_CONFIG_FILE" <<EOF
listeners.tcp.default = 127.0.0.1:$((base + 1))
web_stomp.tcp.port = $((base + 4))
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.backlog = 4096
web_stomp.cowboy_opts.idle_timeout = 600000
web_stomp.ws_opts.idle_timeout = 600000
stomp.listeners.tcp = none
loopback_users = none
EOF
    "$bin/rabbitmq-plugins" enable --offline rabbitmq_web_stomp >/dev/null
    ulimit -n "$(ulimit -Hn)"
    nohup "$bin/rabbitmq-server" >"$dir/server.out" 2>&1 &
    for _ in $(seq 1 120); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$((base + 4))") 2>/dev/null; then
        echo "rabbitmq: Web-STOMP at ws://127.0.0.1:$((base + 4))/ws (pid $(cat "$RABBITMQ_PID_FILE"))"
        exit 0
      fi
      sleep 0.5
    done
    echo "rabbitmq: Web-STOMP did not come up; see $dir/server.out and $dir/log" >&2
    exit 1
    ;;
  stop)
    if [[ -f $RABBITMQ_PID_FILE ]]; then
      pid=$(cat "$RABBITMQ_PID_FILE")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$RABBITMQ_PID_FILE"
    fi
    epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1 || true
    ;;
  pid)
    cat "$RABBITMQ_PID_FILE"
    ;;
  *)
    echo "usage: $0 start|stop|pid DIR" >&2
    exit 2
    ;;
esac
