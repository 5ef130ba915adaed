"""add_participant / log_conversion written three ways.

- "package": what wagtail-ab-testing does today: hand-written INSERT ... ON CONFLICT on PostgreSQL,
  get_or_create() then F() and save() on every other database (two or three round trips in a
  transaction; on SQLite concurrent workers fail with "database is locked").
- "increment": upsert.django.increment, one atomic statement on every database.
- "writer": upsert.django.CounterWriter, coalesced in memory and written every 100 ms from a
  background thread (see its docstring for what a crash can lose).
"""

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

import upsert.django
from abtesting.models import HourlyLog

WAYS = ("package", "increment", "writer")

_writer = upsert.django.CounterWriter(HourlyLog, ["ab_test", "version", "date", "hour"],
                                      ["participants", "conversions"])


def _now():
    now = timezone.now()
    return now.date(), now.hour


def _package(test_id, version, participants, conversions):
    date, hour = _now()
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(HourlyLog._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO %s (ab_test_id, version, date, hour, participants, conversions) "
                "VALUES (%%s, %%s, %%s, %%s, %%s, %%s) ON CONFLICT (ab_test_id, version, date, hour) "
                "DO UPDATE SET participants = %s.participants + %%s, conversions = %s.conversions + %%s"
                % (table, table, table),
                [test_id, version, date, hour, participants, conversions, participants, conversions])
        return
    with transaction.atomic():
        log, _ = HourlyLog.objects.get_or_create(ab_test_id=test_id, version=version, date=date, hour=hour)
        log.participants = F("participants") + participants
        log.conversions = F("conversions") + conversions
        log.save(update_fields=["participants", "conversions"])


def _increment(test_id, version, participants, conversions):
    date, hour = _now()
    upsert.django.increment(HourlyLog, key={"ab_test_id": test_id, "version": version, "date": date, "hour": hour},
                            by={"participants": participants, "conversions": conversions})


def _write(test_id, version, participants, conversions):
    date, hour = _now()
    _writer.add({"ab_test": test_id, "version": version, "date": date, "hour": hour},
                {"participants": participants, "conversions": conversions})


_BY_WAY = {"package": _package, "increment": _increment, "writer": _write}


def add_participant(test_id, version, way="increment"):
    _BY_WAY[way](test_id, version, 1, 0)


def log_conversion(test_id, version, way="increment"):
    _BY_WAY[way](test_id, version, 0, 1)


def flush():
    """Writes what the writer holds (the report calls it, so what it shows is complete)."""
    _writer.flush()
