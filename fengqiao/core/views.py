from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for monitors: the database engine and whether migrations are
    current. 200 when the database answers (pending migrations are reported, not hidden);
    503 when it does not."""
    engine = connection.vendor
    try:
        executor = MigrationExecutor(connection)
        targets = executor.loader.graph.leaf_nodes()
        pending = executor.migration_plan(targets)
        applied = len(executor.loader.applied_migrations)
    except DatabaseError as error:
        return JsonResponse(
            {"status": "error", "database": {"engine": engine}, "error": str(error)}, status=503
        )
    body: dict[str, Any] = {
        "status": "ok",
        "database": {"engine": engine, "name": str(connection.settings_dict["NAME"])},
        "migrations": {
            "state": "current" if not pending else "pending",
            "applied": applied,
            "pending": [f"{m.app_label}.{m.name}" for m, _ in pending],
        },
    }
    if not pending:
        body["working_days"] = _working_days_state()
    return JsonResponse(body)


def _working_days_state() -> dict[str, Any]:
    """Whether the holiday schedules are known: deadlines cannot be computed into a year
    that is not (the State Council publishes next year's each November; enter it as
    working-day overrides). Monitors should alert on ``next_year_known: false`` late in
    the year."""
    from fengqiao.workdays.schedule import calendar

    years = calendar().years
    today = timezone.localdate()
    return {
        "last_known_year": max(years),
        "current_year_known": today.year in years,
        "next_year_known": today.year + 1 in years,
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")
