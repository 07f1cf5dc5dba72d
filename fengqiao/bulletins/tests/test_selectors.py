"""What a household sees: the bulletins in force aimed at its territory or above it, urgent
ones first, newest next, at most 20, in one indexed query."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengqiao.bulletins.choices import BulletinUrgency
from fengqiao.bulletins.selectors import RESIDENT_LIMIT, bulletins_for_territory
from fengqiao.bulletins.services import bulletin_withdraw
from fengqiao.bulletins.tests.conftest import DAY, NOW, publish
from fengqiao.conftest import World

pytestmark = pytest.mark.django_db


def titles(code: str, **kwargs: Any) -> list[str]:
    return [b.title for b in bulletins_for_territory(code, **kwargs)]


def test_reaches_every_household_under_the_target_and_no_other(world: World) -> None:
    operator = world.a.users["township_operator"]
    publish(operator, world.a.area.territory_code, title="to township A")
    publish(operator, world.a.grid.code, title="to grid 1 of A")
    publish(world.b.users["township_operator"], world.b.area.territory_code, title="to B")
    publish(world.county_operator, world.county.territory_code, title="to the county")

    in_unit = world.a.household.territory_code  # 18 digits: the household is in a unit
    assert len(in_unit) == 18
    assert sorted(titles(in_unit, now=NOW)) == ["to grid 1 of A", "to the county", "to township A"]
    # The household of the other grid: the grid's bulletin does not reach it.
    assert sorted(titles(world.a.other_grid_household.territory_code, now=NOW)) == [
        "to the county",
        "to township A",
    ]
    assert sorted(titles(world.b.household.territory_code, now=NOW)) == ["to B", "to the county"]


def test_only_what_is_in_force_now(world: World) -> None:
    operator = world.a.users["township_operator"]
    code = world.a.area.territory_code
    publish(operator, code, title="now")
    publish(operator, code, title="later", valid_from=NOW + 2 * DAY, valid_until=NOW + 5 * DAY)
    withdrawn = publish(operator, code, title="withdrawn")
    bulletin_withdraw(bulletin=withdrawn, actor=operator, reason="内容有误", now=NOW)
    household = world.a.household.territory_code

    assert titles(household, now=NOW) == ["now"]
    assert titles(household, now=NOW + 3 * DAY) == ["later", "now"]
    # The end is exclusive: at the stroke of valid_until it is gone.
    assert titles(household, now=NOW + 7 * DAY) == []
    assert titles(household, now=NOW - DAY) == []


def test_urgent_pinned_first_then_newest(world: World) -> None:
    operator = world.a.users["township_operator"]
    code = world.a.area.territory_code
    publish(operator, code, title="old normal", valid_from=NOW)
    publish(operator, code, title="new normal", valid_from=NOW + DAY)
    publish(operator, code, title="old urgent", valid_from=NOW, urgency=BulletinUrgency.URGENT)
    publish(operator, world.a.grid.code, title="newest normal", valid_from=NOW + 2 * DAY)

    found = bulletins_for_territory(world.a.household.territory_code, now=NOW + 3 * DAY)
    assert [b.title for b in found] == ["old urgent", "newest normal", "new normal", "old normal"]
    assert [b.is_pinned for b in found] == [True, False, False, False]


def test_at_most_twenty(world: World) -> None:
    operator = world.a.users["township_operator"]
    for n in range(RESIDENT_LIMIT + 3):
        hours_later = NOW + datetime.timedelta(hours=n)
        publish(operator, world.a.area.territory_code, title=f"#{n}", valid_from=hours_later)
    found = titles(world.a.household.territory_code, now=NOW + DAY)
    assert len(found) == RESIDENT_LIMIT
    assert found[0] == f"#{RESIDENT_LIMIT + 2}"  # the newest


def test_one_query_and_nothing_for_a_code_that_is_no_code(world: World) -> None:
    publish(world.a.users["township_operator"], world.a.area.territory_code)
    with CaptureQueriesContext(connection) as queries:
        found = bulletins_for_territory(world.a.household.territory_code, now=NOW)
    assert len(found) == 1
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert bulletins_for_territory("", now=NOW) == []
        assert bulletins_for_territory("5205", now=NOW) == []
        assert bulletins_for_territory("520524001' OR 1=1", now=NOW) == []
    assert len(queries) == 0


def test_the_query_uses_the_reach_index(world: World) -> None:
    """On SQLite the planner's choice can be read from EXPLAIN QUERY PLAN: the lookup must use
    the partial index, not scan the table. (PostgreSQL picks a sequential scan on a table of
    a few rows, so there the plan says nothing about a county's table.)"""
    if connection.vendor != "sqlite":
        pytest.skip("the plan of a tiny table on PostgreSQL is not the plan of a large one")
    publish(world.a.users["township_operator"], world.a.area.territory_code)
    with CaptureQueriesContext(connection) as queries:
        bulletins_for_territory(world.a.household.territory_code, now=NOW)
    sql = queries.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "bulletin_reach" in plan, plan
    assert "SCAN bulletins_bulletin" not in plan, plan
