#!/usr/bin/env bash
# The cluster benchmark: upsert-bench's single-row, batch and counter-writer arms on a single
# MariaDB server, a three-node Galera cluster (writers spread over the nodes, and all on one node)
# and a Spider front over two backends, in one run, every cell verified; then the single server
# again with the library's tables (conflict key as PRIMARY KEY) against the old shape (UNIQUE key,
# no primary key). Writes bench/results/cluster.md (and the runs' JSON beside it).
#
#   bench/cluster.sh                    # uses running servers: /tmp/upsert-cluster/env.sh, /tmp/upsert-test-servers/env.sh
#   bench/cluster.sh --start            # starts the cluster and a single server itself, stops them at the end
#   bench/cluster.sh --cluster-dir D --servers-dir D --threads 4 --seconds 1.5 --rounds 2
#
# Starts nothing unless given --start: point it at running servers with --cluster-dir (the
# directory of `scripts/cluster-servers.sh start DIR`) and --servers-dir (of
# `scripts/test-servers.sh start DIR`). Exit status: 0 every cell verified, 1 a cell failed, 2 setup.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
started=$(date +%s)

cluster_dir=${UPSERT_CLUSTER_DIR:-/tmp/upsert-cluster}
servers_dir=${UPSERT_TEST_SERVERS_DIR:-/tmp/upsert-test-servers}
start=0
threads=4
seconds=1.5
rounds=2
output=$root/bench/results
while [ $# -gt 0 ]; do
  case "$1" in
    --start) start=1 ;;
    --cluster-dir) cluster_dir=$2 && shift ;;
    --servers-dir) servers_dir=$2 && shift ;;
    --threads) threads=$2 && shift ;;
    --seconds) seconds=$2 && shift ;;
    --rounds) rounds=$2 && shift ;;
    --output) output=$2 && shift ;;
    *)
      echo "usage: $0 [--start] [--cluster-dir DIR] [--servers-dir DIR] [--threads N] [--seconds S] [--rounds N] [--output DIR]" >&2
      exit 2
      ;;
  esac
  shift
done

if [ "$start" = 1 ]; then
  bash scripts/cluster-servers.sh start "$cluster_dir" >/dev/null
  bash scripts/test-servers.sh start "$servers_dir" >/dev/null
  trap 'bash scripts/cluster-servers.sh stop "$cluster_dir" >/dev/null; bash scripts/test-servers.sh stop "$servers_dir" >/dev/null' EXIT
fi
for env_file in "$cluster_dir/env.sh" "$servers_dir/env.sh"; do
  if [ ! -f "$env_file" ]; then
    echo "bench/cluster.sh: $env_file is missing: start the servers (scripts/cluster-servers.sh start," \
      "scripts/test-servers.sh start) or pass --start" >&2
    exit 2
  fi
  # shellcheck disable=SC1090
  source "$env_file"
done

build_type=${UPSERT_BUILD_TYPE:-RelWithDebInfo}
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" -DUPSERT_BUILD_BENCHMARKS=ON >/dev/null
cmake --build "$root/build" --target upsert-bench >/dev/null

runs=$(mktemp -d)
status=0
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
bench() {
  local name=$1
  shift
  echo "== $name: upsert-bench $*"
  "$root/build/bench/upsert-bench" --threads "$threads" --seconds "$seconds" --rounds "$rounds" \
    --output "$runs/$name" "$@" || status=$?
  cp "$runs/$name/results.json" "$output/cluster-$name.json"
}
mkdir -p "$output"
bench engines --engines mariadb,galera,galera-1node,spider --arms single,batch,writer --workloads uniform,hot
# The key comparison alternates the two table shapes three times: on a loaded machine one pair of
# runs can differ by 2x either way, so the table gives the median and the range of the three.
for pair in 1 2 3; do
  bench "primary-key-$pair" --engines mariadb --arms raw,single,batch,writer --workloads uniform,hot
  bench "unique-key-$pair" --engines mariadb --arms raw,single,batch,writer --workloads uniform,hot --unique-key-table
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/python3 - "$output" "$threads" "$seconds" "$rounds" "$load_start" "$load_end" "$(uptime)" <<'EOF'
import json, sys
out, threads, seconds, rounds, load_start, load_end, uptime = sys.argv[1:]
def rows(name):
    with open(f"{out}/cluster-{name}.json") as f:
        return json.load(f)
engines = rows("engines")
def num(x):
    return f"{x:,.0f}"
def latency(r):
    if r["arm"] == "writer":
        return "—"
    return f'{r["call_p50_us"]:,.0f} / {r["call_p99_us"]:,.0f} µs'
def cell(data, engine, workload, arm):
    for r in data["rows"]:
        if (r["engine"], r["workload"], r["arm"]) == (engine, workload, arm):
            return r
    return None
