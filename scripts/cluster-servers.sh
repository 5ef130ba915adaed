#!/usr/bin/env bash
# Starts and stops a throwaway three-node Galera cluster and a Spider front with two backends, all
# MariaDB instances on this machine, for the cluster tests (tests/cluster) and the benchmark.
#
#   scripts/cluster-servers.sh start        [DIR]   fresh cluster + Spider set, writes DIR/env.sh, prints its exports
#   scripts/cluster-servers.sh stop         [DIR]   stops every instance; succeeds if nothing runs
#   scripts/cluster-servers.sh status       [DIR]   exit 0 if every instance answers and Galera has 3 nodes
#   scripts/cluster-servers.sh kill-node N  [DIR]   SIGKILLs Galera node N (1-3): a crash, for fault tests
#   scripts/cluster-servers.sh start-node N [DIR]   starts Galera node N again; it rejoins the cluster
#   scripts/cluster-servers.sh stop-backend N [DIR] stops Spider backend N (1-2), for fault tests
#   scripts/cluster-servers.sh start-backend N [DIR] starts Spider backend N again
#
# DIR defaults to ${UPSERT_CLUSTER_DIR:-/tmp/upsert-cluster}. Ports (override with the variables):
#   Galera SQL    UPSERT_GALERA_PORT_BASE+1..3     default 33181-33183
#   gcomm         UPSERT_GCOMM_PORT_BASE+1..3      default 45671-45673
#   IST           UPSERT_IST_PORT_BASE+1..3        default 45681-45683
#   SST           UPSERT_SST_PORT_BASE+1..3        default 45691-45693
#   Spider front  UPSERT_SPIDER_PORT_BASE+1, backends +2, +3   default 33191, 33192-33193
#
# Every instance runs as the `mysql` user (when started as root) with data it owns: rsync state
# transfer runs as the server's user, and as root it fails with "Permission denied". Node 1
# bootstraps the cluster (--wsrep-new-cluster); nodes 2 and 3 join it by a rsync state transfer.
# A node restarted after kill-node starts at the position recovered from its storage engine.
#
# Only export lines go to stdout, so `eval "$(scripts/cluster-servers.sh start)"` works.
set -euo pipefail

galera_port_base=${UPSERT_GALERA_PORT_BASE:-33180}
gcomm_port_base=${UPSERT_GCOMM_PORT_BASE:-45670}
ist_port_base=${UPSERT_IST_PORT_BASE:-45680}
sst_port_base=${UPSERT_SST_PORT_BASE:-45690}
spider_port_base=${UPSERT_SPIDER_PORT_BASE:-33190}
db_name=upsert_test
db_user=upsert
db_password=upsert
wait_seconds=60
provider=/usr/lib/galera/libgalera_smm.so

log() { echo "cluster-servers: $*" >&2; }
die() {
  echo "cluster-servers: ERROR: $*" >&2
  exit 1
}

usage() {
  echo "usage: $0 {start|stop|status|kill-node N|start-node N|stop-backend N|start-backend N} [DIR]" >&2
  exit 2
}

