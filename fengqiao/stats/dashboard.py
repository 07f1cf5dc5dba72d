"""What the dashboards show, read through the figure functions of ``metrics`` (no figure is
computed here): the headline with its change against the previous period, the trend, the
breakdowns, the department ranking, the overdue and supervision lists, the map's places, and
the chart data handed to the page (``json_script``) exactly as computed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from fengqiao.cases.choices import DEADLINE_STATUSES, OPEN_STATUSES
from fengqiao.cases.models import Case, SupervisionNotice
from fengqiao.cases.scoping import status_in_literal
from fengqiao.core.codes import within
from fengqiao.disputes.metrics import ResolutionFigures
from fengqiao.org.choices import Role
from fengqiao.stats.metrics import (
    NEXT_LEVEL,
    NOT_DISPATCHED,
    BreakdownRow,
    CaseFigures,
    Filters,
    Period,
    case_breakdown,
    case_figures,
    department_ranking,
    dispute_resolution,
    one_reading,
    scope_prefix,
)
from fengqiao.stats.rates import rate_display
from fengqiao.territory.models import Area, Household

# Who reads the dashboards: the centers and the leaders (of the county, a township or a
# department). Handlers, grid workers and unit heads work cases; they do not get the figures.
DASHBOARD_ROLES = frozenset({Role.ADMINISTRATOR, Role.CENTER_OPERATOR, Role.DEPARTMENT_LEADER})
LIST_LENGTH = 10
# The headline figures, in the order the page shows them.
HEADLINE = (
    "received",
    "closed",
    "closure_rate",
    "on_time_sign_rate",
    "on_time_reply_rate",
    "overdue_now",
    "satisfaction_rate",
    "reopen_rate",
    "return_visit_rate",
    "extensions",
    "hard_matters",
    "returns",
    "mean_reply_hours",
    "p90_reply_hours",
)
BREAKDOWN_CHARTS = ("channel", "type", "category")


def may_read_dashboards(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or user.role in DASHBOARD_ROLES)


def figure_labels() -> dict[str, str]:
    return {
        "received": _("Received"),
        "accepted": _("Accepted"),
        "closed": _("Closed"),
        "closure_rate": _("Closure rate"),
        "on_time_sign_rate": _("Signed for on time"),
        "on_time_reply_rate": _("Replied on time"),
        "overdue_now": _("Overdue now"),
        "extensions": _("Extensions"),
        "hard_matters": _("Hard matters"),
        "returns": _("Returns"),
        "reopen_rate": _("Reopen rate"),
        "satisfaction_rate": _("Satisfaction rate"),
        "return_visit_rate": _("Return-visit rate"),
        "mean_reply_hours": _("Mean time to reply (working hours)"),
        "p90_reply_hours": _("90th percentile time to reply (working hours)"),
    }


@dataclass(frozen=True)
class Headline:
    name: str
    label: str
    value: str
    previous: str
    change: str  # "+1.20" (percentage points or a count), "" when either side is missing
    direction: str  # "up", "down", "same" or ""


def _change(current: Any, previous: Any, is_rate: bool) -> tuple[str, str]:
    if current is None or previous is None:
        return "", ""
    difference = Decimal(current) - Decimal(previous)
    if is_rate:
        difference *= 100  # percentage points
    direction = "up" if difference > 0 else "down" if difference < 0 else "same"
    text = f"{difference:+.2f}" if is_rate or isinstance(current, Decimal) else f"{difference:+}"
    return text, direction


def resolution_headline(
    current: ResolutionFigures | None, previous: ResolutionFigures | None
) -> Headline | None:
    """The disputes' 化解率 beside the case figures, when the filters allow it."""
    if current is None or previous is None:
        return None
    change, direction = _change(current.rate, previous.rate, is_rate=True)
    return Headline(
        name="resolution_rate",
        label=_("Dispute resolution rate"),
        value=current.rate_display,
        previous=previous.rate_display,
        change=change,
        direction=direction,
    )


def headline(current: CaseFigures, previous: CaseFigures) -> list[Headline]:
    labels = figure_labels()
    rows = []
    for name in HEADLINE:
        change, direction = _change(
            getattr(current, name), getattr(previous, name), name in CaseFigures.RATES
        )
        rows.append(
            Headline(
                name=name,
                label=labels[name],
                value=current.display(name),
                previous=previous.display(name),
                change=change,
                direction=direction,
            )
        )
    return rows


