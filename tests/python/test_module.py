"""The Python API on SQLite, PostgreSQL and MariaDB: values round-trip, refusals raise the right
class naming the cause, batches merge repeated keys, transactions commit and roll back."""

import datetime

import pytest

import upsert
from conftest import drop, engine_url

T = upsert.Type


def all_types_table(name):
    return (upsert.Table(name)
            .column("k", T.int64)
            .column("i", T.int64)
            .column("f", T.float64)
            .column("s", T.text)
            .column("b", T.boolean)
            .column("d", T.date)
            .column("ts", T.timestamp)
            .column("by", T.bytes)
            .unique_key(["k"]))


def ab_table(name):
    return (upsert.Table(name)
            .column("ab_test_id", T.int64)
            .column("version", T.text)
            .column("hour", T.int64)
            .column("participants", T.int64, default=0, not_null=True)
            .column("conversions", T.int64, default=0, not_null=True)
            .unique_key(["ab_test_id", "version", "hour"]))


def counting(table):
    return (upsert.insert_into(table)
            .on_conflict(["ab_test_id", "version", "hour"])
            .do_update({"participants": upsert.col("participants") + upsert.proposed("participants"),
                        "conversions": upsert.col("conversions") + upsert.proposed("conversions")}))


def test_every_value_type_round_trips(url, table_name):
    table = all_types_table(table_name)
    rows = [
        (1, -(2**63), -1.5, "héllo 'quoted' % ? $1", True, datetime.date(1, 1, 1),
         datetime.datetime(2026, 12, 2, 13, 14, 15, 123456), b"\x00\xff binary"),
        (2, 2**63 - 1, 1e300, "", False, datetime.date(9999, 12, 31), datetime.datetime(1970, 1, 1), b""),
        (3, None, None, None, None, None, None, None),
    ]
    try:
        with upsert.connect(url) as db:
            db.create_table(table)
            db.execute_batch(upsert.insert_into(table).on_conflict(["k"]).do_nothing(), rows)
            got = db.query(f"SELECT k, i, f, s, b, d, ts, {upsert.quote_identifier('by', db.dialect)} FROM "
                           f"{upsert.quote_identifier(table_name, db.dialect)} ORDER BY k",
                           types=[T.int64, T.int64, T.float64, T.text, T.boolean, T.date, T.timestamp, T.bytes])
        assert got == rows
    finally:
        drop(url, table_name)


def test_aware_datetime_is_stored_as_utc(url, table_name):
    table = all_types_table(table_name)
    cet = datetime.timezone(datetime.timedelta(hours=1))
    try:
        with upsert.connect(url) as db:
            db.create_table(table)
            db.execute(upsert.insert_into(table).columns(["k", "ts"]).row((1, datetime.datetime(2026, 1, 1, 10, tzinfo=cet)))
                       .on_conflict(["k"]).do_nothing())
            got = db.query(f"SELECT ts FROM {upsert.quote_identifier(table_name, db.dialect)}", types=[T.timestamp])
        assert got == [(datetime.datetime(2026, 1, 1, 9),)]
    finally:
        drop(url, table_name)


def test_batch_merges_repeated_keys_and_takes_dicts(url, table_name):
    table = ab_table(table_name)
    rows = [{"ab_test_id": 7, "version": "AB"[i % 2], "hour": i % 3, "participants": 1, "conversions": i % 2}
            for i in range(600)]
    try:
        with upsert.connect(url) as db:
            db.create_table(table)
            result = db.execute_batch(counting(table), rows, max_rows_per_statement=2)
            assert result.merged_rows == 6
            db.execute_batch(counting(table), [(7, "A", 0, 5, 0)])
            got = db.query(f"SELECT version, hour, participants, conversions FROM "
                           f"{upsert.quote_identifier(table_name, db.dialect)} ORDER BY version, hour",
                           types=[T.text, T.int64, T.int64, T.int64])
        expected = {}
        for r in rows:
            key = (r["version"], r["hour"])
            p, c = expected.get(key, (0, 0))
            expected[key] = (p + 1, c + r["conversions"])
        expected[("A", 0)] = (expected[("A", 0)][0] + 5, expected[("A", 0)][1])
        assert got == [(v, h, p, c) for (v, h), (p, c) in sorted(expected.items())]
    finally:
        drop(url, table_name)


