"""Following a case: the private link, the lookup by number and phone, the plain timeline
without staff personal data, and the rating (评单)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fengqiao.cases.choices import CaseStatus, Rating
from fengqiao.cases.models import Case
from fengqiao.cases.services import (
    case_accept,
    case_dispatch,
    case_escalate,
    case_reply,
    case_return,
    case_review_reply,
    case_sign,
)
from fengqiao.conftest import World
from fengqiao.org.models import Department
from fengqiao.residents import sms
from fengqiao.residents.tests.conftest import (
    PHONE,
    Plate,
    ask_code,
    last_code,
    only_case,
    submit_report,
    tracking_url,
)

pytestmark = pytest.mark.django_db

REPLY = "已约谈店主，晚十点后停止户外经营。"


@pytest.fixture
def reported(client: Client, plate: Plate, clock: Any) -> str:
    """A case reported from the plate; its tracking link."""
    return tracking_url(submit_report(client, plate))


def handle_and_reply(world: World, case: Case, *, approve: bool = True) -> Case:
    center = world.a.users["township_operator"]
    police = Department.objects.get(name="双堰街道派出所")
    case = case_accept(case=case, actor=center)
    case = case_dispatch(case=case, actor=center, department=police)
    case = case_sign(case=case, actor=world.a.users["dept_handler"])
    case = case_reply(case=case, actor=world.a.users["dept_handler"], text=REPLY)
    if approve:
        case = case_review_reply(case=case, actor=center, approve=True)
    return case


STAFF_NAMES = ["双堰街道民警", "双堰街道所长", "handler1", "leader1", "township1"]


def test_the_tracking_page_tells_the_progress_in_plain_words(
    client: Client, world: World, reported: str
) -> None:
    page = client.get(reported)
    html = page.content.decode()
    case = only_case()
    assert page.status_code == 200 and page["Referrer-Policy"] == "strict-origin"
    assert case.number in html and "等待受理" in html and "您提交了事项" in html
    assert "2026-06-09 23:59" in html  # when the answer is due
    handle_and_reply(world, case, approve=False)
    html = client.get(reported).content.decode()
    # The reply is under the center's review: not shown yet, nor hinted at.
    assert REPLY not in html and "办理中" in html
    assert "已交由双堰街道派出所办理" in html and "双堰街道派出所已接单" in html
    case_review_reply(case=only_case(), actor=world.a.users["township_operator"], approve=True)
    html = client.get(reported).content.decode()
    assert REPLY in html and "已答复，请评价" in html and 'name="rating"' in html
    for name in STAFF_NAMES:
        assert name not in html


def test_internal_steps_stay_internal(client: Client, world: World, reported: str) -> None:
    center = world.a.users["township_operator"]
    police = Department.objects.get(name="双堰街道派出所")
    case = case_accept(case=only_case(), actor=center)
    case = case_dispatch(case=case, actor=center, department=police, note="内部备注：请尽快")
    case_return(case=case, actor=world.a.users["dept_handler"], reason="不属于我所职责")
    html = client.get(reported).content.decode()
    assert "内部备注" not in html and "不属于我所职责" not in html
    for name in STAFF_NAMES:
        assert name not in html


def test_rating_unsatisfied_needs_a_reason_and_reopens(
    client: Client, world: World, reported: str
) -> None:
    handle_and_reply(world, only_case())
    page = client.post(reported, {"rating": Rating.UNSATISFIED, "comment": ""})
    assert page.status_code == 400 and "请说明哪里不满意" in page.content.decode()
    assert only_case().status == CaseStatus.REPLIED
    response = client.post(reported, {"rating": Rating.UNSATISFIED, "comment": "晚上还是很吵"})
    assert response.status_code == 302
    case = only_case()
    assert case.status == CaseStatus.DISPATCHED and case.reopen_count == 1
    assert case.rating == Rating.UNSATISFIED
    html = client.get(reported).content.decode()
    assert "感谢您的评价" in html and "晚上还是很吵" in html
    assert "已重新交办" in html and 'name="rating"' not in html


def test_rating_satisfied_completes_it_and_cannot_be_given_twice(
    client: Client, world: World, reported: str
) -> None:
    handle_and_reply(world, only_case())
    assert client.post(reported, {"rating": Rating.SATISFIED}).status_code == 302
    assert only_case().status == CaseStatus.CLOSED
    again = client.post(reported, {"rating": Rating.UNSATISFIED, "comment": "改主意了"})
    assert again.status_code == 302
    assert only_case().status == CaseStatus.CLOSED
    html = client.get(reported).content.decode()
    assert "已办结" in html and REPLY in html


def test_no_rating_before_the_reply_is_released(
    client: Client, world: World, reported: str
) -> None:
    handle_and_reply(world, only_case(), approve=False)
    client.post(reported, {"rating": Rating.SATISFIED})
    assert only_case().status == CaseStatus.REPLIED and only_case().rating == ""


def test_a_tracking_link_shows_only_its_own_case(
    client: Client, world: World, plate: Plate, other_plate: Plate, reported: str
) -> None:
    other = tracking_url(
        submit_report(client, other_plate, description="文腾街道的另一件事情", phone="13711112222")
    )
    mine = client.get(reported).content.decode()
    theirs = client.get(other).content.decode()
    assert "文腾街道的另一件事情" not in mine and "文腾街道的另一件事情" in theirs
    assert "楼下烧烤店" in mine and "楼下烧烤店" not in theirs
    # The phone is never shown on the tracking page.
    assert PHONE not in mine and "139****5678" not in mine


def test_lookup_by_number_and_phone_with_a_code(client: Client, reported: str, clock: Any) -> None:
    clock.shift(120)  # a code per phone per minute
    case = only_case()
    assert client.get("/d/find/").status_code == 200
    ask_code(client, "/d/find/", number=case.number)
    response = client.post(
        "/d/find/", {"number": case.number, "phone": "139-1234-5678", "code": last_code()}
    )
    assert response.status_code == 302 and response["Location"] == reported


def test_lookup_with_another_phone_finds_nothing(client: Client, reported: str) -> None:
    case = only_case()
    ask_code(client, "/d/find/", phone="13700000000")
    page = client.post(
        "/d/find/", {"number": case.number, "phone": "13700000000", "code": last_code()}
    )
    assert page.status_code == 404
    html = page.content.decode()
    assert "没有找到" in html and case.description not in html


def test_lookup_needs_the_right_code(client: Client, reported: str, clock: Any) -> None:
    clock.shift(120)  # a code per phone per minute
    case = only_case()
    ask_code(client, "/d/find/")
    right = last_code()
    page = client.post(
        "/d/find/",
        {"number": case.number, "phone": PHONE, "code": "000000" if right != "000000" else "1" * 6},
    )
    assert page.status_code == 400 and "验证码不正确" in page.content.decode()
    # A code sent for reporting does not open a lookup.
    sms.outbox.clear()


def test_a_report_code_does_not_open_a_lookup(
    client: Client, plate: Plate, reported: str, clock: Any
) -> None:
    clock.shift(120)  # a code per phone per minute
    case = only_case()
    client.post(f"{plate.url}report/", {"send_code": "1", "phone": PHONE}, REMOTE_ADDR="10.0.0.2")
    page = client.post("/d/find/", {"number": case.number, "phone": PHONE, "code": last_code()})
    assert page.status_code == 400


def test_lookups_per_address_are_limited(client: Client, settings: Any, reported: str) -> None:
    settings.RESIDENTS_RATE_LIMITS = {"lookup:ip": (2, 3600)}
    for _ in range(2):
        client.post("/d/find/", {"number": "x", "phone": PHONE, "code": "123456"})
    page = client.post("/d/find/", {"number": "x", "phone": PHONE, "code": "123456"})
    assert page.status_code == 429 and "60 分钟后再试" in page.content.decode()


def test_codes_per_phone_are_limited(client: Client, plate: Plate) -> None:
    url = f"{plate.url}report/"
    assert ask_code(client, url).status_code == 200
    again = ask_code(client, url)  # within the minute
    assert again.status_code == 429 and "分钟后再试" in again.content.decode()
    assert len(sms.outbox) == 1


def test_reports_per_plate_are_limited(
    client: Client, plate: Plate, settings: Any, clock: Any
) -> None:
    settings.RESIDENTS_RATE_LIMITS = {"report:token": (1, 3600), "code:phone_gap": (10, 60)}
    assert submit_report(client, plate).status_code == 302
    page = submit_report(client, plate, phone="13711112222")
    assert page.status_code == 429 and "60 分钟后再试" in page.content.decode()
    assert Case.objects.count() == 1


def test_reports_per_phone_are_limited(
    client: Client, plate: Plate, other_plate: Plate, settings: Any
) -> None:
    settings.RESIDENTS_RATE_LIMITS = {"report:phone": (1, 86400), "code:phone_gap": (10, 60)}
    assert submit_report(client, plate).status_code == 302
    assert submit_report(client, other_plate).status_code == 429
    assert Case.objects.count() == 1


def test_a_merged_duplicate_link_follows_the_surviving_case(
    client: Client, world: World, plate: Plate, reported: str, settings: Any
) -> None:
    from fengqiao.cases.services import case_merge

    settings.RESIDENTS_RATE_LIMITS = {"code:phone_gap": (10, 60)}
    second = tracking_url(submit_report(client, plate, phone="13711112222"))
    first, duplicate = Case.objects.order_by("id")
    case_merge(duplicate=duplicate, into=first, actor=world.a.users["township_operator"])
    html = client.get(second).content.decode()
    assert first.number in html


def test_escalation_shows_as_passed_up(client: Client, world: World, reported: str) -> None:
    case_escalate(case=only_case(), actor=world.a.users["township_operator"], reason="涉及县级部门")
    html = client.get(reported).content.decode()
    assert "上一级综治中心" in html and "涉及县级部门" not in html
