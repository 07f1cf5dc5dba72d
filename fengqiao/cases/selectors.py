"""Scoped reads of cases: the workbenches' lists, the case page, the inbox. Every list starts
from ``Case.objects.visible_to(user)`` (or the user's own department or notifications) and
adds the conditions of one queue; each is one indexed query (plus one count) whatever the
number of cases."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import (
    DEADLINE_STATUSES,
    OPEN_STATUSES,
    CaseStatus,
    DeadlineState,
    EventKind,
    RequestStatus,
)
from fengqiao.cases.models import (
    Case,
    CaseEvent,
    CaseReporter,
    CaseRequest,
    Category,
    Notification,
    SupervisionNotice,
)
from fengqiao.core.codes import GRID_CODE_LENGTH, within
from fengqiao.core.scoping import territory_prefix_for
from fengqiao.org.choices import Role
from fengqiao.org.models import Department
from fengqiao.territory.models import Area, Grid

WorkbenchKind = Literal["center", "department", "grid"]


@dataclass(frozen=True)
class Worklist:
    """A named queue of a workbench."""

    key: str
    title: str | Promise
    cases: QuerySet[Case]


# The columns a list row shows (and what its action forms need: version, suggestion).
_LIST_FIELDS = (
    "id",
    "number",
    "title",
    "case_type",
    "channel",
    "urgency",
    "status",
    "territory_code",
    "holder_code",
    "level",
    "created_at",
    "reply_due_at",
    "sign_due_at",
    "warn_at",
    "suggested_department",
    "version",
    "reply_approved",
    "return_count",
    "reopen_count",
    "is_hard",
    "category__name",
    "lead_department__name",
)


def _list_columns(queryset: QuerySet[Case], *extra: str) -> QuerySet[Case]:
    return queryset.select_related("category", "lead_department").only(*_LIST_FIELDS, *extra)


def _is_administrator(user: Any) -> bool:
    return bool(user.is_superuser or user.role == Role.ADMINISTRATOR)


def workbench_kind(user: Any) -> WorkbenchKind | None:
    """Which workbench a user works at; None for roles without one (unit heads)."""
    if user.role == Role.GRID_WORKER:
        return "grid"
    if user.role in (Role.DEPARTMENT_HANDLER, Role.DEPARTMENT_LEADER):
        return "department"
    if user.role == Role.CENTER_OPERATOR or _is_administrator(user):
        return "center"
    return None


def due_soon(queryset: QuerySet[Case], now: datetime.datetime) -> QuerySet[Case]:
    return queryset.filter(deadline_q(DeadlineState.YELLOW, now))


def overdue(queryset: QuerySet[Case], now: datetime.datetime) -> QuerySet[Case]:
    return queryset.filter(deadline_q(DeadlineState.RED, now))


def deadline_q(state: str, now: datetime.datetime) -> Q:
    """The cases whose reply deadline is in ``state`` now; the same rule as
    ``deadlines.deadline_state`` (derived from the stored times, never from a flag)."""
    running = Q(status__in=DEADLINE_STATUSES, reply_due_at__isnull=False)
    if state == DeadlineState.RED:
        return running & Q(reply_due_at__lt=now)
    if state == DeadlineState.YELLOW:
        return running & Q(warn_at__lte=now, reply_due_at__gte=now)
    if state == DeadlineState.OK:
        return running & Q(reply_due_at__gte=now) & (Q(warn_at__isnull=True) | Q(warn_at__gt=now))
    return ~running


def _held(user: Any) -> QuerySet[Case]:
    """What the user's center (or grid) holds. An administrator may act as the holder of any
    case (``services.is_holder``), so their workbench gathers every center in their scope."""
    visible = Case.objects.visible_to(user)
    if _is_administrator(user):
        return visible
    if user.department_id is None and territory_prefix_for(user) == user.scope_code:
        # A case's holder is its location's code or an ancestor of it (intake takes a prefix
        # of the location, escalation only shortens it), so what a center holds lies in the
        # center's own subtree. Repeating the scope's range condition changes no row but made
        # PostgreSQL combine the holder index with a scan of the whole subtree's range
        # (a quarter of a county's cases for a big township).
        return Case.objects.filter(holder_code=user.scope_code)
    return visible.filter(holder_code=user.scope_code)


def _with_return_note(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Adds why and by whom the case was last returned (one subquery, not a query a row)."""
    last_return = CaseEvent.objects.filter(case=OuterRef("pk"), kind=EventKind.RETURN).order_by(
        "-id"
    )
    return queryset.annotate(
        return_note=Subquery(last_return.values("note")[:1]),
        returned_by=Subquery(last_return.values("department__name")[:1]),
    )


