# Sourced by scripts/test.sh and scripts/bench.sh (from the repository root): starts throwaway
# PostgreSQL and MariaDB servers, a three-node Galera cluster and a Spider set
# (scripts/cluster-servers.sh), and stops them when the calling script exits, or, with
# UPSERT_REUSE_SERVERS=1, uses the ones already running; then exports their UPSERT_TEST_*
# variables. $1 names the caller in the log line.
servers_dir=${UPSERT_SERVERS_DIR:-/tmp/upsert-test-servers}
cluster_dir=${UPSERT_CLUSTER_DIR:-/tmp/upsert-cluster}
export UPSERT_SERVERS_DIR=$servers_dir UPSERT_CLUSTER_DIR=$cluster_dir
stop_at_exit=()
# use_or_start SCRIPT DIR CALLER: reuses what SCRIPT runs in DIR when asked to, else starts it and
# stops it at exit; then sources DIR/env.sh.
use_or_start() {
  if [ "${UPSERT_REUSE_SERVERS:-0}" = 1 ] && bash "$1" status "$2" 2>/dev/null; then
    echo "$3: reusing what $1 runs in $2"
  else
    stop_at_exit+=("bash '$1' stop '$2' || true")
    trap 'for c in "${stop_at_exit[@]}"; do eval "$c"; done' EXIT
    bash "$1" start "$2" >/dev/null
  fi
  # shellcheck disable=SC1091
  source "$2/env.sh"
}
use_or_start scripts/test-servers.sh "$servers_dir" "$1"
use_or_start scripts/cluster-servers.sh "$cluster_dir" "$1"
