"""upsert.django: atomic upserts with F() expressions on Django's own connection.

Three lines count participants atomically on PostgreSQL, SQLite, MySQL/MariaDB (and Oracle)::

    from upsert.django import increment
    increment(HourlyLog, key={"ab_test": test, "version": "B", "date": today, "hour": 13},
              by={"participants": 1})

- :func:`upsert` inserts rows, or updates the existing row of each key with Django expressions
  (``F("x")`` the existing value, ``Proposed("x")`` the proposed one), in one statement per row or
  batch: no ``SELECT ... FOR UPDATE``, no lost update, the same result on every engine.
- The SQL runs on ``django.db.connections[using].cursor()``: it joins the caller's
  ``transaction.atomic()``, uses Django's connection settings and shows up in Django's query logging
  and ``CaptureQueriesContext``. A failure inside an ``atomic()`` block marks that block for rollback,
  as Django's own ``save()`` and ``bulk_create()`` do.
- :class:`CounterWriter` coalesces increments in memory and writes them from a background thread on
  its own connection (configured from ``settings.DATABASES``).
"""

import atexit
import ctypes
import os
import random
import threading
import time
import weakref

import upsert as _upsert_module
from django.db import DatabaseError, connections, router, transaction
from django.db.models import F
from django.db.models.query import QuerySet

from upsert.django._bridge import Bridge, classify, dialect_of, found_rows
from upsert.django._expressions import Proposed, Translator, _native_type, prepare_value
from upsert.django._schema import column_type, model_table

__all__ = ["upsert", "increment", "Proposed", "CounterWriter", "UpsertResult", "Returned"]

_core = _upsert_module._upsert


class Returned(dict):
    """A row the upsert inserted or updated: field name -> value, and ``inserted`` (True for an
    inserted row, False for an updated one, None where the engine cannot tell)."""

    __slots__ = ("inserted",)

    def __init__(self, values, inserted):
        super().__init__(values)
        self.inserted = inserted

    def __repr__(self):
        return "Returned(%s, inserted=%r)" % (dict.__repr__(self), self.inserted)


class UpsertResult:
    """What :func:`upsert` did: ``affected_rows`` as the engine counts them (MySQL counts an update as
    2), and with ``returning=``, ``rows``: per input row, its :class:`Returned` row, or None when the
    conflict left the existing row alone (``update=None``, or ``where=`` false)."""

    __slots__ = ("affected_rows", "rows")

    def __init__(self, affected_rows, rows):
        self.affected_rows = affected_rows
        self.rows = rows

    def __repr__(self):
        return "UpsertResult(affected_rows=%r, rows=%r)" % (self.affected_rows, self.rows)


def _target(model_or_queryset, using, for_write=True):
    if isinstance(model_or_queryset, QuerySet):
        model = model_or_queryset.model
        using = using or model_or_queryset.db
    else:
        model = model_or_queryset
    if using is None:
        using = router.db_for_write(model) if for_write else router.db_for_read(model)
    return model, using


def _row_values(mt, rows):
    """(field names, rows as lists of prepared values) for model instances or dicts."""
    first = rows[0]
    if isinstance(first, dict):
        names = [mt.field(name).name for name in first]
        fields = [mt.field(name) for name in first]
        keys = list(first)
        # Fields the rows leave out get their model default, as a new instance would.
        for field in mt.model._meta.concrete_fields:
            if field.name not in names and field.has_default() and not (field.primary_key and mt.auto_pk):
                names.append(field.name)
                fields.append(field)
                keys.append(None)
        values = []
        for row in rows:
            if not isinstance(row, dict) or len(row) != len(first) or any(k not in row for k in first):
                raise ValueError("every row must give the same fields as the first (%s); got %r"
                                 % (", ".join(first), row))
            values.append([prepare_value(f, row[k]) if k is not None else prepare_value(f, f.get_default())
                           for f, k in zip(fields, keys)])
        return names, values
    fields = [f for f in mt.model._meta.concrete_fields if not (f.primary_key and mt.auto_pk)]
    values = []
    for obj in rows:
        if not isinstance(obj, mt.model):
            raise TypeError("rows of an upsert into %s are %s instances or dicts, not %r"
                            % (mt.model.__name__, mt.model.__name__, obj))
        values.append([prepare_value(f, f.pre_save(obj, True)) for f in fields])
    return [f.name for f in fields], values


