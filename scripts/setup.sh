#!/usr/bin/env bash
# Installs every Debian package that the build, the tests and the benchmarks need.
# Idempotent: packages already present are left alone. Runs as root on a fresh machine.
set -euo pipefail

packages=(
  cmake g++ make ninja-build pkg-config clang-format ccache
  libsqlite3-dev sqlite3
  libpq-dev postgresql-15 postgresql-client-15
  libmariadb-dev mariadb-server mariadb-client
  libcli11-dev libfmt-dev libsimdjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  gnuplot-nox
  python3 python3-dev python3-pybind11 python3-pytest
  python3-django python3-psycopg2 python3-mysqldb chromium
  galera-4 mariadb-plugin-spider rsync
  clang-14 libclang-rt-14-dev llvm-14 linux-perf
)

# The throwaway servers listen on ports inside Linux's ephemeral range (32768-60999), where the
# kernel also picks the local port of every outgoing connection: a test's client socket once held
# 54396 when the soak's PostgreSQL started there ("Address already in use", the soak failed).
# Reserving the ranges the scripts use keeps the kernel from handing them out (binding them
# explicitly still works). Best effort: skipped where the sysctl cannot be written.
reserved="33000-33999,45600-45999,54300-54499"
if [ "$(cat /proc/sys/net/ipv4/ip_local_reserved_ports 2>/dev/null)" != "$reserved" ]; then
  if { [ "$(id -u)" -eq 0 ] && sysctl -q -w net.ipv4.ip_local_reserved_ports="$reserved"; } 2>/dev/null ||
    sudo -n sysctl -q -w net.ipv4.ip_local_reserved_ports="$reserved" 2>/dev/null; then
    echo "setup: reserved ports $reserved (no client socket takes them)"
  else
    echo "setup: could not reserve ports $reserved; a server may rarely find its port taken" >&2
  fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# Package scripts must not start system-wide database services: the tests start
# throwaway instances of their own (scripts/test-servers.sh).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod +x "$policy"
  made_policy=1
fi
cleanup() { [ "$made_policy" -eq 0 ] || "${sudo_cmd[@]}" rm -f "$policy"; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq || true
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