@dataclass(frozen=True)
class Dashboard:
    period: Period
    previous_period: Period
    filters: Filters
    prefix: str
    figures: CaseFigures
    previous: CaseFigures
    headline: list[Headline]
    trend: list[BreakdownRow]
    trend_by: str
    territories: list[BreakdownRow]
    breakdowns: dict[str, list[BreakdownRow]]
    ranking: list[BreakdownRow]
    overdue: list[Case]
    supervision: list[SupervisionNotice]
    charts: dict[str, Any]


def trend_bucket(period: Period) -> str:
    """Days for a week or a month, weeks up to a quarter, months beyond."""
    if period.days <= 31:
        return "day"
    if period.days <= 92:
        return "week"
    return "month"


def _scoped_cases(user: Any, filters: Filters) -> QuerySet[Case]:
    cases = Case.objects.visible_to(user)
    if filters.territory:
        cases = cases.filter(within("territory_code", filters.territory))
    if filters.department_id is not None:
        cases = cases.filter(lead_department_id=filters.department_id)
    return cases


def overdue_cases(user: Any, filters: Filters) -> list[Case]:
    """The open cases past their reply deadline now, most overdue first."""
    return list(
        _scoped_cases(user, filters)
        # Literal statuses: the running-deadline index serves SQLite too (in deadline order).
        .filter(status_in_literal(*DEADLINE_STATUSES), reply_due_at__lt=timezone.now())
        .select_related("lead_department")
        .order_by("reply_due_at")[:LIST_LENGTH]
    )


def supervision_notices(user: Any, filters: Filters) -> list[SupervisionNotice]:
    """The latest supervision notices (督办) on cases in scope."""
    cases = _scoped_cases(user, filters)
    # Newest first, each checked against the scope, until ten are found: an IN over the
    # scope's cases would make SQLite list a whole county's cases first.
    in_scope = Exists(cases.filter(pk=OuterRef("case_id")))
    return list(
        SupervisionNotice.objects.filter(in_scope)
        # The ten cases read after (joined, SQLite would walk the cases to find notices).
        .select_related("department")
        .prefetch_related("case")
        .order_by("-created_at")[:LIST_LENGTH]
    )


def dashboard(user: Any, period: Period, filters: Filters) -> Dashboard:
    with one_reading():
        return _dashboard(user, period, filters)


def _dashboard(user: Any, period: Period, filters: Filters) -> Dashboard:
    previous_period = period.previous()
    trend_by = trend_bucket(period)
    # The trend shows counts and rates; the headline, with the reply times, is read whole
    # (from the tally, a year's reply times are its yearly rows).
    trend = case_breakdown(user, period, filters, by=trend_by, with_times=False)
    figures = case_figures(user, period, filters)
    previous = case_figures(user, previous_period, filters)
    # The charts and tables of these show counts and rates, not reply times.
    territories = case_breakdown(user, period, filters, by="territory", with_times=False)
    breakdowns = {
        by: case_breakdown(user, period, filters, by=by, with_times=False)
        for by in BREAKDOWN_CHARTS
    }
    ranking = department_ranking(user, period, filters)
    prefix = scope_prefix(user, filters)
    resolution = resolution_headline(
        dispute_resolution(user, period, filters),
        dispute_resolution(user, previous_period, filters),
    )
    board = Dashboard(
        period=period,
        previous_period=previous_period,
        filters=filters,
        prefix=prefix,
        figures=figures,
        previous=previous,
        headline=headline(figures, previous) + ([resolution] if resolution else []),
        trend=trend,
        trend_by=trend_by,
        territories=territories,
        breakdowns=breakdowns,
        ranking=ranking,
        overdue=overdue_cases(user, filters),
        supervision=supervision_notices(user, filters),
        charts={},
    )
    board.charts.update(chart_data(board))
    return board


def drill_url(period: Period, filters: Filters, **changes: Any) -> str:
    """The dashboard narrowed further (a territory, a department), same period."""
    narrowed = filters.replace(**changes)
    query = period_query(period)
    for key, value in (
        ("territory", narrowed.territory),
        ("department", narrowed.department_id),
        ("channel", narrowed.channel),
        ("type", narrowed.case_type),
        ("category", narrowed.category_id),
    ):
        if value not in ("", None):
            query[key] = str(value)
    return f"{reverse('stats:dashboard')}?{urlencode(query)}"


