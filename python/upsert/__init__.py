"""upsert: one portable, atomic upsert with expression updates over SQLite, PostgreSQL and
MySQL/MariaDB (and rendered SQL for Oracle and SQL Server).

    import upsert
    ab = (upsert.Table("ab_hourly")
          .column("ab_test_id", upsert.Type.int64)
          .column("hour", upsert.Type.int64)
          .column("participants", upsert.Type.int64, default=0, not_null=True)
          .unique_key(["ab_test_id", "hour"]))
    stmt = (upsert.insert_into(ab).row((7, 13, 1)).on_conflict(["ab_test_id", "hour"])
            .do_update({"participants": upsert.col("participants") + upsert.proposed("participants")}))
    with upsert.connect("sqlite:ab.db") as db:
        db.create_table(ab)
        db.execute(stmt)

``upsert.django`` is the Django layer (upsert(), increment(), CounterWriter on Django's own
connection settings).
"""

import contextlib as _contextlib

from upsert import _upsert
from upsert._upsert import (  # noqa: F401
    BatchResult,
    Connection,
    CounterWriter,
    Dialect,
    Expr,
    PreparedUpsert,
    Result,
    Table,
    Type,
    Upsert,
    WriterFailure,
    and_,
    case,
    coalesce,
    col,
    connect,
    create_table_sql,
    greatest,
    insert_into,
    is_not_null,
    is_null,
    least,
    not_,
    or_,
    proposed,
    quote_identifier,
    render,
    value,
)
from upsert.errors import (  # noqa: F401
    ConnectionLostError,
    ConstraintError,
    Error,
    InvalidArgumentError,
    KeyCollationWarning,
    OutcomeUnknownError,
    RetryableError,
    UnsupportedError,
    ValueOverflowError,
)


@_contextlib.contextmanager
def _transaction(self):
    """A transaction as a context manager: commits when the block ends, rolls back on an exception.

    Statements inside are not retried one by one (a retry cannot resume a failed transaction);
    catch ``upsert.RetryableError`` around the block and run it again.
    """
    self.begin()
    try:
        yield self
    except BaseException:
        self.rollback()
        raise
    self.commit()


Connection.transaction = _transaction

__all__ = [name for name in dir() if not name.startswith("_")]
