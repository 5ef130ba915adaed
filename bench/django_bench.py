#!/usr/bin/python3
"""The Django benchmark (issue 12): 8 processes count A/B participants on hot keys through Django,
on SQLite, PostgreSQL and MariaDB, six ways, with the sums verified against the table afterwards:

  update_or_create   HourlyLog.objects.update_or_create(key, defaults={participants: F() + 1})
  get_or_create_f    get_or_create(), then F() + 1 and save() (the A/B package's fallback)
  cursor_sql         hand-written upsert SQL on connection.cursor() (the package's PostgreSQL path)
  increment          upsert.django.increment
  upsert_1000        upsert.django.upsert of 1,000 rows (distinct keys) a call; counted in rows
  writer             upsert.django.CounterWriter.add, closed (flushed) inside the timed window

Every process runs for the same time; failed operations are counted (SQLite's "database is locked")
and only successful ones are expected in the table. Writes bench/results/django.md.

  PYTHONPATH=build/python /usr/bin/python3 bench/django_bench.py [--quick] [--seconds S]
      [--engines sqlite,postgresql,mariadb] [--arms ...] [--rounds 3] [--output bench/results/django.md]

PostgreSQL and MariaDB come from UPSERT_TEST_POSTGRES_URL / UPSERT_TEST_MARIADB_URL
(scripts/test-servers.sh); the SQLite database is a file in WAL mode in a temporary folder.
"""

import argparse
import datetime
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import traceback
from urllib.parse import unquote, urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "django_ab"))

ARMS = ["update_or_create", "get_or_create_f", "cursor_sql", "increment", "upsert_1000", "writer"]
ENGINES = {"sqlite": "default", "postgresql": "pg", "mariadb": "maria"}
PROCESSES = 8
DAY = datetime.date(2026, 11, 26)
HOT_KEYS = [(v, h) for v in ("control", "variant") for h in range(4)]  # 8 hot keys


def server(variable, engine):
    url = os.environ.get(variable)
    if not url:
        sys.exit("%s is not set: start scripts/test-servers.sh and source its env.sh" % variable)
    p = urlsplit(url)
    return {"ENGINE": engine, "NAME": p.path.lstrip("/"), "USER": unquote(p.username or ""),
            "PASSWORD": unquote(p.password or ""), "HOST": p.hostname or "", "PORT": str(p.port or "")}


def setup_django(engines):
    import django
    from django.conf import settings

    databases = {"default": {"ENGINE": "django.db.backends.sqlite3",
                             "NAME": os.path.join(tempfile.mkdtemp(prefix="django-bench-"), "bench.sqlite3")}}
    if "postgresql" in engines:
        databases["pg"] = server("UPSERT_TEST_POSTGRES_URL", "django.db.backends.postgresql")
    if "mariadb" in engines:
        databases["maria"] = server("UPSERT_TEST_MARIADB_URL", "django.db.backends.mysql")
    settings.configure(DATABASES=databases, INSTALLED_APPS=["abtesting"], USE_TZ=True,
                       DEFAULT_AUTO_FIELD="django.db.models.AutoField")
    django.setup()


def reset(alias):
    """Fresh tables, the hot keys' rows present (update_or_create cannot add to a row it creates)."""
    from abtesting.models import ABTest, HourlyLog
    from django.db import connections

    connection = connections[alias]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in (HourlyLog, ABTest):
            if model._meta.db_table in existing:
                editor.delete_model(model)
        for model in (ABTest, HourlyLog):
            editor.create_model(model)
    test = ABTest.objects.using(alias).create(name="bench")
    HourlyLog.objects.using(alias).bulk_create(
        [HourlyLog(ab_test=test, version=v, date=DAY, hour=h) for v, h in HOT_KEYS])
    return test.pk


def cursor_sql(connection):
    """The hand-written single-row upsert for the connection's engine."""
    from abtesting.models import HourlyLog

    table = connection.ops.quote_name(HourlyLog._meta.db_table)
    insert = "INSERT INTO %s (ab_test_id, version, date, hour, participants, conversions) VALUES (%%s, %%s, %%s, %%s, 1, 0)" % table
    if connection.vendor == "mysql":
        return insert + " ON DUPLICATE KEY UPDATE participants = participants + 1"
    return insert + " ON CONFLICT (ab_test_id, version, date, hour) DO UPDATE SET participants = %s.participants + 1" % table


