"""Django settings for upsert.django's tests: SQLite (a file, so several processes share it) as
"default", and the PostgreSQL and MariaDB test servers as "pg" and "maria", read from
UPSERT_TEST_POSTGRES_URL / UPSERT_TEST_MARIADB_URL (scripts/test-servers.sh). A missing server is an
error, never a skip."""

import os
import tempfile
from urllib.parse import unquote, urlsplit


def _server(variable, engine):
    url = os.environ.get(variable)
    if not url:
        raise RuntimeError("%s is not set: start the test servers (scripts/test-servers.sh start) and source "
                           "their env.sh; the Django tests run on every engine" % variable)
    parts = urlsplit(url)
    return {
        "ENGINE": engine,
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }


SQLITE_PATH = os.environ.get("UPSERT_DJANGO_SQLITE") or os.path.join(
    tempfile.mkdtemp(prefix="upsert-django-"), "test.sqlite3")
os.environ["UPSERT_DJANGO_SQLITE"] = SQLITE_PATH  # child processes use the same file

DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": SQLITE_PATH},
    "pg": _server("UPSERT_TEST_POSTGRES_URL", "django.db.backends.postgresql"),
    "maria": _server("UPSERT_TEST_MARIADB_URL", "django.db.backends.mysql"),
}
INSTALLED_APPS = ["testapp"]
USE_TZ = True
SECRET_KEY = "upsert-django-tests"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