def test_returning_with_inserted_flag(url, table_name):
    table = ab_table(table_name)
    stmt = counting(table).returning(["participants"], inserted=True)
    try:
        with upsert.connect(url) as db:
            db.create_table(table)
            first = db.execute(stmt, [(1, "A", 1, 3, 0)])
            second = db.execute(stmt, [(1, "A", 1, 4, 0)])
        assert first.rows == [(3, True)]
        assert second.rows == [(7, False)]
    finally:
        drop(url, table_name)


def test_a_prepared_upsert_takes_only_values(url, table_name):
    table = ab_table(table_name)
    try:
        with upsert.connect(url) as db:
            db.create_table(table)
            prepared = db.prepare(counting(table).returning(["participants"], inserted=True))
            assert prepared.width == 5 and "participants" in prepared.sql
            assert prepared.execute((1, "A", 1, 3, 0)).rows == [(3, True)]
            assert prepared.execute([1, "A", 1, 4, 0]).rows == [(7, False)]
            with pytest.raises(upsert.InvalidArgumentError, match="takes 5 values"):
                prepared.execute((1, "A", 1))
            with pytest.raises(upsert.InvalidArgumentError, match="participants"):
                prepared.execute((1, "A", 1, "three", 0))
            plain = db.prepare(counting(table))
            for _ in range(100):
                plain.execute((1, "A", 1, 1, 0))
            got = db.query(f"SELECT participants FROM {upsert.quote_identifier(table_name, db.dialect)}",
                           types=[T.int64])
        assert got == [(107,)]
        with pytest.raises(upsert.InvalidArgumentError, match="closed"):
            plain.execute((1, "A", 1, 1, 0))
    finally:
        drop(url, table_name)


def test_transaction_commits_and_rolls_back(url, table_name):
    table = ab_table(table_name)
    try:
        with upsert.connect(url) as db:
            db.create_table(table)
            with db.transaction():
                db.execute(counting(table), [(1, "A", 1, 1, 0)])
            with pytest.raises(KeyError):
                with db.transaction():
                    db.execute(counting(table), [(1, "A", 1, 100, 0)])
                    raise KeyError("abandon")
            assert not db.in_transaction
            got = db.query(f"SELECT participants FROM {upsert.quote_identifier(table_name, db.dialect)}",
                           types=[T.int64])
        assert got == [(1,)]
    finally:
        drop(url, table_name)


def test_overflow_raises_value_overflow_error(url, table_name):
    table = ab_table(table_name)
    try:
        with upsert.connect(url) as db:
            db.create_table(table)
            db.execute(counting(table), [(1, "A", 1, 2**63 - 1, 0)])
            with pytest.raises(upsert.ValueOverflowError) as info:
                db.execute(counting(table), [(1, "A", 1, 1, 0)])
        assert info.value.category == "overflow"
        assert isinstance(info.value, OverflowError)
    finally:
        drop(url, table_name)


def test_not_null_violation_is_a_constraint_error(url, table_name):
    table = (upsert.Table(table_name).column("k", T.int64).column("n", T.int64, not_null=True).unique_key(["k"]))
    try:
        with upsert.connect(url) as db:
            db.create_table(table)
            with pytest.raises((upsert.ConstraintError, upsert.InvalidArgumentError)) as info:
                db.execute(upsert.insert_into(table).row((1, None)).on_conflict(["k"]).do_nothing())
        assert "n" in str(info.value)
    finally:
        drop(url, table_name)


def test_engine_error_carries_its_facts(url, table_name):
    with upsert.connect(url) as db:
        with pytest.raises(upsert.Error) as info:
            db.execute_sql(f"INSERT INTO {table_name}_missing (x) VALUES (1)")
    e = info.value
    assert e.engine_code
    assert e.sql and "_missing" in e.sql
    assert e.retryable is False