def _update_assignments(mt, update):
    if isinstance(update, (list, tuple)):
        return {mt.column(name): _upsert_module.proposed(mt.column(name)) for name in update}
    translate = Translator(mt, "update of %s" % mt.model.__name__)
    return {mt.column(name): translate.expression(e, mt.field(name)) for name, e in update.items()}


def _from_db(field, value):
    if value is not None and field.get_internal_type() == "DateTimeField":
        from django.conf import settings

        if settings.USE_TZ and value.tzinfo is None:
            import datetime

            value = value.replace(tzinfo=datetime.timezone.utc)
    return value


def _run(connection, statement, columns, values, batch_size=1000):
    dialect, _, database = _dialect(connection)
    return _core._dbapi_execute(Bridge(connection), dialect, database, statement, columns, values, batch_size)


def _run_atomic(connection, statement, columns, values, batch_size):
    """A batch in one atomic() block (a transaction, or part of the caller's), retried whole after a
    transient error when it is the whole transaction."""
    outermost = not (connection.in_atomic_block or not connection.get_autocommit())
    for attempt in range(1, 11):
        try:
            with transaction.atomic(using=connection.alias, savepoint=False):
                return _run(connection, statement, columns, values, batch_size)
        except Exception as e:  # noqa: BLE001 - re-raised unless retryable
            if not outermost or attempt == 10 or classify(e)[0] != "retryable":
                raise
            time.sleep(min(0.2, 0.001 * 2 ** attempt) * random.random())


_dialects = {}


def _dialect(connection):
    found = _dialects.get(connection.alias)
    if found is None:
        found = _dialects[connection.alias] = (dialect_of(connection), found_rows(connection), "%s\n%s" % (
            connection.alias, connection.settings_dict.get("NAME")))
    return found


def _statement(model, rows, unique_fields, update, where, returning, counts_found_rows, dialect):
    """The upsert statement for `rows` of `model` (without them), its insert columns, the rows' values,
    the returned fields and whether it asks for the inserted flag."""
    mt = model_table(model)
    names, values = _row_values(mt, rows)
    target = mt.conflict_target(set(names), unique_fields)
    # The rows travel apart from the statement (the binding sets them), so a statement can be reused.
    statement = _upsert_module.insert_into(mt.table)
    statement.on_conflict([mt.column(n) for n in target])
    if update is None:
        if where is not None:
            raise ValueError("where= needs update=: without an update the existing row is kept anyway")
        statement.do_nothing()
    else:
        condition = Translator(mt, "where of %s" % model.__name__).condition(where) if where is not None else None
        statement.do_update(_update_assignments(mt, update), where=condition)
    returned_fields = [mt.field(n) for n in returning] if returning else []
    flag = False
    if returned_fields:
        if counts_found_rows and (update is None or where is not None):
            what = "update=None" if update is None else "where="
            raise ValueError(
                "returning= with %s on %s: Django opens MySQL/MariaDB connections with CLIENT_FOUND_ROWS, so "
                "a row the upsert left alone cannot be told from an inserted one; drop returning= or %s"
                % (what, dialect, what))
        flag = not counts_found_rows
        statement.returning([f.column for f in returned_fields], inserted=flag)
    return statement, [mt.column(n) for n in names], values, returned_fields, flag


