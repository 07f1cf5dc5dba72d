"""The dashboards: thin views that read the query string, check who asks, and render what
``dashboard`` computed. Bad parameters get the page back with a message saying what to fix."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from fengqiao.cases.choices import CaseType, Channel
from fengqiao.cases.models import Category
from fengqiao.org.models import Department
from fengqiao.stats.dashboard import (
    dashboard,
    drill_url,
    figure_labels,
    map_places,
    may_read_dashboards,
    period_query,
    today,
)
from fengqiao.stats.metrics import PERIOD_KINDS, CaseFigures, Filters, Period, PeriodKind

# The big screen reloads its figures this often (seconds).
SCREEN_REFRESH_SECONDS = 60
# A custom period longer than this is refused: the figures are for reading, not for archives.
MAX_CUSTOM_DAYS = 3 * 366


def _date(value: str, what: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            _("%(what)s must be a date like 2026-06-30, not “%(value)s”.")
            % {"what": what, "value": value}
        ) from None


def period_from(query: Any) -> Period:
    kind: PeriodKind = query.get("kind") or "year"
    if kind not in PERIOD_KINDS:
        raise ValidationError(
            _("The period must be one of: day, week, month, year, custom."),
        )
    if kind == "custom":
        if not query.get("first") or not query.get("last"):
            raise ValidationError(_("A custom period needs both a first and a last day."))
        first, last = (
            _date(query["first"], _("The first day")),
            _date(query["last"], _("The last day")),
        )
        if last < first:
            raise ValidationError(_("The last day is before the first day: swap them."))
        if (last - first).days >= MAX_CUSTOM_DAYS:
            raise ValidationError(_("A custom period may span at most three years."))
        return Period.custom(first, last)
    day = _date(query["day"], _("The day")) if query.get("day") else today()
    return Period.containing(kind, day)


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationError(
            _("%(what)s must be a number, not “%(value)s”.") % {"what": what, "value": value}
        ) from None


def filters_from(query: Any, user: Any) -> Filters:
    """The filters of the query string, checked against the reader's scope: a territory
    outside it or a department they cannot see is absent (404), as any out-of-scope row."""
    territory = (query.get("territory") or "").strip()
    if territory and not territory.isdigit():
        raise ValidationError(_("The territory must be a territory code (digits only)."))
    own = user.territory_prefix()
    if territory and own:
        if own.startswith(territory):
            territory = ""  # wider than the reader's own scope: their scope is the limit
        elif not territory.startswith(own):
            raise Http404
    department_id = None
    if query.get("department"):
        department_id = _int(query["department"], _("The department"))
        if not Department.objects.visible_to(user).filter(pk=department_id).exists():
            raise Http404
    channel = query.get("channel") or ""
    if channel and channel not in Channel.values:
        raise ValidationError(_("Unknown channel “%(value)s”.") % {"value": channel})
    case_type = query.get("type") or ""
    if case_type and case_type not in CaseType.values:
        raise ValidationError(_("Unknown case type “%(value)s”.") % {"value": case_type})
    category_id = None
    if query.get("category"):
        category_id = _int(query["category"], _("The category"))
        if not Category.objects.filter(pk=category_id).exists():
            raise ValidationError(_("Unknown category %(value)s.") % {"value": category_id})
    return Filters(
        territory=territory,
        department_id=department_id,
        channel=channel,
        case_type=case_type,
        category_id=category_id,
    )


def _reader(request: HttpRequest) -> Any:
    if not may_read_dashboards(request.user):
        raise PermissionDenied(_("The dashboards are for the centers and leaders."))
    return request.user


def _form_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "query": request.GET,
        "kinds": [
            ("year", _("Year")),
            ("month", _("Month")),
            ("week", _("Week")),
            ("day", _("Day")),
            ("custom", _("Custom")),
        ],
        "channels": Channel.choices,
        "case_types": CaseType.choices,
        "categories": Category.objects.filter(parent__isnull=True, is_active=True),
    }


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    """The center's and leader's dashboard; with htmx, only the board (drill-down)."""
    user = _reader(request)
    context = _form_context(request)
    try:
        period = period_from(request.GET)
        filters = filters_from(request.GET, user)
    except ValidationError as error:
        context["errors"] = error.messages
        return render(request, "stats/dashboard.html", context, status=400)
    board = dashboard(user, period, filters)
    context.update(board=board, up_url=_up_url(board), **_board_context())
    template = "stats/_board.html" if request.headers.get("HX-Request") else "stats/dashboard.html"
    return render(request, template, context)


RANKING_COLUMNS = (
    "received",
    "closed",
    "closure_rate",
    "on_time_sign_rate",
    "on_time_reply_rate",
    "overdue_now",
    "extensions",
    "hard_matters",
    "returns",
    "reopen_rate",
    "satisfaction_rate",
    "return_visit_rate",
    "mean_reply_hours",
    "p90_reply_hours",
)


def _board_context() -> dict[str, Any]:
    return {
        "labels": figure_labels(),
        "rate_names": (*CaseFigures.RATES, "resolution_rate"),
        "ranking_columns": RANKING_COLUMNS,
    }


def _up_url(board: Any) -> str:
    """One level back up the drill-down (to the reader's own scope at most)."""
    filters = board.filters
    if filters.department_id is not None:
        return drill_url(board.period, filters, department_id=None)
    if filters.territory:
        lengths = [n for n in (2, 4, 6, 9, 12, 15) if n < len(filters.territory)]
        parent = filters.territory[: lengths[-1]] if lengths else ""
        return drill_url(board.period, filters, territory=parent)
    return ""


@login_required
def screen_view(request: HttpRequest) -> HttpResponse:
    """大屏: the county center's wall screen, dark and full screen, reloading itself."""
    user = _reader(request)
    try:
        period = period_from(request.GET)
        filters = filters_from(request.GET, user)
    except ValidationError as error:
        return render(request, "stats/screen.html", {"errors": error.messages}, status=400)
    board = dashboard(user, period, filters)
    return render(
        request,
        "stats/screen.html",
        {
            "board": board,
            **_board_context(),
            "refresh_seconds": SCREEN_REFRESH_SECONDS,
            "query": period_query(period),
        },
    )


@login_required
def map_view(request: HttpRequest) -> HttpResponse:
    """The territory coloured by open or overdue cases now."""
    user = _reader(request)
    try:
        filters = filters_from(request.GET, user)
    except ValidationError as error:
        return render(request, "stats/map.html", {"errors": error.messages}, status=400)
    measure = "overdue" if request.GET.get("by") == "overdue" else "open_cases"
    places = map_places(user, filters)
    data = {
        "measure": measure,
        "tiles": settings.MAP_TILE_URL,
        "places": [
            {
                "code": p.code,
                "name": p.name,
                "lat": p.latitude,
                "lng": p.longitude,
                "open_cases": p.open_cases,
                "overdue": p.overdue,
            }
            for p in places
        ],
    }
    return render(
        request,
        "stats/map.html",
        {"places": places, "map_data": data, "measure": measure, "filters": filters},
    )
