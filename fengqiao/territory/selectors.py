"""Scoped reads of the territory: every function takes the acting user and reads through
``visible_to``, so what lies outside the user's scope is simply absent (a detail view then
answers 404 as for a missing row).

Counts under an area take one query per model, never one per child: "everything under X" is
a range on the indexed ``territory_code`` (core.codes), and the ranges of all children are
counted together.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeVar, overload

from django.db.models import CharField, Count, Prefetch, Q, QuerySet, Value
from django.urls import reverse
from django.utils import timezone

from fengqiao.core.codes import GRID_CODE_LENGTH, SIGNIFICANT_DIGITS, ancestors
from fengqiao.core.idnumbers import check_character
from fengqiao.core.privacy import lookup_digest, mask, normalize
from fengqiao.core.scoping import TerritoryScopedQuerySet
from fengqiao.org.choices import Role
from fengqiao.org.models import User
from fengqiao.territory.choices import AreaLevel
from fengqiao.territory.models import (
    Area,
    Grid,
    GridPartyGroup,
    Household,
    HouseholdUnit,
    Person,
    PersonTag,
)

SEARCH_LIMIT = 50

_ID_NUMBER_18 = re.compile(r"^\d{17}[\dX]$")
_ID_NUMBER_15 = re.compile(r"^\d{15}$")
_PHONE_INPUT = re.compile(r"^[\d\s+\-()]+$")
_MOBILE = re.compile(r"^1\d{10}$")


# --- Detail lookups: scoped querysets for get_object_or_404 ---------------------------------


def current_areas(*, user: User) -> TerritoryScopedQuerySet[Area]:
    """Areas the user may open, today's rows only (a code's retired rows stay for history)."""
    return Area.objects.visible_to(user).filter(valid_to__isnull=True)


def grids(*, user: User) -> TerritoryScopedQuerySet[Grid]:
    return Grid.objects.visible_to(user).select_related("village", "party_group")


def units(*, user: User) -> TerritoryScopedQuerySet[HouseholdUnit]:
    return HouseholdUnit.objects.visible_to(user).select_related("grid__village", "head")


def households(*, user: User) -> TerritoryScopedQuerySet[Household]:
    return Household.objects.visible_to(user).select_related("grid__village", "unit__head")


def persons(*, user: User) -> TerritoryScopedQuerySet[Person]:
    return Person.objects.visible_to(user)


# --- Breadcrumbs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Crumb:
    """One step of the path from the province down; ``url`` is None above the user's scope."""

    name: str
    url: str | None


def breadcrumb(
    *, user: User, code: str, grid: Grid | None = None, unit: HouseholdUnit | None = None
) -> list[Crumb]:
    """The territories above ``code``, linked where they lie within the user's scope.

    The names of the divisions above the user's scope are read without scoping on purpose:
    they are the published official division names (统计用区划代码) and only say where the
    page sits; nothing under them becomes reachable, as they are not linked.
    """
    codes = ancestors(code)
    names = dict(
        Area.objects.filter(
            territory_code__in=[c for c in codes if len(c) <= SIGNIFICANT_DIGITS["village"]],
            valid_to__isnull=True,
        ).values_list("territory_code", "name")
    )
    crumbs = []
    for ancestor in codes:
        if ancestor in names:
            url = reverse("territory:area", args=[ancestor])
            crumbs.append(Crumb(names[ancestor], url if user.covers(ancestor) else None))
        elif grid is not None and ancestor == grid.code:
            url = reverse("territory:grid", args=[grid.code])
            crumbs.append(Crumb(grid.name, url if user.covers(grid.code) else None))
        elif unit is not None and ancestor == unit.code:
            url = reverse("territory:unit", args=[unit.code])
            crumbs.append(Crumb(unit.name, url if user.covers(unit.code) else None))
    return crumbs


# --- Areas ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaSummary:
    """A child area with what lies under it."""

    area: Area
    grid_count: int
    household_count: int


@dataclass(frozen=True)
class GridSummary:
    grid: Grid
    unit_count: int
    household_count: int


# SQLite allows at most 500 terms in one compound SELECT.
_UNION_CHUNK = 400


def _counts_under(
    queryset: TerritoryScopedQuerySet[Household]
    | TerritoryScopedQuerySet[Grid]
    | TerritoryScopedQuerySet[HouseholdUnit],
    codes: list[str],
) -> dict[str, int]:
    """How many rows lie under each of ``codes``: one UNION ALL of range counts.

    Each part is an index range count (index-only on PostgreSQL), so the query steps once
    over the index entries under the parent. Grouping by a prefix of the code instead reads
    and hashes every row: over a county's 230,000 households that measured three to four
    times slower. One query per 400 children, i.e. one for any real division.
    """
    counts: dict[str, int] = {}
    for start in range(0, len(codes), _UNION_CHUNK):
        parts = [
            queryset.within(code)
            .order_by()
            .annotate(prefix=Value(code, output_field=CharField()))
            .values("prefix")
            .annotate(n=Count("id"))
            for code in codes[start : start + _UNION_CHUNK]
        ]
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        counts.update((row["prefix"], row["n"]) for row in rows)
    return counts


