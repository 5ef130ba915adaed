#!/usr/bin/python3
"""Python arms on the A/B workload: the hand-written single-row upsert through each engine's usual
Python driver (sqlite3, psycopg2, MySQLdb) against upsert's single-row execute(), execute_batch()
of 1,000 events, and CounterWriter.add()/add_many(). Every arm's stored sum is checked against
what it sent. Ratios are within one run (absolute rates on a shared machine are noise).

    PYTHONPATH=build/python /usr/bin/python3 bench/python_bench.py [--quick] [--engines sqlite,postgresql,mariadb]

PostgreSQL and MariaDB come from UPSERT_TEST_POSTGRES_URL / UPSERT_TEST_MARIADB_URL
(scripts/test-servers.sh start prints them). Writes bench/results/python.md.
"""

import argparse
import datetime
import os
import random
import sys
import tempfile
import threading
import time
import urllib.parse

import upsert

T = upsert.Type
KEY = ["ab_test_id", "version", "date", "hour"]
DAY = datetime.date(2026, 12, 2)


def table(name):
    return (upsert.Table(name).column("ab_test_id", T.int64).column("version", T.text).column("date", T.date)
            .column("hour", T.int64).column("participants", T.int64, default=0, not_null=True)
            .column("conversions", T.int64, default=0, not_null=True).unique_key(KEY))


def events(n, seed):
    rnd = random.Random(seed)
    return [(rnd.randrange(20), "AB"[rnd.randrange(2)], DAY, rnd.randrange(24), 1, 0) for _ in range(n)]


def driver_connect(engine, url):
    if engine == "sqlite":
        import sqlite3
        c = sqlite3.connect(url[len("sqlite:"):], isolation_level=None, timeout=30)
        return c, "?"
    u = urllib.parse.urlparse(url)
    if engine == "postgresql":
        import psycopg2
        c = psycopg2.connect(host=u.hostname, port=u.port, user=u.username, password=u.password, dbname=u.path[1:])
        c.autocommit = True
        return c, "%s"
    import MySQLdb
    c = MySQLdb.connect(host=u.hostname, port=u.port, user=u.username, password=u.password, database=u.path[1:],
                        autocommit=True)
    return c, "%s"


def hand_sql(engine, name, p):
    cols = "ab_test_id, version, date, hour, participants, conversions"
    values = ", ".join([p] * 6)
    if engine == "mariadb":
        return (f"INSERT INTO {name} ({cols}) VALUES ({values}) ON DUPLICATE KEY UPDATE "
                f"participants = participants + VALUES(participants), conversions = conversions + VALUES(conversions)")
    return (f"INSERT INTO {name} ({cols}) VALUES ({values}) ON CONFLICT (ab_test_id, version, date, hour) DO UPDATE "
            f"SET participants = {name}.participants + excluded.participants, "
            f"conversions = {name}.conversions + excluded.conversions")


def run_threads(threads, seconds, work):
    """Runs work(thread_index, stop) in `threads` threads for `seconds`; returns the events sent."""
    stop = threading.Event()
    counts = [0] * threads
    errors = []

    def body(i):
        try:
            counts[i] = work(i, stop)
        except Exception as e:  # noqa: BLE001 - reported by the caller
            errors.append(e)
            stop.set()
    ts = [threading.Thread(target=body, args=(i,)) for i in range(threads)]
    start = time.perf_counter()
    for t in ts:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return sum(counts), elapsed


def stored(url, name):
    with upsert.connect(url) as db:
        return db.query(f"SELECT COALESCE(SUM(participants), 0) FROM {name}", types=[T.int64])[0][0]


