"""Reads of the integration app: which key a request presents, which services we offer, and
what Open311 publishes about cases.

What Open311 publishes (the specification makes ``GET requests`` public; the rule is
documented in docs/integration.md):

- Reports of wrongdoing (举报) and disputes are never published: whoever reports them may be
  at risk, and the parties of a dispute are named in it. They answer 404 like a missing case.
- Every other case is listed with its category, status, dates, the department handling it
  and its place (village and grid names, which are on every doorplate).
- A case's own texts (description, address, coordinates, the reply, a rejection's reason)
  are published only for cases received through Open311, whose reporting system knows the
  specification publishes them. Reporter contact details are never published.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from fengqiao.api.models import ApiKey, Open311Request
from fengqiao.api.services import KEY_MARKER, MAX_KEY_LENGTH, key_digest
from fengqiao.cases.categories import categories_in_tree_order
from fengqiao.cases.choices import OPEN_STATUSES, CaseStatus, CaseType, EventKind
from fengqiao.cases.models import Case, CaseEvent, Category
from fengqiao.cases.selectors import place_names
from fengqiao.core.codes import GRID_CODE_LENGTH, UNIT_CODE_LENGTH, within
from fengqiao.territory.choices import AreaLevel
from fengqiao.territory.models import Area, Grid, Household, HouseholdUnit

# Never published through Open311 (see the module's docstring).
UNPUBLISHED_TYPES: Final = (CaseType.REPORT, CaseType.DISPUTE)
CLOSED_STATUSES: Final = (CaseStatus.CLOSED, CaseStatus.REJECTED)
# A point is placed in the grid of the nearest household with coordinates within this many
# degrees (about 550 m north–south, 500 m east–west at Guizhou's latitude).
NEAREST_HOUSEHOLD_DEGREES: Final = Decimal("0.005")


def api_key_for(plaintext: str | None) -> ApiKey | None:
    """The active key whose plaintext this is, or None (unknown, revoked, malformed)."""
    if not plaintext or len(plaintext) > MAX_KEY_LENGTH or not plaintext.startswith(KEY_MARKER):
        return None
    return (
        ApiKey.objects.active()
        .select_related("user")
        .filter(key_hash=key_digest(plaintext))
        .first()
    )


def county_exists(code: str) -> bool:
    """Whether ``code`` is the 6-digit territory code of a current county-level area."""
    return Area.objects.filter(
        territory_code=code, level=AreaLevel.COUNTY, valid_to__isnull=True
    ).exists()


def only_county() -> str | None:
    """The territory code of the county served, when the platform serves exactly one."""
    codes = list(
        Area.objects.filter(level=AreaLevel.COUNTY, valid_to__isnull=True).values_list(
            "territory_code", flat=True
        )[:2]
    )
    return codes[0] if len(codes) == 1 else None


def _private_subtrees() -> Q:
    """The categories under (or at) one whose ``is_public`` is off: never published, never
    offered as a service, whatever their own flag says."""
    paths = Category.objects.filter(is_public=False).values_list("path", flat=True)
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path=path) | Q(path__startswith=f"{path}/")
    return condition


def unpublished_category_ids() -> list[int]:
    """The ids of ``_private_subtrees``, from one read of the (small) tree."""
    tree = list(Category.objects.values_list("pk", "path", "is_public"))
    private = [path for _pk, path, is_public in tree if not is_public]
    return [
        pk
        for pk, path, _public in tree
        if any(path == closed or path.startswith(f"{closed}/") for closed in private)
    ]


def service_categories() -> list[Category]:
    """The active public categories, in tree order. An active category has only active
    ancestors (kept by ``cases.categories``) and a public one only public ones (a private
    category closes its subtree), so every parent of a listed one is listed too."""
    return list(categories_in_tree_order().filter(is_active=True).exclude(_private_subtrees()))


def service_category(code: str) -> Category | None:
    return Category.objects.filter(code=code, is_active=True).exclude(_private_subtrees()).first()


# ---------------------------------------------------------------------------------------
# Places


def territory_exists(code: str) -> bool:
    """Whether ``code`` names a current area (county or below), grid or ten-household unit."""
    if len(code) == UNIT_CODE_LENGTH:
        return HouseholdUnit.objects.filter(code=code).exists()
    if len(code) == GRID_CODE_LENGTH:
        return Grid.objects.filter(code=code).exists()
    if len(code) in (6, 9, 12):
        return Area.objects.filter(territory_code=code, valid_to__isnull=True).exists()
    return False


def territory_near(latitude: Decimal, longitude: Decimal) -> str | None:
    """The grid of the household nearest to a point, among those with coordinates within
    ``NEAREST_HOUSEHOLD_DEGREES``; None when no household is that near (the point is not in
    a place we serve, or nobody has mapped it yet)."""
    box = NEAREST_HOUSEHOLD_DEGREES
    candidates = Household.objects.filter(
        latitude__range=(latitude - box, latitude + box),
        longitude__range=(longitude - box, longitude + box),
    ).values_list("territory_code", "latitude", "longitude")[:500]
    best: tuple[Decimal, str] | None = None
    for code, lat, lon in candidates:
        distance = (lat - latitude) ** 2 + (lon - longitude) ** 2
        if best is None or distance < best[0]:
            best = (distance, code)
    return best[1][:GRID_CODE_LENGTH] if best is not None else None


# ---------------------------------------------------------------------------------------
# Service requests (the cases Open311 publishes)


def published_cases() -> QuerySet[Case]:
    return Case.objects.exclude(case_type__in=UNPUBLISHED_TYPES).exclude(
        category_id__in=unpublished_category_ids()
    )


@dataclass(frozen=True)
class RequestQuery:
    """The filters of ``GET requests``, already checked. ``numbers`` overrides the others,
    as the specification says of ``service_request_id``."""

    numbers: Sequence[str] = ()
    category_ids: Sequence[int] | None = None
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    closed: bool | None = None
    county: str = ""
    offset: int = 0
    limit: int = 1000


@dataclass(frozen=True)
class PublishedRequest:
    """What Open311 may say about one case (texts only for a case received through Open311)."""

    number: str
    status: str
    case_type: str
    category_code: str
    category_name: str
    territory_code: str
    lead_department: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    reply_due_at: datetime.datetime | None
    from_open311: bool
    description: str
    address: str
    address_id: str
    latitude: Decimal | None
    longitude: Decimal | None
    media_url: str
    reply: str
    rejection: str
    place: str

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


_REQUEST_COLUMNS: Final = (
    "id",
    "number",
    "status",
    "case_type",
    "category__code",
    "category__name",
    "territory_code",
    "lead_department__name",
    "created_at",
    "updated_at",
    "reply_due_at",
    "description",
    "address",
    "latitude",
    "longitude",
    "reply_text",
    "reply_approved",
    "resolved_on_spot",
    "open311__id",
    "open311__address_id",
    "open311__media_url",
)


def category_ids_for(codes: Sequence[str]) -> list[int]:
    """The categories of these service codes and everything under them (a service that has
    sub-categories stands for all of them)."""
    paths = list(Category.objects.filter(code__in=codes).values_list("path", flat=True))
    if not paths:
        return []
    subtree = Q()
    for path in paths:
        subtree |= Q(path=path) | Q(path__startswith=f"{path}/")
    return list(Category.objects.filter(subtree).values_list("id", flat=True))


def published_requests(query: RequestQuery) -> list[PublishedRequest]:
    """The page of published cases the query asks for, newest first. Three queries (the
    page's rows, the place names), four when the page holds rejected Open311 requests (their
    reasons)."""
    if query.numbers:
        rows = published_cases().filter(number__in=list(query.numbers)).values(*_REQUEST_COLUMNS)
        return _published(sorted(rows, key=lambda r: (r["created_at"], r["id"]), reverse=True))
    cases = published_cases()
    if query.category_ids is not None:
        if not query.category_ids:
            return []  # only unknown services asked for
        cases = cases.filter(category_id__in=list(query.category_ids))
    if query.start is not None:
        cases = cases.filter(created_at__gte=query.start)
    if query.end is not None:
        cases = cases.filter(created_at__lte=query.end)
    if query.county:
        cases = cases.filter(within("territory_code", query.county))
    if query.closed is None:
        statuses: tuple[str, ...] = (*OPEN_STATUSES, *CLOSED_STATUSES)
    else:
        statuses = CLOSED_STATUSES if query.closed else OPEN_STATUSES
    page = _newest(cases, statuses, query.offset, query.limit)
    rows = Case.objects.filter(id__in=page).order_by("-created_at", "-id")
    return _published(list(rows.values(*_REQUEST_COLUMNS)))


def _newest(cases: QuerySet[Case], statuses: Sequence[str], offset: int, limit: int) -> RawSQL:
    """The ids of the page, newest first, as a subquery. There is no index on the time of
    receipt alone (every index is written by every intake), but ``case_status_time`` orders
    each status's cases by it: the newest of each status are read through it, stopping
    after the page, and the page is taken from them. Without this the window (90 days of a
    county: tens of thousands of cases) is read whole and sorted for every request.

    Written as SQL around the querysets' own statements because a union of ordered and
    limited selects is only accepted as derived tables (SQLite refuses it otherwise)."""
    # Only Django's own compiled statements and fixed text are joined here; every value
    # stays a parameter.
    heads: list[str] = []
    params: list[Any] = []
    for number, status in enumerate(statuses):
        head = cases.filter(status=status).order_by("-created_at", "-id")
        newest = head.values_list("created_at", "id")[: offset + limit]
        sql, head_params = newest.query.sql_with_params()
        heads.append(f"SELECT * FROM ({sql}) AS head_{number}")  # noqa: S608
        params.extend(head_params)
    union = " UNION ALL ".join(heads)
    page = f"SELECT id FROM ({union}) AS heads ORDER BY created_at DESC, id DESC"  # noqa: S608
    return RawSQL(f"{page} LIMIT %s OFFSET %s", [*params, limit, offset])  # noqa: S611


def published_request(number: str) -> PublishedRequest | None:
    rows = list(published_cases().filter(number=number).values(*_REQUEST_COLUMNS)[:1])
    return _published(rows)[0] if rows else None


def _published(rows: list[dict[str, Any]]) -> list[PublishedRequest]:
    places = place_names({row["territory_code"] for row in rows})
    rejected = [
        row["id"]
        for row in rows
        if row["open311__id"] is not None and row["status"] == CaseStatus.REJECTED
    ]
    reasons = _rejection_reasons(rejected) if rejected else {}
    return [_request(row, places, reasons) for row in rows]


def _rejection_reasons(case_ids: list[int]) -> dict[int, str]:
    events = CaseEvent.objects.filter(case_id__in=case_ids, kind=EventKind.REJECT).order_by(
        "created_at", "id"
    )
    return dict(events.values_list("case_id", "note"))


def _released_reply(row: dict[str, Any]) -> str:
    """The reply the reporter may read: once the center released it, or a settlement on the
    spot (the same rule as the residents' tracking page)."""
    if row["reply_approved"] and row["status"] in (CaseStatus.REPLIED, CaseStatus.CLOSED):
        return str(row["reply_text"])
    if row["status"] == CaseStatus.CLOSED and row["resolved_on_spot"]:
        return str(row["reply_text"])
    return ""


def _request(
    row: dict[str, Any], places: dict[str, str], reasons: dict[int, str]
) -> PublishedRequest:
    from_open311 = row["open311__id"] is not None
    return PublishedRequest(
        number=row["number"],
        status=row["status"],
        case_type=row["case_type"],
        category_code=row["category__code"],
        category_name=row["category__name"],
        territory_code=row["territory_code"],
        lead_department=row["lead_department__name"] or "",
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        reply_due_at=row["reply_due_at"],
        from_open311=from_open311,
        description=row["description"] if from_open311 else "",
        address=row["address"] if from_open311 else "",
        address_id=(row["open311__address_id"] or "") if from_open311 else "",
        latitude=row["latitude"] if from_open311 else None,
        longitude=row["longitude"] if from_open311 else None,
        media_url=(row["open311__media_url"] or "") if from_open311 else "",
        reply=_released_reply(row) if from_open311 else "",
        rejection=reasons.get(row["id"], ""),
        place=places.get(row["territory_code"], ""),
    )


def open311_request_for_token(token: str) -> Open311Request | None:
    """The request a token was given for, if its case is still published."""
    try:
        value = uuid.UUID(token)
    except ValueError:
        return None
    return (
        Open311Request.objects.select_related("case")
        .filter(token=value)
        .exclude(case__case_type__in=UNPUBLISHED_TYPES)
        .exclude(case__category_id__in=unpublished_category_ids())
        .first()
    )


# ---------------------------------------------------------------------------------------
# Request updates (the servicerequestupdates extension): the public steps of the timeline

# Steps between staff (returns, requests for more time, warnings, replies under review, sent
# back, the merging case's side) are not updates; a decision on more time is one only when
# it was approved.
PUBLIC_EVENT_KINDS: Final = (
    EventKind.SUBMIT,
    EventKind.ACCEPT,
    EventKind.REJECT,
    EventKind.RESOLVE_ON_SPOT,
    EventKind.ESCALATE,
    EventKind.DISPATCH,
    EventKind.SIGN,
    EventKind.SUPERVISE,
    EventKind.REVIEW_APPROVE,
    EventKind.RATE,
    EventKind.RETURN_VISIT,
    EventKind.REOPEN,
    EventKind.MERGED_INTO,
    EventKind.CLOSE,
)
APPROVED_DECISION_KINDS: Final = (EventKind.HARD_DECISION, EventKind.EXTENSION_DECISION)


@dataclass(frozen=True)
class UpdateQuery:
    numbers: Sequence[str] = ()
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    county: str = ""
    offset: int = 0
    limit: int = 1000


@dataclass(frozen=True)
class PublishedUpdate:
    update_id: int
    number: str
    kind: str
    to_status: str
    created_at: datetime.datetime
    body: str
    department: str
    data: dict[str, Any]
    from_open311: bool
    # The free text of the step, only for a case received through Open311: a rejection's
    # reason, a settlement on the spot, the reply released by the center.
    text: str

    @property
    def is_open(self) -> bool:
        return self.to_status in OPEN_STATUSES


def published_updates(query: UpdateQuery) -> list[PublishedUpdate]:
    """The public steps of published cases, oldest first (a client follows them forward).
    Two queries (three when a page holds replies released on Open311 cases)."""
    public = Q(kind__in=PUBLIC_EVENT_KINDS) | Q(
        kind__in=APPROVED_DECISION_KINDS, data__approved=True
    )
    events = (
        CaseEvent.objects.filter(public)
        .exclude(case__case_type__in=UNPUBLISHED_TYPES)
        .exclude(case__category_id__in=unpublished_category_ids())
    )
    if query.numbers:
        events = events.filter(case__number__in=list(query.numbers))
    if query.start is not None:
        events = events.filter(created_at__gte=query.start)
    if query.end is not None:
        events = events.filter(created_at__lte=query.end)
    if query.county:
        events = events.filter(within("case__territory_code", query.county))
    rows = list(
        events.order_by("created_at", "id").values(
            "id",
            "case_id",
            "case__number",
            "kind",
            "to_status",
            "created_at",
            "actor_body",
            "department__name",
            "data",
            "note",
            "case__open311__id",
        )[query.offset : query.offset + query.limit]
    )
    approved_cases = {
        row["case_id"]
        for row in rows
        if row["kind"] == EventKind.REVIEW_APPROVE and row["case__open311__id"] is not None
    }
    replies = _replies_released(approved_cases) if approved_cases else {}
    return [_update(row, replies) for row in rows]


def _replies_released(case_ids: set[int]) -> dict[int, str]:
    """For each approval of a reply, the text it released: the last reply before it."""
    released: dict[int, str] = {}
    last: dict[int, str] = {}
    events = (
        CaseEvent.objects.filter(
            case_id__in=case_ids, kind__in=[EventKind.REPLY, EventKind.REVIEW_APPROVE]
        )
        .order_by("created_at", "id")
        .values_list("id", "case_id", "kind", "note")
    )
    for pk, case_id, kind, note in events:
        if kind == EventKind.REPLY:
            last[case_id] = note
        else:
            released[pk] = last.get(case_id, "")
    return released


_FREE_TEXT_KINDS: Final = (EventKind.REJECT, EventKind.RESOLVE_ON_SPOT)


def _update(row: Mapping[str, Any], replies: dict[int, str]) -> PublishedUpdate:
    from_open311 = row["case__open311__id"] is not None
    text = ""
    if from_open311:
        if row["kind"] in _FREE_TEXT_KINDS:
            text = row["note"]
        elif row["kind"] == EventKind.REVIEW_APPROVE:
            text = replies.get(row["id"], "")
    return PublishedUpdate(
        update_id=row["id"],
        number=row["case__number"],
        kind=row["kind"],
        to_status=row["to_status"],
        created_at=row["created_at"],
        body=row["actor_body"],
        department=row["department__name"] or "",
        data=row["data"] or {},
        from_open311=from_open311,
        text=text,
    )
