"""Two people acting on one case at once, on a real PostgreSQL: the row lock makes the second
wait, then the version or the state guard refuses them with the case's current state; case
numbers taken at the same moment are never given twice."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from fengqiao.cases.choices import CaseStatus, CaseType, Channel, EventKind, ReporterKind
from fengqiao.cases.models import Case, Category
from fengqiao.cases.services import (
    ReporterInput,
    StaleCaseError,
    TransitionError,
    case_accept,
    case_dispatch,
    case_reject,
    case_sign,
    case_submit,
)
from fengqiao.conftest import World, at_once, colleague
from fengqiao.org.models import Department

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL's row locks and concurrent connections",
    ),
    # Transactional (the threads need committed rows); serialized so that the flush at the
    # end leaves the content types the other transactional tests restore.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("clock"),
]


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def submit(world: World, category: Category, title: str = "楼下夜间噪音") -> Case:
    case, created = case_submit(
        case_type=CaseType.COMPLAINT,
        category=category,
        channel=Channel.QR_DOORPLATE,
        title=title,
        description="每晚十一点后楼下烧烤店噪音很大。",
        territory_code=world.a.household.territory_code,
        household_id=world.a.household.pk,
        reporter=ReporterInput(kind=ReporterKind.HOUSEHOLD, name="张女士", phone="13800001111"),
    )
    assert created
    return case


def test_two_operators_deciding_one_case_at_once_one_wins(world: World, noise: Category) -> None:
    operator = world.a.users["township_operator"]
    other = colleague(operator, "township_a2")
    case = submit(world, noise)
    shown = case.version  # both pages show the same case

    results = at_once(
        lambda: case_accept(case=case, actor=operator, version=shown),
        lambda: case_reject(case=case, actor=other, reason="重复", version=shown),
    )
    wins = [r for r in results if isinstance(r, Case)]
    refusals = [r for r in results if isinstance(r, StaleCaseError)]
    assert len(wins) == 1 and len(refusals) == 1, results
    case.refresh_from_db()
    assert case.status in (CaseStatus.ACCEPTED, CaseStatus.REJECTED)
    # The loser is told what happened, with the state the winner left.
    assert case.get_status_display() in refusals[0].messages[0]
    assert "Reload the page" in refusals[0].messages[0]
    decisions = case.events.filter(kind__in=[EventKind.ACCEPT, EventKind.REJECT])
    assert decisions.count() == 1 and case.version == shown + 1


def test_two_handlers_signing_at_once_one_signs(
    world: World, noise: Category, police: Department
) -> None:
    operator = world.a.users["township_operator"]
    handler = world.a.users["dept_handler"]
    other = colleague(handler, "handler_a2")
    case = submit(world, noise)
    case_accept(case=case, actor=operator)
    case_dispatch(case=case, actor=operator, department=police)

    # Without a version (a phone's one-tap 签收): the state guard decides.
    results = at_once(
        lambda: case_sign(case=case, actor=handler), lambda: case_sign(case=case, actor=other)
    )
    wins = [r for r in results if isinstance(r, Case)]
    refusals = [r for r in results if isinstance(r, TransitionError)]
    assert len(wins) == 1 and len(refusals) == 1, results
    assert "it is now “In progress”" in refusals[0].messages[0]
    assert case.events.filter(kind=EventKind.SIGN).count() == 1


def test_intakes_at_the_same_moment_get_distinct_numbers(world: World, noise: Category) -> None:
    results = at_once(*[lambda n=n: submit(world, noise, title=f"同时受理 {n}") for n in range(8)])
    errors = [r for r in results if isinstance(r, (Exception, ValidationError))]
    assert not errors, errors
    numbers = sorted(case.number for case in results)
    # One county, one day: sequences 1…8, each once (the counter row serialises them).
    assert numbers == [f"520524-20260608-{n:05d}" for n in range(1, 9)]
    assert Case.objects.count() == 8
