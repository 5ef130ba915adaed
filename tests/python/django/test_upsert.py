"""upsert.django on SQLite, PostgreSQL and MariaDB through Django's own connections: the API of issue
12, model translation (db_column, db_table, foreign keys, UniqueConstraint, unique_together), and
Django's transaction semantics."""

import datetime
import threading
import warnings

import pytest
import upsert
from django.db import DatabaseError, connections, transaction
from django.db.models import F, Q, Value
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from conftest import empty
from testapp.models import ABTest, HourlyLog, Partial, Score, Tag, TwoKeys

import upsert.django as ud
from upsert.django import Proposed

DAY = datetime.date(2026, 11, 26)


def log_key(test, version="A", hour=13):
    return {"ab_test": test, "version": version, "date": DAY, "hour": hour}


def counts(alias):
    return sorted(HourlyLog.objects.using(alias).values_list("version", "hour", "participants", "conversions"))


def test_increment_inserts_then_adds(alias):
    test = ABTest.objects.using(alias).create(name="t")
    ud.increment(HourlyLog, key=log_key(test), by={"participants": 1}, using=alias)
    ud.increment(HourlyLog, key=log_key(test), by={"participants": 1}, using=alias)
    ud.increment(HourlyLog, key=log_key(test), by={"participants": 0, "conversions": 1}, using=alias)
    ud.increment(HourlyLog, key=log_key(test, "B"), by={"participants": 5}, using=alias)
    assert counts(alias) == [("A", 13, 2, 1), ("B", 13, 5, 0)]


def _spy_on_the_library(monkeypatch):
    """Counts the calls that go through the library (the rest go to Django's cursor directly)."""
    calls = []
    real = ud._core._dbapi_execute

    def spy(*args, **kwargs):
        calls.append(args[3])
        return real(*args, **kwargs)

    monkeypatch.setattr(ud._core, "_dbapi_execute", spy)
    monkeypatch.setattr(ud, "_increments", {})
    return calls


def test_a_repeated_increment_goes_straight_to_the_cursor(alias, monkeypatch):
    # The hot path: after the library ran a shape once, its SQL goes to Django's cursor with the new
    # values (about 20 us less per call), and the sums are the same.
    calls = _spy_on_the_library(monkeypatch)
    test = ABTest.objects.using(alias).create(name="t")
    for hour in (13, 13, 14, 13):
        ud.increment(HourlyLog, key=log_key(test, hour=hour), by={"participants": 1}, using=alias)
    assert len(calls) == 1
    # Values are prepared as Django prepares them (True is 1 for an integer field) on both paths; an
    # int past int64 takes the library's path, and is refused there with the library's error.
    ud.increment(HourlyLog, key=log_key(test, hour=13), by={"participants": True}, using=alias)
    assert len(calls) == 1
    with pytest.raises(upsert.Error, match="int64"):
        ud.increment(HourlyLog, key=log_key(test, hour=13), by={"participants": 2 ** 63}, using=alias)
    assert len(calls) == 2
    assert counts(alias) == [("A", 13, 4, 0), ("A", 14, 1, 0)]
    library_calls = len(calls)
    with CaptureQueriesContext(connections[alias]) as captured:
        ud.increment(HourlyLog, key=log_key(test, hour=14), by={"participants": 1}, using=alias)
    assert len(captured.captured_queries) == 1 and len(calls) == library_calls
    assert counts(alias) == [("A", 13, 4, 0), ("A", 14, 2, 0)]


def test_a_one_row_upsert_binds_the_rows_values_first_in_column_order(alias):
    # What the direct path of increment() relies on: the library's one-row SQL takes the row's values
    # first, in column order; only then may a call bind its own values to the SQL of another call.
    test = ABTest.objects.using(alias).create(name="t")
    ud.increment(HourlyLog, key=log_key(test), by={"participants": 1}, using=alias)
    shaped = ud._increments[(HourlyLog, alias, tuple(log_key(test)), ("participants",))]
    assert shaped.sql is not None
    values, direct = shaped.values(log_key(test, "B", 7), {"participants": 3})
    assert direct and values[:5] == [test.pk, "B", DAY, 7, 3]
    sql, params = ud._core._dbapi_render(shaped.statement, shaped.columns, [values], shaped.dialect)
    assert sql == shaped.sql and list(params) == values + shaped.trailing


