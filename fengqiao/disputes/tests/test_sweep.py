"""The dispute deadline sweep: due-soon warnings and automatic supervision when overdue, each
raised once; the overdue state itself derived from the stored due time."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from fengqiao.cases.choices import DeadlineState
from fengqiao.cases.models import Notification
from fengqiao.conftest import World
from fengqiao.disputes import services
from fengqiao.disputes.choices import EventKind, Outcome
from fengqiao.disputes.deadlines import deadline_state
from fengqiao.disputes.models import DeadlinePolicy, Dispute, DisputeSupervision
from fengqiao.disputes.selectors import supervision_list
from fengqiao.disputes.tasks import sweep_deadlines
from fengqiao.disputes.tests.conftest import SHANGHAI, Mediation, register, to_mediation

pytestmark = pytest.mark.usefixtures("english")


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=SHANGHAI)


def test_default_deadline_is_one_month_and_moves_off_a_holiday(world: World, clock: Any) -> None:
    dispute = register(world)
    assert dispute.due_at is not None
    assert dispute.due_at.astimezone(SHANGHAI).date() == datetime.date(2026, 7, 8)
    assert dispute.warn_at == dispute.due_at - datetime.timedelta(days=5)
    # Registered on 2026-09-01: one month later is 10-01, the National Day holiday;
    # the deadline moves to the first working day after it (10-08).
    clock.move_to(at(datetime.date(2026, 9, 1)))
    later = register(world, occurred_on=datetime.date(2026, 8, 30))
    assert later.due_at is not None
    assert later.due_at.astimezone(SHANGHAI).date() == datetime.date(2026, 10, 8)


def test_the_policy_is_data(world: World, clock: Any) -> None:
    DeadlinePolicy.objects.create(level="grid", settle_days=5, working_days=True, yellow_days=1)
    dispute = register(world)
    assert dispute.due_at is not None
    # Five working days after Monday 2026-06-08: Monday 06-15.
    assert dispute.due_at.astimezone(SHANGHAI).date() == datetime.date(2026, 6, 15)


def test_sweep_warns_then_supervises_once(world: World, mediation: Mediation, clock: Any) -> None:
    dispute = to_mediation(world, mediation)
    quiet = register(world, name="已撤回的纠纷")
    services.dispute_record_outcome(
        dispute=quiet, actor=world.a.users["grid_worker"], outcome=Outcome.WITHDRAWN, note="撤回"
    )
    assert sweep_deadlines() == {"red": 0, "yellow": 0}

    clock.move_to(at(datetime.date(2026, 7, 4)))
    assert deadline_state(status=dispute.status, due=dispute.due_at, warn_at=dispute.warn_at) == (
        DeadlineState.YELLOW
    )
    assert sweep_deadlines() == {"red": 0, "yellow": 1}
    assert sweep_deadlines() == {"red": 0, "yellow": 0}
    assert Notification.objects.filter(
        user=mediation.mediator_user, message__contains="due soon"
    ).exists()

    clock.move_to(at(datetime.date(2026, 7, 9)))
    assert deadline_state(status=dispute.status, due=dispute.due_at, warn_at=dispute.warn_at) == (
        DeadlineState.RED
    )
    assert sweep_deadlines() == {"red": 1, "yellow": 0}
    assert sweep_deadlines() == {"red": 0, "yellow": 0}
    entries = DisputeSupervision.objects.filter(dispute=dispute, reason="overdue")
    assert {e.center_code for e in entries} == {world.a.area.territory_code, "520524"}
    assert all(e.automatic for e in entries)
    assert list(dispute.events.filter(kind=EventKind.WARN).values_list("kind", flat=True)) == [
        "warn"
    ]
    assert dispute.events.filter(kind=EventKind.SUPERVISE).count() == 1
    # On the supervision list of the township and the county, not the other township.
    assert dispute in supervision_list(world.a.users["township_operator"])
    assert dispute in supervision_list(world.county_operator)
    assert dispute not in supervision_list(world.b.users["township_operator"])
    assert quiet not in supervision_list(world.county_operator)


def test_overdue_and_unwarned_gets_only_the_supervision(world: World, clock: Any) -> None:
    dispute = register(world)
    clock.move_to(at(datetime.date(2026, 8, 1)))
    assert sweep_deadlines() == {"red": 1, "yellow": 0}
    dispute.refresh_from_db()
    assert dispute.yellow_raised_at is not None and dispute.red_raised_at is not None
    assert not dispute.events.filter(kind=EventKind.WARN).exists()


def test_the_sweep_raises_each_once_when_two_run(world: World, clock: Any) -> None:
    disputes = [register(world, name=f"纠纷{n}") for n in range(3)]
    clock.move_to(at(datetime.date(2026, 8, 1)))
    now = datetime.datetime.now(tz=SHANGHAI)
    # Two sweeps claiming the same rows: each raise is a conditional UPDATE, so only one wins.
    first = [services.dispute_raise_red(dispute_id=d.pk, now=now) for d in disputes]
    second = [services.dispute_raise_red(dispute_id=d.pk, now=now) for d in disputes]
    assert first == [True, True, True] and second == [False, False, False]
    assert DisputeSupervision.objects.filter(reason="overdue").count() == 6
    assert Dispute.objects.filter(red_raised_at__isnull=False).count() == 3
