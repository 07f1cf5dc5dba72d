"""Reads of bulletins.

``bulletins_for_territory`` serves residents (no account): what is in force for a household.
The others serve staff and always start from ``Bulletin.objects.visible_to(user)``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from fengqiao.bulletins.choices import BulletinState, BulletinUrgency
from fengqiao.bulletins.models import Bulletin, BulletinEvent
from fengqiao.bulletins.scoping import publisher_prefix
from fengqiao.core.codes import GRID_CODE_LENGTH, UNIT_CODE_LENGTH, within
from fengqiao.territory.choices import AreaLevel
from fengqiao.territory.models import Area

RESIDENT_LIMIT = 20
# The lengths a bulletin's target can have, plus a ten-household unit's (a household's code
# may be one): the ancestors-or-self of a code are its prefixes of these lengths.
_TARGET_LENGTHS = (6, 9, 12, GRID_CODE_LENGTH, UNIT_CODE_LENGTH)

# Urgent first. Spelled out rather than relying on how the stored values happen to sort.
PINNED_FIRST = Case(
    When(urgency=BulletinUrgency.URGENT, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)


def in_force_q(now: datetime.datetime) -> Q:
    return Q(withdrawn_at__isnull=True, valid_from__lte=now, valid_until__gt=now)


def state_q(state: BulletinState | str, now: datetime.datetime) -> Q:
    """The bulletins in ``state`` at ``now``: the same rule as ``Bulletin.state_at``."""
    if state == BulletinState.WITHDRAWN:
        return Q(withdrawn_at__isnull=False)
    if state == BulletinState.SCHEDULED:
        return Q(withdrawn_at__isnull=True, valid_from__gt=now)
    if state == BulletinState.IN_FORCE:
        return in_force_q(now)
    if state == BulletinState.EXPIRED:
        return Q(withdrawn_at__isnull=True, valid_until__lte=now)
    raise ValueError(state)


def bulletins_for_territory(
    territory_code: str, *, now: datetime.datetime | None = None
) -> list[Bulletin]:
    """The bulletins in force at ``now`` for a household (or any place) with this code.

    A bulletin reaches the code when its target is an ancestor of the code or the code itself
    (a bulletin to township 520523107 reaches every household code starting with it). Urgent
    ones first (pinned), then the newest first; at most 20. One query, answered from the
    partial index ``bulletin_reach``: ``territory_code IN (the code's prefixes)`` and
    ``valid_until > now`` among the rows not withdrawn.

    Residents have no account, so this reads without a user: the caller has already found the
    household from its doorplate token.
    """
    now = now or timezone.now()
    if not territory_code.isdigit():
        return []
    codes = [territory_code[:n] for n in _TARGET_LENGTHS if n <= len(territory_code)]
    if not codes:
        return []
    return list(
        Bulletin.objects.filter(in_force_q(now), territory_code__in=codes).order_by(
            PINNED_FIRST, "-valid_from", "-id"
        )[:RESIDENT_LIMIT]
    )


# --- Staff ------------------------------------------------------------------------------------


def search_bulletins(
    user: Any,
    *,
    now: datetime.datetime,
    state: str = "",
    kind: str = "",
    urgency: str = "",
    territory: str = "",
    text: str = "",
) -> QuerySet[Bulletin]:
    """The bulletins the user may see, narrowed by the list's filters; newest first."""
    bulletins = Bulletin.objects.visible_to(user)
    if state:
        bulletins = bulletins.filter(state_q(state, now))
    if kind:
        bulletins = bulletins.filter(kind=kind)
    if urgency:
        bulletins = bulletins.filter(urgency=urgency)
    if territory:
        bulletins = bulletins.filter(within("territory_code", territory))
    if text:
        bulletins = bulletins.filter(Q(title__icontains=text) | Q(body__icontains=text))
    return bulletins.select_related("created_by").order_by("-valid_from", "-id")


def bulletin_for_page(user: Any, pk: int) -> Bulletin | None:
    return Bulletin.objects.visible_to(user).select_related("created_by").filter(pk=pk).first()


def bulletin_history(bulletin: Bulletin) -> QuerySet[BulletinEvent]:
    return bulletin.events.select_related("actor").order_by("created_at", "id")


def target_options(user: Any, *, limit: int = 600) -> list[tuple[str, str]]:
    """Places a publisher may aim at, for the form's suggestions: the areas (county, township,
    village) under their publishing scope, by code. Grids are typed by code (a county has
    thousands). One query."""
    prefix = publisher_prefix(user)
    if prefix is None:
        return []
    areas = (
        Area.objects.filter(within("territory_code", prefix), valid_to__isnull=True)
        .exclude(level__in=[AreaLevel.PROVINCE, AreaLevel.CITY])
        .order_by("territory_code")
        .values_list("territory_code", "name")[:limit]
    )
    return list(areas)
