"""The case pages: each workbench shows its role's queues; every move posted from a page
drives its service and appears on the timeline; a stale page or bad input comes back as the
service's message and changes nothing; lists cost the same number of queries for 5 cases or
30."""

from __future__ import annotations

import datetime
import html
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fengqiao.cases.choices import (
    CaseStatus,
    CaseType,
    Channel,
    EventKind,
    Rating,
    ReporterKind,
    RequestKind,
    RequestStatus,
)
from fengqiao.cases.models import (
    Case,
    CaseReporter,
    CaseRequest,
    Category,
    RoutingRule,
    SupervisionNotice,
)
from fengqiao.cases.services import (
    ReporterInput,
    case_accept,
    case_dispatch,
    case_escalate,
    case_reply,
    case_request_hard,
    case_review_reply,
    case_sign,
    case_submit,
)
from fengqiao.cases.tests.conftest import SHANGHAI
from fengqiao.conftest import World
from fengqiao.org.choices import DepartmentKind
from fengqiao.org.models import Department, User
from fengqiao.org.services import department_create

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    # Messages are asserted in English, whatever the catalogue of the default language says.
    settings.LANGUAGE_CODE = "en"


# --- Helpers (also used by the other page tests) ---------------------------------------------


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def submit(world: World, *, township: str = "a", **overrides: Any) -> Case:
    """A resident's doorplate report in township A (or B), through the service."""
    place = world.a if township == "a" else world.b
    values: dict[str, Any] = {
        "case_type": CaseType.COMPLAINT,
        "category": Category.objects.get(code="noise"),
        "channel": Channel.QR_DOORPLATE,
        "title": "楼下夜间噪音",
        "description": "每晚十一点后楼下烧烤店噪音很大。",
        "territory_code": place.household.territory_code,
        "household_id": place.household.pk,
        "reporter": ReporterInput(kind=ReporterKind.HOUSEHOLD, name="张女士", phone="13800001111"),
    }
    values.update(overrides)
    case, _ = case_submit(**values)
    return case


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI)


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def act(client: Client, case: Case, action: str, **data: Any) -> Any:
    """Post one move's form as the case page would (with the version it showed)."""
    case.refresh_from_db()
    data.setdefault("version", case.version)
    return client.post(reverse(f"cases:{action}", args=[case.number]), data, follow=True)


def status_of(case: Case) -> str:
    return Case.objects.values_list("status", flat=True).get(pk=case.pk)


def kinds(case: Case) -> list[str]:
    return list(case.events.order_by("id").values_list("kind", flat=True))


@pytest.fixture
def rule(world: World, police: Department) -> RoutingRule:
    """治安 in township A goes to its police station: the routing suggestion."""
    from fengqiao.cases.routing import invalidate_routing

    found = RoutingRule.objects.create(
        category=Category.objects.get(code="public_security"),
        territory_code=world.a.area.territory_code,
        department=police,
    )
    invalidate_routing()
    return found


def totals(response: Any) -> dict[str, int]:
    return {queue.key: queue.total for queue in response.context["queues"]}


# --- Workbenches --------------------------------------------------------------------------------