[ $# -ge 1 ] || usage
command=$1
shift
number=
case "$command" in
  kill-node | start-node | stop-backend | start-backend)
    [ $# -ge 1 ] || usage
    number=$1
    shift
    ;;
esac
[ $# -le 1 ] || usage
dir=${1:-${UPSERT_CLUSTER_DIR:-/tmp/upsert-cluster}}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ "$dir" != / ] || die "refusing to use / as the cluster directory"
env_file=$dir/env.sh

is_root=0
[ "$(id -u)" -ne 0 ] || is_root=1
run_user() { if [ "$is_root" -eq 1 ]; then echo mysql; else id -un; fi; }

mariadbd_bin=/usr/sbin/mariadbd
for b in "$mariadbd_bin" "$provider" /usr/bin/mariadb-install-db /usr/bin/mariadb-admin /usr/bin/mariadb /usr/bin/rsync; do
  [ -e "$b" ] || die "$b is missing: run scripts/setup.sh (packages galera-4, mariadb-plugin-spider, rsync)"
done
admin() { mariadb-admin --no-defaults --connect-timeout=2 "$@"; }
client() { mariadb --no-defaults "$@"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Instance names: g1 g2 g3 (Galera), sf (Spider front), sb1 sb2 (Spider backends).
root_of() { echo "$dir/$1"; }
sock_of() { echo "$dir/$1/s.sock"; }
port_of() {
  case "$1" in
    g[123]) echo $((galera_port_base + ${1#g})) ;;
    sf) echo $((spider_port_base + 1)) ;;
    sb[12]) echo $((spider_port_base + 1 + ${1#sb})) ;;
  esac
}

# The pid of instance $1's running server, or failure. Trusted only if that process uses our datadir.
running_pid() {
  local pid_file pid
  pid_file=$(root_of "$1")/server.pid
  [ -f "$pid_file" ] || return 1
  pid=$(tr -dc '0-9' <"$pid_file")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "--datadir=$(root_of "$1")/data" || return 1
  echo "$pid"
}

# Options every instance gets; Galera nodes and the Spider front add theirs.
common_opts() {
  local name=$1 root
  root=$(root_of "$name")
  printf '%s\n' --datadir="$root/data" --user="$(run_user)" --tmpdir="$root/tmp" \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=2 \
    --innodb-doublewrite=0 --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --skip-name-resolve
}

galera_opts() {
  local n=${1#g}
  local gcomm=$((gcomm_port_base + n)) ist=$((ist_port_base + n)) sst=$((sst_port_base + n))
  local peers
  peers="127.0.0.1:$((gcomm_port_base + 1)),127.0.0.1:$((gcomm_port_base + 2)),127.0.0.1:$((gcomm_port_base + 3))"
  printf '%s\n' --wsrep-on=ON --wsrep-provider="$provider" --binlog-format=ROW \
    --innodb-autoinc-lock-mode=2 --wsrep-cluster-name=upsert_test_cluster --wsrep-node-name="node$n" \
    --wsrep-node-address="127.0.0.1:$gcomm" --wsrep-cluster-address="gcomm://$peers" \
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$gcomm;ist.recv_addr=127.0.0.1:$ist;gcache.size=64M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;pc.wait_prim_timeout=PT10S" \
    --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:$sst" --wsrep-slave-threads=2
}

init_instance() {
  local name=$1 root opts
  root=$(root_of "$name")
  mkdir -p "$root/data" "$root/tmp"
  [ "$is_root" -eq 0 ] || chown -R mysql:mysql "$root"
  chmod 755 "$root"
  mapfile -t opts < <(common_opts "$name")
  if ! mariadb-install-db --no-defaults "${opts[@]}" --auth-root-authentication-method=normal --skip-test-db \
    </dev/null >"$root/install-db.log" 2>&1; then
    tail -n 30 "$root/install-db.log" >&2
    die "mariadb-install-db failed for $name"
  fi
}

# Starts instance $1 with extra options $2...; does not wait.
launch() {
  local name=$1 root opts
  shift
  root=$(root_of "$name")
  # A second server on the same datadir would fail, but only after overwriting the pid file.
  if running_pid "$name" >/dev/null; then
    log "$name is already running"
    return 0
  fi
  mkdir -p "$root/data" "$root/tmp"
  [ "$is_root" -eq 0 ] || chown -R mysql:mysql "$root"
  mapfile -t opts < <(common_opts "$name")
  : >"$root/server.err"
  [ "$is_root" -eq 0 ] || chown mysql:mysql "$root/server.err"
  # setsid, closed stdin/stdout and fd 9 (the lock): the server outlives this script.
  (cd "$root" && setsid -f "$mariadbd_bin" --no-defaults "${opts[@]}" "$@" --bind-address=127.0.0.1 \
    --port="$(port_of "$name")" --socket="$(sock_of "$name")" --pid-file="$root/server.pid" \
    --log-error="$root/server.err" --max-connections=300 --max-allowed-packet=64M \
    </dev/null >>"$root/server.err" 2>&1 9>&-)
}

# Waits until instance $1 answers on its socket (and, for a Galera node, is synced).
wait_ready() {
  local name=$1 state deadline=$((SECONDS + wait_seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if admin --socket="$(sock_of "$name")" -uroot ping >/dev/null 2>&1; then
      case "$name" in
        g*)
          state=$(client --connect-timeout=2 --socket="$(sock_of "$name")" -uroot -N -B \
            -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2) || true
          [ "$state" = Synced ] && return 0
          ;;
        *) return 0 ;;
      esac
    fi
    sleep 0.1
  done
  tail -n 40 "$(root_of "$name")/server.err" >&2
  die "$name (port $(port_of "$name")) not ready within ${wait_seconds}s"
}

stop_instance() {
  local name=$1 signal=${2:-TERM} pid i
  pid=$(running_pid "$name") || return 0
  kill "-$signal" "$pid" 2>/dev/null || true
  for ((i = 0; i < wait_seconds * 10; i++)); do
    [ -d "/proc/$pid" ] || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.5
}

start_galera_node() {
  local name=g$1
  [ -z "$(running_pid "$name" || true)" ] || die "$name is already running"
  case "${2:-}" in
    bootstrap) launch "$name" $(galera_opts "$name") --wsrep-new-cluster ;;
    # Started at a known position (uuid:seqno): the node takes only the writes it missed from a
    # donor's cache (IST), not a whole copy of the data (SST).
    *) launch "$name" $(galera_opts "$name") ${2:+--wsrep-start-position="$2"} ;;
  esac
}

# uuid:seqno recovered from the storage engine of a node that crashed (mysqld_safe's
# --wsrep-recover step, which plain mariadbd does not do by itself).
recovered_position() {
  local name=$1 root opts
  root=$(root_of "$name")
  mapfile -t opts < <(common_opts "$name")
  (cd "$root" && "$mariadbd_bin" --no-defaults "${opts[@]}" --wsrep-on=ON --wsrep-provider="$provider" \
    --binlog-format=ROW --wsrep-recover --log-error="$root/recover.err" </dev/null >/dev/null 2>&1 9>&-) || true
  sed -n 's/.*WSREP: Recovered position: *\([^ ]*\).*/\1/p' "$root/recover.err" | tail -n 1
}

create_accounts() {
  local sock=$1 sql="CREATE DATABASE IF NOT EXISTS $db_name CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;" host
  for host in localhost 127.0.0.1; do
    sql+="CREATE USER IF NOT EXISTS '$db_user'@'$host' IDENTIFIED BY '$db_password';
GRANT ALL PRIVILEGES ON *.* TO '$db_user'@'$host' WITH GRANT OPTION;"
  done
  client --socket="$sock" -uroot <<<"$sql" >&2 || die "creating the accounts on $sock failed"
}

url_of() { echo "mariadb://$db_user:$db_password@127.0.0.1:$(port_of "$1")/$db_name"; }

env_exports() {
  cat <<EOF
export UPSERT_TEST_CLUSTER_DIR='$dir'
export UPSERT_TEST_GALERA_URLS='$(url_of g1),$(url_of g2),$(url_of g3)'
export UPSERT_TEST_SPIDER_URL='$(url_of sf)'
export UPSERT_TEST_SPIDER_BACKEND_URLS='$(url_of sb1),$(url_of sb2)'
EOF
}

all_instances=(g3 g2 g1 sf sb1 sb2)

cmd_stop() {
  local name
  for name in "${all_instances[@]}"; do stop_instance "$name"; done
  log "stopped (if anything was running) in $dir"
}

cmd_start() {
  local name started
  started=$(date +%s.%N)
  cmd_stop
  rm -rf "$dir"/g1 "$dir"/g2 "$dir"/g3 "$dir"/sf "$dir"/sb1 "$dir"/sb2 "$env_file"
  for name in "${all_instances[@]}"; do
    ! port_open "$(port_of "$name")" || die "127.0.0.1:$(port_of "$name") ($name) is already in use"
  done
  [ "$is_root" -eq 0 ] || chmod 755 "$dir"
  init_instance g1 &
  init_instance sf &
  init_instance sb1 &
  init_instance sb2 &
  wait
  # Galera: node 1 bootstraps the cluster; 2 and 3 join one at a time, each taking a rsync state
  # transfer (~20 s each here, most of it the transfer script's own waits). Tried and dropped:
  # copies of one datadir with wsrep_sst_method=skip (10.11's joiner then waits for a transfer
  # forever), and a start position from a stopped node 1 (the cluster has moved on by the time
  # they join, and MariaDB runs the rsync script even for IST).
  start_galera_node 1 bootstrap
  # spider_direct_dup_insert: INSERT ... ON DUPLICATE KEY UPDATE goes to the backend as it is
  # (atomic there); with the default (0) the front fails on every existing key with 1022.
  launch sf --plugin-load-add=ha_spider --loose-spider-direct-dup-insert=1
  launch sb1
  launch sb2
  wait_ready g1
  create_accounts "$(sock_of g1)"
  start_galera_node 2
  wait_ready g2
  start_galera_node 3
  wait_ready g3
  for name in sb1 sb2 sf; do
    wait_ready "$name"
    create_accounts "$(sock_of "$name")"
  done
  # The front reaches each backend as a named server; tests create the Spider tables themselves
  # (COMMENT='wrapper "mysql", srv "b1"' per partition).
  client --socket="$(sock_of sf)" -uroot <<EOF >&2 || die "creating the Spider servers failed"
CREATE SERVER b1 FOREIGN DATA WRAPPER mysql OPTIONS (HOST '127.0.0.1', PORT $(port_of sb1), USER '$db_user', PASSWORD '$db_password', DATABASE '$db_name');
CREATE SERVER b2 FOREIGN DATA WRAPPER mysql OPTIONS (HOST '127.0.0.1', PORT $(port_of sb2), USER '$db_user', PASSWORD '$db_password', DATABASE '$db_name');
EOF
  env_exports >"$env_file.tmp"
  mv "$env_file.tmp" "$env_file"
  log "Galera (3 nodes) and Spider (front + 2 backends) ready in $(echo "$(date +%s.%N) - $started" | bc 2>/dev/null || echo '?')s; source $env_file"
  env_exports
}

cmd_status() {
  local name ok=0 size
  for name in g1 g2 g3 sf sb1 sb2; do
    if running_pid "$name" >/dev/null && admin --socket="$(sock_of "$name")" -uroot ping >/dev/null 2>&1; then
      log "$name: up (127.0.0.1:$(port_of "$name"))"
    else
      log "$name: down"
      ok=1
    fi
  done
  size=$(client --socket="$(sock_of g1)" -uroot -N -B -e "SHOW STATUS LIKE 'wsrep_cluster_size'" 2>/dev/null | cut -f2) || true
  log "Galera cluster size: ${size:-?}"
  [ "$size" = 3 ] || ok=1
  return "$ok"
}

check_number() { case "$number" in [1-$1]) ;; *) die "$command needs a number from 1 to $1, not '$number'" ;; esac; }

exec 9>"$dir/.lock"
flock -w 300 9 || die "timed out waiting for another cluster-servers.sh on $dir"

case "$command" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  kill-node)
    check_number 3
    stop_instance "g$number" KILL
    log "node $number killed"
    ;;
  start-node)
    check_number 3
    start_galera_node "$number" "$(recovered_position "g$number")"
    wait_ready "g$number"
    log "node $number is back and synced"
    ;;
  stop-backend)
    check_number 2
    stop_instance "sb$number"
    log "Spider backend $number stopped"
    ;;
  start-backend)
    check_number 2
    launch "sb$number"
    wait_ready "sb$number"
    log "Spider backend $number is back"
    ;;
  *) usage ;;
esac