def arm(engine, url, name, threads, seconds):
    """Returns {arm: (events, elapsed)} with every arm's sum verified."""
    t = table(name)
    results = {}

    def fresh():
        with upsert.connect(url) as db:
            db.execute_script(f"DROP TABLE IF EXISTS {name}")
            db.create_table(t)

    evs = events(20_000, 1)
    stmt = (upsert.insert_into(t).on_conflict(KEY)
            .do_update({"participants": upsert.col("participants") + upsert.proposed("participants"),
                        "conversions": upsert.col("conversions") + upsert.proposed("conversions")}))

    def measure(label, work, threads_here=threads, per_call=1):
        fresh()
        sent, elapsed = run_threads(threads_here, seconds, work)
        got = stored(url, name)
        if got != sent * per_call // per_call:
            raise SystemExit(f"{engine} {label}: stored {got}, sent {sent}")
        results[label] = (sent, elapsed)

    def hand(i, stop):
        c, p = driver_connect(engine, url)
        sql = hand_sql(engine, name, p)
        cur = c.cursor()
        n = 0
        while not stop.is_set():
            cur.execute(sql, evs[(i * 997 + n) % len(evs)])
            n += 1
        c.close()
        return n
    measure("hand-written driver", hand)

    def single(i, stop):
        with upsert.connect(url) as db:
            n = 0
            while not stop.is_set():
                db.execute(stmt, (evs[(i * 997 + n) % len(evs)],))
                n += 1
            return n
    measure("upsert execute", single)

    def batch(i, stop):
        with upsert.connect(url) as db:
            n = 0
            while not stop.is_set():
                start = (i * 997 + n) % (len(evs) - 1000)
                db.execute_batch(stmt, evs[start:start + 1000])
                n += 1000
            return n
    measure("upsert execute_batch 1000", batch)

    for label, nthreads, many in (("CounterWriter add, 1 thread", 1, False),
                                  ("CounterWriter add, 8 threads", threads, False),
                                  ("CounterWriter add_many 1000, 1 thread", 1, True),
                                  ("CounterWriter add_many 1000, 8 threads", threads, True)):
        fresh()
        keys = [e[:4] for e in evs]
        deltas = [(1, 0)] * 1000
        with upsert.CounterWriter(url, t, KEY, ["participants", "conversions"]) as w:
            def produce(i, stop, w=w, many=many):
                n = 0
                add = w.add
                one = (1, 0)
                while not stop.is_set():
                    if many:
                        start = (i * 997 + n) % (len(keys) - 1000)
                        n += w.add_many(keys[start:start + 1000], deltas)
                    else:
                        for k in keys[(n % 19) * 1000:(n % 19) * 1000 + 1000]:
                            add(k, one)
                        n += 1000
                return n
            sent, elapsed = run_threads(nthreads, seconds, produce)
        got = stored(url, name)
        if got != sent:
            raise SystemExit(f"{engine} {label}: stored {got}, sent {sent}")
        results[label] = (sent, elapsed)
    with upsert.connect(url) as db:
        db.execute_script(f"DROP TABLE IF EXISTS {name}")
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="1 s per arm instead of 3")
    ap.add_argument("--engines", default="sqlite,postgresql,mariadb")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results", "python.md"))
    args = ap.parse_args()
    seconds = 1.0 if args.quick else 3.0
    tmp = tempfile.mkdtemp()
    urls = {"sqlite": "sqlite:" + os.path.join(tmp, "bench.db"),
            "postgresql": os.environ.get("UPSERT_TEST_POSTGRES_URL"),
            "mariadb": os.environ.get("UPSERT_TEST_MARIADB_URL")}
    lines = ["# Python arms (bench/python_bench.py)", "",
             f"{args.threads} threads unless the arm says 1; {seconds:.0f} s per arm; A/B workload over 960 keys; "
             "every arm's stored sum equals what it sent. Rates are increments/s; the ratio is against the "
             "hand-written driver arm of the same engine in the same run.", "",
             "| engine | arm | increments/s | vs hand-written |", "|---|---|---:|---:|"]
    verdicts = []
    for engine in args.engines.split(","):
        if not urls[engine]:
            raise SystemExit(f"no URL for {engine}: start the test servers")
        res = arm(engine, urls[engine], "py_bench_ab", args.threads, seconds)
        base = res["hand-written driver"][0] / res["hand-written driver"][1]
        for label, (sent, elapsed) in res.items():
            rate = sent / elapsed
            lines.append(f"| {engine} | {label} | {rate:,.0f} | {rate / base:.2f}x |")
            print(f"{engine:10} {label:40} {rate:12,.0f}/s  {rate / base:6.2f}x", flush=True)
        single = res["upsert execute"][0] / res["upsert execute"][1]
        verdicts.append(f"- {engine}: single-row execute >= 0.9x hand-written: "
                        f"{'met' if single >= 0.9 * base else 'missed'} ({single / base:.2f}x)")
        for label in ("CounterWriter add, 1 thread", "CounterWriter add, 8 threads",
                      "CounterWriter add_many 1000, 1 thread", "CounterWriter add_many 1000, 8 threads"):
            rate = res[label][0] / res[label][1]
            verdicts.append(f"- {engine}: {label} >= 1,000,000/s: {'met' if rate >= 1e6 else 'missed'} "
                            f"({rate:,.0f}/s)")
    lines += ["", "## Targets (issue 11)", ""] + verdicts
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(verdicts))


if __name__ == "__main__":
    sys.exit(main())