def child_areas(*, user: User, area: Area | None) -> list[AreaSummary]:
    """The current areas directly under ``area`` (the top-level ones for ``None``), each with
    its grid and household counts, in three queries whatever the number of children."""
    children = current_areas(user=user)
    if area is None:
        children = children.filter(parent__isnull=True)
    else:
        children = children.filter(parent=area)
    listed = list(children)
    codes = [child.territory_code for child in listed]
    grid_counts = _counts_under(Grid.objects.visible_to(user), codes)
    household_counts = _counts_under(Household.objects.visible_to(user), codes)
    return [
        AreaSummary(
            area=child,
            grid_count=grid_counts.get(child.territory_code, 0),
            household_count=household_counts.get(child.territory_code, 0),
        )
        for child in listed
    ]


def village_grids(*, user: User, village: Area) -> list[GridSummary]:
    """The grids of a village or community with their unit and household counts."""
    listed = list(
        Grid.objects.visible_to(user)
        .within(village.territory_code)
        .select_related("party_group")
        .order_by("territory_code")
    )
    codes = [grid.code for grid in listed]
    units = _counts_under(HouseholdUnit.objects.visible_to(user), codes)
    households = _counts_under(Household.objects.visible_to(user), codes)
    return [
        GridSummary(
            grid=grid,
            unit_count=units.get(grid.code, 0),
            household_count=households.get(grid.code, 0),
        )
        for grid in listed
    ]


def village_party_groups(*, user: User, village: Area) -> QuerySet[GridPartyGroup]:
    return GridPartyGroup.objects.visible_to(user).filter(area=village)


def filter_grids(*, user: User, area: Area) -> QuerySet[Grid]:
    """Grids offered by the household list's grid filter: only for a township (up to a few
    hundred, grouped by village in the menu) or a village; above a township the user
    narrows by opening a child area instead."""
    if area.level not in {AreaLevel.TOWNSHIP, AreaLevel.VILLAGE}:
        return Grid.objects.none()
    return (
        Grid.objects.visible_to(user)
        .within(area.territory_code)
        .select_related("village")
        .order_by("territory_code")
    )


# --- Households -----------------------------------------------------------------------------


def household_list(*, user: User, under: str, text: str = "") -> QuerySet[Household]:
    """Households under a territory code for a list page, in (territory_code, id) order: the
    order of the household index, so a page is an index range walk and the count an index
    range count. Grid and unit come in the same query."""
    queryset = (
        Household.objects.visible_to(user)
        .within(under)
        .select_related("grid", "unit")
        .order_by("territory_code", "id")
    )
    if text:
        queryset = queryset.filter(address__icontains=text)
    return queryset


class HouseholdPages:
    """What a Paginator pages through for a household list: a count and page slices.

    A page is read in two steps (a "deferred join"): the ids of the page first, from the
    (territory_code, id) index alone, then those 50 rows with their grid and unit. An
    OFFSET deep into a county's 230,000 households then steps over index entries only
    (about 70 ms for the very last page on PostgreSQL, an index-only scan) instead of
    fetching and joining every row it skips (several hundred ms).
    """

    def __init__(self, households: QuerySet[Household]) -> None:
        self.households = households

    def count(self) -> int:
        return self.households.count()

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator[Household]:
        return iter(self.households)

    @overload
    def __getitem__(self, index: int) -> Household: ...

    @overload
    def __getitem__(self, index: slice) -> list[Household]: ...

    def __getitem__(self, index: int | slice) -> Household | list[Household]:
        if isinstance(index, int):
            found = self[index : index + 1]
            if not found:
                raise IndexError(index)
            return found[0]
        ids = list(self.households.values_list("pk", flat=True)[index])
        if not ids:
            return []
        # Still through the scoped queryset: the second step reads nothing the first did not.
        rows = {row.pk: row for row in self.households.filter(pk__in=ids)}
        return [rows[pk] for pk in ids if pk in rows]


def grid_workers(*, grid: Grid) -> QuerySet[User]:
    """The grid workers of a grid the caller has already found through ``visible_to``.

    This reads accounts without ``User.objects.visible_to``: that method governs account
    management, whereas who works a grid is part of the grid itself (it is posted on the
    grid's public notice board, 网格员公示牌), so whoever may see the grid sees them.
    """
    return User.objects.filter(
        role=Role.GRID_WORKER, scope_code=grid.code, is_active=True
    ).order_by("full_name", "username")


