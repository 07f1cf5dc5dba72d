from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fengqiao.cases.models import Category, RoutingRule
from fengqiao.cases.routing import invalidate_routing
from fengqiao.conftest import World
from fengqiao.org.models import Department

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Wednesday morning in an ordinary week of 2026 (the holiday schedule is known).
MONDAY_0900 = datetime.datetime(2026, 6, 8, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> Iterator[Any]:
    """Time stands at Monday 2026-06-08 09:00 Shanghai; tests move it with ``clock.move_to``."""
    with time_machine.travel(MONDAY_0900, tick=False) as traveller:
        yield traveller


@pytest.fixture
def police(world: World) -> Department:
    return Department.objects.get(name="双堰街道派出所")


@pytest.fixture
def noise(db: Any) -> Category:
    return Category.objects.get(code="noise")


@pytest.fixture
def noise_rule(police: Department, noise: Category, world: World) -> Iterator[RoutingRule]:
    rule = RoutingRule.objects.create(
        category=Category.objects.get(code="public_security"),
        territory_code=world.a.area.territory_code,
        department=police,
    )
    invalidate_routing()
    yield rule
    invalidate_routing()


@pytest.fixture(autouse=True)
def _fresh_routing_cache() -> Iterator[None]:
    invalidate_routing()
    yield
    invalidate_routing()
