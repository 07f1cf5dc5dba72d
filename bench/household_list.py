"""Benchmark stage: a township's household list at county scale (双堰街道 in the county profile).

    FENGQIAO_DATABASE_URL=… FENGQIAO_DEBUG=0 python -m bench.household_list

Needs a database seeded with ``seed_demo --profile county`` (``bench.run`` does that first).
Signs in a center operator of 双堰街道 and requests the real page through Django's test
client: after a warm-up, ``REQUESTS`` timed requests each of page 1, page 100 and the last
page (time inside the process: URL resolution, middleware, view, queries, template), and the
number of queries each page takes, which must not depend on the page.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

TOWNSHIP_CODE = "520524001"  # 双堰街道, 织金县
OPERATOR = "bench-shuangyan"
PASSWORD = "Ledger-Walk-7731"
REQUESTS = 30
WARM_UP = 5
PAGE_SIZE = 50  # the view's page size (fengqiao.territory.views.PAGE_SIZE)


def run(database: str = "") -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from fengqiao.org.choices import Role
    from fengqiao.org.models import User
    from fengqiao.org.services import staff_create
    from fengqiao.territory.models import Area, Household

    township = Area.objects.filter(territory_code=TOWNSHIP_CODE, valid_to=None).first()
    if township is None:
        return {"skipped": f"no township {TOWNSHIP_CODE}: seed the county profile first"}
    try:
        url = reverse("territory:area_households", args=[township.territory_code])
    except NoReverseMatch:
        return {"skipped": "the household list view (territory:area_households) does not exist"}
    if not Path(settings.STATIC_ROOT, "staticfiles.json").exists():
        # Without `make assets` the manifest storage cannot render {% static %}; what is
        # measured here is the view, so serve static names as they are.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host

    user = User.objects.filter(username=OPERATOR).first() or staff_create(
        username=OPERATOR,
        password=PASSWORD,
        full_name="双堰街道综治中心(基准)",
        role=Role.CENTER_OPERATOR,
        scope_code=township.territory_code,
    )
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    households = Household.objects.within(township.territory_code).count()
    last_page = max(1, -(-households // PAGE_SIZE))
    pages = {"page_1": 1, "page_100": min(100, last_page), "last_page": last_page}

    figures: dict[str, Any] = {
        "database": database or connection.vendor,
        "debug": settings.DEBUG,
        "url": url,
        "township": f"{township.name} {township.territory_code}",
        "households_in_township": households,
        "pages": last_page,
    }
    for label, number in pages.items():
        path = f"{url}?page={number}"
        for _ in range(WARM_UP):
            _get(client, path)
        with CaptureQueriesContext(connection) as queries:
            _get(client, path)
        # Counted now: the next request's request_started signal empties the query log.
        query_count = len(queries)
        timings = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            _get(client, path)
            timings.append((time.perf_counter() - started) * 1000)
        deciles = statistics.quantiles(timings, n=10)
        figures[label] = {
            "page": number,
            "queries": query_count,
            "median_ms": round(statistics.median(timings), 1),
            "p90_ms": round(deciles[8], 1),
        }
    counts = {figures[label]["queries"] for label in pages}
    figures["constant_queries"] = len(counts) == 1
    return figures


def _get(client: Any, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    print(json.dumps(run(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