def test_center_workbench_shows_each_queue(
    world: World, client: Client, clock: Any, rule: RoutingRule, police: Department
) -> None:
    operator, handler = world.a.users["township_operator"], world.a.users["dept_handler"]
    new = submit(world, title="新来的")
    submit(world, township="b", title="另一个街道的")
    late = submit(world, title="逾期")
    case_accept(case=late, actor=operator)  # due Tue 23:59
    returned = submit(world, title="被退回")
    case_accept(case=returned, actor=operator)
    case_dispatch(case=returned, actor=operator, department=police)
    from fengqiao.cases.services import case_return

    case_return(case=returned, actor=handler, reason="属于市场监管")
    visited = submit(world, title="待回访")
    case_accept(case=visited, actor=operator)
    case_dispatch(case=visited, actor=operator, department=police)
    case_sign(case=visited, actor=handler)
    case_reply(case=visited, actor=handler, text="已处理")
    case_review_reply(case=visited, actor=operator, approve=True)  # rating due Thu 23:59
    replied = submit(world, title="待审核")
    case_accept(case=replied, actor=operator)
    case_dispatch(case=replied, actor=operator, department=police)
    case_sign(case=replied, actor=handler)
    hard = submit(world, title="疑难")
    case_accept(case=hard, actor=operator)
    case_dispatch(case=hard, actor=operator, department=police)
    case_sign(case=hard, actor=handler)
    case_request_hard(case=hard, actor=handler, reason="涉及多个部门")
    clock.move_to(at(11, 9))
    soon = submit(world, title="快到期")
    case_accept(case=soon, actor=operator)  # due Fri 23:59, warned Fri 19:59
    case_reply(case=replied, actor=handler, text="已约谈店主")
    clock.move_to(at(12, 21))

    response = signed_in(client, operator).get(reverse("cases:workbench"))
    assert response.status_code == 200
    assert response.templates[0].name == "cases/workbench_center.html"
    assert totals(response) == {
        "to_accept": 1,
        "to_dispatch": 2,  # the late one and the one due soon
        "returned": 1,
        "to_review": 1,
        "due_soon": 1,
        "overdue": 3,  # accepted Monday (due Tuesday): the late, the returned, the hard one
        "return_visit": 1,
    }
    page = text_of(response)
    assert new.title in page and "另一个街道的" not in page
    assert "Returned by 双堰街道派出所: 属于市场监管" in page
    assert "已约谈店主" in page  # the reply to review is shown in its row
    assert 'class="badge red"' in page and 'class="badge yellow"' in page  # deadline states
    # One-click dispatch: the routing suggestion is preselected.
    assert f'<option value="{police.pk}" selected>' in page
    # Requests pending on the center's cases are shown for information.
    assert [r.case for r in response.context["requests"]] == [hard]
    # The supervision list: the one overdue with a department.
    assert [c.pk for c in response.context["supervise"].rows] == [hard.pk]


def test_department_workbench_and_leader_approvals(
    world: World, client: Client, clock: Any, police: Department
) -> None:
    operator, handler = world.a.users["township_operator"], world.a.users["dept_handler"]
    waiting = submit(world, title="待签收")
    case_accept(case=waiting, actor=operator)
    case_dispatch(case=waiting, actor=operator, department=police)
    doing = submit(world, title="办理中")
    case_accept(case=doing, actor=operator)
    case_dispatch(case=doing, actor=operator, department=police)
    case_sign(case=doing, actor=handler)
    case_request_hard(case=doing, actor=handler, reason="需要协调林业站")
    other = submit(world, township="b", title="别人的")
    case_accept(case=other, actor=world.b.users["township_operator"])

    response = signed_in(client, handler).get(reverse("cases:workbench"))
    assert response.templates[0].name == "cases/workbench_department.html"
    assert totals(response) == {"to_sign": 1, "in_progress": 1, "due_soon": 0, "overdue": 0}
    page = text_of(response)
    assert reverse("cases:sign", args=[waiting.number]) in page  # one-click sign-for
    assert "Approvals" not in page  # a handler approves nothing

    response = signed_in(client, world.a.users["dept_leader"]).get(reverse("cases:workbench"))
    assert [r.case for r in response.context["approvals"]] == [doing]
    page = text_of(response)
    assert "需要协调林业站" in page and "别人的" not in page
    assert reverse("cases:decide", args=[response.context["approvals"][0].pk]) in page


def test_grid_workbench_is_the_grid_and_a_report_button(
    world: World, client: Client, clock: Any
) -> None:
    grid_worker = world.a.users["grid_worker"]
    mine = submit(
        world,
        channel=Channel.GRID_WORKER,
        territory_code=world.a.grid.code,
        household_id=None,
        reporter=None,
        actor=grid_worker,
        title="网格上报",
    )
    submit(world, title="居民扫码")  # in the grid, held by the township
    submit(world, territory_code=world.a.other_grid_household.territory_code, title="隔壁网格")

    response = signed_in(client, grid_worker).get(reverse("cases:workbench"))
    assert response.templates[0].name == "cases/workbench_grid.html"
    assert totals(response) == {"in_hand": 1, "grid": 2}
    assert response.context["queues"][0].rows == [mine]
    page = text_of(response)
    assert reverse("cases:report") in page and "隔壁网格" not in page