def center_worklists(user: Any, now: datetime.datetime | None = None) -> list[Worklist]:
    """The queues of the center the user operates: what it holds."""
    now = now or timezone.now()
    held = _held(user)
    return [
        Worklist(
            "to_accept",
            _("New, to accept"),
            _list_columns(held.filter(status=CaseStatus.SUBMITTED)).order_by("created_at", "id"),
        ),
        Worklist(
            "to_dispatch",
            _("Accepted, to dispatch"),
            _list_columns(held.filter(status=CaseStatus.ACCEPTED, return_count=0)).order_by(
                "created_at"
            ),
        ),
        Worklist(
            "returned",
            _("Returned by departments"),
            _with_return_note(
                _list_columns(held.filter(status=CaseStatus.ACCEPTED, return_count__gt=0))
            ).order_by("created_at", "id"),
        ),
        Worklist(
            "to_review",
            _("Replies to review"),
            _list_columns(
                held.filter(status=CaseStatus.REPLIED, reply_approved=False), "reply_text"
            ).order_by("replied_at", "id"),
        ),
        Worklist(
            "due_soon",
            _("Due soon"),
            _list_columns(due_soon(held, now)).order_by("reply_due_at", "id"),
        ),
        Worklist(
            "overdue",
            _("Overdue"),
            _list_columns(overdue(held, now)).order_by("reply_due_at", "id"),
        ),
        Worklist(
            "return_visit",
            _("Return visits to make"),
            _list_columns(
                held.filter(status=CaseStatus.REPLIED, reply_approved=True, rating_due_at__lt=now)
            ).order_by("rating_due_at", "id"),
        ),
    ]


def department_worklists(user: Any, now: datetime.datetime | None = None) -> list[Worklist]:
    """The queues of the department the user works for: what it leads."""
    now = now or timezone.now()
    led = Case.objects.filter(lead_department_id=user.department_id)
    return [
        Worklist(
            "to_sign",
            _("To sign for"),
            _list_columns(led.filter(status=CaseStatus.DISPATCHED)).order_by("sign_due_at", "id"),
        ),
        Worklist(
            "in_progress",
            _("In progress"),
            _list_columns(led.filter(status=CaseStatus.IN_PROGRESS)).order_by("reply_due_at", "id"),
        ),
        Worklist(
            "due_soon",
            _("Due soon"),
            _list_columns(due_soon(led, now)).order_by("reply_due_at", "id"),
        ),
        Worklist(
            "overdue", _("Overdue"), _list_columns(overdue(led, now)).order_by("reply_due_at", "id")
        ),
    ]


def grid_worklists(user: Any) -> list[Worklist]:
    """A grid worker's two lists: what the grid holds (to resolve on the spot or to send
    up), and every case located in the grid, newest first."""
    held = _held(user)
    return [
        Worklist(
            "in_hand",
            _("In your hands"),
            _list_columns(
                held.filter(status__in=(CaseStatus.SUBMITTED, CaseStatus.ACCEPTED))
            ).order_by("-created_at", "-id"),
        ),
        Worklist(
            "grid",
            _("Cases in your grid"),
            _list_columns(Case.objects.visible_to(user)).order_by("-created_at", "-id"),
        ),
    ]


