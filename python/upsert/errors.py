"""The exceptions upsert raises. Every one is an ``upsert.Error`` carrying the facts a caller
branches on; the subclasses are the categories a caller usually handles differently."""


class Error(Exception):
    """A failure reported by upsert or by the database engine.

    Attributes:
        category: the library's category name ("retryable", "constraint", "overflow",
            "invalid_argument", "outcome_unknown", "connection", "unsupported", "data",
            "syntax", "internal").
        engine_code: the engine's own code (SQLSTATE, "errno (SQLSTATE)", SQLite's result code
            name), or None for errors raised by the library itself.
        sqlstate: the SQLSTATE where the engine has one (PostgreSQL, MySQL/MariaDB), else None.
        constraint: for a constraint violation, "unique", "not_null", "check" or "foreign_key".
        retryable: True when running the statement (or transaction) again may succeed.
        sql: the SQL that failed, or None.
    """

    category = "internal"
    engine_code = None
    sqlstate = None
    constraint = None
    retryable = False
    sql = None


class RetryableError(Error):
    """A transient conflict (deadlock, serialization failure, busy, lock timeout): try again."""


class ConstraintError(Error):
    """A constraint refused the row (unique, NOT NULL, CHECK, foreign key): see ``constraint``."""


class ValueOverflowError(Error, OverflowError):
    """A numeric value is out of range for its column (e.g. a 64-bit counter overflowed)."""


class InvalidArgumentError(Error, ValueError):
    """The caller's input is wrong (a bad identifier, a NULL key, an unsupported Python type)."""


class OutcomeUnknownError(Error):
    """The connection was lost after the statement was sent: it may or may not have been applied."""


class ConnectionLostError(Error, ConnectionError):
    """The connection could not be made, or was lost before the statement was sent (nothing applied)."""


class UnsupportedError(Error):
    """The dialect cannot express this statement with PostgreSQL's semantics."""


class KeyCollationWarning(UserWarning):
    """A key column's collation makes keys the library keeps apart one key to the engine ('a' and 'A'
    under a case-insensitive collation, 'a' and 'a ' under a PAD SPACE one): rows whose keys differ
    only so are written to one row. Issued by ``upsert.django`` for tables Django created with the
    server's default collation; ``Connection.warnings`` lists the same for a plain connection."""
