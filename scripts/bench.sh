#!/usr/bin/env bash
# The benchmark command: installs what is missing, builds the two benchmark programs, starts
# throwaway PostgreSQL and MariaDB servers (or reuses running ones with UPSERT_REUSE_SERVERS=1),
# runs render-bench and then upsert-bench with the given arguments, and leaves everything in
# bench/results/ (or the directory given with --output).
#
#   scripts/bench.sh --quick                          # under two minutes once built
#   scripts/bench.sh                                  # full: threads 1,8,32, 5 rounds of 1 s per cell
#   scripts/bench.sh --engines postgres --arms raw,single --threads 8
#
# Exit status: upsert-bench's (0 all cells verified, 1 a cell failed verification, 2 setup error),
# or render-bench's if that failed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
started=$(date +%s)

quick=0
output=$root/bench/results
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --quick) quick=1 ;;
    --output) output=${args[$((i + 1))]:-$output} ;;
    --output=*) output=${args[$i]#--output=} ;;
  esac
done
mkdir -p "$output"

bash scripts/setup.sh
# Only the benchmark targets: a half-finished test elsewhere in the tree must not block a benchmark.
build_type=${UPSERT_BUILD_TYPE:-RelWithDebInfo}
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" -DUPSERT_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$root/build" -j "$(nproc)" --target upsert-bench render-bench

# shellcheck source=use-test-servers.sh
source scripts/use-test-servers.sh bench

status=0
# Rendering first, while the machine is quiet (after the 32-thread cells the servers keep
# checkpointing and purging for a while). Quick mode keeps each benchmark short.
min_time=0.5
[ "$quick" = 0 ] || min_time=0.05
echo "render-bench (min time ${min_time} s per benchmark; CPU time is the figure to read on a loaded machine):"
if ! "$root/build/bench/render-bench" --benchmark_min_time="$min_time" \
    --benchmark_out="$output/render-bench.json" --benchmark_out_format=json | tee "$output/render-bench.txt"; then
  status=1
fi
echo

upsert_status=0
"$root/build/bench/upsert-bench" "$@" || upsert_status=$?
[ "$upsert_status" = 0 ] || status=$upsert_status

echo
echo "bench: results in $output (results.md, results.json, chart.png, render-bench.txt, render-bench.json)"
echo "bench: total elapsed $(($(date +%s) - started)) s"
exit "$status"
