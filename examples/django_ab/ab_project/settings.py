"""Settings of the A/B example. One setting picks the database: AB_DATABASE_URL, default
sqlite:<this folder>/ab.sqlite3; postgresql://user:pass@host:port/db or mariadb://user:pass@host:port/db
for the servers."""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def database(url):
    if url.startswith("sqlite:"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url[len("sqlite:"):]}
    parts = urlsplit(url)
    engines = {"postgresql": "django.db.backends.postgresql", "postgres": "django.db.backends.postgresql",
               "mariadb": "django.db.backends.mysql", "mysql": "django.db.backends.mysql"}
    if parts.scheme not in engines:
        raise ValueError("AB_DATABASE_URL must start with sqlite:, postgresql://, mariadb:// or mysql://, got %r" % url)
    return {"ENGINE": engines[parts.scheme], "NAME": parts.path.lstrip("/"), "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""), "HOST": parts.hostname or "", "PORT": str(parts.port or "")}


DATABASES = {"default": database(os.environ.get("AB_DATABASE_URL", "sqlite:%s" % (BASE_DIR / "ab.sqlite3")))}
INSTALLED_APPS = ["django.contrib.contenttypes", "abtesting"]
MIDDLEWARE = []
ROOT_URLCONF = "ab_project.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
SECRET_KEY = "example-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
