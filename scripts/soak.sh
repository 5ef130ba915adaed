#!/usr/bin/env bash
# Soak: the counter writer (`upsert demo`) and `upsert ingest` run against PostgreSQL and MariaDB
# while faults are injected at random moments: the server killed (SIGKILL) and restarted, the
# server stopped and continued (SIGSTOP/SIGCONT), one client connection terminated
# (pg_terminate_backend / KILL CONNECTION), and an ingest process killed (SIGKILL) and run again.
# At the end, what is stored must equal what was acknowledged, nothing applied twice:
#   - every `upsert demo` run that finished verifies its own delta (sent == stored, exit 0);
#   - every ingest round (one table, the same file, the command re-run until it exits 0) must
#     hold exactly the file's sums.
# It prints how many faults of each kind it injected, and exits 1 on any mismatch.
#
#   scripts/soak.sh [--seconds N]     N defaults to 600; CI runs 45
#
# It starts servers of its own (it kills them!) in ${UPSERT_SOAK_DIR:-/tmp/upsert-soak} on ports
# ${UPSERT_SOAK_PG_PORT:-54396} and ${UPSERT_SOAK_MARIADB_PORT:-33096}, never the test servers.
# PostgreSQL runs with synchronous_commit = on here: with it off (the test servers' setting), a
# killed server loses commits it had acknowledged, which is the server's choice, not a bug. Needs
# build/upsert (scripts/build.sh).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

seconds=600
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
    *) echo "usage: $0 [--seconds N]" >&2; exit 2 ;;
  esac
done
case $seconds in '' | *[!0-9]*) echo "soak: --seconds takes a whole number" >&2; exit 2 ;; esac

upsert=$root/build/upsert
[ -x "$upsert" ] || { echo "soak: $upsert is missing; run scripts/build.sh first" >&2; exit 2; }
dir=${UPSERT_SOAK_DIR:-/tmp/upsert-soak}
pg_port=${UPSERT_SOAK_PG_PORT:-54396}
my_port=${UPSERT_SOAK_MARIADB_PORT:-33096}
mkdir -p "$dir"
work=$dir/work
rm -rf "$work"
mkdir -p "$work"

log() { echo "soak: $(date -u +%T) $*" >&2; }
servers() { UPSERT_PG_PORT=$pg_port UPSERT_MARIADB_PORT=$my_port bash "$root/scripts/test-servers.sh" "$@" "$dir" 2>>"$work/servers.log"; }

# Process ids of a server: PostgreSQL's postmaster and its children; mariadbd.
pg_pids() {
  local main
  main=$(head -1 "$dir/postgres/data/postmaster.pid" 2>/dev/null) || return 0
  [ -n "$main" ] && [ -d "/proc/$main" ] || return 0
  echo "$main"
  pgrep -P "$main" || true
}
my_pids() {
  local main
  main=$(tr -dc '0-9' <"$dir/mariadb/mariadb.pid" 2>/dev/null) || return 0
  [ -n "$main" ] && [ -d "/proc/$main" ] && echo "$main"
  return 0
}
signal_all() {
  local sig=$1 pid
  shift
  for pid in "$@"; do kill "-$sig" "$pid" 2>/dev/null || true; done
}
# SIGKILLs a server's processes and waits until they are gone, zombies included: until then
# pg_ctl takes the dead postmaster for a live one and waits for it to shut down.
kill_server() {
  local pid i
  signal_all KILL "$@"
  for pid in "$@"; do
    i=0
    while [ -e "/proc/$pid" ] && [ $i -lt 100 ]; do
      sleep 0.1
      i=$((i + 1))
    done
  done
}