def worklists_for(user: Any, now: datetime.datetime | None = None) -> list[Worklist]:
    kind = workbench_kind(user)
    if kind == "center":
        return center_worklists(user, now)
    if kind == "department":
        return department_worklists(user, now)
    if kind == "grid":
        return grid_worklists(user)
    return []


def pending_requests(user: Any) -> QuerySet[CaseRequest]:
    """Hard-matter and extension requests waiting for this leader's decision."""
    if user.role != Role.DEPARTMENT_LEADER:
        return CaseRequest.objects.none()
    return (
        CaseRequest.objects.filter(status=RequestStatus.PENDING, department_id=user.department_id)
        .select_related("case", "requested_by")
        .order_by("created_at", "id")
    )


def center_requests(user: Any) -> QuerySet[CaseRequest]:
    """Requests pending on the cases a center holds, shown to it for information (the
    department's leader decides them)."""
    return (
        CaseRequest.objects.filter(status=RequestStatus.PENDING, case__in=_held(user).values("pk"))
        .select_related("case", "department", "requested_by")
        .order_by("created_at", "id")
    )


def overdue_to_supervise(user: Any, now: datetime.datetime | None = None) -> QuerySet[Case]:
    """督办 list of a center: cases held in its subtree, with a department, and late — the
    reply overdue or the sign-for deadline passed. Only those ``case_supervise`` accepts."""
    if not (_is_administrator(user) or user.role == Role.CENTER_OPERATOR):
        return Case.objects.none()
    now = now or timezone.now()
    queryset = Case.objects.visible_to(user).filter(
        status__in=(CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS)
    )
    if user.scope_code:
        queryset = queryset.filter(within("holder_code", user.scope_code))
    late = Q(reply_due_at__lt=now) | Q(status=CaseStatus.DISPATCHED, sign_due_at__lt=now)
    return _list_columns(queryset.filter(late)).order_by("reply_due_at", "id")


def department_supervisions(user: Any) -> QuerySet[SupervisionNotice]:
    """Supervision notices to the user's department on cases still open."""
    return (
        SupervisionNotice.objects.filter(
            department_id=user.department_id, case__status__in=OPEN_STATUSES
        )
        .select_related("case", "issued_by")
        .order_by("-created_at", "-id")
    )


def search_cases(
    user: Any,
    *,
    text: str = "",
    where: Q | None = None,
    queue: str = "",
    now: datetime.datetime | None = None,
    **filters: Any,
) -> QuerySet[Case]:
    """The filtered list of every case the user may see (or of one of their workbench's
    queues, in the queue's order); ``where`` and ``filters`` come from the filter form."""
    worklist = (
        next((w for w in worklists_for(user, now) if w.key == queue), None) if queue else None
    )
    queryset = worklist.cases if worklist else Case.objects.visible_to(user)
    queryset = queryset.filter(**filters)
    if where is not None:
        queryset = queryset.filter(where)
    text = text.strip()
    if text:
        queryset = queryset.filter(
            Q(number__icontains=text) | Q(title__icontains=text) | Q(description__icontains=text)
        )
    if worklist is not None:
        return queryset
    return _list_columns(queryset).order_by("-created_at", "-id")


# --- Places ---------------------------------------------------------------------------------


def place_names(codes: Iterable[str]) -> dict[str, str]:
    """A readable place for each territory code: the village and grid (or the township or
    county for a shorter code). Two queries for any number of codes. Place names are public
    (they are on every doorplate), so this reads without a scope."""
    codes = set(codes)
    area_codes = {code[:n] for code in codes for n in (6, 9, 12) if len(code) >= n}
    grid_codes = {code[:GRID_CODE_LENGTH] for code in codes if len(code) >= GRID_CODE_LENGTH}
    areas = dict(
        Area.objects.filter(territory_code__in=area_codes, valid_to__isnull=True).values_list(
            "territory_code", "name"
        )
    )
    grids = dict(Grid.objects.filter(code__in=grid_codes).values_list("code", "name"))
    names = {}
    for code in codes:
        if len(code) >= GRID_CODE_LENGTH:
            parts = [areas.get(code[:12], ""), grids.get(code[:GRID_CODE_LENGTH], "")]
        else:
            parts = [areas.get(code, "")]
        names[code] = " · ".join(part for part in parts if part) or code
    return names


