"""Django's connection as an upsert connection: the object the C++ driver (python/bindings/dbapi.cpp)
calls to run SQL on Django's cursor, open and close transactions through ``transaction.atomic``,
and classify Django's exceptions so transient ones are retried.

Django APIs relied on (unchanged from 3.2 through 5.x): ``connections[alias]``,
``connection.cursor()``, ``connection.vendor``, ``connection.mysql_is_mariadb``,
``connection.in_atomic_block``, ``connection.autocommit``, ``connection.connection``, ``connection.settings_dict``,
``transaction.atomic(using=...)``.
"""

import sqlite3

from django.db import DatabaseError, transaction

# SQLSTATEs (PostgreSQL) and error numbers (MySQL/MariaDB) where running again may succeed.
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}
_RETRYABLE_MYSQL = {1205, 1213}  # lock wait timeout, deadlock
_CONSTRAINT_MYSQL = {1048, 1062, 1216, 1217, 1451, 1452, 3819, 4025}


def dialect_of(connection):
    """The upsert dialect name for a Django connection; a clear error for other backends."""
    vendor = connection.vendor
    if vendor == "mysql":
        return "mariadb" if connection.mysql_is_mariadb else "mysql"
    if vendor in ("postgresql", "sqlite", "oracle"):
        return vendor
    raise NotImplementedError(
        "upsert.django runs on Django's postgresql, sqlite, mysql and oracle backends; database %r uses "
        "vendor %r" % (connection.alias, vendor)
    )


def found_rows(connection):
    """True when a MySQL/MariaDB connection counts matched rather than changed rows (Django's default
    CLIENT_FOUND_ROWS), which hides whether ON DUPLICATE KEY UPDATE inserted a row or left it as it was."""
    if connection.vendor != "mysql":
        return False
    from MySQLdb.constants import CLIENT

    return bool(connection.get_connection_params().get("client_flag", 0) & CLIENT.FOUND_ROWS)


class Bridge:
    """Runs the library's SQL on a Django connection (one per call; Django connections are per thread)."""

    __slots__ = ("connection", "alias", "atomics")

    def __init__(self, connection):
        self.connection = connection
        self.alias = connection.alias
        self.atomics = []

    def execute(self, sql, params):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if cursor.description is not None else None
            return cursor.rowcount, rows

    def begin(self):
        block = transaction.atomic(using=self.alias)
        block.__enter__()
        self.atomics.append(block)

    def commit(self):
        self.atomics.pop().__exit__(None, None, None)

    def rollback(self):
        error = DatabaseError("rolled back by upsert")
        self.atomics.pop().__exit__(DatabaseError, error, None)

    def in_transaction(self):
        # Not get_autocommit(), which opens a connection: an unopened one is in no transaction.
        connection = self.connection
        return connection.in_atomic_block or (connection.connection is not None and not connection.autocommit)

    def server_version(self):
        vendor = self.connection.vendor
        if vendor == "sqlite":
            return sqlite3.sqlite_version
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT version()" if vendor != "oracle" else "SELECT banner FROM v$version")
            return str(cursor.fetchone()[0])

    @staticmethod
    def classify(exc):
        return classify(exc)


def classify(exc):
    """(category, engine code, SQLSTATE) of a database exception: "retryable" where running again
    may succeed (deadlock, serialization failure, lock timeout, SQLite busy), else "constraint",
    "data" or "syntax"."""
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    sqlstate = getattr(cause, "pgcode", None) or ""
    code = sqlstate
    args = getattr(cause, "args", ())
    if not sqlstate and args and isinstance(args[0], int):  # MySQLdb: (errno, message)
        code = str(args[0])
        if args[0] in _RETRYABLE_MYSQL:
            return "retryable", code, ""
        if args[0] in _CONSTRAINT_MYSQL:
            return "constraint", code, ""
    if sqlstate in _RETRYABLE_SQLSTATES:
        return "retryable", code, sqlstate
    if isinstance(cause, sqlite3.OperationalError) and "locked" in str(cause):
        return "retryable", "SQLITE_BUSY", ""
    if sqlstate.startswith("23") or type(exc).__name__ == "IntegrityError":
        return "constraint", code, sqlstate
    if sqlstate.startswith("22") or type(exc).__name__ == "DataError":
        return "data", code, sqlstate
    return "syntax", code, sqlstate