def test_admin_sees_every_center_queue_and_unit_head_gets_the_list(
    world: World, client: Client, clock: Any
) -> None:
    submit(world)
    submit(world, township="b")
    response = signed_in(client, world.admin).get(reverse("cases:workbench"))
    assert totals(response)["to_accept"] == 2
    response = signed_in(client, world.a.users["unit_head"]).get(reverse("cases:workbench"))
    assert response.status_code == 302 and response.url == reverse("cases:list")


def test_workbench_query_count_does_not_grow_with_the_cases(
    world: World, client: Client, clock: Any, rule: RoutingRule, police: Department
) -> None:
    operator = world.a.users["township_operator"]

    def add(count: int) -> None:
        for _ in range(count):
            accepted = submit(world)
            case_accept(case=accepted, actor=operator)
            submit(world)

    signed_in(client, operator)

    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cases:workbench")).status_code == 200
        return len(queries)

    add(3)
    few = measure()
    add(27)
    assert measure() == few


# --- The case page ------------------------------------------------------------------------------


def test_case_page_shows_the_facts_masked_phone_and_only_allowed_moves(
    world: World, client: Client, clock: Any, rule: RoutingRule, police: Department
) -> None:
    operator, handler = world.a.users["township_operator"], world.a.users["dept_handler"]
    case = submit(world)
    url = reverse("cases:detail", args=[case.number])

    response = signed_in(client, operator).get(url)
    page = text_of(response)
    assert case.number in page and "每晚十一点后楼下烧烤店噪音很大。" in page
    assert "138****1111" in page and "13800001111" not in page
    assert reverse("territory:household", args=[world.a.household.pk]) in page
    assert response.context["allowed"] == {"accept", "reject", "escalate", "dispatch", "merge"}
    assert "Routing suggests 双堰街道派出所" in page

    case_accept(case=case, actor=operator)
    case_dispatch(case=case, actor=operator, department=police)
    response = signed_in(client, handler).get(url)
    assert response.context["allowed"] == {"sign", "return"}
    page = text_of(response)
    assert "138****1111" in page
    # Department staff have no territory: the household is named, not linked.
    assert reverse("territory:household", args=[world.a.household.pk]) not in page
    assert "On time" in page  # the sign-for deadline's badge

    response = signed_in(client, operator).get(url)
    assert response.context["allowed"] == {"supervise", "merge"}
    response = signed_in(client, world.county_operator).get(url)
    assert response.context["allowed"] == {"supervise", "merge"}
    response = signed_in(client, world.a.users["village_operator"]).get(url)
    assert response.context["allowed"] == set()


def test_case_page_costs_a_fixed_number_of_queries(
    world: World, client: Client, clock: Any, police: Department
) -> None:
    operator, handler = world.a.users["township_operator"], world.a.users["dept_handler"]
    case = submit(world)
    case_accept(case=case, actor=operator)
    case_dispatch(case=case, actor=operator, department=police)
    case_sign(case=case, actor=handler)
    signed_in(client, operator)
    url = reverse("cases:detail", args=[case.number])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(10):
        case_request_hard(case=case, actor=handler, reason=f"原因{n}")
        CaseRequest.objects.filter(case=case).update(status=RequestStatus.DENIED)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# --- Every move through its form ----------------------------------------------------------------


