"""The deadline sweep raises each warning once, and a real Celery worker runs it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from fengqiao.cases.choices import CaseType, Channel, EventKind, Rating
from fengqiao.cases.models import Case, CaseEvent, Category, Notification, SupervisionNotice
from fengqiao.cases.services import (
    case_accept,
    case_dispatch,
    case_reply,
    case_review_reply,
    case_sign,
    case_submit,
)
from fengqiao.cases.tasks import sweep_deadlines
from fengqiao.cases.tests.conftest import SHANGHAI
from fengqiao.conftest import World, redis_worker, wait_until
from fengqiao.org.models import Department


def dispatched_case(world: World, police: Department) -> Case:
    operator = world.a.users["township_operator"]
    case, _ = case_submit(
        case_type=CaseType.HELP,
        category=Category.objects.get(code="noise"),
        channel=Channel.PHONE,
        title="求助",
        description="夜间噪音",
        territory_code=world.a.household.territory_code,
    )
    case_accept(case=case, actor=operator)
    case_dispatch(case=case, actor=operator, department=police)
    return case


@pytest.mark.django_db
def test_warnings_are_raised_exactly_once(world: World, clock: Any, police: Department) -> None:
    case = dispatched_case(world, police)
    assert sweep_deadlines() == {"red": 0, "yellow": 0, "return_visit": 0}

    clock.move_to(datetime.datetime(2026, 6, 9, 21, 0, tzinfo=SHANGHAI))  # 3 h before due
    assert sweep_deadlines() == {"red": 0, "yellow": 1, "return_visit": 0}
    assert sweep_deadlines() == {"red": 0, "yellow": 0, "return_visit": 0}
    assert Notification.objects.filter(case=case, kind=EventKind.WARN).count() == 2  # staff

    clock.move_to(datetime.datetime(2026, 6, 10, 8, 0, tzinfo=SHANGHAI))
    assert sweep_deadlines() == {"red": 1, "yellow": 0, "return_visit": 0}
    assert sweep_deadlines()["red"] == 0
    notice = SupervisionNotice.objects.get(case=case)
    assert notice.automatic and notice.department == police
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SUPERVISE).count() == 1


@pytest.mark.django_db
def test_return_visit_is_requested_when_no_rating_comes(
    world: World, clock: Any, police: Department
) -> None:
    case = dispatched_case(world, police)
    handler, operator = world.a.users["dept_handler"], world.a.users["township_operator"]
    case_sign(case=case, actor=handler)
    case_reply(case=case, actor=handler, text="已处理")
    case_review_reply(case=case, actor=operator, approve=True)
    # Released Monday: the rating is awaited until the end of Thursday (3 working days).
    clock.move_to(datetime.datetime(2026, 6, 11, 23, 0, tzinfo=SHANGHAI))
    assert sweep_deadlines()["return_visit"] == 0
    clock.move_to(datetime.datetime(2026, 6, 12, 0, 30, tzinfo=SHANGHAI))
    assert sweep_deadlines()["return_visit"] == 1
    assert Notification.objects.filter(user=operator, kind=EventKind.RETURN_VISIT).count() == 1
    assert sweep_deadlines()["return_visit"] == 0
    assert Rating  # the rating itself is the resident's or the return visit's (test_workflow)


@pytest.mark.django_db
def test_the_sweep_reads_only_what_is_newly_due(
    world: World, clock: Any, police: Department, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        dispatched_case(world, police)
    sweep_deadlines()
    # Nothing due: three cheap index probes whatever the number of open cases.
    with django_assert_max_num_queries(3):
        sweep_deadlines()


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_celery_worker_runs_the_sweep_on_redis(world: World, police: Department) -> None:
    with redis_worker(broker="redis://127.0.0.1:6379/14", queue="sweep-test") as worker:
        case = dispatched_case(world, police)
        Case.objects.filter(pk=case.pk).update(
            reply_due_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
            warn_at=datetime.datetime(2019, 12, 31, tzinfo=datetime.UTC),
        )
        worker.send("cases.sweep_deadlines")
        notices = SupervisionNotice.objects.filter(case=case)
        wait_until(notices.exists)
        assert notices.filter(automatic=True).count() == 1
        worker.assert_alive()