@pytest.mark.parametrize("bad, fragment", [
    (2**63, "64-bit integer range"),
    (-(2**63) - 1, "64-bit integer range"),
    (__import__("decimal").Decimal("1.10"), "no decimal type"),
    (object(), "pass None, bool, int"),
    (1 + 2j, "complex"),
])
def test_unsupported_python_values_are_refused_with_the_fix(bad, fragment):
    table = ab_table("t")
    with pytest.raises(upsert.InvalidArgumentError) as info:
        upsert.insert_into(table).row((1, "A", bad, 1, 0))
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_bad_identifier_and_unknown_column_are_invalid_arguments():
    with pytest.raises(upsert.InvalidArgumentError, match="only ASCII letters"):
        upsert.Table("bad name")
    table = ab_table("t")
    with pytest.raises(upsert.InvalidArgumentError, match="nope"):
        upsert.insert_into(table).on_conflict(["nope"])


def test_render_placeholder_styles():
    table = ab_table("t")
    stmt = counting(table).row((7, "B", 13, 1, 0))
    sql, params = upsert.render(stmt, "postgresql", placeholders="format")
    assert sql.count("%s") == len(params) == 5 and "$1" not in sql
    sql, params = upsert.render(stmt, upsert.Dialect.oracle, placeholders="numeric")
    assert ":5" in sql and params == [7, "B", 13, 1, 0]
    sql, _ = upsert.render(stmt, "sqlserver", placeholders="qmark")
    assert sql.count("?") == 5 and "@p" not in sql
    with pytest.raises(upsert.InvalidArgumentError, match="placeholder style"):
        upsert.render(stmt, "sqlite", placeholders="pyformat")


def test_render_for_a_distributed_engine_profile():
    table = ab_table("t")
    stmt = counting(table).row((7, "B", 13, 1, 0))
    sql, _ = upsert.render(stmt, "mysql", profile="tidb")
    assert "VALUES(`participants`)" in sql and "AS `new`" not in sql
    with pytest.raises(upsert.UnsupportedError, match="distribution column"):
        upsert.render(stmt, "postgresql", profile="citus")
    sql, _ = upsert.render(stmt, "postgresql", profile="citus", distribution_column="ab_test_id")
    assert "ON CONFLICT" in sql
    with pytest.raises(upsert.InvalidArgumentError, match="unknown profile"):
        upsert.render(stmt, "postgresql", profile="spanner")


def test_expressions_cannot_be_used_as_python_booleans():
    with pytest.raises(upsert.InvalidArgumentError, match="no truth value"):
        bool(upsert.col("a") > 1)


def test_closed_connection_says_so(tmp_path):
    db = upsert.connect("sqlite:" + str(tmp_path / "c.db"))
    db.close()
    with pytest.raises(upsert.InvalidArgumentError, match="closed"):
        db.server_version()


def _batches_in_a_process(url, table_name, seed):
    table = ab_table(table_name)
    rows = [(7, "AB"[(seed + i) % 2], (seed * 7 + i) % 24, 1, i % 2) for i in range(3000)]
    with upsert.connect(url) as db:
        for start in range(0, len(rows), 500):
            db.execute_batch(counting(table), rows[start:start + 500], max_rows_per_statement=100,
                             take_turns_across_processes=True)


def test_batches_of_processes_taking_turns_store_exact_sums(table_name, tmp_path):
    """Four processes writing overlapping keys with take_turns_across_processes: every row once."""
    import multiprocessing
    url = engine_url("postgresql", tmp_path)
    try:
        with upsert.connect(url) as db:
            db.create_table(ab_table(table_name))
        workers = [multiprocessing.get_context("spawn").Process(target=_batches_in_a_process, args=(url, table_name, s))
                   for s in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(60)
        assert [w.exitcode for w in workers] == [0, 0, 0, 0]
        with upsert.connect(url) as db:
            got = db.query(f"SELECT SUM(participants), SUM(conversions) FROM {table_name}", types=[T.int64, T.int64])
        assert got == [(4 * 3000, 4 * 1500)]
    finally:
        drop(url, table_name)