def test_the_loop_through_the_pages(
    world: World, client: Client, clock: Any, rule: RoutingRule, police: Department
) -> None:
    operator, handler = world.a.users["township_operator"], world.a.users["dept_handler"]
    leader = world.a.users["dept_leader"]
    case = submit(world)
    workbench = reverse("cases:workbench")

    justice = department_create(
        name="双堰街道司法所",
        kind=DepartmentKind.JUSTICE_OFFICE,
        territory_code=world.a.area.territory_code,
    )

    # One click from the intake queue: accepted and dispatched to the suggestion.
    signed_in(client, operator)
    response = act(
        client, case, "dispatch", department=police.pk, co_departments=[justice.pk], next=workbench
    )
    assert response.redirect_chain[-1][0] == workbench
    assert f"Case {case.number} dispatched to 双堰街道派出所." in text_of(response)
    assert kinds(case)[-2:] == [EventKind.ACCEPT, EventKind.DISPATCH]
    # The timeline names the co-handler as well as the lead.
    page = text_of(client.get(reverse("cases:detail", args=[case.number])))
    assert "→ 双堰街道派出所 · co-handled by 双堰街道司法所" in page

    signed_in(client, handler)
    act(client, case, "sign")
    assert status_of(case) == CaseStatus.IN_PROGRESS
    act(client, case, "hard", reason="涉及多个部门")
    act(client, case, "extension", days=10, reason="等待鉴定")
    assert set(CaseRequest.objects.filter(case=case).values_list("kind", flat=True)) == {
        RequestKind.HARD,
        RequestKind.EXTENSION,
    }

    signed_in(client, leader)
    hard = CaseRequest.objects.get(case=case, kind=RequestKind.HARD)
    extension = CaseRequest.objects.get(case=case, kind=RequestKind.EXTENSION)
    response = client.post(
        reverse("cases:decide", args=[hard.pk]),
        {"decision": "approve", "note": "同意", "next": workbench},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == workbench
    response = client.post(
        reverse("cases:decide", args=[extension.pk]), {"decision": "deny", "note": ""}, follow=True
    )
    assert "Please give the reason for denying the request." in text_of(response)
    client.post(reverse("cases:decide", args=[extension.pk]), {"decision": "deny", "note": "抓紧"})
    case.refresh_from_db()
    assert case.is_hard and case.extension_days == 0

    signed_in(client, handler)
    act(client, case, "reply", text="已约谈")
    signed_in(client, operator)
    act(client, case, "review", decision="send_back", note="请写明结果")
    assert status_of(case) == CaseStatus.IN_PROGRESS
    act(client, case, "supervise", message="请今天答复")
    assert SupervisionNotice.objects.filter(case=case, automatic=False).count() == 1
    signed_in(client, handler)
    act(client, case, "reply", text="已约谈店主并签订承诺书")
    signed_in(client, operator)
    act(client, case, "review", decision="approve", note="")
    case.refresh_from_db()
    assert case.status == CaseStatus.REPLIED and case.reply_approved
    act(client, case, "return_visit", rating=Rating.SATISFIED, note="电话回访：满意")
    assert status_of(case) == CaseStatus.CLOSED

    # The timeline shows each move: what, who (body and person), and why.
    page = text_of(client.get(reverse("cases:detail", args=[case.number])))
    for shown in (
        "Dispatched",
        "Signed for",
        "Hard matter requested",
        "Hard matter decided",
        "Extension decided",
        "Reply sent back",
        "请写明结果",
        "Supervision notice",
        "请今天答复",
        "Reply approved",
        "Return visit",
        "电话回访：满意",
        "Closed",
        "双堰街道派出所 · 双堰街道民警",  # the acting body and, for staff, the person
    ):
        assert shown in page, shown


def test_grid_worker_escalates_and_resolves_from_the_case_page(
    world: World, client: Client, clock: Any
) -> None:
    grid_worker = world.a.users["grid_worker"]
    signed_in(client, grid_worker)

    def report(title: str) -> Case:
        return submit(
            world,
            channel=Channel.GRID_WORKER,
            territory_code=world.a.grid.code,
            reporter=None,
            household_id=None,
            actor=grid_worker,
            title=title,
        )

    settled = report("小事")
    assert client.get(reverse("cases:detail", args=[settled.number])).context["allowed"] == {
        "resolve",
        "escalate",
    }
    act(client, settled, "resolve", what_was_done="现场劝导，已停止")
    settled.refresh_from_db()
    assert settled.resolved_on_spot and settled.status == CaseStatus.REPLIED

    bigger = report("大事")
    act(client, bigger, "escalate", reason="涉及多户")
    bigger.refresh_from_db()
    assert bigger.holder_code == world.a.village.territory_code
    page = text_of(client.get(reverse("cases:detail", args=[bigger.number])))
    assert "Escalated" in page and "涉及多户" in page and "→ 双堰街道一村" in page


def test_return_reject_and_merge_from_the_case_page(
    world: World, client: Client, clock: Any, police: Department
) -> None:
    operator, handler = world.a.users["township_operator"], world.a.users["dept_handler"]
    case = submit(world)
    case_accept(case=case, actor=operator)
    case_dispatch(case=case, actor=operator, department=police)
    signed_in(client, handler)
    response = act(client, case, "return", reason="属于市场监管")
    case.refresh_from_db()
    assert (case.status, case.lead_department, case.return_count) == (CaseStatus.ACCEPTED, None, 1)
    # The case is no longer the department's to see: back to its workbench, with the message.
    assert response.redirect_chain[-1][0] == reverse("cases:workbench")
    assert f"Case {case.number} returned to the center." in text_of(response)

    signed_in(client, operator)
    spam = submit(world, title="重复")
    act(client, spam, "reject", reason="不属于受理范围")
    assert status_of(spam) == CaseStatus.REJECTED
    duplicate = submit(world, title="又报一次")
    response = act(client, duplicate, "merge", into="520524-00000000-99999")
    assert "No case with number 520524-00000000-99999." in text_of(response)
    act(client, duplicate, "merge", into=case.number)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == case and duplicate.status == CaseStatus.CLOSED
    assert CaseReporter.objects.filter(case=case).count() == 2
    # Each timeline names the other case.
    page = text_of(client.get(reverse("cases:detail", args=[duplicate.number])))
    assert f'→ <a href="/cases/{case.number}/">{case.number}</a>' in page
    page = text_of(client.get(reverse("cases:detail", args=[case.number])))
    assert f"← {duplicate.number} · 1 reporter now follows this case" in page


# --- Refusals: stale pages, bad input, moves not yours ------------------------------------------


def test_a_stale_page_is_refused_with_the_services_message(
    world: World, client: Client, clock: Any
) -> None:
    operator = world.a.users["township_operator"]
    case = submit(world)
    shown = case.version
    signed_in(client, operator)
    act(client, case, "accept", version=shown)
    response = act(client, case, "reject", version=shown, reason="重复")
    assert (
        f"Someone else acted on case {case.number} a moment ago; it is now “Accepted”."
        in text_of(response)
    )
    assert status_of(case) == CaseStatus.ACCEPTED
    # The case page again, as it is now: rejecting is no longer among its moves.
    assert response.status_code == 400 and not response.redirect_chain
    assert response.context["case"].status == CaseStatus.ACCEPTED
    assert "reject" not in response.context["allowed"]


def test_bad_input_shows_the_services_message_and_changes_nothing(
    world: World, client: Client, clock: Any, police: Department
) -> None:
    operator, handler = world.a.users["township_operator"], world.a.users["dept_handler"]
    case = submit(world)
    signed_in(client, operator)
    events = len(kinds(case))
    response = act(client, case, "reject", reason="   ")
    assert "Please give the reason for not accepting the case." in text_of(response)
    assert status_of(case) == CaseStatus.SUBMITTED and len(kinds(case)) == events

    case_accept(case=case, actor=operator)
    case_dispatch(case=case, actor=operator, department=police)
    case_sign(case=case, actor=handler)
    signed_in(client, handler)
    response = act(client, case, "extension", days=31, reason="太复杂，需等待司法鉴定结果")
    assert "An extension can be 1 to 30 days" in text_of(response)
    # What was typed is still there, in the move's form, opened.
    page = text_of(response)
    assert ">太复杂，需等待司法鉴定结果</textarea>" in page and 'value="31"' in page
    assert '<details class="move" open>' in page
    response = act(client, case, "extension", days="many", reason="太复杂")
    assert "Days: Enter a whole number." in text_of(response)
    response = act(client, case, "reply", text="")
    assert "Please give the reply." in text_of(response)
    assert not CaseRequest.objects.filter(case=case).exists()
    assert status_of(case) == CaseStatus.IN_PROGRESS
    response = act(client, case, "sign")  # already signed: the state is named
    assert "it is now “In progress”" in text_of(response)


def test_a_move_that_is_never_yours_is_forbidden(world: World, client: Client, clock: Any) -> None:
    case = submit(world)  # held by the township center
    signed_in(client, world.a.users["village_operator"])  # sees it, may not accept it
    response = client.post(reverse("cases:accept", args=[case.number]), {"version": case.version})
    assert response.status_code == 403
    assert status_of(case) == CaseStatus.SUBMITTED
    assert client.get(reverse("cases:accept", args=[case.number])).status_code == 405


# --- Intake -------------------------------------------------------------------------------------


def test_grid_report_makes_one_case_however_often_it_is_sent(
    world: World, client: Client, clock: Any
) -> None:
    grid_worker = world.a.users["grid_worker"]
    signed_in(client, grid_worker)
    form = client.get(reverse("cases:report"))
    key = form.context["form"]["idempotency_key"].value()
    assert uuid.UUID(str(key))
    data = {
        "idempotency_key": key,
        "case_type": CaseType.HAZARD,
        "category": Category.objects.get(code="fire").pk,
        "urgency": "urgent",
        "title": "仓库堆放易燃物",
        "description": "后院仓库堆放大量纸箱",
        "address": "村东头仓库",
    }
    first = client.post(reverse("cases:report"), data, follow=True)
    case = Case.objects.get()
    assert first.redirect_chain[-1][0] == reverse("cases:detail", args=[case.number])
    assert (case.channel, case.holder_code, case.territory_code, case.created_by) == (
        Channel.GRID_WORKER,
        world.a.grid.code,
        world.a.grid.code,
        grid_worker,
    )
    again = client.post(reverse("cases:report"), data, follow=True)
    assert Case.objects.count() == 1
    assert f"This case was already received as {case.number}." in text_of(again)
    # Another account sending the same key gets its own case: keys are per account.
    signed_in(client, world.b.users["grid_worker"])
    client.post(reverse("cases:report"), data)
    assert Case.objects.count() == 2


def test_grid_report_with_bad_input_shows_the_form_again(
    world: World, client: Client, clock: Any
) -> None:
    signed_in(client, world.a.users["grid_worker"])
    key = str(uuid.uuid4())
    response = client.post(
        reverse("cases:report"),
        {
            "idempotency_key": key,
            "case_type": "complaint",
            "category": "",
            "title": "",
            "urgency": "normal",
        },
    )
    assert response.status_code == 200 and not Case.objects.exists()
    assert response.context["form"]["idempotency_key"].value() == key  # the same key again
    assert set(response.context["form"].errors) == {"category", "title", "description"}
    assert "This field is required." in text_of(response)
    signed_in(client, world.a.users["township_operator"])
    assert client.get(reverse("cases:report")).status_code == 403


def test_center_intake_with_a_household_found_by_search(
    world: World, client: Client, clock: Any
) -> None:
    operator = world.a.users["township_operator"]
    signed_in(client, operator)
    key = client.get(reverse("cases:intake")).context["form"]["idempotency_key"].value()
    options = client.post(reverse("cases:household_options"), {"household_q": "双堰街道中街"})
    assert f'value="{world.a.household.pk}"' in options.content.decode()
    # A phone number finds the household exactly, and is echoed masked only.
    options = client.post(reverse("cases:household_options"), {"household_q": "13800000001"})
    assert f'value="{world.a.household.pk}"' in options.content.decode()
    nothing = client.post(reverse("cases:household_options"), {"household_q": "13900009999"})
    assert "139****9999" in text_of(nothing) and "13900009999" not in text_of(nothing)

    response = client.post(
        reverse("cases:intake"),
        {
            "idempotency_key": key,
            "channel": Channel.PHONE,
            "case_type": CaseType.HELP,
            "category": Category.objects.get(code="dispute_neighbour").pk,
            "urgency": "normal",
            "title": "邻居违建遮挡采光",
            "description": "邻居加盖二层，遮挡采光。",
            "household": world.a.household.pk,
            "territory_code": "",
            "address": "",
            "reporter_kind": ReporterKind.HOUSEHOLD,
            "reporter_name": "张先生",
            "reporter_phone": "13912345678",
        },
        follow=True,
    )
    case = Case.objects.get()
    assert (case.channel, case.household, case.territory_code, case.holder_code) == (
        Channel.PHONE,
        world.a.household,
        world.a.household.territory_code,
        world.a.area.territory_code,
    )
    reporter = case.reporters.get()
    assert reporter.name == "张先生" and reporter.phone == "13912345678"
    page = text_of(response)
    assert "139****5678" in page and "13912345678" not in page


def test_center_intake_refuses_a_place_outside_the_scope(
    world: World, client: Client, clock: Any
) -> None:
    signed_in(client, world.a.users["township_operator"])
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "channel": Channel.WINDOW,
        "case_type": CaseType.CONSULTATION,
        "category": Category.objects.get(code="other").pk,
        "urgency": "normal",
        "title": "咨询",
        "description": "咨询政策",
        "territory_code": world.b.village.territory_code,
        "reporter_kind": ReporterKind.ANONYMOUS,
    }
    response = client.post(reverse("cases:intake"), data)
    assert "No place with this code in your territory." in text_of(response)
    data["household"] = world.b.household.pk  # not a choice for township A
    data["territory_code"] = ""
    response = client.post(reverse("cases:intake"), data)
    assert response.context["form"].errors["household"]
    data.pop("household")
    data["territory_code"] = world.a.village.territory_code
    client.post(reverse("cases:intake"), data)
    case = Case.objects.get()
    assert (case.territory_code, case.channel) == (world.a.village.territory_code, Channel.WINDOW)


