"""8 processes incrementing hot keys through upsert.django.increment and through the writer: the sums
are exact and no worker fails (on SQLite: no "database is locked")."""

import datetime
import multiprocessing
import traceback

from django.db import connections
from testapp.models import ABTest, HourlyLog

import upsert.django as ud

PROCESSES = 8
PER_PROCESS = 300
DAY = datetime.date(2026, 11, 26)
VERSIONS = ["A", "B"]
HOURS = [12, 13]


def _key(test_id, i):
    return {"ab_test_id": test_id, "version": VERSIONS[i % 2], "date": DAY, "hour": HOURS[i // 2 % 2]}


def _increments(alias, test_id, worker, errors):
    try:
        for i in range(PER_PROCESS):
            ud.increment(HourlyLog, key=_key(test_id, i + worker), by={"participants": 1, "conversions": i % 3 == 0},
                         using=alias)
    except Exception:  # noqa: BLE001 - reported to the parent
        errors.put(traceback.format_exc())


def _writes(alias, test_id, worker, errors):
    try:
        writer = ud.CounterWriter(HourlyLog, ["ab_test", "version", "date", "hour"], ["participants", "conversions"],
                                  using=alias)
        for i in range(PER_PROCESS):
            writer.add(_key(test_id, i + worker), {"participants": 1, "conversions": int(i % 3 == 0)})
        writer.close()
    except Exception:  # noqa: BLE001 - reported to the parent
        errors.put(traceback.format_exc())


def _run(alias, target):
    test = ABTest.objects.using(alias).create(name="hot")
    connections.close_all()  # each child opens its own connection
    context = multiprocessing.get_context("fork")
    errors = context.Queue()
    workers = [context.Process(target=target, args=(alias, test.pk, w, errors)) for w in range(PROCESSES)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    logs = HourlyLog.objects.using(alias).filter(ab_test=test)
    assert logs.count() == 4
    total = PROCESSES * PER_PROCESS
    assert sum(log.participants for log in logs) == total
    assert sum(log.conversions for log in logs) == PROCESSES * len(range(0, PER_PROCESS, 3))


def test_increment_from_8_processes(alias):
    _run(alias, _increments)


def test_writer_from_8_processes(alias):
    _run(alias, _writes)


def _child_adds(writer, test_id, errors):
    try:
        for i in range(PER_PROCESS):
            writer.add(_key(test_id, i), {"participants": 1, "conversions": 0})
        writer.close()
    except Exception:  # noqa: BLE001 - reported to the parent
        errors.put(traceback.format_exc())


def test_writer_created_before_fork(alias):
    """A pre-forking server: the writer is made and used in the parent, then workers fork and use
    it too. Each child writes through a fresh writer; the parent's pending increments are written
    once, by the parent. On SQLite the children refuse (SQLite must not cross a fork: a writer
    reopened in such a child lost its increments silently), naming the fix."""
    test = ABTest.objects.using(alias).create(name="fork")
    writer = ud.CounterWriter(HourlyLog, ["ab_test", "version", "date", "hour"], ["participants", "conversions"],
                              using=alias)
    for i in range(PER_PROCESS):
        writer.add(_key(test.pk, i), {"participants": 1, "conversions": 0})
    connections.close_all()
    context = multiprocessing.get_context("fork")
    errors = context.Queue()
    children = [context.Process(target=_child_adds, args=(writer, test.pk, errors)) for _ in range(4)]
    for c in children:
        c.start()
    for i in range(PER_PROCESS):
        writer.add(_key(test.pk, i), {"participants": 1, "conversions": 0})
    for c in children:
        c.join(120)
    writer.close()
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert [c.exitcode for c in children] == [0] * 4
    logs = HourlyLog.objects.using(alias).filter(ab_test=test)
    if connections[alias].vendor == "sqlite":
        assert len(failures) == 4 and all("InvalidArgumentError" in f and "after forking" in f for f in failures), \
            failures
        assert sum(log.participants for log in logs) == 2 * PER_PROCESS
    else:
        assert failures == []
        assert sum(log.participants for log in logs) == (2 + 4) * PER_PROCESS
