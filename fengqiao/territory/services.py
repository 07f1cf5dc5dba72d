"""Writers of territory state. Each is keyword-only, validates with ``full_clean()`` and runs
in one transaction. Bulk loading (roster import, demo seeding) has its own services in
``roster.py`` and ``seeding.py`` that keep the same invariants.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.services import audit_record
from fengqiao.core.codes import GRID_SUFFIX_DIGITS, UNIT_SUFFIX_DIGITS, prefix_of
from fengqiao.core.idnumbers import birth_date_of, sex_of, validate_citizen_id
from fengqiao.core.privacy import Sensitive
from fengqiao.territory.choices import LEVEL_ORDER, AreaKind, AreaLevel, Relation
from fengqiao.territory.models import (
    Area,
    Grid,
    GridPartyGroup,
    Household,
    HouseholdUnit,
    Person,
    PersonTag,
)


@transaction.atomic
def area_create(
    *,
    code: str,
    name: str,
    level: AreaLevel,
    kind: AreaKind,
    parent: Area | None,
    valid_from: datetime.date,
) -> Area:
    """Add a division under its parent; the code must extend the parent's territory code."""
    if parent is not None:
        if LEVEL_ORDER.index(AreaLevel(parent.level)) + 1 != LEVEL_ORDER.index(level):
            raise ValidationError(
                _("A %(level)s must sit directly under the level above it."),
                params={"level": level.label},
            )
        if not code.startswith(parent.territory_code):
            raise ValidationError(
                _("Code %(code)s does not lie under %(parent)s (%(prefix)s)."),
                params={"code": code, "parent": parent.name, "prefix": parent.territory_code},
            )
    area = Area(
        code=code,
        name=name,
        level=level,
        kind=kind,
        parent=parent,
        valid_from=valid_from,
        territory_code=prefix_of(code, level),
    )
    area.full_clean()
    area.save()
    return area


@transaction.atomic
def party_group_create(*, area: Area, name: str, leader_name: str = "") -> GridPartyGroup:
    group = GridPartyGroup(
        area=area, name=name, leader_name=leader_name, territory_code=area.territory_code
    )
    group.full_clean()
    group.save()
    return group


@transaction.atomic
def grid_create(
    *, village: Area, number: int, name: str, party_group: GridPartyGroup | None = None
) -> Grid:
    """Add grid ``number`` (1–999) to a village or community: code = village code + number."""
    if village.level != AreaLevel.VILLAGE:
        raise ValidationError(
            _("A grid belongs to a village or community, never directly to a township.")
        )
    if not 1 <= number < 10**GRID_SUFFIX_DIGITS:
        raise ValidationError(_("A grid number runs from 1 to 999."))
    code = village.territory_code + str(number).zfill(GRID_SUFFIX_DIGITS)
    grid = Grid(code=code, name=name, village=village, party_group=party_group, territory_code=code)
    grid.full_clean()
    grid.save()
    return grid


@transaction.atomic
def unit_create(*, grid: Grid, number: int, name: str) -> HouseholdUnit:
    if not 1 <= number < 10**UNIT_SUFFIX_DIGITS:
        raise ValidationError(_("A ten-household unit number runs from 1 to 999."))
    code = grid.code + str(number).zfill(UNIT_SUFFIX_DIGITS)
    unit = HouseholdUnit(code=code, name=name, grid=grid, territory_code=code)
    unit.full_clean()
    unit.save()
    return unit


@transaction.atomic
def household_create(
    *,
    grid: Grid,
    address: str,
    unit: HouseholdUnit | None = None,
    building: str = "",
    entrance: str = "",
    room: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Household:
    if unit is not None and unit.grid_id != grid.pk:
        raise ValidationError(_("The ten-household unit belongs to another grid."))
    household = Household(
        grid=grid,
        unit=unit,
        territory_code=unit.code if unit is not None else grid.code,
        address=address,
        building=building,
        entrance=entrance,
        room=room,
        latitude=latitude,
        longitude=longitude,
    )
    household.full_clean()
    household.save()
    return household


@transaction.atomic
def person_create(
    *,
    household: Household,
    name: str,
    id_number: str,
    phone: str = "",
    relation: Relation = Relation.OTHER,
    ethnicity: str = "汉族",
    tags: list[PersonTag] | None = None,
) -> Person:
    """Add a member; sex and birth date come from the (validated) ID number."""
    number = validate_citizen_id(id_number)
    person = Person(
        household=household,
        territory_code=household.territory_code,
        name=name,
        sex=sex_of(number),
        birth_date=birth_date_of(number),
        ethnicity=ethnicity,
        relation=relation,
    )
    person.set_id_number(number)
    person.set_phone(phone)
    person.full_clean(exclude=["id_number", "phone"])
    if Person.objects.filter(id_number_digest=person.id_number_digest).exists():
        raise ValidationError(_("A person with this ID number is already registered."))
    person.save()
    if tags:
        person.tags.set(tags)
    household_refresh_summary(household=household)
    return person


def household_refresh_summary(*, household: Household) -> None:
    """Keep the household's head name and member count (shown in lists) in step."""
    members = list(household.members.values_list("name", "relation"))
    household.member_count = len(members)
    household.head_name = next((n for n, r in members if r == Relation.HEAD), "")
    household.save(update_fields=["member_count", "head_name", "updated_at"])


@transaction.atomic
def unit_set_head(*, unit: HouseholdUnit, person: Person) -> None:
    if person.household.unit_id != unit.pk:
        raise ValidationError(_("The unit head must live in a household of the unit."))
    unit.head = person
    unit.save(update_fields=["head"])


def person_unmask(*, person: Person, field: str, actor: Any, request: HttpRequest | None) -> str:
    """The full ID number or phone of a person, for a user allowed to see it; audited.

    The caller must have found ``person`` through ``Person.objects.visible_to(actor)``.
    """
    if field not in {"id_number", "phone"}:
        raise ValueError(f"not a personal field: {field}")
    if not actor.has_perm("org.unmask_personal"):
        raise PermissionDenied(_("You may not see full ID numbers or phone numbers."))
    audit_record(
        action=AuditAction.UNMASK,
        actor=actor,
        target=person,
        request=request,
        detail={"field": field},
    )
    value: Sensitive = getattr(person, field)
    return value.reveal()
