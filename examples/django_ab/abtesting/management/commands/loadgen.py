"""Sends A/B traffic to the running example: POST /participant and /conversion from many threads."""

import random
import threading
import time
import urllib.request

from django.core.management.base import BaseCommand, CommandError

from abtesting.models import ABTest


class Command(BaseCommand):
    help = "Sends participants and conversions to a running server (manage.py runserver)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--way", choices=["package", "increment", "writer"], default="increment")
        parser.add_argument("--requests", type=int, default=1000, help="participants to send (0: until stopped)")
        parser.add_argument("--conversion-rate", type=float, default=0.1)
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--test", default="Homepage button colour", help="the A/B test's name")

    def handle(self, url, way, requests, conversion_rate, threads, test, **options):
        test_id = ABTest.objects.get_or_create(name=test)[0].pk
        sent = {"control": [0, 0], "variant": [0, 0]}
        lock = threading.Lock()
        remaining = [requests]
        rng = random.Random(12)

        def post(kind, version):
            request = urllib.request.Request("%s/%s/%d/%s?way=%s" % (url, kind, test_id, version, way), data=b"",
                                             method="POST")
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()

        errors = []

        def work():
            try:
                send()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        def send():
            while True:
                with lock:
                    if requests and remaining[0] == 0:
                        return
                    remaining[0] -= 1
                    version = rng.choice(["control", "variant"])
                    converts = rng.random() < conversion_rate * (1.5 if version == "variant" else 1.0)
                post("participant", version)
                if converts:
                    post("conversion", version)
                with lock:
                    sent[version][0] += 1
                    sent[version][1] += int(converts)

        started = time.monotonic()
        workers = [threading.Thread(target=work) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        seconds = time.monotonic() - started
        if errors:
            raise CommandError("%d of %d threads failed; the first: %s" % (len(errors), threads, errors[0]))
        for version, (participants, conversions) in sorted(sent.items()):
            self.stdout.write("%s %d participants %d conversions" % (version, participants, conversions))
        self.stdout.write("%.1f s, test id %d, way %s" % (seconds, test_id, way))