lines = ["# Cluster benchmark: Galera and Spider beside one MariaDB server", ""]
lines.append(f"- Machine: {engines['run']['nproc']} cores, {engines['run']['cpu']}, {engines['run']['memory']}; "
             f"load average (1/5/15 min) {load_start} at start, {load_end} at end (`uptime` at end: {uptime.strip()}). "
             "Every Galera node, Spider instance and the single server run on this one machine, so the cluster's "
             "numbers measure the protocol's work, not more hardware.")
for k, v in engines["run"]["engines"].items():
    lines.append(f"- {k}: {v}")
lines.append(f"- {threads} threads, {rounds} rounds of {seconds} s per cell, arms interleaved, median reported; "
             "command: `bench/cluster.sh` (upsert-bench `--engines mariadb,galera,galera-1node,spider "
             "--arms single,batch,writer`)")
lines.append("- galera: thread i writes through node i % 3 (single, batch); the counter writer flushes through the "
             "multi-host URL (node 1 first). galera-1node: every thread through node 1. spider: the front, the table "
             "partitioned by KEY (hour) over two backends.")
lines.append("- increments/s: events applied per second; x mariadb: ratio to the single MariaDB server, same "
             "workload and arm, same run. latency: wall time of one call, median / p99 (single: one "
             "`execute` of one row; batch: one `execute_batch` of 1,000 rows); the writer's `add` does not wait "
             "for the database. verified: SUM(participants) and SUM(conversions) read back equal what was sent. "
             "retried: engine errors the arm or the library retried (Galera: certification failures, deadlocks).")
lines.append("")
lines.append("| engine | workload | arm | increments/s | x mariadb | latency p50 / p99 | verified | retried |")
lines.append("|---|---|---|---:|---:|---:|---|---:|")
for r in engines["rows"]:
    base = cell(engines, "mariadb", r["workload"], r["arm"])
    rate = r["increments_per_s"]
    ratio = f'{rate / base["increments_per_s"]:.2f}x' if rate and base and base["increments_per_s"] else "—"
    retried = r["errors"] + r["library_retries"]
    lines.append(f'| {r["engine"]} | {r["workload"]} | {r["arm"]} | {num(rate) if rate else "FAILED"} | {ratio} | '
                 f'{latency(r)} | {"yes" if r["verified"] else "NO: " + (r["failure"] or "")} | {retried:,} |')
lines.append("")
lines.append("## The conflict key as PRIMARY KEY, on the single server")
lines.append("")
lines.append("On MySQL/MariaDB the library's CREATE TABLE makes the conflict key the PRIMARY KEY when the table has "
             "no other (Galera needs one; InnoDB clusters rows on it). The same server and workload, the library's "
             "table against the same DDL with `PRIMARY KEY` turned into a UNIQUE key (upsert-bench "
             "`--unique-key-table`, the shape the library created before), in three alternating pairs of runs: "
             "increments/s is the median of the three runs, PK / UNIQUE the median of the three pairs' ratios "
             "with their range.")
lines.append("")
lines.append("| workload | arm | PRIMARY KEY increments/s | UNIQUE key, no PK increments/s | PK / UNIQUE (range) | verified |")
lines.append("|---|---|---:|---:|---:|---|")
pairs = [(rows(f"primary-key-{n}"), rows(f"unique-key-{n}")) for n in (1, 2, 3)]
def median(values):
    values = sorted(values)
    return values[len(values) // 2]
for r in pairs[0][0]["rows"]:
    key = (r["engine"], r["workload"], r["arm"])
    pk_cells = [cell(p, *key) for p, _ in pairs]
    uk_cells = [cell(u, *key) for _, u in pairs]
    ok = all(c and c["verified"] for c in pk_cells + uk_cells)
    if not ok:
        lines.append(f'| {r["workload"]} | {r["arm"]} | — | — | — | NO: a cell FAILED verification |')
        continue
    ratios = [p["increments_per_s"] / u["increments_per_s"] for p, u in zip(pk_cells, uk_cells)]
    lines.append(f'| {r["workload"]} | {r["arm"]} | {num(median([c["increments_per_s"] for c in pk_cells]))} | '
                 f'{num(median([c["increments_per_s"] for c in uk_cells]))} | {median(ratios):.2f}x '
                 f'({min(ratios):.2f}-{max(ratios):.2f}) | yes |')
lines.append("")
with open(f"{out}/cluster.md", "w") as f:
    f.write("\n".join(lines))
print("\n".join(lines))
EOF
rm -rf "$runs"
echo "bench/cluster.sh: results in $output/cluster.md; total elapsed $(($(date +%s) - started)) s"
exit "$status"
