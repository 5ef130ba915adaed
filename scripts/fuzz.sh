#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang++-14 under ASan+UBSan into build-fuzz/ and
# runs each for a bounded time: `scripts/fuzz.sh [seconds-per-target] [target...]` (default 60 s,
# every target). Each starts from its seed corpus in tests/fuzz/corpus/<target>/ (read only; what
# the fuzzer finds new goes to build-fuzz/corpus/<target>/). Exits non-zero on the first finding,
# whose input is kept as build-fuzz/findings/<target>-crash-*: reproduce it with
# `build-fuzz/fuzz/fuzz_<target> <file>`, and add it to the seed corpus once fixed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
runs=${UPSERT_FUZZ_RUNS:-}
reproducible=()
if [ -n "$runs" ]; then
  reproducible=(-runs="$runs" -seed=1)
fi
if [ ${#targets[@]} -eq 0 ]; then
  targets=(csv_reader jsonl_reader convert types url statement)
fi
build="$root/build-fuzz"

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DUPSERT_FUZZ=ON -DUPSERT_BUILD_CLI=OFF -DUPSERT_BUILD_TESTS=OFF -DUPSERT_BUILD_BENCHMARKS=OFF \
  -DUPSERT_BUILD_PYTHON=OFF -DUPSERT_INSTALL=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

mkdir -p "$build/findings"
for target in "${targets[@]}"; do
  # What a run finds new goes to its own corpus directory; a reproducible run starts it empty.
  corpus="$build/corpus/$target"
  if [ -n "$runs" ]; then
    corpus="$build/corpus-reproducible/$target"
    rm -rf "$corpus"
  fi
  mkdir -p "$corpus"
  echo "fuzz_$target: ${runs:+$runs inputs from seed 1, at most }${seconds} s"
  # -timeout: one input taking 10 s is a finding (a hang); -max_len bounds the inputs it grows.
  if ! "$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -max_len=4096 -print_final_stats=1 "${reproducible[@]}" \
    -artifact_prefix="$build/findings/$target-" "$corpus" "$root/tests/fuzz/corpus/$target" \
    2>"$build/fuzz_$target.log"; then
    tail -n 60 "$build/fuzz_$target.log"
    echo "fuzz_$target found a problem: see $build/fuzz_$target.log and $build/findings/" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|^Done' "$build/fuzz_$target.log" || true
done
