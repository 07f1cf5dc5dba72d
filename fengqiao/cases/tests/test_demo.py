"""The demo loader: cases in every state of the loop, on every workbench, idempotent."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from fengqiao.cases.choices import (
    CaseStatus,
    Channel,
    EventKind,
    Rating,
    RequestKind,
    RequestStatus,
)
from fengqiao.cases.demo import load_demo
from fengqiao.cases.models import Case, CaseEvent, CaseRequest, RoutingRule, SupervisionNotice
from fengqiao.cases.selectors import (
    center_worklists,
    department_worklists,
    grid_worklists,
    pending_requests,
)
from fengqiao.conftest import World
from fengqiao.stats.metrics import Period, case_figures

pytestmark = pytest.mark.usefixtures("clock")


def _sizes(worklists: Any) -> dict[str, int]:
    return {w.key: w.cases.count() for w in worklists}


@pytest.fixture
def loaded(world: World) -> int:
    return load_demo(
        township_code=world.a.area.territory_code, actor=world.a.users["township_operator"]
    )


def test_the_demo_is_loaded_once_with_work_on_every_workbench(world: World, loaded: int) -> None:
    code = world.a.area.territory_code
    cases = Case.objects.filter(territory_code__startswith=code)
    assert 150 <= loaded == cases.count() <= 300
    events = CaseEvent.objects.count()

    assert load_demo(township_code=code, actor=world.a.users["township_operator"]) == 0
    assert load_demo(township_code=code, actor=None) == 0

    assert cases.count() == loaded
    assert CaseEvent.objects.count() == events
    assert not cases.exclude(idempotency_key__startswith=f"demo:{code}:").exists()
    assert not Case.objects.filter(territory_code__startswith=world.b.area.territory_code).exists()

    # Every workbench has work.
    users = world.a.users

    township = _sizes(center_worklists(users["township_operator"]))
    for queue in ("to_accept", "to_dispatch", "returned", "to_review"):
        assert township[queue] > 0, queue
    village = _sizes(center_worklists(users["village_operator"]))
    for queue in ("to_accept", "to_dispatch", "to_review"):
        assert village[queue] > 0, queue
    assert _sizes(center_worklists(world.county_operator))["to_accept"] > 0
    department = _sizes(department_worklists(users["dept_handler"]))
    assert department["to_sign"] > 0 and department["in_progress"] > 0
    assert _sizes(grid_worklists(users["grid_worker"]))["in_hand"] > 0
    assert {r.kind for r in pending_requests(users["dept_leader"])} == set(RequestKind.values)


def test_the_cases_stand_in_every_state_and_are_counted(world: World, loaded: int) -> None:
    cases = Case.objects.filter(territory_code__startswith=world.a.area.territory_code)

    assert set(cases.values_list("status", flat=True)) == set(CaseStatus.values)
    assert set(cases.exclude(rating="").values_list("rating", flat=True)) == set(Rating.values)
    closed = cases.filter(status=CaseStatus.CLOSED)
    # Mostly satisfied.
    assert closed.exclude(rating=Rating.UNSATISFIED).count() > closed.count() * 0.8
    assert cases.filter(reopen_count__gt=0, status=CaseStatus.DISPATCHED).exists()
    assert cases.filter(reopen_count__gt=0, status=CaseStatus.CLOSED).exists()
    assert cases.filter(resolved_on_spot=True, status=CaseStatus.CLOSED).exists()
    assert cases.filter(merged_into__isnull=False).count() == 2
    assert cases.filter(is_hard=True).exists() and cases.filter(extension_days__gt=0).exists()
    assert set(CaseRequest.objects.values_list("status", flat=True)) == set(RequestStatus.values)
    assert SupervisionNotice.objects.filter(automatic=False).exists()
    assert {Channel.QR_DOORPLATE, Channel.PHONE, Channel.GRID_WORKER, Channel.PROVINCIAL} <= set(
        cases.values_list("channel", flat=True)
    )
    assert cases.values("category").distinct().count() >= 10
    # This world's police station serves no matters: no routing rule names it.
    assert not RoutingRule.objects.exists()

    # The timelines are complete.
    kinds = set(CaseEvent.objects.values_list("kind", flat=True))
    # Everything but the sweep's deadline warning, which no case has come to yet.
    assert kinds == set(EventKind.values) - {EventKind.WARN}
    # Newest first, so that each case's first event is the one kept.
    first = dict(CaseEvent.objects.order_by("-id").values_list("case_id", "kind"))
    assert set(first) == set(cases.values_list("id", flat=True))
    assert set(first.values()) == {EventKind.SUBMIT}
    for case in cases.filter(status=CaseStatus.CLOSED, merged_into__isnull=True):
        assert case.events.filter(kind=EventKind.CLOSE).exists(), case.number

    # The dashboards show them.
    figures = case_figures(
        world.a.users["township_operator"], Period.containing("month", timezone.localdate())
    )

    # A merged duplicate is not counted as received.
    assert figures.received == loaded - 2
    assert figures.closed > loaded / 2
    for name in ("extensions", "hard_matters", "returns"):
        assert getattr(figures, name) > 0, name
    for name in ("closure_rate", "on_time_reply_rate", "reopen_rate", "satisfaction_rate"):
        assert getattr(figures, name), name


def test_deadlines_come_due_as_the_demo_ages(world: World, loaded: int, clock: Any) -> None:
    """Loaded on Monday morning, nothing is late; by Wednesday the open cases are."""
    operator = world.a.users["township_operator"]
    assert _sizes(center_worklists(operator))["overdue"] == 0

    clock.move_to(timezone.now() + datetime.timedelta(days=2))

    assert _sizes(center_worklists(operator))["overdue"] > 0
    assert _sizes(department_worklists(world.a.users["dept_handler"]))["overdue"] > 0


def test_a_township_without_operator_or_households_loads_nothing(world: World) -> None:
    assert load_demo(township_code="520524099", actor=None) == 0
    assert not Case.objects.exists()