@pytest.mark.parametrize("alias", ["pg", "maria"])  # SQLite's busy database: test_concurrency.py
def test_a_transient_error_on_the_direct_path_is_retried(alias):
    # A lock held by another connection makes the cursor's statement time out; outside a transaction
    # nothing was applied, so increment() runs it again through the library, which backs off and retries.
    empty(alias)
    test = ABTest.objects.using(alias).create(name="t")
    ud.increment(HourlyLog, key=log_key(test), by={"participants": 1}, using=alias)
    ud.increment(HourlyLog, key=log_key(test), by={"participants": 1}, using=alias)  # direct from now on
    connection = connections[alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET lock_timeout = '50ms'")
        else:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        other = connections.create_connection(alias)
        try:
            with other.cursor() as cursor:
                other.set_autocommit(False)
                cursor.execute("SELECT participants FROM %s WHERE id = %%s FOR UPDATE" % HourlyLog._meta.db_table,
                               [HourlyLog.objects.using(alias).get().pk])
                locked.set()
                release.wait(10)
                other.rollback()
        finally:
            other.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        locked.wait(10)
        # Released after the direct attempt timed out (50 ms; MariaDB: 1 s), before the retries give up.
        threading.Timer(0.3 if connection.vendor == "postgresql" else 1.5, release.set).start()
        ud.increment(HourlyLog, key=log_key(test), by={"participants": 1}, using=alias)
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0" if connection.vendor == "postgresql"
                           else "SET SESSION innodb_lock_wait_timeout = 50")
    assert counts(alias) == [("A", 13, 3, 0)]