def upsert(model_or_queryset, rows, unique_fields=None, update=None, where=None, returning=None, using=None,
           batch_size=1000):
    """Inserts `rows` (model instances or dicts of field name -> value) into the model's table; a row
    whose key exists already updates that row instead, atomically, in one statement.

    - `unique_fields`: the conflict target (field names). Default: the one unique key of the model
      (``unique=True``, ``unique_together``, ``UniqueConstraint(fields=...)`` without a condition) that
      the rows' fields cover; an error when none or several do.
    - `update`: None keeps the existing row (DO NOTHING); a list of field names takes the proposed
      values; a dict field -> expression computes them: ``{"participants": F("participants") +
      Proposed("participants")}`` with F, Proposed, Value, + - * /, Greatest, Least, Coalesce, Case/When.
    - `where`: a Q condition on the existing row (values may be Proposed(...)): update only where true.
    - `returning`: field names to return; the result's ``rows`` then hold one :class:`Returned` per row,
      with ``inserted`` True/False (None on MySQL/MariaDB through Django's connection, which counts
      found rows and so cannot tell an insert from an unchanged row).
    - `using`: the database alias (default: the router's, or the queryset's).

    Many rows go as a batch, in one ``atomic()`` block: rows with equal keys merged first (deltas
    added; otherwise applied in order), sorted by key, cut by the engine's parameter limit and
    `batch_size`. Returns an :class:`UpsertResult`.
    """
    model, using = _target(model_or_queryset, using)
    connection = connections[using]
    dialect, counts_found_rows, _ = _dialect(connection)
    rows = list(rows)
    if not rows:
        return UpsertResult(0, [])
    statement, columns, values, returned_fields, flag = _statement(model, rows, unique_fields, update, where,
                                                                   returning, counts_found_rows, dialect)
    try:
        if len(values) > 1:
            affected, out = _run_atomic(connection, statement, columns, values, batch_size)
        else:
            affected, out = _run(connection, statement, columns, values, batch_size)
            out = out[:1] or [()]  # one input row: its returned row, or none when left alone
    except DatabaseError:
        # As Django's own save() does: the engine may have aborted the transaction, so the atomic()
        # block around this call must roll back (an inner atomic() around the call recovers).
        if connection.in_atomic_block:
            transaction.set_rollback(True, using=using)
        raise
    result_rows = []
    if returned_fields:
        for row in out:
            if not row:
                result_rows.append(None)
                continue
            values_by_name = {f.name: _from_db(f, v) for f, v in zip(returned_fields, row)}
            result_rows.append(Returned(values_by_name, row[len(returned_fields)] if flag else None))
    return UpsertResult(affected, result_rows)


_increments = {}
_INT64 = (-2 ** 63, 2 ** 63)


class _Increment:
    """One shape of :func:`increment` (model, alias, key fields, incremented fields): its statement,
    built once per process, and once the library has run it, its SQL for the cursor.

    Why a second path: going through the library costs about 20 us of Python and C++ per call (the
    bridge, a Connection over it, rendering) where Django's cursor costs 2-3 us, and increment() is
    the hot path of a page view. The library runs the first call of each shape (which also checks
    the table's key collations); later calls whose values need no conversion send its SQL to
    ``connection.cursor()`` directly. The SQL is the library's, so the result is the same."""

    __slots__ = ("statement", "columns", "fields", "natives", "defaults", "fixed_defaults", "dialect", "sql",
                 "trailing")

    def __init__(self, model, connection, key, by):
        row = dict(key)
        for name, amount in by.items():
            if name in row:
                raise ValueError("%r is both a key field and a field to increment" % name)
            row[name] = amount
        self.dialect = _dialect(connection)[0]
        self.statement, self.columns, _, _, _ = _statement(
            model, [row], list(key), {name: F(name) + Proposed(name) for name in by}, None, None, False,
            self.dialect)
        mt = model_table(model)
        self.fields = [mt.field(n) for n in list(key) + list(by)]
        self.natives = [_native_type(f) for f in self.fields]
        self.defaults = [mt.field(c) for c in self.columns[len(self.fields):]]  # as _row_values added them
        # Defaults that are not callables cannot change between calls: prepared once.
        if any(callable(f.default) for f in self.defaults):
            self.fixed_defaults = None
        else:
            self.fixed_defaults = [prepare_value(f, f.get_default()) for f in self.defaults]
        self.sql = None
        self.trailing = None

    def values(self, key, by):
        """The row's values in column order, and whether the cached SQL may take them as they are:
        each one None or exactly the type the library would bind (an int within int64), so the
        library's checks could not have refused it."""
        direct = self.sql is not None
        values = []
        for field, native, value in zip(self.fields, self.natives, (*key.values(), *by.values())):
            value = prepare_value(field, value)
            if value is not None and (type(value) is not native or
                                      (native is int and not _INT64[0] <= value < _INT64[1])):
                direct = False
            values.append(value)
        if self.fixed_defaults is not None:
            values.extend(self.fixed_defaults)
        else:
            values.extend(prepare_value(f, f.get_default()) for f in self.defaults)
        return values, direct

    def learn_sql(self, values):
        """Keeps the SQL the library sends for this shape, where its parameters are the row's values
        first, in column order, then constants of the update (so a call binds its own values)."""
        if self.dialect not in ("sqlite", "postgresql", "mysql", "mariadb"):
            return  # Oracle's MERGE binds its rows differently
        sql, params = _core._dbapi_render(self.statement, self.columns, [values], self.dialect)
        if list(params[:len(values)]) == values:
            self.sql, self.trailing = sql, list(params[len(values):])


