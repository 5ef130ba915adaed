#!/usr/bin/env bash
# Builds the library, the command and the tests with sanitizers and runs the tests under them.
#
#   scripts/sanitize.sh asan [ctest args]   AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan/;
#                                           without args: every test but the `cluster` label
#   scripts/sanitize.sh tsan [ctest args]   ThreadSanitizer, in build-tsan/; without args: the writer
#                                           tests, the session's concurrency, batch and DDL-race tests
#                                           and the driver tests
#
# ctest args replace the default selection (e.g. `-L core`, `-R Sqlite`). The PostgreSQL and MariaDB
# servers are the ones in the environment (UPSERT_TEST_POSTGRES_URL, as scripts/test.sh and
# test-servers.sh's env.sh set them); when there are none, throwaway ones are started in
# ${UPSERT_SERVERS_DIR:-/tmp/upsert-sanitize-servers} (ports from UPSERT_PG_PORT / UPSERT_MARIADB_PORT)
# and stopped at exit. The `cluster` tests need scripts/cluster-servers.sh's cluster: pass `-L cluster`
# with its env.sh sourced to run them.
#
# Any report fails the test it came from: ASan and TSan exit non-zero, UBSan aborts (no recovery).
# Suppressions (scripts/sanitize/*.supp) cover third-party libraries only, never this project's code.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

kind=${1:-}
shift || true
case "$kind" in
  asan)
    sanitize=address,undefined
    # Everything the suite runs: the cluster tests are built too (two small files) so that no
    # test shows up as NOT_BUILT.
    targets=(all)
    default_args=(-LE cluster)
    ;;
  tsan)
    sanitize=thread
    targets=(writer_tests writer_fault_tests session_tests driver_tests)
    # tests/writer (Writer, Checkpoints, the fault tests), tests/session's Concurrency, Batches,
    # BatchForms, DdlRace and SqliteProcesses, and tests/drivers (suites named after their engine,
    # and ErrorFacts).
    default_args=(-R '^(Engines/(Writer|Checkpoints|Concurrency|Batches|BatchForms|DdlRace|ErrorFacts)\.|(Sqlite|Postgres|Mariadb)[A-Z])')
    ;;
  *)
    echo "usage: $0 {asan|tsan} [ctest args]" >&2
    exit 2
    ;;
esac
build=$root/build-$kind
if [ $# -gt 0 ]; then args=("$@"); else args=("${default_args[@]}"); fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUPSERT_SANITIZE="$sanitize" \
  -DUPSERT_BUILD_PYTHON=OFF -DUPSERT_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

if [ -z "${UPSERT_TEST_POSTGRES_URL:-}" ] || [ -z "${UPSERT_TEST_MARIADB_URL:-}" ]; then
  servers_dir=${UPSERT_SERVERS_DIR:-/tmp/upsert-sanitize-servers}
  trap 'bash scripts/test-servers.sh stop "$servers_dir" || true' EXIT
  bash scripts/test-servers.sh start "$servers_dir" >/dev/null
  # shellcheck disable=SC1091
  source "$servers_dir/env.sh"
fi

supp=$root/scripts/sanitize
# detect_leaks: a leak fails the test too. halt_on_error for UBSan: the first report ends the run
# with a stack trace (the build already refuses to recover).
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=$supp/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# detect_deadlocks=0: TSan's lock-order checker tracks at most 64 locks held by one thread and
# aborts the process past that (CHECK failed: n_all_locks_ < 64); CounterWriter's seal() holds every
# shard lock and the cut lock at once, by design. Races are still checked.
export TSAN_OPTIONS="halt_on_error=1:detect_deadlocks=0:suppressions=$supp/tsan.supp${TSAN_OPTIONS:+:$TSAN_OPTIONS}"

ctest --test-dir "$build" --output-on-failure --timeout 1800 -j "${UPSERT_TEST_JOBS:-2}" "${args[@]}"
