"""Scoped reads of doorplates: coverage of an area, a household's plates, print jobs.

Counts under an area take one query per model, grouped by the child's code prefix, never one
query per child (see fengqiao.territory.selectors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.db.models.functions import Substr

from fengqiao.core.codes import SIGNIFICANT_DIGITS, within
from fengqiao.doorplates.models import Doorplate
from fengqiao.territory.choices import AreaLevel
from fengqiao.territory.models import Area, Household

PRINTABLE_LEVELS = (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE)


@dataclass(frozen=True)
class Coverage:
    """How many households of an area have a working plate."""

    area: Area | None
    households: int
    with_plate: int

    @property
    def without_plate(self) -> int:
        return max(0, self.households - self.with_plate)

    @property
    def percent(self) -> int:
        return round(100 * self.with_plate / self.households) if self.households else 0


def printable_areas(*, user: Any) -> QuerySet[Area]:
    """The current villages and townships the user can see (the service checks the role)."""
    return Area.objects.visible_to(user).filter(valid_to__isnull=True, level__in=PRINTABLE_LEVELS)


def _working(code: str) -> QuerySet[Doorplate]:
    return Doorplate.objects.filter(within("household__territory_code", code)).filter(
        revoked_at__isnull=True
    )


def coverage(*, area: Area) -> Coverage:
    return Coverage(
        area=area,
        households=Household.objects.within(area.territory_code).count(),
        with_plate=_working(area.territory_code).count(),
    )


def child_coverage(*, user: Any, area: Area | None) -> list[Coverage]:
    """Coverage of each area one level under ``area`` (townships under a county, villages
    under a township; for ``None``, the townships of the user's scope). Two grouped
    queries."""
    prefix = area.territory_code if area is not None else ""
    children = printable_areas(user=user)
    if area is None or area.level != AreaLevel.TOWNSHIP:
        children = children.filter(level=AreaLevel.TOWNSHIP)
        digits = SIGNIFICANT_DIGITS["township"]
    else:
        children = children.filter(level=AreaLevel.VILLAGE)
        digits = SIGNIFICANT_DIGITS["village"]
    if prefix:
        children = children.filter(within("territory_code", prefix))
    child_list = list(children.order_by("territory_code"))
    if not child_list:
        return []
    households = Household.objects.within(prefix) if prefix else Household.objects.all()
    household_counts = dict(
        households.annotate(child=Substr("territory_code", 1, digits))
        .values("child")
        .annotate(n=Count("id"))
        .values_list("child", "n")
    )
    plate_counts = dict(
        _working(prefix)
        .annotate(child=Substr("household__territory_code", 1, digits))
        .values("child")
        .annotate(n=Count("id"))
        .values_list("child", "n")
    )
    return [
        Coverage(
            area=child,
            households=household_counts.get(child.territory_code, 0),
            with_plate=plate_counts.get(child.territory_code, 0),
        )
        for child in child_list
    ]


def area_households(*, area: Area) -> QuerySet[Household]:
    """The households of an area with ``has_plate``, in print order."""
    working = Doorplate.objects.filter(household=OuterRef("pk"), revoked_at__isnull=True)
    return (
        Household.objects.within(area.territory_code)
        .select_related("grid")
        .annotate(has_plate=Exists(working))
        .order_by("territory_code", "address", "building", "entrance", "room", "id")
    )


def household_plates(*, household: Household) -> QuerySet[Doorplate]:
    """Every plate the household has had, newest first (the token is never read here)."""
    return (
        Doorplate.objects.filter(household=household)
        .select_related("issued_by")
        .order_by("-issued_at", "-id")
        .defer("token_sealed")
    )
