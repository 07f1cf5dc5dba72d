"""Out of scope is not found: every case page and move of township B answers 404 to every
account of township A, departments see only what is sent to them, and a grid worker only
their grid."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from fengqiao.cases.choices import CaseStatus, Channel
from fengqiao.cases.models import Case, CaseRequest
from fengqiao.cases.services import case_accept, case_dispatch, case_request_hard, case_sign
from fengqiao.cases.tests.test_pages import signed_in, submit
from fengqiao.cases.views import ACTIONS
from fengqiao.conftest import World
from fengqiao.org.models import Department

pytestmark = pytest.mark.django_db

ROLES = [
    "township_operator",
    "village_operator",
    "grid_worker",
    "unit_head",
    "dept_handler",
    "dept_leader",
]


@pytest.fixture
def case_of_b(world: World, clock: Any) -> tuple[Case, CaseRequest]:
    """A case of township B in progress at B's police station, with a request pending."""
    police_b = Department.objects.get(name="文腾街道派出所")
    case = submit(world, township="b")
    case_accept(case=case, actor=world.b.users["township_operator"])
    case_dispatch(case=case, actor=world.b.users["township_operator"], department=police_b)
    case_sign(case=case, actor=world.b.users["dept_handler"])
    request = case_request_hard(case=case, actor=world.b.users["dept_handler"], reason="复杂")
    case.refresh_from_db()
    return case, request


@pytest.mark.parametrize("role", ROLES)
def test_every_case_view_of_another_township_is_not_found(
    world: World, client: Client, case_of_b: tuple[Case, CaseRequest], role: str
) -> None:
    case, request = case_of_b
    signed_in(client, world.a.users[role])
    assert client.get(reverse("cases:detail", args=[case.number])).status_code == 404
    for action in ACTIONS:
        response = client.post(
            reverse(f"cases:{action}", args=[case.number]),
            {"version": case.version, "reason": "x", "text": "x", "days": 1, "message": "x"},
        )
        assert response.status_code == 404, action
    response = client.post(reverse("cases:decide", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 404
    # Nothing happened to it, and it is in none of A's lists.
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and not case.is_hard
    assert case.number not in client.get(reverse("cases:list")).content.decode()
    assert case.number not in client.get(reverse("cases:workbench"), follow=True).content.decode()
    assert not client.get(reverse("cases:list"), {"q": case.number}).context["page"]


def test_a_department_sees_only_what_is_sent_to_it(
    world: World, client: Client, case_of_b: tuple[Case, CaseRequest], police: Department
) -> None:
    operator = world.a.users["township_operator"]
    not_yet = submit(world, title="还没派")
    sent = submit(world, title="派给双堰")
    case_accept(case=sent, actor=operator)
    case_dispatch(case=sent, actor=operator, department=police)
    signed_in(client, world.a.users["dept_leader"])
    listed = [c.number for c in client.get(reverse("cases:list")).context["page"]]
    assert listed == [sent.number]
    assert client.get(reverse("cases:detail", args=[not_yet.number])).status_code == 404
    assert client.get(reverse("cases:detail", args=[case_of_b[0].number])).status_code == 404
    workbench = client.get(reverse("cases:workbench"))
    assert workbench.context["approvals"] == []  # B's request is B's leader's


def test_a_grid_worker_sees_only_their_grid(world: World, client: Client, clock: Any) -> None:
    grid_worker = world.a.users["grid_worker"]
    here = submit(world, title="本网格")
    there = submit(
        world,
        title="第二网格",
        territory_code=world.a.other_grid_household.territory_code,
        household_id=world.a.other_grid_household.pk,
        channel=Channel.PHONE,
    )
    signed_in(client, grid_worker)
    assert [c.number for c in client.get(reverse("cases:list")).context["page"]] == [here.number]
    assert client.get(reverse("cases:detail", args=[here.number])).status_code == 200
    assert client.get(reverse("cases:detail", args=[there.number])).status_code == 404
    response = client.post(
        reverse("cases:resolve", args=[there.number]),
        {"version": there.version, "what_was_done": "x"},
    )
    assert response.status_code == 404


def test_a_household_of_another_township_cannot_be_picked(
    world: World, client: Client, clock: Any
) -> None:
    signed_in(client, world.a.users["township_operator"])
    options = client.post(reverse("cases:household_options"), {"household_q": "文腾街道"})
    assert f'value="{world.b.household.pk}"' not in options.content.decode()


def test_signed_out_visitors_are_sent_to_log_in(world: World, client: Client, clock: Any) -> None:
    case = submit(world)
    for url in (
        reverse("cases:workbench"),
        reverse("cases:list"),
        reverse("cases:inbox"),
        reverse("cases:report"),
        reverse("cases:intake"),
        reverse("cases:detail", args=[case.number]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    response = client.post(reverse("cases:accept", args=[case.number]), {"version": 1})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED
