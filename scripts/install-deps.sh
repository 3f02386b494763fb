#!/usr/bin/env bash
# Installs what building and testing Parley needs on Debian 12. Idempotent: apt runs only when a
# package is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git curl openssl jq python3
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsodium-dev libsqlite3-dev libspdlog-dev libtomlplusplus-dev libcli11-dev
  libgtest-dev libbenchmark-dev
  libmariadb-dev mariadb-server mariadb-client
  redis-server redis-tools libhiredis-dev
  haproxy systemd
  librdkafka-dev kcat maven default-jre-headless
  clang-14 libclang-rt-14-dev
  nodejs npm
)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
# nodejs/npm may come from elsewhere (the machine image ships Node 20): accept any node >= 20.
if command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
