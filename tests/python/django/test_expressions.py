"""Every expression form upsert.django translates, on SQLite and MariaDB, compared with what
PostgreSQL computes for the same upserts (GREATEST/LEAST ignoring NULLs, integer division truncating,
every assignment reading the old row)."""

import pytest
from django.db.models import Case, ExpressionWrapper, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce, Greatest, Least
from testapp.models import Score

import upsert
import upsert.django as ud
from conftest import empty
from upsert.django import Proposed

# (name, update, where): each runs on two existing rows and one new row.
CASES = [
    ("sum", {"total": F("total") + Proposed("total")}, None),
    ("minus value", {"total": F("total") - Value(1)}, None),
    ("times", {"total": F("total") * 3}, None),
    ("integer division", {"total": F("total") / 2}, None),
    ("float arithmetic", {"ratio": F("ratio") * Proposed("ratio") + 0.5}, None),
    ("negation", {"total": -F("total")}, None),
    ("greatest ignores null", {"best": Greatest(F("best"), Proposed("best"))}, None),
    ("least ignores null", {"best": Least(F("best"), Proposed("best"), Value(8))}, None),
    ("coalesce", {"best": Coalesce(Proposed("best"), F("best"), Value(-1))}, None),
    ("case", {"best": Case(When(Q(best__gt=5), then=Proposed("best")), When(best__isnull=True, then=Value(0)),
                           default=F("best"))}, None),
    ("case on proposed", {"label": Case(When(best__lt=Proposed("best"), then=Value("up")), default=Value("down"))},
     None),
    ("wrapper", {"total": ExpressionWrapper(F("total") + 1, output_field=IntegerField())}, None),
    ("proposed and value", {"label": Proposed("label"), "active": Value(False)}, None),
    ("old row reads", {"best": F("total"), "total": Coalesce(F("best"), Value(0))}, None),
    ("where proposed greater", {"best": Proposed("best")}, Q(best__lt=Proposed("best"))),
    ("where or not", {"total": F("total") + 100}, Q(best__isnull=True) | ~Q(label="a")),
    ("where in and gte", {"total": Proposed("total")}, Q(label__in=["a", "zz"], total__gte=5)),
]

EXISTING = [
    {"player": "a", "season": 1, "best": 10, "total": 7, "label": "a", "ratio": 1.5, "active": True},
    {"player": "b", "season": 1, "best": None, "total": -7, "label": "b", "ratio": 2.0, "active": True},
]
PROPOSED = [
    {"player": "a", "season": 1, "best": None, "total": 3, "label": "p", "ratio": 4.0, "active": True},
    {"player": "b", "season": 1, "best": 12, "total": 5, "label": "q", "ratio": 0.5, "active": True},
    {"player": "c", "season": 1, "best": 4, "total": 1, "label": "r", "ratio": 1.0, "active": True},
]


def outcome(alias, update, where, one_by_one):
    empty(alias)
    ud.upsert(Score, EXISTING, update=["best"], using=alias)
    if one_by_one:
        for row in PROPOSED:
            ud.upsert(Score, [row], update=update, where=where, using=alias)
    else:
        ud.upsert(Score, PROPOSED, update=update, where=where, using=alias)
    return sorted(Score.objects.using(alias).values_list("player", "best", "total", "label", "ratio", "active"))


@pytest.mark.parametrize("one_by_one", [True, False], ids=["single", "batch"])
@pytest.mark.parametrize("name,update,where", CASES, ids=[c[0] for c in CASES])
def test_same_result_as_postgresql(name, update, where, one_by_one):
    expected = outcome("pg", update, where, one_by_one)
    for alias in ("default", "maria"):
        try:
            got = outcome(alias, update, where, one_by_one)
        except upsert.Error as e:
            # MariaDB evaluates assignments left to right: refused where it cannot read the old row.
            assert alias == "maria" and name == "old row reads" and "old values" in str(e), e
            continue
        assert got == expected, (alias, name)
