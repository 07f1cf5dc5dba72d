"""Shared set-up of the bulletin tests: a fixed clock, a publish helper, a center leader."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fengqiao.bulletins.choices import BulletinKind, BulletinUrgency
from fengqiao.bulletins.models import Bulletin
from fengqiao.bulletins.services import bulletin_publish
from fengqiao.conftest import PASSWORD, World
from fengqiao.org.choices import DepartmentKind, Role
from fengqiao.org.models import User
from fengqiao.org.services import department_create, staff_create

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 6, 8, 9, 0, tzinfo=SHANGHAI)
DAY = datetime.timedelta(days=1)


@pytest.fixture
def clock() -> Iterator[Any]:
    """Time stands at Monday 2026-06-08 09:00 Shanghai; tests move it with ``clock.move_to``."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def publish(actor: User, territory_code: str, **overrides: Any) -> Bulletin:
    """A bulletin through the service: an anti-fraud notice in force for a week from NOW."""
    values: dict[str, Any] = {
        "kind": BulletinKind.ANTI_FRAUD,
        "urgency": BulletinUrgency.NORMAL,
        "title": "警惕刷单返利诈骗",
        "body": "凡是刷单都是诈骗，切勿轻信。",
        "territory_code": territory_code,
        "valid_from": NOW,
        "valid_until": NOW + 7 * DAY,
        "now": NOW,
    }
    values.update(overrides)
    return bulletin_publish(actor=actor, **values)


@pytest.fixture
def center_leader(world: World) -> User:
    """The leader of township A's comprehensive governance center (a department account)."""
    center = department_create(
        name="双堰街道综治中心",
        kind=DepartmentKind.GOVERNANCE_CENTER,
        territory_code=world.a.area.territory_code,
    )
    return staff_create(
        username="centerleader1",
        password=PASSWORD,
        full_name="双堰街道综治中心主任",
        role=Role.DEPARTMENT_LEADER,
        department=center,
    )
