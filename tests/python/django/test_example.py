"""The example project (examples/django_ab) end to end on each engine: migrate, serve, send traffic
the three ways (the package's code, increment, the writer) with the load generator, then load the
A/B report in headless Chromium (Debian's), take a screenshot, and check the numbers on the page
against what was sent and against the table."""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from html.parser import HTMLParser

import pytest
import upsert

EXAMPLE = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "django_ab"))
SCREENSHOTS = os.environ.get("UPSERT_SCREENSHOT_DIR", tempfile.gettempdir())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Totals(HTMLParser):
    """The "All hours" rows of the report: version -> [participants, conversions]."""

    def __init__(self):
        super().__init__()
        self.totals, self.version, self.cell = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and attrs.get("class") == "total":
            self.version = attrs["data-version"]
            self.totals[self.version] = [None, None]
        elif tag == "td" and self.version and attrs.get("class") in ("participants", "conversions"):
            self.cell = attrs["class"]

    def handle_endtag(self, tag):
        if tag == "tr":
            self.version = None
        self.cell = None if tag == "td" else self.cell

    def handle_data(self, data):
        if self.cell:
            self.totals[self.version][0 if self.cell == "participants" else 1] = int(data)


def database_urls():
    return {
        "sqlite": "sqlite:" + os.path.join(tempfile.mkdtemp(prefix="upsert-example-"), "ab.sqlite3"),
        "postgresql": os.environ["UPSERT_TEST_POSTGRES_URL"],
        "mariadb": os.environ["UPSERT_TEST_MARIADB_URL"],
    }


# Drops the example's tables and migration records (the benchmark makes the same tables without them).
FRESH = """
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from abtesting.models import ABTest, HourlyLog
tables = connection.introspection.table_names()
with connection.schema_editor() as editor:
    for model in (HourlyLog, ABTest):
        if model._meta.db_table in tables:
            editor.delete_model(model)
if MigrationRecorder.Migration._meta.db_table in tables:
    MigrationRecorder(connection).migration_qs.filter(app="abtesting").delete()
"""


def manage(env, *args):
    out = subprocess.run([sys.executable, "manage.py", *args], cwd=EXAMPLE, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def table_totals(env, test_name):
    code = ("from abtesting.models import HourlyLog\n"
            "from django.db.models import Sum\n"
            "for r in HourlyLog.objects.filter(ab_test__name=%r).values('version').annotate("
            "p=Sum('participants'), c=Sum('conversions')).order_by('version'):\n"
            "    print(r['version'], r['p'], r['c'])\n" % test_name)
    lines = manage(env, "shell", "-c", code).split("\n")
    return {v: [int(p), int(c)] for v, p, c in (line.split() for line in lines if line.strip())}


@pytest.mark.parametrize("engine", ["sqlite", "postgresql", "mariadb"])
def test_report_in_chromium(engine):
    module_dir = os.path.dirname(os.path.dirname(upsert.__file__))  # where `import upsert` found it
    env = dict(os.environ, AB_DATABASE_URL=database_urls()[engine], PYTHONPATH=module_dir,
               DJANGO_SETTINGS_MODULE="ab_project.settings")
    manage(env, "shell", "-c", FRESH)
    manage(env, "migrate")
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", "127.0.0.1:%d" % port],
                              cwd=EXAMPLE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=5).read()
                break
            except OSError:
                time.sleep(0.1)
        test_name = "button colour %s %d" % (engine, port)
        sent = {"control": [0, 0], "variant": [0, 0]}
        for way, threads in (("package", 1), ("increment", 4), ("writer", 4)):
            report = manage(env, "loadgen", "--url", url, "--way", way, "--requests", "150", "--threads",
                            str(threads), "--test", test_name)
            for version, p, c in re.findall(r"(\w+) (\d+) participants (\d+) conversions", report):
                sent[version][0] += int(p)
                sent[version][1] += int(c)

        screenshot = os.path.join(SCREENSHOTS, "django_ab_report_%s.png" % engine)
        chromium = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
        shot = subprocess.run(chromium + ["--window-size=1000,700", "--screenshot=" + screenshot, url],
                              capture_output=True, text=True, timeout=120)
        assert shot.returncode == 0, shot.stderr
        with open(screenshot, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
        dom = subprocess.run(chromium + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
        assert dom.returncode == 0, dom.stderr
        page = dom.stdout[dom.stdout.index(test_name):]
        page = page[:page.index("</table>")]
        parser = Totals()
        parser.feed(page)
        assert parser.totals == sent
        assert table_totals(env, test_name) == sent
        assert sum(p for p, _ in sent.values()) == 450
    finally:
        server.terminate()
        server.wait(30)