background=()
cleanup() {
  local pid f
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
  for f in "$work"/ingest-*.pid; do [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true; done
  # timeout(1) passes SIGTERM on to the demo it runs.
  for f in "$work"/demo-*.pid; do [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null || true; done
  # A server left stopped would hang its own shutdown.
  signal_all CONT $(pg_pids) $(my_pids)
  servers stop || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "starting servers in $dir (PostgreSQL $pg_port, MariaDB $my_port)"
eval "$(servers start)"
pg_url=$UPSERT_TEST_POSTGRES_URL
my_url=$UPSERT_TEST_MARIADB_URL
echo "synchronous_commit = on" >>"$dir/postgres/data/postgresql.conf"
servers restart-postgres

pg_sql() { /usr/lib/postgresql/15/bin/psql -X -q -At "$pg_url" -c "$1"; }
my_sql() { mariadb --no-defaults --protocol=tcp -h127.0.0.1 -P"$my_port" -uupsert -pupsert upsert_test -N -B -e "$1"; }

# The ingest input and its sums, computed here independently of the library.
input=$work/events.csv
/usr/bin/python3 - "$input" >"$work/expected" <<'EOF'
import random, sys
r = random.Random(7)
total = weighted = 0
keys = set()
with open(sys.argv[1], "w") as f:
    f.write("k,n\n")
    for _ in range(1000000):
        k = r.randrange(20000) if r.random() < 0.7 else r.randrange(5)
        n = r.randrange(1, 4)
        f.write(f"{k},{n}\n")
        total += n
        weighted += k * n
        keys.add(k)
print(f"{len(keys)} {total} {weighted}")
EOF
expected=$(cat "$work/expected")

end=$((SECONDS + seconds))
grace=$((seconds + 240))  # a round under way when time is up must still finish by then

# Runs ingest rounds on one engine: each round a new table, the same command run again after
# every exit that is not 0 (a fault), until it exits 0; then the table must hold the file's sums.
ingest_worker() {
  local engine=$1 url=$2 sql=$3 round=0 status table got
  while [ $SECONDS -lt $end ]; do
    round=$((round + 1))
    table=soak_ingest_${round}
    while :; do
      if [ $SECONDS -ge $grace ]; then
        echo "FAIL $engine ingest round $round did not finish" >>"$work/results"
        return
      fi
      status=0
      # Not under timeout(1): the injector kills this very process, and a killed timeout would
      # leave its child running next to the next run (two runs at once of one input count twice).
      "$upsert" ingest "$input" --db "$url" --table "$table" --key k --sum n --types k:int64,n:int64 --create \
        --flush-ms 50 >>"$work/ingest-$engine.out" 2>>"$work/ingest-$engine.err" &
      echo $! >"$work/ingest-$engine.pid"
      wait $! || status=$?
      rm -f "$work/ingest-$engine.pid"
      [ $status -eq 0 ] && break
      echo "$engine ingest exit $status" >>"$work/interrupted"
      sleep 0.2
    done
    got=""
    while [ -z "$got" ] && [ $SECONDS -lt $grace ]; do
      got=$($sql "SELECT COUNT(*), SUM(n), SUM(k * n) FROM $table" 2>/dev/null | tr '\t|' '  ') || got=""
      [ -n "$got" ] || sleep 0.5
    done
    if [ "$got" = "$expected" ]; then
      echo "ok $engine ingest round $round" >>"$work/results"
    else
      echo "FAIL $engine ingest round $round: stored (keys, sum, weighted) '$got', file '$expected'" >>"$work/results"
    fi
  done
}

# Runs `upsert demo` (4 threads through one counter writer) again and again; a run that finishes
# compares what it sent with what the table gained. A run cut short by an outage before its
# writer started or while it reads the totals exits 2 and proves nothing either way; so does one
# killed after 120 s (bounded so that the soak is; an ingest run is bounded by the round's grace).
demo_worker() {
  local engine=$1 url=$2 run=0 status
  while [ $SECONDS -lt $end ]; do
    run=$((run + 1))
    status=0
    timeout -s KILL 120 "$upsert" demo --db "$url" --events 2000000 --threads 4 >"$work/demo-$engine.out" 2>&1 &
    echo $! >"$work/demo-$engine.pid"
    wait $! || status=$?
    rm -f "$work/demo-$engine.pid"
    case $status in
      0) echo "ok $engine demo run $run: $(grep '^verified' "$work/demo-$engine.out")" >>"$work/results" ;;
      2 | 137) echo "$engine demo exit $status" >>"$work/interrupted"; sleep 0.2 ;;
      *)
        echo "FAIL $engine demo run $run: $(grep '^verified' "$work/demo-$engine.out" || tail -n 3 "$work/demo-$engine.out")" >>"$work/results"
        cp "$work/demo-$engine.out" "$work/demo-$engine-failed-$run.out"
        ;;
    esac
  done
}