def worker(alias, arm, test_id, index, seconds, barrier, results):
    from abtesting.models import HourlyLog
    from django.db import connections, transaction
    from django.db.models import F

    import upsert.django as ud

    connection = connections[alias]
    done = failed = 0
    first_error = None
    sql = cursor_sql(connection)
    writer = None
    if arm == "writer":
        writer = ud.CounterWriter(HourlyLog, ["ab_test", "version", "date", "hour"], ["participants"], using=alias)
    rows_base = 100_000 * (index + 1)
    # Connected, and every process ready, before the clock starts.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    barrier.wait()
    start_at = time.time()
    deadline = start_at + seconds
    i = index
    try:
        while time.time() < deadline:
            i += 1
            version, hour = HOT_KEYS[i % len(HOT_KEYS)]
            key = {"ab_test_id": test_id, "version": version, "date": DAY, "hour": hour}
            try:
                if arm == "update_or_create":
                    HourlyLog.objects.using(alias).update_or_create(**key, defaults={"participants": F("participants") + 1})
                elif arm == "get_or_create_f":
                    with transaction.atomic(using=alias):
                        log, _ = HourlyLog.objects.using(alias).get_or_create(**key)
                        log.participants = F("participants") + 1
                        log.save(update_fields=["participants"])
                elif arm == "cursor_sql":
                    with connections[alias].cursor() as cursor:  # as the package's `connection.cursor()`
                        cursor.execute(sql, [test_id, version, DAY, hour])
                elif arm == "increment":
                    ud.increment(HourlyLog, key=key, by={"participants": 1}, using=alias)
                elif arm == "upsert_1000":
                    base = rows_base + done
                    rows = [{"ab_test_id": test_id, "version": "k%d" % ((base + r) // 24), "date": DAY,
                             "hour": (base + r) % 24, "participants": 1} for r in range(1000)]
                    ud.upsert(HourlyLog, rows, update={"participants": F("participants") + ud.Proposed("participants")},
                              using=alias)
                    done += 999
                elif arm == "writer":
                    writer.add({"ab_test": test_id, "version": version, "date": DAY, "hour": hour}, {"participants": 1})
                done += 1
            except Exception as e:  # noqa: BLE001 - counted; the benchmark reports failures
                failed += 1
                first_error = first_error or "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
        if writer is not None:
            writer.close()
        elapsed = time.time() - start_at
    except Exception:  # noqa: BLE001
        results.put((index, 0, 0, 1.0, traceback.format_exc()))
        return
    results.put((index, done, failed, elapsed, first_error))


def run_cell(alias, arm, seconds):
    from abtesting.models import HourlyLog
    from django.db import connections
    from django.db.models import Sum

    test_id = reset(alias)
    connections.close_all()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    barrier = context.Barrier(PROCESSES)
    procs = [context.Process(target=worker, args=(alias, arm, test_id, i, seconds, barrier, results))
             for i in range(PROCESSES)]
    for p in procs:
        p.start()
    got = [results.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join(60)
    done = sum(g[1] for g in got)
    failed = sum(g[2] for g in got)
    elapsed = max(g[3] for g in got)
    errors = [g[4] for g in got if g[4]]
    stored = HourlyLog.objects.using(alias).aggregate(s=Sum("participants"))["s"] or 0
    return {"ops": done, "failed": failed, "seconds": elapsed, "rate": done / elapsed,
            "verified": stored == done, "stored": stored, "error": errors[0] if errors else "",
            "dead": sum(1 for p in procs if p.exitcode != 0)}


def verdict(ok):
    return "met" if ok else "MISSED"


def merge_rounds(rounds):
    """One cell from its rounds: the median rate, every round's failures, verified only if all were."""
    rates = sorted(r["rate"] for r in rounds)
    errors = [r["error"] for r in rounds if r["error"]]
    return {"rate": statistics.median(rates), "rates": [r["rate"] for r in rounds],
            "failed": sum(r["failed"] for r in rounds), "verified": all(r["verified"] for r in rounds),
            "stored": sum(r["stored"] for r in rounds), "ops": sum(r["ops"] for r in rounds),
            "error": errors[0] if errors else ""}


def report(results, engines, arms, seconds, rounds, command):
    lines = ["# Django benchmark (issue 12)", "",
             "8 processes on 8 hot keys of the A/B hourly log, through Django 3.2's own connections; %.0f s "
             "per cell and round, %d round(s) with the arms' order reversed every other round, median "
             "reported; a target's ratio is the median of the per-round ratios. Every cell's sum is checked "
             "against the table. Ops/s are successful operations (upsert_1000: rows). Produced by `%s`."
             % (seconds, rounds, command), "",
             "| engine | arm | ops/s | rounds | failed ops | sum verified | first error |",
             "|---|---|---:|---|---:|---|---|"]
    for engine in engines:
        for arm in arms:
            r = results[engine][arm]
            lines.append("| %s | %s | %.0f | %s | %d | %s | %s |" % (
                engine, arm, r["rate"], " / ".join("%.0f" % x for x in r["rates"]), r["failed"],
                "yes" if r["verified"] else "NO (%d stored, %d counted)" % (r["stored"], r["ops"]),
                r["error"].replace("|", "/")[:80]))
    lines += ["", "## Targets", "", "| engine | target | ratio | verdict |", "|---|---|---:|---|"]
    for engine in engines:
        r = results[engine]

        def ratio(a, b):
            if a not in r or b not in r or not all(r[b]["rates"]):
                return float("nan")
            return statistics.median(x / y for x, y in zip(r[a]["rates"], r[b]["rates"]))

        if engine in ("postgresql", "mariadb"):
            x = ratio("increment", "cursor_sql")
            lines.append("| %s | increment >= 0.9x cursor SQL | %.2f | %s |" % (engine, x, verdict(x >= 0.9)))
            x = ratio("increment", "update_or_create")
            lines.append("| %s | increment >= 5x update_or_create | %.2f | %s |" % (engine, x, verdict(x >= 5)))
        else:
            if "increment" in r and "update_or_create" in r:
                ok = r["increment"]["failed"] == 0
                lines.append("| sqlite | no worker errors in increment (update_or_create: %d failed ops) | - | %s |"
                             % (r["update_or_create"]["failed"], verdict(ok)))
        x = ratio("writer", "update_or_create")
        lines.append("| %s | writer >= 100x update_or_create | %.1f | %s |" % (engine, x, verdict(x >= 100)))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 s per cell")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--engines", default="sqlite,postgresql,mariadb")
    parser.add_argument("--arms", default=",".join(ARMS))
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per cell, the arms' order reversed every other round (default 3)")
    parser.add_argument("--output", default=os.path.join(ROOT, "bench", "results", "django.md"))
    args = parser.parse_args()
    seconds = 1.0 if args.quick else args.seconds
    engines = args.engines.split(",")
    arms = args.arms.split(",")
    setup_django(engines)
    results = {}
    for engine in engines:
        per_round = {arm: [] for arm in arms}
        for n in range(args.rounds):
            # Reversed every other round, so a slow spell of the shared machine hits every arm alike.
            for arm in (arms if n % 2 == 0 else arms[::-1]):
                r = run_cell(ENGINES[engine], arm, seconds)
                per_round[arm].append(r)
                print("%-10s %-17s round %d %10.0f ops/s  failed %-6d verified %s %s" % (
                    engine, arm, n + 1, r["rate"], r["failed"], r["verified"], r["error"][:60]), flush=True)
        results[engine] = {arm: merge_rounds(per_round[arm]) for arm in arms}
    command = "PYTHONPATH=build/python /usr/bin/python3 bench/django_bench.py " + " ".join(sys.argv[1:])
    text = report(results, engines, arms, seconds, args.rounds, command.strip())
    with open(args.output, "w") as f:
        f.write(text)
    print(text)
    return 0 if all(r["verified"] for e in results.values() for r in e.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
