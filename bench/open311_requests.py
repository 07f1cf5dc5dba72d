"""Benchmark stage: Open311 ``GET /open311/v2/requests.json`` answering 1,000 requests.

    FENGQIAO_DATABASE_URL=… python -m bench.open311_requests

On the county (``bench.seed_county``) with the case world of ``bench.cases_seed`` grown to
``CASES`` generated cases (received over the last 1,000 days, so the specification's default
window of 90 days holds about a tenth of them, of which reports and disputes are never
published), each URL is requested through Django's test client (the whole request:
middleware, view, rendering) ``WARM_UP`` times, then ``REQUESTS`` timed times: the median and
the 90th percentile, the queries of one request and the number of requests in the answer.

- ``default``: no filter, the newest 1,000 of the last 90 days (target: median < 200 ms);
- ``xml``: the same in XML;
- ``filtered``: one service, closed, in one township's county (``service_code=noise&
  status=closed&jurisdiction_id=520524``);
- ``page_5``: the fifth page of 200.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from typing import Any

CASES = 200_000
WARM_UP = 5
REQUESTS = 30
URLS = {
    "default": "/open311/v2/requests.json",
    "xml": "/open311/v2/requests.xml",
    "filtered": "/open311/v2/requests.json?service_code=noise&status=closed&jurisdiction_id=520524",
    "page_5": "/open311/v2/requests.json?page=5&page_size=200",
}


def _count(response: Any) -> int:
    if response["Content-Type"].startswith("text/xml"):
        import xml.etree.ElementTree as ET

        return len(ET.fromstring(response.content))
    return len(json.loads(response.content))


def measure(client: Any) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    figures: dict[str, Any] = {}
    for label, url in URLS.items():
        for _ in range(WARM_UP):
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}: {response.content!r}")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        query_count = len(queries)
        timings = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
        deciles = statistics.quantiles(timings, n=10)
        figures[label] = {
            "url": url,
            "results": _count(response),
            "bytes": len(response.content),
            "queries": query_count,
            "median_ms": round(statistics.median(timings), 1),
            "p90_ms": round(deciles[8], 1),
        }
    return figures


def plan() -> list[str]:
    """EXPLAIN of the default list's query for its biggest status (the list runs one per
    status, each through the ``case_status_time`` index, and merges them)."""
    from django.db import connection
    from django.utils import timezone

    from fengqiao.api import open311, selectors

    now = timezone.now()
    cases = selectors.published_cases().filter(
        status="closed", created_at__gte=now - open311.WINDOW, created_at__lte=now
    )
    newest = cases.order_by("-created_at", "-id").values_list("created_at", "id")[:1000]
    sql, params = newest.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN ANALYZE {sql}", params)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]


def run(database: str = "") -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from bench.cases_seed import case_count, grow, prepare_world

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
    world = prepare_world()
    print(f"growing the case table to {CASES:,} …", flush=True)
    grown = grow(CASES, world=world, progress=lambda line: print("  ", line, flush=True))
    result: dict[str, Any] = {
        "database": database or connection.vendor,
        "debug": settings.DEBUG,
        "cases": case_count(),
        "grow": grown,
        "load_average": round(os.getloadavg()[0], 1),
    }
    # HTTPS deployments redirect plain requests: ask as the proxy would.
    client = Client(headers={"X-Forwarded-Proto": "https"}, secure=True)
    result.update(measure(client))
    result["plan"] = plan()
    return result


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    print(json.dumps(run(), ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