fault() { echo "$1" >>"$work/faults"; }
pick() { echo $((RANDOM % $1)); }
pause() { sleep "$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))"; }

# One fault every 0.5 to 2.5 s, until the time is up.
injector() {
  local pid
  while [ $SECONDS -lt $end ]; do
    pause $((500 + $(pick 2000)))
    case $(pick 7) in
      0)
        fault "postgres killed and restarted"
        kill_server $(pg_pids)
        pause $(pick 1000)
        servers restart-postgres || servers restart-postgres || { log "PostgreSQL did not restart"; return 1; }
        ;;
      1)
        fault "postgres stopped and continued"
        local pids
        pids=$(pg_pids)
        signal_all STOP $pids
        pause $((200 + $(pick 1800)))
        signal_all CONT $pids
        ;;
      2)
        fault "postgres connection terminated"
        pg_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'upsert_test'
                AND backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY random() LIMIT 1" \
          >/dev/null 2>&1 || true
        ;;
      3)
        fault "mariadb killed and restarted"
        kill_server $(my_pids)
        pause $(pick 1000)
        servers restart-mariadb || servers restart-mariadb || { log "MariaDB did not restart"; return 1; }
        ;;
      4)
        fault "mariadb stopped and continued"
        pids=$(my_pids)
        signal_all STOP $pids
        pause $((200 + $(pick 1800)))
        signal_all CONT $pids
        ;;
      5)
        fault "mariadb connection killed"
        pid=$(my_sql "SELECT id FROM information_schema.processlist WHERE db = 'upsert_test'
                      AND id <> CONNECTION_ID() AND command <> 'Daemon' ORDER BY RAND() LIMIT 1" 2>/dev/null) || pid=""
        [ -z "$pid" ] || my_sql "KILL CONNECTION $pid" >/dev/null 2>&1 || true
        ;;
      6)
        fault "ingest process killed"
        for f in "$work"/ingest-*.pid; do
          [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
        done
        ;;
    esac
  done
}

log "running for $seconds s: demo and ingest on PostgreSQL and MariaDB, faults every 0.5-2.5 s"
# Their standard error holds the shell's "Killed" notes for the ingest processes killed on purpose.
ingest_worker postgres "$pg_url" pg_sql 2>>"$work/workers.err" &
background+=($!)
ingest_worker mariadb "$my_url" my_sql 2>>"$work/workers.err" &
background+=($!)
demo_worker postgres "$pg_url" 2>>"$work/workers.err" &
background+=($!)
demo_worker mariadb "$my_url" 2>>"$work/workers.err" &
background+=($!)
injector &
injector_pid=$!
injector_status=0
wait $injector_pid || injector_status=$?
log "time is up: no more faults; waiting for the runs under way to finish"
for pid in "${background[@]}"; do wait "$pid" || true; done
background=()

echo "faults injected:"
if [ -f "$work/faults" ]; then sort "$work/faults" | uniq -c | sed 's/^/  /'; fi
echo "  total: $(cat "$work/faults" 2>/dev/null | wc -l)"
echo "runs cut short by a fault and run again: $(cat "$work/interrupted" 2>/dev/null | wc -l)"
echo "verified: $(grep -c '^ok' "$work/results" 2>/dev/null || true) runs ($(grep -c '^ok .* ingest' "$work/results" 2>/dev/null || true) ingest rounds, $(grep -c '^ok .* demo' "$work/results" 2>/dev/null || true) demo runs)"
failures=$(grep -c '^FAIL' "$work/results" 2>/dev/null || true)
if [ "$injector_status" -ne 0 ]; then
  echo "soak: FAILED: a server did not come back (see $work/servers.log)"
  exit 1
fi
if [ "${failures:-0}" -ne 0 ] || ! grep -q '^ok' "$work/results" 2>/dev/null; then
  grep '^FAIL' "$work/results" 2>/dev/null || echo "nothing was verified"
  echo "soak: FAILED (details in $work)"
  exit 1
fi
echo "soak: stored sums equal acknowledged ones in every verified run; nothing applied twice"
