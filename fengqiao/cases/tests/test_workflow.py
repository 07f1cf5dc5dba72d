"""Every move of the case loop through the services, with its guards and its timeline."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from fengqiao.cases.choices import (
    CaseStatus,
    CaseType,
    Channel,
    DeadlineState,
    EventKind,
    Rating,
    ReporterKind,
)
from fengqiao.cases.deadlines import deadline_state
from fengqiao.cases.models import Case, Category, Notification, RoutingRule, SupervisionNotice
from fengqiao.cases.services import (
    CaseInput,
    ReporterInput,
    StaleCaseError,
    TransitionError,
    case_accept,
    case_decide_request,
    case_dispatch,
    case_escalate,
    case_merge,
    case_rate,
    case_reject,
    case_reply,
    case_request_extension,
    case_request_hard,
    case_resolve_on_spot,
    case_return,
    case_return_visit,
    case_review_reply,
    case_sign,
    case_submit,
    case_submit_many,
    case_supervise,
)
from fengqiao.cases.tests.conftest import SHANGHAI
from fengqiao.conftest import World, colleague
from fengqiao.org.choices import Role
from fengqiao.org.models import Department
from fengqiao.org.services import staff_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Messages are checked in English here (Chinese is the default elsewhere)."""
    with translation.override("en"):
        yield


def submit(world: World, category: Category, **overrides: Any) -> Case:
    values: dict[str, Any] = {
        "case_type": CaseType.COMPLAINT,
        "category": category,
        "channel": Channel.QR_DOORPLATE,
        "title": "楼下夜间噪音",
        "description": "每晚十一点后楼下烧烤店噪音很大。",
        "territory_code": world.a.household.territory_code,
        "household_id": world.a.household.pk,
        "reporter": ReporterInput(kind=ReporterKind.HOUSEHOLD, name="张女士", phone="13800001111"),
    }
    values.update(overrides)
    case, created = case_submit(**values)
    assert created
    return case


def kinds(case: Case) -> list[str]:
    return list(case.events.order_by("id").values_list("kind", flat=True))


