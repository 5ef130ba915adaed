"""upsert: one portable, atomic upsert with expression updates over SQLite, PostgreSQL,
MySQL/MariaDB (and Oracle/SQL Server SQL). ``upsert.django`` is the Django layer."""

from upsert import _upsert
from upsert._upsert import (  # noqa: F401
    CounterWriter, Error, Table, Type, coalesce, col, greatest, insert_into, is_null, least, not_, or_, and_,
    proposed, render, value, case,
)
