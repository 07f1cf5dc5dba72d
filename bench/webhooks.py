"""Benchmark stage: outbound webhooks — dispatch (case events → deliveries) and delivery.

    python -m bench.run --database postgresql --stages webhooks --name webhooks_bench

Runs on the county seed. It submits ``CASES`` cases through ``case_submit_many`` (batches of
100, one township) so that many case events have just been written, with three
subscriptions: the whole county, that township, and one that wants only ``accept`` and
``close`` (it matches none of them). Then:

1. catch-up: dispatch passes (``services.deliveries_dispatch``, what beat runs) until no new
   event is left: events per second, deliveries per second, seconds per pass;
2. quiet pass, nothing new, while every generated event is still inside the look-back window
   (the worst case: the whole burst is re-read, capped at one batch), and with the window
   empty (``WEBHOOKS_LOOKBACK_SECONDS=0``: the ordinary quiet pass): median ms, queries;
3. delivery: ``DELIVERIES`` attempts, one after another in this process (one worker), to a
   receiver on 127.0.0.1 answering 200: attempts per second and latency p50/p95 (claim, sign,
   POST, log, mark delivered).
"""

from __future__ import annotations

import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CASES = 10_000
BATCH = 100
QUIET_RUNS = 10
DELIVERIES = 1_000


def _township_and_village() -> tuple[str, str]:
    from fengqiao.territory.choices import AreaLevel
    from fengqiao.territory.models import Area

    village = (
        Area.objects.filter(level=AreaLevel.VILLAGE, valid_to__isnull=True)
        .order_by("territory_code")
        .first()
    )
    if village is None:
        raise SystemExit("no village: seed the county first")
    return village.territory_code[:9], village.territory_code


def _submit_cases(village: str) -> float:
    from fengqiao.cases.choices import CaseType, Channel
    from fengqiao.cases.models import Category
    from fengqiao.cases.services import CaseInput, case_submit_many

    noise = Category.objects.get(code="noise")
    items = [
        CaseInput(
            case_type=CaseType.HELP,
            category=noise,
            channel=Channel.PHONE,
            title=f"夜间噪音 {n}",
            description="楼下夜间施工噪音",
            territory_code=village,
        )
        for n in range(CASES)
    ]
    started = time.perf_counter()
    for start in range(0, CASES, BATCH):
        case_submit_many(items=items[start : start + BATCH], actor=None)
    return time.perf_counter() - started


def _queries(call: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def _quiet(passes: int) -> dict[str, Any]:
    from fengqiao.webhooks.services import deliveries_dispatch

    timings = []
    for _ in range(passes):
        started = time.perf_counter()
        result = deliveries_dispatch()
        timings.append((time.perf_counter() - started) * 1000)
        assert not result.created
    return {
        "median_ms": round(statistics.median(timings), 2),
        "queries": _queries(deliveries_dispatch),
    }


class _Ok(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    # The answer in one write, without Nagle's delay: what a production receiver (nginx) does;
    # http.server's separate header and body writes would add tens of milliseconds here.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _deliver(ids: list[int]) -> dict[str, Any]:
    from fengqiao.webhooks.services import delivery_attempt

    latencies = []
    started = time.perf_counter()
    for pk in ids:
        one = time.perf_counter()
        result = delivery_attempt(delivery_id=pk)
        latencies.append((time.perf_counter() - one) * 1000)
        assert result.attempt is not None and result.attempt.succeeded
    seconds = time.perf_counter() - started
    latencies.sort()
    return {
        "deliveries": len(ids),
        "per_second": round(len(ids) / seconds, 1),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)], 2),
    }


def run(database: str = "") -> dict[str, Any]:
    from django.conf import settings
    from django.db.models import Max

    from fengqiao.cases.models import CaseEvent
    from fengqiao.webhooks.models import Delivery
    from fengqiao.webhooks.services import deliveries_dispatch, subscription_create

    township, village = _township_and_village()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"

    # Subscriptions first: the events already in the table are history, not sent.
    deliveries_dispatch()
    run_tag = int(time.time())  # a re-run (``--reuse``) gets subscriptions of its own
    subscriptions = [
        subscription_create(name=f"bench-county-{run_tag}", url=url)[0],
        subscription_create(name=f"bench-township-{run_tag}", url=url, territory_code=township)[0],
        subscription_create(
            name=f"bench-replies-{run_tag}", url=url, event_kinds=["accept", "close"]
        )[0],
    ]
    ours = Delivery.objects.filter(subscription__in=subscriptions)
    before = CaseEvent.objects.aggregate(last=Max("id"))["last"] or 0
    submit_seconds = _submit_cases(village)
    events = CaseEvent.objects.filter(id__gt=before).count()

    passes = 0
    started = time.perf_counter()
    while True:
        passes += 1
        result = deliveries_dispatch()
        if not result.created and passes > 1:
            break
    catch_up = time.perf_counter() - started
    created = ours.count()

    quiet_full_window = _quiet(QUIET_RUNS)
    settings.WEBHOOKS_LOOKBACK_SECONDS = 0
    quiet_empty_window = _quiet(QUIET_RUNS)

    ids = list(ours.order_by("id").values_list("id", flat=True)[:DELIVERIES])
    delivery = _deliver(ids)
    server.shutdown()
    return {
        "cases": CASES,
        "events": events,
        "submit_seconds": round(submit_seconds, 1),
        "subscriptions": 3,
        "catch_up": {
            "passes": passes,
            "seconds": round(catch_up, 2),
            "deliveries": created,
            "events_per_second": round(events / catch_up),
            "deliveries_per_second": round(created / catch_up),
        },
        "quiet_full_window": quiet_full_window,
        "quiet_empty_window": quiet_empty_window,
        "delivery": delivery,
    }


if __name__ == "__main__":
    import json
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    django.setup()
    print(json.dumps(run(), ensure_ascii=False, indent=2))
