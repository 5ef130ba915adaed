from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_POST

from abtesting import counting
from abtesting.models import ABTest, HourlyLog


def _counted(request, test_id, version, count):
    way = request.GET.get("way", "increment")
    if way not in counting.WAYS or version not in ("control", "variant"):
        return HttpResponseBadRequest("way is one of %s; version control or variant" % ", ".join(counting.WAYS))
    count(test_id, version, way)
    return HttpResponse("ok")


@require_POST
def participant(request, test_id, version):
    return _counted(request, test_id, version, counting.add_participant)


@require_POST
def conversion(request, test_id, version):
    return _counted(request, test_id, version, counting.log_conversion)


def report(request):
    """The A/B report: participants, conversions and conversion rate per version and hour."""
    counting.flush()
    tests = []
    for test in ABTest.objects.order_by("id"):
        rows, totals = [], {}
        for log in HourlyLog.objects.filter(ab_test=test).order_by("date", "hour", "version"):
            rows.append({"log": log, "rate": 100.0 * log.conversions / log.participants if log.participants else 0.0})
            total = totals.setdefault(log.version, {"version": log.version, "participants": 0, "conversions": 0})
            total["participants"] += log.participants
            total["conversions"] += log.conversions
        for total in totals.values():
            total["rate"] = 100.0 * total["conversions"] / total["participants"] if total["participants"] else 0.0
        tests.append({"test": test, "rows": rows, "totals": sorted(totals.values(), key=lambda t: t["version"])})
    return render(request, "abtesting/report.html", {"tests": tests})