def grid_units(*, user: User, grid: Grid) -> QuerySet[HouseholdUnit]:
    return (
        HouseholdUnit.objects.visible_to(user)
        .within(grid.code)
        .select_related("head")
        .order_by("territory_code")
    )


@dataclass(frozen=True)
class MemberRow:
    """A household member as the household file shows them."""

    person: Person
    age: int | None
    tags: list[PersonTag] = field(default_factory=list)


def age_on(birth_date: datetime.date | None, today: datetime.date) -> int | None:
    """Age in whole years on ``today``."""
    if birth_date is None:
        return None
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def household_members(*, user: User, household: Household) -> list[MemberRow]:
    """The members of a household with their tags. Sensitive tags are not even loaded for a
    user without ``org.view_sensitive_tags``, so no template can show them by mistake."""
    tags = PersonTag.objects.all()
    if not user.has_perm("org.view_sensitive_tags"):
        tags = tags.filter(sensitive=False)
    members = (
        Person.objects.visible_to(user)
        .filter(household=household)
        .prefetch_related(Prefetch("tags", queryset=tags))
        .order_by("id")
    )
    today = timezone.localdate()
    return [
        MemberRow(person=person, age=age_on(person.birth_date, today), tags=list(person.tags.all()))
        for person in members
    ]


# --- Search ---------------------------------------------------------------------------------

SearchKind = Literal["text", "id_number", "phone"]
_Row = TypeVar("_Row", Person, Household)


@dataclass(frozen=True)
class SearchResults:
    """What a search found; ``shown_query`` is the query as the page may print it (an ID
    number or phone is masked: the search for one is itself sensitive)."""

    kind: SearchKind
    shown_query: str
    persons: list[Person]
    households: list[Household]
    truncated: bool


def upgrade_id_number(old: str) -> str:
    """The 18-character form of a 15-digit first-generation ID number (GB 11643-1999): the
    century ``19`` goes before the birth year and a check character is appended."""
    first17 = old[:6] + "19" + old[6:]
    return first17 + check_character(first17)


def search_kind(query: str) -> SearchKind:
    """An ID number and a mobile number are matched exactly; anything else is text."""
    if _ID_NUMBER_18.match(normalize(query, "id_number")) or _ID_NUMBER_15.match(
        normalize(query, "id_number")
    ):
        return "id_number"
    if _PHONE_INPUT.match(query) and _MOBILE.match(normalize(query, "phone")):
        return "phone"
    return "text"


def _first(queryset: QuerySet[_Row], limit: int) -> tuple[list[_Row], bool]:
    """The first ``limit`` rows and whether there were more (one query: limit + 1)."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def search(*, user: User, query: str, limit: int | None = None) -> SearchResults:
    """Persons and households matching ``query`` within the user's scope, at most ``limit``
    of each.

    An ID number or mobile number is found exactly through its keyed hash (the stored values
    are encrypted, so there is no "contains" on them); a name, head of household or doorplate
    by "contains".
    """
    limit = limit or SEARCH_LIMIT
    query = query.strip()
    kind = search_kind(query)
    scoped_persons = (
        Person.objects.visible_to(user)
        .select_related("household__grid")
        .order_by("territory_code", "id")
    )
    if kind == "id_number":
        number = normalize(query, "id_number")
        candidates: Iterable[str] = (
            [number, upgrade_id_number(number)] if len(number) == 15 else [number]
        )
        digests = [lookup_digest(value, "id_number") for value in candidates]
        found, more = _first(scoped_persons.filter(id_number_digest__in=digests), limit)
        return SearchResults(kind, mask(number, "id_number"), found, [], more)
    if kind == "phone":
        found, more = _first(
            scoped_persons.filter(phone_digest=lookup_digest(query, "phone")), limit
        )
        return SearchResults(kind, mask(normalize(query, "phone"), "phone"), found, [], more)
    # Names are matched with a plain (case-sensitive) LIKE: Chinese has no case, and on
    # PostgreSQL ILIKE/UPPER costs half again as much on a county's 760,000 people.
    found, more_persons = _first(scoped_persons.filter(name__contains=query), limit)
    homes, more_households = _first(
        Household.objects.visible_to(user)
        .filter(Q(head_name__contains=query) | Q(address__icontains=query))
        .select_related("grid")
        .order_by("territory_code", "id"),
        limit,
    )
    return SearchResults(kind, query, found, homes, more_persons or more_households)


def scope_target(user: User) -> tuple[str, str] | None:
    """Where the user's territory starts: ('area'|'grid'|'unit', code), ('top', '') for the
    whole system, or None for a user without a territory (department staff)."""
    prefix = user.territory_prefix()
    if prefix is None:
        return None
    if not prefix:
        return ("top", "")
    if len(prefix) <= SIGNIFICANT_DIGITS["village"]:
        return ("area", prefix)
    if len(prefix) == GRID_CODE_LENGTH:
        return ("grid", prefix)
    return ("unit", prefix)