def local(moment: datetime.datetime | None) -> str:
    assert moment is not None
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def test_the_whole_loop_from_doorplate_to_rating(
    world: World, clock: Any, noise: Category, police: Department, noise_rule: RoutingRule
) -> None:
    operator = world.a.users["township_operator"]
    handler = world.a.users["dept_handler"]

    case = submit(world, noise)
    assert case.number.startswith("520524-20260608-")
    assert case.status == CaseStatus.SUBMITTED
    assert case.holder_code == world.a.area.territory_code  # 后台派单 at the township center
    assert case.suggested_department == police
    assert Notification.objects.filter(user=operator, case=case).exists()

    case_accept(case=case, actor=operator)
    case.refresh_from_db()
    assert local(case.reply_due_at) == "2026-06-09 23:59"  # one working day

    case_dispatch(case=case, actor=operator, department=police)
    case.refresh_from_db()
    assert local(case.sign_due_at) == "2026-06-08 23:59"
    assert Notification.objects.filter(user=handler, case=case, kind=EventKind.DISPATCH).exists()

    case_sign(case=case, actor=handler)
    case_reply(case=case, actor=handler, text="已联系店主，晚十点后停止户外经营。")
    case_review_reply(case=case, actor=operator, approve=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.REPLIED and case.reply_approved

    case_rate(case=case, rating=Rating.SATISFIED, comment="很快就解决了")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.rating == Rating.SATISFIED
    assert kinds(case) == [
        EventKind.SUBMIT,
        EventKind.ACCEPT,
        EventKind.DISPATCH,
        EventKind.SIGN,
        EventKind.REPLY,
        EventKind.REVIEW_APPROVE,
        EventKind.RATE,
        EventKind.CLOSE,
    ]
    # The resident's view of the timeline names bodies, never staff.
    bodies = set(case.events.values_list("actor_body", flat=True))
    assert handler.full_name not in bodies and "双堰街道派出所" in bodies


def test_direct_handling_skips_the_center(world: World, clock: Any, police: Department) -> None:
    id_card = Category.objects.get(code="id_card")
    RoutingRule.objects.create(
        category=id_card, territory_code="", department=police, handle_directly=True
    )
    case = submit(world, id_card, case_type=CaseType.CONSULTATION, title="补办身份证")
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED and case.lead_department == police
    assert kinds(case) == [EventKind.SUBMIT, EventKind.ACCEPT, EventKind.DISPATCH]


def test_the_most_specific_rule_wins(world: World, clock: Any, noise: Category) -> None:
    county_police = Department.objects.get(name="文腾街道派出所")  # any other department
    township_police = Department.objects.get(name="双堰街道派出所")
    RoutingRule.objects.create(
        category=Category.objects.get(code="public_security"),
        territory_code="",
        department=county_police,
    )
    RoutingRule.objects.create(
        category=noise, territory_code=world.county.territory_code, department=county_police
    )
    RoutingRule.objects.create(
        category=Category.objects.get(code="public_security"),
        territory_code=world.a.area.territory_code,
        department=township_police,
    )
    assert submit(world, noise).suggested_department == township_police  # longer territory
    assert (
        submit(
            world,
            Category.objects.get(code="fraud"),
            territory_code=world.b.household.territory_code,
        ).suggested_department
        == county_police
    )


def test_no_rule_means_triage(world: World, clock: Any) -> None:
    case = submit(world, Category.objects.get(code="other"))
    assert case.suggested_department is None and case.status == CaseStatus.SUBMITTED


def test_idempotent_intake(world: World, clock: Any, noise: Category) -> None:
    first = submit(world, noise, idempotency_key="app-42")
    again, created = case_submit(
        case_type=CaseType.COMPLAINT,
        category=noise,
        channel=Channel.MOBILE_APP,
        title="重复提交",
        description="同一个请求",
        territory_code=world.a.area.territory_code,
        idempotency_key="app-42",
    )
    assert (again.pk, created) == (first.pk, False)
    assert Case.objects.count() == 1


def test_reject_needs_a_reason_and_only_the_holder(
    world: World, clock: Any, noise: Category
) -> None:
    case = submit(world, noise)
    with pytest.raises(PermissionDenied):
        case_reject(case=case, actor=world.b.users["township_operator"], reason="不归我们")
    with pytest.raises(ValidationError, match="reason"):
        case_reject(case=case, actor=world.a.users["township_operator"], reason="  ")
    case_reject(case=case, actor=world.a.users["township_operator"], reason="不属于受理范围")
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
    with pytest.raises(TransitionError, match="Rejected"):
        case_accept(case=case, actor=world.a.users["township_operator"])


def test_grid_worker_resolves_on_the_spot_or_escalates(
    world: World, clock: Any, noise: Category
) -> None:
    grid_worker = world.a.users["grid_worker"]
    on_spot = submit(world, noise, channel=Channel.GRID_WORKER, actor=grid_worker)
    assert on_spot.holder_code == world.a.grid.code and on_spot.level == "grid"
    case_resolve_on_spot(case=on_spot, actor=grid_worker, what_was_done="现场劝导，已停止。")
    on_spot.refresh_from_db()
    assert on_spot.status == CaseStatus.REPLIED and on_spot.resolved_on_spot

    bigger = submit(world, noise, channel=Channel.GRID_WORKER, actor=grid_worker)
    case_escalate(case=bigger, actor=grid_worker, reason="涉及多户，需要村里协调")
    bigger.refresh_from_db()
    assert bigger.holder_code == world.a.village.territory_code
    case_escalate(case=bigger, actor=world.a.users["village_operator"], reason="需要派出所")
    bigger.refresh_from_db()
    assert (bigger.holder_code, bigger.level) == (world.a.area.territory_code, "township")
    with pytest.raises(PermissionDenied):
        case_escalate(case=bigger, actor=world.a.users["village_operator"], reason="再上报")
    case_escalate(case=bigger, actor=world.a.users["township_operator"], reason="重大")
    bigger.refresh_from_db()
    with pytest.raises(TransitionError, match="top"):
        case_escalate(case=bigger, actor=world.county_operator, reason="再上报")


def test_return_goes_back_to_the_dispatcher_and_counts(
    world: World, clock: Any, noise: Category, police: Department
) -> None:
    operator = world.a.users["township_operator"]
    case = submit(world, noise)
    case_accept(case=case, actor=operator)
    case_dispatch(case=case, actor=operator, department=police)
    with pytest.raises(PermissionDenied):
        case_return(case=case, actor=world.b.users["dept_handler"], reason="不是我们的")
    case_return(case=case, actor=world.a.users["dept_handler"], reason="属于市场监管")
    case.refresh_from_db()
    assert (case.status, case.lead_department, case.return_count) == (CaseStatus.ACCEPTED, None, 1)
    assert Notification.objects.filter(user=operator, kind=EventKind.RETURN).exists()
    # The department no longer sees it.
    assert not Case.objects.visible_to(world.a.users["dept_handler"]).filter(pk=case.pk).exists()


def test_a_return_by_the_suggested_department_withdraws_the_suggestion(
    world: World, clock: Any, noise: Category, police: Department, noise_rule: RoutingRule
) -> None:
    operator = world.a.users["township_operator"]
    case = submit(world, noise)
    assert case.suggested_department == police
    case_accept(case=case, actor=operator)
    case_dispatch(case=case, actor=operator, department=police)
    case_return(case=case, actor=world.a.users["dept_handler"], reason="属于镇政府职责")
    case.refresh_from_db()
    # The dispatch form no longer preselects the department that just sent it back.
    assert case.suggested_department is None and case.status == CaseStatus.ACCEPTED


def test_hard_matter_and_extensions_move_the_deadline(
    world: World, clock: Any, noise: Category, police: Department
) -> None:
    operator = world.a.users["township_operator"]
    handler, leader = world.a.users["dept_handler"], world.a.users["dept_leader"]
    case = submit(world, noise)
    case_accept(case=case, actor=operator)
    case_dispatch(case=case, actor=operator, department=police)
    case_sign(case=case, actor=handler)

    request = case_request_hard(case=case, actor=handler, reason="涉及多个部门")
    with pytest.raises(PermissionDenied):
        case_decide_request(request=request, actor=handler, approve=True)
    case_decide_request(request=request, actor=leader, approve=True, note="同意")
    case.refresh_from_db()
    assert case.is_hard
    assert local(case.reply_due_at) == "2026-06-15 23:59"  # 5 working days from Monday

    with pytest.raises(ValidationError, match="1 to 30"):
        case_request_extension(case=case, actor=handler, days=31, reason="太复杂")
    request = case_request_extension(case=case, actor=handler, days=20, reason="等待鉴定")
    with pytest.raises(ValidationError, match="already waiting"):
        case_request_extension(case=case, actor=handler, days=5, reason="再等")
    case_decide_request(request=request, actor=leader, approve=True)
    case.refresh_from_db()
    assert case.extension_days == 20
    assert local(case.reply_due_at) == "2026-07-05 23:59"
    with pytest.raises(ValidationError, match="1 to 10"):
        case_request_extension(case=case, actor=handler, days=11, reason="还要")
    denied = case_request_extension(case=case, actor=handler, days=10, reason="还要")
    with pytest.raises(ValidationError, match="reason"):
        case_decide_request(request=denied, actor=leader, approve=False)
    case_decide_request(request=denied, actor=leader, approve=False, note="抓紧办理")
    case.refresh_from_db()
    assert case.extension_days == 20


def test_supervision_review_send_back_unsatisfied_reopen_and_return_visit(
    world: World, clock: Any, noise: Category, police: Department
) -> None:
    operator = world.a.users["township_operator"]
    handler = world.a.users["dept_handler"]
    case = submit(world, noise)
    case_accept(case=case, actor=operator)
    case_dispatch(case=case, actor=operator, department=police)
    case_supervise(case=case, actor=world.county_operator, message="请尽快签收")
    assert SupervisionNotice.objects.filter(case=case, automatic=False).count() == 1
    with pytest.raises(PermissionDenied):
        case_supervise(case=case, actor=world.b.users["township_operator"], message="x")
    case_sign(case=case, actor=handler)
    case_reply(case=case, actor=handler, text="已处理")
    case_review_reply(case=case, actor=operator, approve=False, note="请说明处理结果")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    case_reply(case=case, actor=handler, text="已约谈店主并签订承诺书")
    case_review_reply(case=case, actor=operator, approve=True)
    case_rate(case=case, rating=Rating.UNSATISFIED, comment="还是很吵")
    case.refresh_from_db()
    assert (case.status, case.reopen_count) == (CaseStatus.DISPATCHED, 1)
    case_sign(case=case, actor=handler)
    case_reply(case=case, actor=handler, text="已查封违规设备")
    case_review_reply(case=case, actor=operator, approve=True)
    case_return_visit(case=case, actor=operator, rating=Rating.BASICALLY, note="电话回访：基本满意")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.rating == Rating.BASICALLY
    assert kinds(case).count(EventKind.REOPEN) == 1
    assert EventKind.RETURN_VISIT in kinds(case)


def test_merge_moves_the_reporter(world: World, clock: Any, noise: Category) -> None:
    first = submit(world, noise)
    duplicate = submit(
        world, noise, reporter=ReporterInput(kind=ReporterKind.PERSON, name="李先生")
    )
    case_merge(duplicate=duplicate, into=first, actor=world.a.users["township_operator"])
    duplicate.refresh_from_db()
    assert duplicate.status == CaseStatus.CLOSED and duplicate.merged_into == first
    assert sorted(first.reporters.values_list("name", flat=True)) == ["张女士", "李先生"]
    with pytest.raises(TransitionError):
        case_merge(duplicate=duplicate, into=first, actor=world.a.users["township_operator"])


def test_merging_a_dispatched_duplicate_tells_its_department(
    world: World, clock: Any, noise: Category, police: Department
) -> None:
    operator, handler = world.a.users["township_operator"], world.a.users["dept_handler"]
    first = submit(world, noise)
    duplicate = submit(world, noise)
    case_accept(case=duplicate, actor=operator)
    case_dispatch(case=duplicate, actor=operator, department=police)
    case_sign(case=duplicate, actor=handler)
    case_merge(duplicate=duplicate, into=first, actor=operator)
    told = Notification.objects.get(user=handler, kind=EventKind.MERGED_INTO)
    assert told.case == duplicate
    assert told.message == (
        f"Case {duplicate.number} was merged into {first.number}: it is closed, the work goes "
        "on there."
    )


def test_whoever_enters_a_case_is_not_notified_of_it(world: World, clock: Any) -> None:
    reporter = world.a.users["grid_worker"]
    other = colleague(reporter, "grid_a2")
    hazard = Category.objects.get(code="road")
    single = submit(
        world,
        hazard,
        channel=Channel.GRID_WORKER,
        actor=reporter,
        household_id=None,
        territory_code=world.a.grid.code,
    )
    item = CaseInput(
        case_type=CaseType.HAZARD,
        category=hazard,
        channel=Channel.GRID_WORKER,
        title="桥头护栏损坏",
        description="桥头护栏断了两段。",
        territory_code=world.a.grid.code,
    )
    ((batched, _created),) = case_submit_many(items=[item], actor=reporter)
    for case in (single, batched):
        assert case.holder_code == world.a.grid.code  # the grid's own queue
        told = set(Notification.objects.filter(case=case).values_list("user", flat=True))
        assert told == {other.pk}


def test_a_stale_page_is_refused_with_the_current_state(
    world: World, clock: Any, noise: Category
) -> None:
    operator = world.a.users["township_operator"]
    case = submit(world, noise)
    shown = case.version
    case_accept(case=case, actor=operator, version=shown)
    with pytest.raises(StaleCaseError, match="Accepted"):
        case_reject(case=case, actor=operator, reason="重复", version=shown)


def test_deadline_state_is_derived(world: World, clock: Any, noise: Category) -> None:
    operator = world.a.users["township_operator"]
    case = submit(world, noise)
    case_accept(case=case, actor=operator)
    case.refresh_from_db()

    def state() -> DeadlineState:
        return deadline_state(status=case.status, due=case.reply_due_at, warn_at=case.warn_at)

    assert state() == DeadlineState.OK
    clock.move_to(datetime.datetime(2026, 6, 9, 21, 0, tzinfo=SHANGHAI))
    assert state() == DeadlineState.YELLOW
    clock.move_to(datetime.datetime(2026, 6, 10, 0, 30, tzinfo=SHANGHAI))
    assert state() == DeadlineState.RED


def test_a_grid_worker_cannot_accept_or_reject_their_own_report(
    world: World, clock: Any, noise: Category
) -> None:
    grid_worker = world.a.users["grid_worker"]
    case = submit(world, noise, channel=Channel.GRID_WORKER, actor=grid_worker)
    with pytest.raises(PermissionDenied):
        case_accept(case=case, actor=grid_worker)
    with pytest.raises(PermissionDenied):
        case_reject(case=case, actor=grid_worker, reason="不需要")


def test_an_administrators_scope_limits_what_they_may_do(
    world: World, clock: Any, noise: Category
) -> None:

    township_admin = staff_create(
        username="admin_a",
        password="Test-pass-2026",
        full_name="双堰管理员",
        role=Role.ADMINISTRATOR,
        scope_code=world.a.area.territory_code,
    )
    in_b = submit(world, noise, territory_code=world.b.household.territory_code)
    with pytest.raises(PermissionDenied):
        case_accept(case=in_b, actor=township_admin)
    in_a = submit(world, noise)
    case_accept(case=in_a, actor=township_admin)
    case_reject(
        case=submit(world, noise, territory_code=world.b.household.territory_code),
        actor=world.admin,
        reason="测试",
    )
