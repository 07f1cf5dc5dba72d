"""Benchmark stage: the workbenches' worklists at 10,000 cases and at the full size.

    FENGQIAO_DATABASE_URL=… python -m bench.cases_worklists

Reads the queues the way the workbench page will (``selectors.center_worklists`` for an
operator of 双堰街道's center, the big one; ``selectors.department_worklists`` for a handler of
双堰派出所, the busiest department): for every list of a workbench, the first page of 50 rows
and the list's count. One workbench load is all its lists; after ``WARM_UP`` loads,
``LOADS`` timed loads give the median and the 90th percentile, and one load's queries are
counted (they must not depend on the size of the table).

First at the size ``bench.cases_seed`` left (10,000 cases: the county's most recent days,
as soon after it started using the platform, with the daily intake and open workload of the
full size), then the table is grown with ``bench.cases_seed.grow`` to the full size
(1,000,000 cases on PostgreSQL, 200,000 on SQLite: the older days, almost all closed) and
everything is measured again, so the comparison shows what the history costs. The query
plans at the full size are kept with the figures.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from typing import Any

WARM_UP = 10
LOADS = 40
PAGE = 50


def _workbenches() -> dict[str, Any]:
    from bench.cases_seed import CENTER_USER, DEPARTMENT_USER
    from fengqiao.cases.selectors import center_worklists, department_worklists
    from fengqiao.org.models import User

    center = User.objects.get(username=CENTER_USER)
    department = User.objects.select_related("department").get(username=DEPARTMENT_USER)
    return {
        "center": lambda: center_worklists(center),
        "department": lambda: department_worklists(department),
    }


def _load(worklists: Any) -> dict[str, int]:
    """One page load: every list's first page and its count."""
    sizes = {}
    for worklist in worklists():
        rows = list(worklist.cases[:PAGE])
        sizes[worklist.key] = worklist.cases.count()
        assert len(rows) <= PAGE
    return sizes


def measure() -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.cases_seed import case_count

    figures: dict[str, Any] = {"cases": case_count(), "load_average": _load_average()}
    for name, worklists in _workbenches().items():
        for _ in range(WARM_UP):
            _load(worklists)
        with CaptureQueriesContext(connection) as queries:
            sizes = _load(worklists)
        timings = []
        for _ in range(LOADS):
            started = time.perf_counter()
            _load(worklists)
            timings.append((time.perf_counter() - started) * 1000)
        deciles = statistics.quantiles(timings, n=10)
        figures[name] = {
            "lists": sizes,
            "queries": len(queries),
            "median_ms": round(statistics.median(timings), 1),
            "p90_ms": round(deciles[8], 1),
        }
    return figures


def plans() -> dict[str, list[str]]:
    """EXPLAIN of every list's first page and count (the plans show which index serves it)."""
    from django.db import connection

    out: dict[str, list[str]] = {}
    for name, worklists in _workbenches().items():
        for worklist in worklists():
            for label, queryset in (
                ("page", worklist.cases[:PAGE]),
                ("count", worklist.cases.order_by()),
            ):
                if label == "count":
                    sql, params = queryset.values("pk").query.sql_with_params()
                    sql = f"SELECT COUNT(*) FROM ({sql}) counted"
                else:
                    sql, params = queryset.query.sql_with_params()
                with connection.cursor() as cursor:
                    if connection.vendor == "postgresql":
                        cursor.execute(f"EXPLAIN {sql}", params)
                        lines = [row[0] for row in cursor.fetchall()]
                    else:
                        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
                        lines = [row[-1] for row in cursor.fetchall()]
                out[f"{name}.{worklist.key}.{label}"] = lines
    return out


def _load_average() -> float:
    return round(os.getloadavg()[0], 1)


def run(database: str = "") -> dict[str, Any]:
    from django.db import connection

    from bench.cases_seed import FULL, SMALL, case_count, census, grow, prepare_world

    world = prepare_world()
    result: dict[str, Any] = {"database": database or connection.vendor}
    if case_count() < SMALL * 2:
        result["small"] = measure()
    else:
        result["small"] = {"skipped": f"the table already holds {case_count():,} cases"}
    full = FULL.get(connection.vendor, FULL["sqlite"])
    print(f"growing the case table to {full:,} …", flush=True)
    result["grow"] = grow(full, world=world, progress=lambda line: print("  ", line, flush=True))
    result["census"] = census()
    result["full"] = measure()
    result["plans"] = plans()
    small, large = result["small"], result["full"]
    if "center" in small:
        result["ratio_full_to_small"] = {
            name: round(large[name]["median_ms"] / small[name]["median_ms"], 2)
            for name in ("center", "department")
        }
        result["constant_queries"] = all(
            small[name]["queries"] == large[name]["queries"] for name in ("center", "department")
        )
    return result


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    result = run()
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
