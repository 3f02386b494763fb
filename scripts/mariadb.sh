#!/usr/bin/env bash
# Starts and stops a throwaway MariaDB 10.11 server (Debian's mariadb-server) on loopback, for
# tests and local runs. Nothing here is for production: see README "Running on MariaDB".
#
#   scripts/mariadb.sh start DIR [PORT]   # fresh data dir in DIR; prints the DSN on stdout
#   scripts/mariadb.sh stop DIR           # shuts the server in DIR down (no-op if not running)
#   scripts/mariadb.sh kill DIR           # kill -9 (fault tests)
#   scripts/mariadb.sh restart DIR        # start again on the same data and port
#
# The server gets a user `parley`@'127.0.0.1' with a random password, allowed to create
# databases (each test suite makes its own), and utf8mb4 everywhere (without it emoji fail).
# The DSN is also written to DIR/dsn. PORT 0 or absent: a free port.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,12p' "$0" >&2; exit 2; }

admin() { mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -uroot "$@"; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

launch() {
  local port=$1
  # --user=root is required when run as root; --skip-name-resolve: 127.0.0.1 logins match
  # user@'127.0.0.1'.
  mariadbd --no-defaults --datadir="$dir/data" --user="$(id -un)" --port="$port" \
    --bind-address=127.0.0.1 --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" \
    --log-error="$dir/err.log" --skip-name-resolve \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --innodb-buffer-pool-size=128M --max-connections=500 >/dev/null 2>&1 &
  # Our own record of the pid: mariadbd deletes its pid file before the process has exited.
  echo $! >"$dir/server.pid"
  echo "$port" >"$dir/port"
  local deadline=$((SECONDS + 60))
  until admin ping >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "mariadb did not start in $dir:" >&2
      tail -n 30 "$dir/err.log" >&2 || true
      exit 1
    fi
    sleep 0.1
  done
}

case "$cmd" in
  start)
    command -v mariadbd >/dev/null || { echo "mariadbd not installed (apt-get install mariadb-server)" >&2; exit 1; }
    mkdir -p "$dir"
    dir=$(realpath "$dir")
    if admin ping >/dev/null 2>&1; then cat "$dir/dsn"; exit 0; fi
    port=${3:-0}
    [ "$port" = 0 ] && port=$(free_port)
    rm -rf "$dir/data"
    mariadb-install-db --no-defaults --datadir="$dir/data" --user="$(id -un)" \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 ||
      { cat "$dir/install.log" >&2; exit 1; }
    launch "$port"
    password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
    mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot <<SQL
CREATE USER 'parley'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO 'parley'@'127.0.0.1';
SQL
    echo "mariadb://parley:$password@127.0.0.1:$port/parley" >"$dir/dsn"
    chmod 600 "$dir/dsn"
    cat "$dir/dsn"
    ;;
  restart)
    dir=$(realpath "$dir")
    admin ping >/dev/null 2>&1 || launch "$(cat "$dir/port")"
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    admin shutdown >/dev/null 2>&1 || true
    # shutdown returns once the server has stopped accepting; wait for the process to go.
    pid=$(cat "$dir/server.pid" 2>/dev/null || true)
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    ;;
  kill)
    pid=$(cat "$dir/server.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$dir/mysqld.pid" "$dir/mysqld.sock"
    ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
