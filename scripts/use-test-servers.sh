# Sourced by scripts/test.sh and scripts/bench.sh (from the repository root): starts throwaway
# PostgreSQL and MariaDB servers and stops them when the calling script exits, or, with
# UPSERT_REUSE_SERVERS=1, uses the ones already running; then exports their UPSERT_TEST_*
# variables. $1 names the caller in the log line.
servers_dir=${UPSERT_SERVERS_DIR:-/tmp/upsert-test-servers}
export UPSERT_SERVERS_DIR=$servers_dir
if [ "${UPSERT_REUSE_SERVERS:-0}" = 1 ] && bash scripts/test-servers.sh status "$servers_dir" 2>/dev/null; then
  echo "$1: reusing the servers already running in $servers_dir"
else
  bash scripts/test-servers.sh start "$servers_dir" >/dev/null
  trap 'bash scripts/test-servers.sh stop "$servers_dir" || true' EXIT
fi
# shellcheck disable=SC1091
source "$servers_dir/env.sh"