def test_a_key_collation_that_merges_keys_is_a_warning(alias):
    # Django makes MariaDB tables with the server's default collation (utf8mb4_general_ci here),
    # under which 'a', 'A' and 'a ' are one key: said, not silently merged (issue 14, problem 4).
    test = ABTest.objects.using(alias).create(name="t")
    rows = [dict(log_key(test, version), participants=1) for version in ("a", "A", "a ")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ud.upsert(HourlyLog, rows, update={"participants": F("participants") + Proposed("participants")},
                  using=alias)
    merging = [w for w in caught if issubclass(w.category, upsert.KeyCollationWarning)]
    stored = sorted(HourlyLog.objects.using(alias).values_list("version", "participants"))
    if connections[alias].vendor == "mysql":
        assert len(merging) == 1, [str(w.message) for w in caught]
        message = str(merging[0].message)
        assert '"version"' in message and "utf8mb4_general_ci" in message and "utf8mb4_nopad_bin" in message
        assert len(stored) == 1 and stored[0][1] == 3
    else:
        assert merging == []
        assert stored == [("A", 1), ("a", 1), ("a ", 1)]


def test_foreign_key_by_id_and_by_instance(alias):
    test = ABTest.objects.using(alias).create(name="t")
    ud.increment(HourlyLog, key={"ab_test_id": test.pk, "version": "A", "date": DAY, "hour": 1},
                 by={"participants": 1}, using=alias)
    ud.increment(HourlyLog, key=log_key(test, hour=1), by={"participants": 1}, using=alias)
    assert counts(alias) == [("A", 1, 2, 0)]


def test_db_column_custom_table_and_unique_constraint(alias):
    rows = [{"player": "ann", "season": 1, "best": 10, "total": 5}]
    ud.upsert(Score, rows, update={"best": Greatest_(), "total": F("total") + Proposed("total")}, using=alias)
    ud.upsert(Score, [{"player": "ann", "season": 1, "best": 7, "total": 3}],
              update={"best": Greatest_(), "total": F("total") + Proposed("total")}, using=alias)
    row = Score.objects.using(alias).get(player="ann", season=1)
    assert (row.best, row.total) == (10, 8)
    with connections[alias].cursor() as cursor:  # the columns are the db_column names
        cursor.execute("SELECT player_name, best_score FROM upsert_django_scores")
        assert list(cursor.fetchall()) == [("ann", 10)]


def Greatest_():
    from django.db.models.functions import Greatest

    return Greatest(F("best"), Proposed("best"))


def test_model_instances_as_rows(alias):
    rows = [Score(player="bo", season=2, best=3, label="x"), Score(player="cy", season=2, best=4)]
    ud.upsert(Score, rows, update=["best", "label"], using=alias)
    ud.upsert(Score, [Score(player="bo", season=2, best=9, label="y")], update=["best", "label"], using=alias)
    got = sorted(Score.objects.using(alias).values_list("player", "best", "label", "active"))
    assert got == [("bo", 9, "y", True), ("cy", 4, None, True)]


def test_unique_together_with_queryset_target(alias):
    test = ABTest.objects.using(alias).create(name="t")
    rows = [dict(log_key(test), participants=1)] * 3
    result = ud.upsert(HourlyLog.objects.using(alias), rows,
                       update={"participants": F("participants") + Proposed("participants")})
    assert counts(alias) == [("A", 13, 3, 0)]  # three rows with one key: merged, deltas added
    assert result.affected_rows >= 1


def test_do_nothing_and_unique_true(alias):
    ud.upsert(Tag, [{"slug": "a", "count": 1}], using=alias)
    ud.upsert(Tag, [{"slug": "a", "count": 5}, {"slug": "b", "count": 2}], using=alias)
    assert sorted(Tag.objects.using(alias).values_list("slug", "count")) == [("a", 1), ("b", 2)]


def test_unique_fields_inference_errors(alias):
    with pytest.raises(ValueError, match="several unique keys"):
        ud.upsert(TwoKeys, [{"a": 1, "b": 1}], update=["v"], using=alias)
    with pytest.raises(ValueError, match="no complete unique key"):
        ud.upsert(HourlyLog, [{"version": "A", "participants": 1}], update=["participants"], using=alias)
    with pytest.raises(ValueError, match="is not a unique key"):
        ud.upsert(Score, [{"player": "a", "season": 1}], unique_fields=["player"], update=["best"], using=alias)
    with pytest.raises(ValueError, match="no complete unique key"):  # a conditional key is no target
        ud.upsert(Partial, [{"k": 1, "v": 1}], update=["v"], using=alias)


def test_mysql_refuses_a_target_that_is_not_the_only_key(alias):
    if connections[alias].vendor != "mysql":
        return
    with pytest.raises(upsert.Error, match="ON DUPLICATE KEY UPDATE fires on any unique key"):
        ud.upsert(TwoKeys, [{"a": 1, "b": 1, "v": 1}], unique_fields=["a"], update=["v"], using=alias)


def test_unknown_field_and_refused_expression(alias):
    with pytest.raises(Exception, match="no field named 'nope'"):
        ud.upsert(Tag, [{"slug": "a", "nope": 1}], using=alias)
    from django.db.models.functions import Abs

    with pytest.raises(TypeError, match="Abs"):
        ud.upsert(Tag, [{"slug": "a", "count": 1}], update={"count": Abs(F("count"))}, using=alias)
    with pytest.raises(TypeError, match="operator '%%'"):
        ud.upsert(Tag, [{"slug": "a", "count": 1}], update={"count": F("count") % 2}, using=alias)
    with pytest.raises(TypeError, match="lookup 'contains'"):
        ud.upsert(Tag, [{"slug": "a", "count": 1}], update=["count"], where=Q(slug__contains="x"), using=alias)


def test_returning_with_inserted_flag(alias):
    first = ud.upsert(Tag, [{"slug": "a", "count": 1}], update={"count": F("count") + Proposed("count")},
                      returning=["slug", "count"], using=alias)
    second = ud.upsert(Tag, [{"slug": "a", "count": 2}, {"slug": "b", "count": 7}],
                       update={"count": F("count") + Proposed("count")}, returning=["count"], using=alias)
    assert [dict(r) for r in first.rows] == [{"slug": "a", "count": 1}]
    assert [dict(r) for r in second.rows] == [{"count": 3}, {"count": 7}]
    if connections[alias].vendor == "mysql":
        assert first.rows[0].inserted is None  # CLIENT_FOUND_ROWS: the engine cannot tell
    else:
        assert first.rows[0].inserted is True
        assert [r.inserted for r in second.rows] == [False, True]


def test_returning_with_where(alias):
    ud.upsert(Tag, [{"slug": "a", "count": 5}], using=alias)
    rows = [{"slug": "a", "count": 1}]
    if connections[alias].vendor == "mysql":
        with pytest.raises(ValueError, match="CLIENT_FOUND_ROWS"):
            ud.upsert(Tag, rows, update=["count"], where=Q(count__lt=Proposed("count")), returning=["count"],
                      using=alias)
        return
    result = ud.upsert(Tag, rows, update=["count"], where=Q(count__lt=Proposed("count")), returning=["count"],
                       using=alias)
    assert result.rows == [None]
    assert Tag.objects.using(alias).get(slug="a").count == 5


def test_rollback_inside_atomic_leaves_table_unchanged(alias):
    ud.upsert(Tag, [{"slug": "a", "count": 1}], using=alias)
    with pytest.raises(RuntimeError):
        with transaction.atomic(using=alias):
            ud.increment(Tag, key={"slug": "a"}, by={"count": 10}, using=alias)
            ud.upsert(Tag, [{"slug": "b", "count": 1}, {"slug": "c", "count": 1}], using=alias)
            assert Tag.objects.using(alias).count() == 3  # visible inside the transaction
            raise RuntimeError("roll back")
    assert sorted(Tag.objects.using(alias).values_list("slug", "count")) == [("a", 1)]


def test_failure_inside_atomic_marks_the_block_for_rollback(alias):
    test = ABTest.objects.using(alias).create(name="t")
    with transaction.atomic(using=alias):
        ud.increment(HourlyLog, key=log_key(test), by={"participants": 1}, using=alias)
        with pytest.raises(DatabaseError):  # participants >= 0: a CHECK, or UNSIGNED on MariaDB
            ud.increment(HourlyLog, key=log_key(test), by={"participants": -5}, using=alias)
        # As after a failed save(): the block must be rolled back before anything else runs in it.
        with pytest.raises(TransactionManagementError):
            ABTest.objects.using(alias).count()
    assert counts(alias) == []


def test_inner_atomic_recovers_from_a_failure(alias):
    test = ABTest.objects.using(alias).create(name="t")
    with transaction.atomic(using=alias):
        ud.increment(HourlyLog, key=log_key(test), by={"participants": 1}, using=alias)
        with pytest.raises(DatabaseError):
            with transaction.atomic(using=alias):
                ud.upsert(HourlyLog, [dict(log_key(test), participants=1), dict(log_key(test, "B"), participants=-1)],
                          update={"participants": F("participants") + Proposed("participants")}, using=alias)
        ud.increment(HourlyLog, key=log_key(test), by={"participants": 1}, using=alias)
    assert counts(alias) == [("A", 13, 2, 0)]


def test_queries_are_captured_by_django(alias):
    connection = connections[alias]
    with CaptureQueriesContext(connection) as captured:
        ud.increment(Tag, key={"slug": "a"}, by={"count": 1}, using=alias)
    assert len(captured.captured_queries) == 1
    assert "INSERT INTO" in captured.captured_queries[0]["sql"]


def test_batch_of_many_rows(alias):
    test = ABTest.objects.using(alias).create(name="t")
    rows = [dict(log_key(test, hour=h % 24), participants=1) for h in range(2400)]
    ud.upsert(HourlyLog, rows, update={"participants": F("participants") + Proposed("participants")},
              batch_size=500, using=alias)
    assert sorted({c[2] for c in counts(alias)}) == [100]
    assert len(counts(alias)) == 24


def test_values_of_every_type_round_trip(alias):
    seen = datetime.datetime(2026, 11, 26, 13, 5, 7, 123456, tzinfo=datetime.timezone.utc)
    row = {"player": "dee", "season": 3, "best": -5, "total": 2 ** 40, "label": "ünï", "ratio": 0.25,
           "active": False, "seen": seen, "day": DAY, "blob": b"\x00\xffab"}
    result = ud.upsert(Score, [row], update=list(row)[2:], returning=list(row), using=alias)
    got = Score.objects.using(alias).get(player="dee")
    assert (got.best, got.total, got.label, got.ratio, got.active, got.seen, got.day, bytes(got.blob)) == (
        -5, 2 ** 40, "ünï", 0.25, False, seen, DAY, b"\x00\xffab")
    returned = dict(result.rows[0])
    returned["blob"] = bytes(returned["blob"])
    assert returned == row


def test_decimal_fields_are_refused():
    from django.db import models

    class Priced(models.Model):
        k = models.IntegerField(unique=True)
        price = models.DecimalField(max_digits=5, decimal_places=2)

        class Meta:
            app_label = "testapp"
            managed = False

    with pytest.raises(TypeError, match="DecimalField"):
        ud.upsert(Priced, [{"k": 1, "price": 1}], using="default")
