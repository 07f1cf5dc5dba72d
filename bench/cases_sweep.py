"""Benchmark stage: the deadline sweep (``tasks.sweep_deadlines``) on the full case table.

    FENGQIAO_DATABASE_URL=… python -m bench.cases_sweep

Runs after ``bench.cases_worklists`` has grown the table (1,000,000 cases on PostgreSQL,
200,000 on SQLite). First one sweep catches up with whatever came due since the cases were
generated. Then:

1. nothing newly due: ``QUIET_RUNS`` sweeps, each timed (they must take milliseconds: three
   probes of the partial indexes, whatever the size of the table);
2. ``OVERDUE`` cases made newly overdue and ``DUE_SOON`` others newly due soon (their stored
   deadlines moved into the past, the raised marks cleared, as if their time had just come);
   the three "what is pending" queries the sweep starts with are timed on their own (the
   finding), then one sweep raises everything (the finding and the work: a supervision notice,
   events and notifications per case, each claim its own transaction);
3. the plans of the three pending queries, which must use the partial indexes.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import statistics
import time
from typing import Any

QUIET_RUNS = 10
OVERDUE = 500
DUE_SOON = 1_000


def _pending(now: datetime.datetime) -> dict[str, Any]:
    """The sweep's own three queries (``tasks.sweep_deadlines``), first batch of each."""
    from fengqiao.cases.choices import DEADLINE_STATUSES, CaseStatus
    from fengqiao.cases.models import Case
    from fengqiao.cases.tasks import BATCH

    open_with_deadline = Case.objects.filter(status__in=DEADLINE_STATUSES)
    return {
        "red": open_with_deadline.filter(
            red_raised_at__isnull=True, reply_due_at__lte=now
        ).values_list("id", flat=True)[:BATCH],
        "yellow": open_with_deadline.filter(
            yellow_raised_at__isnull=True, warn_at__lte=now
        ).values_list("id", flat=True)[:BATCH],
        "return_visit": Case.objects.filter(
            status=CaseStatus.REPLIED,
            return_visit_requested_at__isnull=True,
            rating_due_at__lte=now,
        ).values_list("id", flat=True)[:BATCH],
    }


def _explain(queryset: Any) -> list[str]:
    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return [row[-1] for row in cursor.fetchall()]


def _make_due(now: datetime.datetime) -> dict[str, int]:
    """Move ``OVERDUE`` open cases' deadlines an hour into the past and ``DUE_SOON`` others'
    warnings a minute into the past, with nothing raised yet."""
    from fengqiao.cases.choices import DEADLINE_STATUSES
    from fengqiao.cases.models import Case

    ids = list(Case.objects.filter(status__in=DEADLINE_STATUSES).values_list("id", flat=True))
    if len(ids) < OVERDUE + DUE_SOON:
        raise SystemExit(f"only {len(ids)} open cases with a deadline: grow the table first")
    chosen = random.Random(2026).sample(ids, OVERDUE + DUE_SOON)
    hour = datetime.timedelta(hours=1)
    overdue = Case.objects.filter(pk__in=chosen[:OVERDUE]).update(
        reply_due_at=now - hour,
        warn_at=now - 5 * hour,
        yellow_raised_at=None,
        red_raised_at=None,
    )
    due_soon = Case.objects.filter(pk__in=chosen[OVERDUE:]).update(
        reply_due_at=now + 4 * hour - datetime.timedelta(minutes=1),
        warn_at=now - datetime.timedelta(minutes=1),
        yellow_raised_at=None,
        red_raised_at=None,
    )
    return {"overdue": overdue, "due_soon": due_soon}


class _Counter:
    """Counts the statements run (Django's query log keeps only the last 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")


def run(database: str = "") -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.cases_seed import case_count
    from fengqiao.cases.tasks import sweep_deadlines
    from fengqiao.core.tasks import analyze_sqlite

    # The table statistics as the worker keeps them (hourly on SQLite; autovacuum's on
    # PostgreSQL): without them SQLite's planner reads every open case.
    analyze_sqlite()
    result: dict[str, Any] = {"database": database or connection.vendor, "cases": case_count()}
    started = time.perf_counter()
    result["catch_up"] = {
        "raised": sweep_deadlines(),
        "seconds": round(time.perf_counter() - started, 2),
    }

    timings, raised = [], []
    for _ in range(QUIET_RUNS):
        started = time.perf_counter()
        raised.append(sweep_deadlines())
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        sweep_deadlines()
    result["nothing_due"] = {
        "runs": QUIET_RUNS,
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "queries": len(queries),
        "raised": raised[-1],
        "load_average": round(os.getloadavg()[0], 1),
    }

    now = timezone.now()
    made = _make_due(now)
    _analyze()
    now = timezone.now()
    pending = _pending(now)
    started = time.perf_counter()
    found = {name: len(list(queryset)) for name, queryset in pending.items()}
    find_ms = (time.perf_counter() - started) * 1000
    plans = {name: _explain(queryset) for name, queryset in _pending(now).items()}
    statements = _Counter()
    with connection.execute_wrapper(statements):
        started = time.perf_counter()
        swept = sweep_deadlines()
        seconds = time.perf_counter() - started
    result["newly_due"] = {
        "made": made,
        "found": found,
        "find_ms": round(find_ms, 1),
        "raised": swept,
        "sweep_seconds": round(seconds, 2),
        "queries": statements.count,
        "queries_per_case_raised": round(statements.count / max(1, sum(swept.values())), 1),
        "load_average": round(os.getloadavg()[0], 1),
    }
    started = time.perf_counter()
    after = sweep_deadlines()
    result["after"] = {
        "raised": after,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }
    result["plans"] = plans
    return result


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    print(json.dumps(run(), ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