# --- Lists ----------------------------------------------------------------------------------------


def test_the_place_names_a_doorplate_once(world: World, client: Client, clock: Any) -> None:
    doorplate = world.a.household.doorplate
    case = submit(world, address=doorplate)  # the doorplate page fills the address with it
    signed_in(client, world.a.users["township_operator"])
    page = text_of(client.get(reverse("cases:detail", args=[case.number])))
    assert page.count(doorplate) == 1
    other = submit(world, address="村东头仓库")  # a different place is still shown
    page = text_of(client.get(reverse("cases:detail", args=[other.number])))
    assert f"{doorplate}</a> · 村东头仓库" in page


def test_list_filters(world: World, client: Client, clock: Any, police: Department) -> None:
    operator = world.a.users["township_operator"]
    noise = submit(world, title="噪音扰民")
    fraud = submit(world, title="电信诈骗", category=Category.objects.get(code="fraud"))
    case_accept(case=fraud, actor=operator)
    case_dispatch(case=fraud, actor=operator, department=police)
    other_grid = submit(
        world,
        title="第二网格的事",
        territory_code=world.a.other_grid_household.territory_code,
        household_id=None,
        channel=Channel.PHONE,
    )
    clock.move_to(at(10, 9))
    signed_in(client, operator)

    def listed(**query: Any) -> list[str]:
        response = client.get(reverse("cases:list"), query)
        return [case.title for case in response.context["page"]]

    assert listed() == [other_grid.title, fraud.title, noise.title]
    assert listed(status=CaseStatus.DISPATCHED) == [fraud.title]
    assert listed(category=Category.objects.get(code="fraud").pk) == [fraud.title]
    assert listed(channel=Channel.PHONE) == [other_grid.title]
    assert listed(territory=world.a.other_grid.code) == [other_grid.title]
    assert listed(department=police.pk) == [fraud.title]
    assert listed(deadline="red") == [fraud.title]  # due Tuesday, it is Wednesday
    assert listed(deadline="ok") == []
    assert listed(q="诈骗") == [fraud.title]
    assert listed(q=noise.number) == [noise.title]
    assert listed(date_from="2026-06-09") == []
    assert listed(date_to="2026-06-08") == [other_grid.title, fraud.title, noise.title]
    assert listed(status="nonsense", q="诈骗") == [fraud.title]  # a bad field is ignored
    # ... and the list says so, with what to fix, in the part htmx swaps too.
    fragment = client.get(
        reverse("cases:list"),
        {"territory": "abc"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="case-results",
    ).content.decode()
    assert "Not applied, fix the filter:" in fragment and "Territory" in fragment
    assert "Not applied" not in client.get(reverse("cases:list"), {"q": "诈骗"}).content.decode()
    assert listed(queue="to_accept") == [noise.title, other_grid.title]  # the queue's order

    # htmx asks for the results alone.
    fragment = client.get(
        reverse("cases:list"), {"q": "诈骗"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="case-results"
    )
    assert fragment.templates[0].name == "cases/_results.html"
    assert "<html" not in fragment.content.decode()

    # A parent category stands for all of it (the select offers "All of …" first in a group).
    litter = submit(world, title="垃圾乱堆", category=Category.objects.get(code="environment"))
    security = Category.objects.get(code="public_security")
    assert listed(category=security.pk) == [other_grid.title, fraud.title, noise.title]
    assert litter.title in listed()
    assert "All of 治安" in client.get(reverse("cases:list")).content.decode()


@pytest.mark.parametrize("user_key", ["township_operator", "dept_handler"])
def test_list_query_count_is_the_same_for_5_and_30_cases(
    world: World,
    client: Client,
    clock: Any,
    police: Department,
    user_key: str,
    django_assert_num_queries: Any,
) -> None:
    operator = world.a.users["township_operator"]

    def add(count: int) -> None:
        for _ in range(count):
            case = submit(world)
            case_accept(case=case, actor=operator)
            case_dispatch(case=case, actor=operator, department=police)

    signed_in(client, world.a.users[user_key])
    url = reverse("cases:list")
    add(5)
    with CaptureQueriesContext(connection) as five:
        response = client.get(url, {"deadline": "ok"})
    assert len(response.context["page"]) == 5
    add(25)
    with django_assert_num_queries(len(five)):
        response = client.get(url, {"deadline": "ok"})
    assert len(response.context["page"]) == 30


def test_list_pages_by_fifty(world: World, client: Client, clock: Any) -> None:
    for n in range(51):
        submit(world, title=f"第{n}件")
    signed_in(client, world.a.users["township_operator"])
    first = client.get(reverse("cases:list"))
    assert len(first.context["page"]) == 50 and first.context["page"].paginator.num_pages == 2
    second = client.get(reverse("cases:list"), {"page": 2})
    assert [c.title for c in second.context["page"]] == ["第0件"]


def test_escalated_case_reaches_the_village_workbench(
    world: World, client: Client, clock: Any
) -> None:
    grid_worker = world.a.users["grid_worker"]
    case = submit(
        world,
        channel=Channel.GRID_WORKER,
        territory_code=world.a.grid.code,
        actor=grid_worker,
        household_id=None,
        reporter=None,
    )
    case_escalate(case=case, actor=grid_worker, reason="需要村里协调")
    response = signed_in(client, world.a.users["village_operator"]).get(reverse("cases:workbench"))
    assert response.context["queues"][0].rows == [case]
    assert (
        reverse("cases:escalate", args=[case.number])
        in client.get(reverse("cases:detail", args=[case.number])).content.decode()
    )
