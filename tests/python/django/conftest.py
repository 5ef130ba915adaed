"""Sets Django up for the tests (settings.py), creates the test models' tables on every database and
empties them before each test."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.db import connections  # noqa: E402

ALIASES = ["default", "pg", "maria"]
MODELS = list(apps.get_app_config("testapp").get_models())


def _create_tables():
    # WAL lets readers run beside the writer, and many processes commit faster (the README advises
    # it for SQLite in production too); it is a property of the database file.
    with connections["default"].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
    for alias in ALIASES:
        connection = connections[alias]
        existing = set(connection.introspection.table_names())
        with connection.schema_editor() as editor:
            for model in reversed(MODELS):
                if model._meta.db_table in existing:
                    editor.delete_model(model)
            for model in MODELS:
                editor.create_model(model)


_create_tables()


@pytest.fixture(params=ALIASES)
def alias(request):
    """Each test on SQLite, PostgreSQL and MariaDB, on empty tables."""
    empty(request.param)
    return request.param


def empty(alias):
    for model in reversed(MODELS):
        model.objects.using(alias).all().delete()
