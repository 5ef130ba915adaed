#!/usr/bin/env bash
# The test command: installs what is missing, builds, checks formatting, starts throwaway
# PostgreSQL and MariaDB servers, runs every test with ctest, and stops the servers again.
# A test that needs a server and finds none fails; nothing is skipped.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/setup.sh
bash scripts/build.sh
bash scripts/check-format.sh

servers_dir=${UPSERT_SERVERS_DIR:-/tmp/upsert-test-servers}
export UPSERT_SERVERS_DIR=$servers_dir
if [ "${UPSERT_REUSE_SERVERS:-0}" = 1 ] && bash scripts/test-servers.sh status "$servers_dir" 2>/dev/null; then
  echo "test: reusing the servers already running in $servers_dir"
else
  bash scripts/test-servers.sh start "$servers_dir" >/dev/null
  trap 'bash scripts/test-servers.sh stop "$servers_dir" || true' EXIT
fi
# shellcheck disable=SC1091
source "$servers_dir/env.sh"

ctest --test-dir build --output-on-failure --timeout 900 -j "${UPSERT_TEST_JOBS:-2}" "$@"