def department_names(ids: Iterable[int]) -> dict[int, str]:
    """Each department's name by id (one query; names are not personal information)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(Department.objects.filter(pk__in=wanted).values_list("pk", "name"))


# --- The case page ----------------------------------------------------------------------------


def cases_for_page(user: Any) -> QuerySet[Case]:
    """The cases the user may open, with what the case page shows beside them."""
    return Case.objects.visible_to(user).select_related(
        "category__parent",
        "lead_department",
        "suggested_department",
        "household__grid",
        "merged_into",
        "created_by",
    )


def case_timeline(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor", "department").order_by("created_at", "id")


def case_reporters(case: Case) -> QuerySet[CaseReporter]:
    return case.reporters.order_by("id")


def case_requests(case: Case) -> QuerySet[CaseRequest]:
    return case.requests.select_related("department", "requested_by", "decided_by").order_by(
        "created_at", "id"
    )


def case_co_departments(case: Case) -> QuerySet[Department]:
    return case.co_departments.order_by("name")


def requests_visible_to(user: Any) -> QuerySet[CaseRequest]:
    """Requests on cases the user may see (a decision form posts one of these)."""
    return CaseRequest.objects.filter(case__in=Case.objects.visible_to(user).values("pk"))


# --- Choices for forms ----------------------------------------------------------------------


def dispatch_departments(user: Any) -> QuerySet[Department]:
    """The active departments a center may send a case to."""
    return (
        Department.objects.visible_to(user)
        .filter(is_active=True)
        .order_by("territory_code", "name")
    )


def category_choices(*, whole_groups: bool = False) -> list[tuple[Any, Any]]:
    """Active categories for a select: a top-level category with sub-categories becomes a
    group of them; one without is an option of its own. With ``whole_groups`` (a filter,
    not a new case) each group starts with its parent, to choose all of it. One query (the
    tree is small)."""
    rows = list(
        Category.objects.filter(is_active=True)
        .filter(Q(parent__isnull=True) | Q(parent__is_active=True))
        .order_by("sort_order", "path")
        .values_list("pk", "name", "parent_id")
    )
    children: dict[int, list[tuple[int, str]]] = {}
    for pk, name, parent_id in rows:
        if parent_id is not None:
            children.setdefault(parent_id, []).append((pk, name))
    choices: list[tuple[Any, Any]] = []
    for pk, name, parent_id in rows:
        if parent_id is None and pk in children:
            whole = [(pk, _("All of %(name)s") % {"name": name})] if whole_groups else []
            choices.append((name, [*whole, *children[pk]]))
        elif parent_id is None:
            choices.append((pk, name))
    return choices


def category_and_below(category_id: int) -> list[int]:
    """The category and every category under it (a parent chosen in a filter means all of
    its sub-categories). One query."""
    path = Category.objects.filter(pk=category_id).values("path")
    return list(
        Category.objects.filter(
            Q(pk=category_id) | Q(path__startswith=Concat(Subquery(path), Value("/")))
        ).values_list("pk", flat=True)
    )


# --- Notifications --------------------------------------------------------------------------


def inbox(user: Any) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(user_id=user.pk)
        .select_related("case")
        .only(
            "id",
            "kind",
            "message",
            "created_at",
            "read_at",
            "case__id",
            "case__number",
            "case__title",
        )
        .order_by("-created_at", "-id")
    )


def unread_count(user: Any) -> int:
    """One COUNT on the partial index ``notification_unread`` (unread rows only)."""
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()