def increment(model, key, by, using=None):
    """Adds `by` (field -> amount) to the row of `key` (field -> value, a unique key of the model),
    inserting the row with `by` as its values (other fields at their defaults) when it does not
    exist: ``increment(HourlyLog, key={...}, by={"participants": 1})``. One statement, atomic.

    Outside a transaction, a transient error (deadlock, lock timeout, SQLite busy) is retried."""
    if using is None:
        using = router.db_for_write(model)
    connection = connections[using]
    shape = (model, using, tuple(key), tuple(by))
    shaped = _increments.get(shape)
    if shaped is None:
        shaped = _increments[shape] = _Increment(model, connection, key, by)
    values, direct = shaped.values(key, by)
    try:
        if direct:
            try:
                with connection.cursor() as cursor:
                    cursor.execute(shaped.sql, values + shaped.trailing)
                return
            except DatabaseError as e:
                # Outside a transaction a transient error applied nothing: the library's path below
                # retries it with backoff. Inside one the caller's transaction decides.
                if connection.in_atomic_block or not connection.autocommit or classify(e)[0] != "retryable":
                    raise
        _run(connection, shaped.statement, shaped.columns, [values])
        if shaped.sql is None:
            shaped.learn_sql(values)
    except DatabaseError:
        if connection.in_atomic_block:
            transaction.set_rollback(True, using=using)
        raise


_writers = weakref.WeakSet()
_inherited = []  # writers a forked child inherited: kept alive, never closed


def _database_url(settings_dict, alias):
    """A URL for the library's own connection to the database Django uses under `alias`."""
    from urllib.parse import quote

    engine = settings_dict["ENGINE"]
    name = str(settings_dict.get("NAME") or "")
    options = settings_dict.get("OPTIONS") or {}
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = user + (":" + password if password else "") + ("@" if user else "")
    host = settings_dict.get("HOST") or ""
    port = str(settings_dict.get("PORT") or "")
    if engine.endswith("sqlite3"):
        if not name or name == ":memory:" or name.startswith("file:"):
            raise ValueError(
                "CounterWriter needs its own connection to the database %r, but an in-memory SQLite database "
                "(%r) is visible to one connection only; use a database file" % (alias, name))
        return "sqlite:" + name
    if "postgresql" in engine or "postgis" in engine:
        query = {}
        if host.startswith("/"):
            query["host"] = host
            host = ""
        for option in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name"):
            if option in options:
                query[option] = str(options[option])
        address = host + (":" + port if port else "")
        url = "postgresql://%s%s/%s" % (credentials, address, quote(name, safe=""))
        if query:
            url += "?" + "&".join("%s=%s" % (k, quote(v, safe="/")) for k, v in query.items())
        return url
    if "mysql" in engine:
        name = options.get("db", options.get("database", name))
        socket = options.get("unix_socket") or (host if host.startswith("/") else "")
        if socket:
            host = "localhost"
        address = (host or "localhost") + (":" + port if port and not socket else "")
        url = "mariadb://%s%s/%s" % (credentials, address, quote(name, safe=""))
        if socket:
            url += "?socket=" + quote(socket, safe="")
        return url
    raise NotImplementedError("CounterWriter runs on SQLite, PostgreSQL and MySQL/MariaDB databases; %r uses %s"
                              % (alias, engine))