def period_query(period: Period) -> dict[str, str]:
    if period.kind == "custom":
        return {
            "kind": "custom",
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
        }
    return {"kind": period.kind, "day": period.first.isoformat()}


def _percent(value: Decimal | None) -> float | None:
    # ECharts draws numbers; the value is the displayed, truncated percentage.
    return None if value is None else float(value * 100)


def chart_data(board: Dashboard) -> dict[str, Any]:
    """Every chart's data as the page gets it; the tables under the charts show the same."""
    labels = figure_labels()
    charts: dict[str, Any] = {
        "trend": {
            "kind": "line",
            "title": _("Trend"),
            "categories": [row.label for row in board.trend],
            "series": [
                {"name": labels["received"], "data": [r.figures.received for r in board.trend]},
                {"name": labels["closed"], "data": [r.figures.closed for r in board.trend]},
            ],
            "links": [],
        },
        "territory": {
            "kind": "bar",
            "title": _("By territory"),
            "categories": [row.label for row in board.territories],
            "series": [
                {
                    "name": labels["received"],
                    "data": [r.figures.received for r in board.territories],
                },
                {"name": labels["closed"], "data": [r.figures.closed for r in board.territories]},
            ],
            "links": [
                drill_url(board.period, board.filters, territory=row.key)
                if len(row.key) > len(board.prefix)
                else ""
                for row in board.territories
            ],
        },
        "ranking": {
            "kind": "bar",
            "title": _("Department ranking"),
            "categories": [row.label for row in board.ranking],
            "series": [
                {
                    "name": labels["closure_rate"],
                    "data": [_percent(r.figures.closure_rate) for r in board.ranking],
                }
            ],
            "links": [
                drill_url(board.period, board.filters, department_id=int(row.key))
                for row in board.ranking
            ],
            "percent": True,
        },
    }
    titles = {"channel": _("By channel"), "type": _("By type"), "category": _("By category")}
    for by, rows in board.breakdowns.items():
        charts[by] = {
            "kind": "pie",
            "title": titles[by],
            "categories": [row.label for row in rows],
            "series": [{"name": labels["received"], "data": [r.figures.received for r in rows]}],
            "links": [],
        }
    return charts


# ---------------------------------------------------------------------------------------
# The map


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    latitude: float | None
    longitude: float | None
    open_cases: int
    overdue: int


def map_places(user: Any, filters: Filters) -> list[Place]:
    """The next level's territories with their open and overdue cases now, placed at the mean
    position of their households (no boundaries are known; a polygon would go here)."""
    prefix = scope_prefix(user, filters)
    depth = NEXT_LEVEL.get(len(prefix), 18)
    now = timezone.now()
    counts = (
        _scoped_cases(user, filters)
        .filter(status__in=OPEN_STATUSES)
        .annotate(group=Substr("territory_code", 1, depth))
        .values("group")
        .annotate(
            open_cases=Count("pk"),
            overdue=Count("pk", filter=Q(status__in=DEADLINE_STATUSES, reply_due_at__lt=now)),
        )
        .order_by("group")
    )
    rows = {row["group"]: row for row in counts}
    positions = {
        row["group"]: row
        for row in Household.objects.visible_to(user)
        .filter(within("territory_code", prefix), latitude__isnull=False)
        .annotate(group=Substr("territory_code", 1, depth))
        .values("group")
        .annotate(latitude=Avg("latitude"), longitude=Avg("longitude"))
        .order_by()
    }
    names = dict(
        Area.objects.filter(territory_code__in=list(rows), valid_to=None).values_list(
            "territory_code", "name"
        )
    )
    places = []
    for code, row in rows.items():
        position = positions.get(code, {})
        latitude, longitude = position.get("latitude"), position.get("longitude")
        places.append(
            Place(
                code=code,
                name=names.get(code, code),
                latitude=None if latitude is None else float(latitude),
                longitude=None if longitude is None else float(longitude),
                open_cases=row["open_cases"],
                overdue=row["overdue"],
            )
        )
    return places


def today() -> datetime.date:
    return timezone.localdate()


__all__ = [
    "NOT_DISPATCHED",
    "Dashboard",
    "dashboard",
    "map_places",
    "may_read_dashboards",
    "rate_display",
]
