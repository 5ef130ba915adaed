"""Engines for the Python module's tests: SQLite in a temporary file, and the PostgreSQL and MariaDB
servers named by UPSERT_TEST_POSTGRES_URL / UPSERT_TEST_MARIADB_URL (scripts/test.sh starts them).
A missing server fails the test; nothing is skipped."""

import os
import uuid

import pytest

import upsert

ENGINES = ["sqlite", "postgresql", "mariadb"]


def engine_url(engine, tmp_path):
    if engine == "sqlite":
        return "sqlite:" + str(tmp_path / "test.db")
    name = {"postgresql": "UPSERT_TEST_POSTGRES_URL", "mariadb": "UPSERT_TEST_MARIADB_URL"}[engine]
    url = os.environ.get(name)
    if not url:
        pytest.fail(f"{name} is not set: start the test servers (scripts/test.sh does)")
    return url


@pytest.fixture(params=ENGINES)
def url(request, tmp_path):
    return engine_url(request.param, tmp_path)


@pytest.fixture
def table_name():
    """A fresh table name per test, so runs never see each other's rows."""
    return "py_" + uuid.uuid4().hex[:12]


def drop(url, name):
    with upsert.connect(url) as db:
        db.execute_script(f"DROP TABLE IF EXISTS {upsert.quote_identifier(name, db.dialect)}")
