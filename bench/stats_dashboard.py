"""Benchmark stage: the statistics dashboards at 100,000 cases and at the full size.

    FENGQIAO_DATABASE_URL=… python -m bench.stats_dashboard

On the case world of ``bench.cases_seed`` (run ``cases_seed`` first, or ``--reuse`` a database
where it ran): the table is grown to 100,000 cases and measured, then grown to the full size
(1,000,000 on PostgreSQL, 200,000 on SQLite) and measured again. Measured, for the county
center's operator and the current calendar year (with the previous year for the changes):

- ``county``: the whole dashboard figure set (``stats.dashboard.dashboard``: headline, the
  previous year's headline, the monthly trend, the breakdowns by township, channel, type and
  category, the department ranking, the overdue and supervision lists) — through the figure
  functions, and server time of the real view through Django's test ``Client``;
- ``township``: the drill-down into 双堰街道 (the biggest township: a quarter of the cases),
  the htmx request the page sends, same two ways.

Each is run ``WARM_UP`` times, then ``RUNS`` times for the median and the slowest; the
queries of one run are counted.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

WARM_UP = 1
RUNS = 5
SMALL = 100_000
COUNTY_USER = "bench-cases-county"


def _timed(action: Callable[[], Any]) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARM_UP):
        action()
    with CaptureQueriesContext(connection) as queries:
        action()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    result = {
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
    }
    if len(queries):  # a request through the Client empties the log at its start
        result["queries"] = len(queries)
    return result


def measure() -> dict[str, Any]:
    from django.test import Client

    from bench.cases_seed import BIG_TOWNSHIP, case_count
    from fengqiao.org.models import User
    from fengqiao.stats.dashboard import dashboard, today
    from fengqiao.stats.metrics import Filters, Period, case_figures

    user = User.objects.get(username=COUNTY_USER)
    year = Period.containing("year", today())
    client = Client()
    client.force_login(user)
    url = f"/stats/?kind=year&day={year.first.isoformat()}"
    drill = f"{url}&territory={BIG_TOWNSHIP}"

    def view(address: str, **headers: str) -> Callable[[], None]:
        def get() -> None:
            response = client.get(address, headers=headers)
            assert response.status_code == 200, response.status_code

        return get

    figures = case_figures(user, year)
    return {
        "cases": case_count(),
        "year": year.label(),
        "received_in_year": figures.received,
        "closure_rate": str(figures.closure_rate),
        "load_average": round(os.getloadavg()[0], 1),
        "county": {
            "functions": _timed(lambda: dashboard(user, year, Filters())),
            "view": _timed(view(url)),
            "headline_only": _timed(lambda: case_figures(user, year)),
        },
        "township": {
            "functions": _timed(lambda: dashboard(user, year, Filters(territory=BIG_TOWNSHIP))),
            "view": _timed(view(drill, HX_Request="true")),
        },
    }


def run(database: str = "") -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings, setup_test_environment

    from bench.cases_seed import FULL, grow, prepare_world

    setup_test_environment()  # the test Client's host name is allowed
    # Static files by name, as the tests serve them: the benchmark has no collectstatic
    # manifest, and the page's server time does not depend on it.
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=plain_static).enable()
    world = prepare_world()
    result: dict[str, Any] = {"database": database or connection.vendor}
    full = FULL.get(connection.vendor, FULL["sqlite"])
    for label, size in (("small", SMALL), ("full", full)):
        print(f"growing the case table to {size:,} …", flush=True)
        grow(size, world=world, progress=lambda line: print("  ", line, flush=True))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        result[label] = measure()
    small, large = result["small"], result["full"]
    result["ratio_full_to_small"] = {
        name: round(large[name]["view"]["median_ms"] / small[name]["view"]["median_ms"], 2)
        for name in ("county", "township")
    }
    return result


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    print(json.dumps(run(), ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