class CounterWriter:
    """Coalescing counter writer for one model, on its own connection and background thread.

    ``add(key, deltas)`` (thread-safe) folds deltas into memory; a background thread writes each key's
    sums in one batch upsert every ``flush_interval`` (100 ms by default), atomically (the same
    ``F() + Proposed()`` update as :func:`increment`). The connection is opened from
    ``connections[using].settings_dict`` (Django's ``settings.DATABASES``, with the test database's name
    under Django's test runner) on first use; in a forked child (a pre-forking web server) a fresh writer
    starts on first use, and the parent's pending increments stay the parent's (on SQLite only when the
    parent had not used it: SQLite must not cross a fork, and the child gets an error saying so);
    everything pending is flushed at interpreter exit.

    What can be lost: increments accepted since the last flush that committed, if the process dies
    (``kill -9``, a crash, power loss) before the next flush or before ``close()`` returns; with the
    default interval that is about the last 100 ms of increments. ``flush()`` makes everything added
    before it durable. The writer's own commits are never applied twice: each flush updates a ledger row
    (table ``upsert_writer_ledger``) in the same transaction. Other NOT NULL numeric fields with a default of 0
    are summed with 0 added; any other NOT NULL field is refused when the writer is made, since the
    writer inserts the key and sum columns only.
    """

    def __init__(self, model, key_fields, sum_fields, using=None, **options):
        self.model, self.using = _target(model, using)
        self.mt = model_table(self.model)
        self.key_fields = [self.mt.field(n) for n in key_fields]
        self.sum_fields = [self.mt.field(n) for n in sum_fields]
        self.mt.conflict_target({f.name for f in self.key_fields}, [f.name for f in self.key_fields])
        # The writer inserts the key and sum columns only. Other NOT NULL counters defaulting to 0 are
        # summed too, with 0 added; any other NOT NULL column would fail every insert: refused here.
        self.zero_fields = []
        written = set(self.key_fields) | set(self.sum_fields)
        for field in self.model._meta.concrete_fields:
            if field in written or field.null or (field.primary_key and self.mt.auto_pk):
                continue
            if column_type(field) in (_upsert_module.Type.int64, _upsert_module.Type.float64) and (
                    field.has_default() and field.get_default() == 0):
                self.zero_fields.append(field)
                continue
            raise ValueError(
                "CounterWriter(%s) inserts the key and sum fields only, but %s is NOT NULL without a default of 0; "
                "add it to key_fields or sum_fields, or make it nullable" % (self.model.__name__, field.name))
        self.options = options
        self.table = _upsert_module.Table(self.model._meta.db_table)
        for field in self.key_fields + self.sum_fields + self.zero_fields:
            self.table.column(field.column, column_type(field), not_null=True)
        self.table.unique_key([f.column for f in self.key_fields])
        self._writer = None
        self._pid = None
        self._lock = threading.Lock()
        self._closed = False
        _writers.add(self)

    def _current(self):
        writer = self._writer
        if writer is not None and self._pid == os.getpid():
            return writer
        with self._lock:
            if self._closed:
                raise RuntimeError("this CounterWriter is closed")
            if self._writer is None or self._pid != os.getpid():
                # In a forked child the parent's writer (and its pending increments) stays the parent's:
                # it is never flushed, closed or even destroyed here (its flush thread does not exist
                # in the child, and its increments are the parent's to write), and a fresh one starts.
                if self._writer is not None:
                    _inherited.append(self._writer)
                    ctypes.pythonapi.Py_IncRef(ctypes.py_object(self._writer))
                url = _database_url(connections[self.using].settings_dict, self.using)
                self._writer = _upsert_module.CounterWriter(
                    url, self.table, [f.column for f in self.key_fields],
                    [f.column for f in self.sum_fields + self.zero_fields],
                    **self.options)
                self._pid = os.getpid()
            return self._writer

    def add(self, key, deltas):
        """Adds `deltas` (field -> amount, or amounts in sum_fields order) to `key` (field -> value, or
        values in key_fields order). Thread-safe; returns at once."""
        if isinstance(key, dict):
            key = [prepare_value(f, key[f.name] if f.name in key else key[f.attname]) for f in self.key_fields]
        else:
            key = [prepare_value(f, v) for f, v in zip(self.key_fields, key)]
        if isinstance(deltas, dict):
            deltas = [deltas.get(f.name, 0) for f in self.sum_fields]
        else:
            deltas = list(deltas)
        deltas.extend(0 for _ in self.zero_fields)
        return self._current().add(key, deltas)

    def flush(self):
        """Blocks until everything added before the call is written."""
        if self._writer is not None and self._pid == os.getpid():
            self._writer.flush()

    def stats(self):
        """The writer's counters (a fresh writer's after a fork)."""
        return self._current().stats()

    def close(self):
        """Flushes and stops the background thread; add() afterwards raises."""
        with self._lock:
            self._closed = True
            writer, self._writer = self._writer, None
            if writer is not None and self._pid != os.getpid():
                _inherited.append(writer)  # the parent's (see _current)
                ctypes.pythonapi.Py_IncRef(ctypes.py_object(writer))
                writer = None
        if writer is not None:
            writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@atexit.register
def _close_writers():
    for writer in list(_writers):
        try:
            writer.close()
        except Exception:  # noqa: BLE001 - exit goes on; the failure was reported by the writer
            pass
