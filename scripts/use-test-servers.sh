# Sourced by scripts/test.sh and scripts/bench.sh (from the repository root): starts throwaway
# PostgreSQL and MariaDB servers, a three-node Galera cluster and a Spider set
# (scripts/cluster-servers.sh), and stops them when the calling script exits, or, with
# UPSERT_REUSE_SERVERS=1, uses the ones already running; then exports their UPSERT_TEST_*
# variables. $1 names the caller in the log line.
servers_dir=${UPSERT_SERVERS_DIR:-/tmp/upsert-test-servers}
cluster_dir=${UPSERT_CLUSTER_DIR:-/tmp/upsert-cluster}
export UPSERT_SERVERS_DIR=$servers_dir UPSERT_CLUSTER_DIR=$cluster_dir
stop_at_exit=()
if [ "${UPSERT_REUSE_SERVERS:-0}" = 1 ] && bash scripts/test-servers.sh status "$servers_dir" 2>/dev/null; then
  echo "$1: reusing the servers already running in $servers_dir"
else
  stop_at_exit+=("bash scripts/test-servers.sh stop '$servers_dir' || true")
  trap 'for c in "${stop_at_exit[@]}"; do eval "$c"; done' EXIT
  bash scripts/test-servers.sh start "$servers_dir" >/dev/null
fi
if [ "${UPSERT_REUSE_SERVERS:-0}" = 1 ] && bash scripts/cluster-servers.sh status "$cluster_dir" 2>/dev/null; then
  echo "$1: reusing the cluster already running in $cluster_dir"
else
  stop_at_exit+=("bash scripts/cluster-servers.sh stop '$cluster_dir' || true")
  trap 'for c in "${stop_at_exit[@]}"; do eval "$c"; done' EXIT
  bash scripts/cluster-servers.sh start "$cluster_dir" >/dev/null
fi
# shellcheck disable=SC1091
source "$servers_dir/env.sh"
# shellcheck disable=SC1091
source "$cluster_dir/env.sh"
