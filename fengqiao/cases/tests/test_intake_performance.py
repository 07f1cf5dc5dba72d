"""Intake takes a fixed handful of statements, whatever the number of staff to notify or of
cases in a batch; the fast path leaves exactly what the step-by-step moves would."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models.signals import post_init
from django.utils.translation import gettext

from fengqiao.cases.choices import CaseStatus, CaseType, Channel, EventKind, ReporterKind
from fengqiao.cases.deadlines import due_after, policy_for, warn_time
from fengqiao.cases.models import (
    Case,
    CaseEvent,
    CaseNumberCounter,
    CaseReporter,
    Category,
    Notification,
    RoutingRule,
)
from fengqiao.cases.routing import invalidate_routing
from fengqiao.cases.services import (
    BatchItemError,
    CaseInput,
    ReporterInput,
    case_submit,
    case_submit_many,
)
from fengqiao.conftest import PASSWORD, World, colleague
from fengqiao.core.privacy import lookup_digest
from fengqiao.org.choices import Role
from fengqiao.org.models import Department
from fengqiao.org.services import staff_create

pytestmark = pytest.mark.django_db

# SQLite: inside the test's transaction case_submit's atomic block is a savepoint: SAVEPOINT
# and RELEASE are two of the statements counted. PostgreSQL writes the whole intake with one
# statement (no transaction of its own).
ONE_STATEMENT = connection.vendor == "postgresql"
TRIAGE_QUERIES = 1 if ONE_STATEMENT else 9  # household probe, number, case, reporter, event,
# notifications, the statistics' tally
KEYED_QUERIES = 2 if ONE_STATEMENT else 12  # + the key probe (and a savepoint around the case)
REPEAT_QUERIES = 2 if ONE_STATEMENT else 4  # the key probe and the case it found (SQLite: in a
# savepoint)
BATCH_QUERIES = 12  # the tally's rows of the whole batch: one more


def item(world: World, category: Category, **overrides: Any) -> CaseInput:
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
    return CaseInput(**values)


def submit(entry: CaseInput, actor: Any = None) -> tuple[Case, bool]:
    return case_submit(**vars(entry), actor=actor)


@pytest.fixture
def direct_rule(world: World, police: Department) -> RoutingRule:
    rule = RoutingRule.objects.create(
        category=Category.objects.get(code="id_card"),
        territory_code="",
        department=police,
        handle_directly=True,
    )
    invalidate_routing()
    return rule


def more_staff(world: World, police: Department, count: int) -> None:
    for n in range(count):
        staff_create(
            username=f"extra-operator-{n}",
            password=PASSWORD,
            full_name=f"值班员{n}",
            role=Role.CENTER_OPERATOR,
            scope_code=world.a.area.territory_code,
        )
        staff_create(
            username=f"extra-handler-{n}",
            password=PASSWORD,
            full_name=f"民警{n}",
            role=Role.DEPARTMENT_HANDLER,
            department=police,
        )


def test_triage_intake_takes_the_same_statements_however_many_operators(
    world: World,
    clock: Any,
    noise: Category,
    police: Department,
    django_assert_num_queries: Any,
) -> None:
    submit(item(world, noise))  # the routing table and the calendar are loaded once
    with django_assert_num_queries(TRIAGE_QUERIES):
        case, created = submit(item(world, noise))
    assert created
    more_staff(world, police, 5)
    with django_assert_num_queries(TRIAGE_QUERIES):
        case, _ = submit(item(world, noise))
    operators = Notification.objects.filter(case=case, kind=EventKind.SUBMIT)
    assert operators.count() == 6  # the township's operator and the five more


def test_direct_intake_takes_the_same_statements_as_triage(
    world: World,
    clock: Any,
    police: Department,
    direct_rule: RoutingRule,
    django_assert_num_queries: Any,
) -> None:
    id_card = Category.objects.get(code="id_card")
    submit(item(world, id_card, case_type=CaseType.CONSULTATION))
    more_staff(world, police, 3)
    with django_assert_num_queries(TRIAGE_QUERIES):
        case, _ = submit(item(world, id_card, case_type=CaseType.CONSULTATION))
    assert case.status == CaseStatus.DISPATCHED
    assert Notification.objects.filter(case=case, kind=EventKind.DISPATCH).count() == 2 + 3


def test_keyed_intake_and_its_repeat(
    world: World, clock: Any, noise: Category, django_assert_num_queries: Any
) -> None:
    submit(item(world, noise))
    with django_assert_num_queries(KEYED_QUERIES):
        first, created = submit(item(world, noise, idempotency_key="app-1"))
    assert created
    with django_assert_num_queries(REPEAT_QUERIES):
        again, created = submit(item(world, noise, idempotency_key="app-1", title="重发"))
    assert (again.pk, created) == (first.pk, False)


def test_direct_intake_leaves_what_accept_and_dispatch_would(
    world: World, clock: Any, police: Department, direct_rule: RoutingRule
) -> None:
    case, _ = submit(
        item(world, Category.objects.get(code="id_card"), case_type=CaseType.CONSULTATION)
    )
    case.refresh_from_db()
    now = case.accepted_at
    assert now is not None
    policy = policy_for(case.case_type, case.level)
    assert case.status == CaseStatus.DISPATCHED and case.lead_department == police
    assert case.suggested_department == police
    assert case.dispatched_at == now
    assert case.reply_due_at == due_after(now, policy.reply_days)
    assert case.warn_at == warn_time(case.reply_due_at, policy)
    assert case.sign_due_at == due_after(now, policy.sign_days)
    assert case.yellow_raised_at is None and case.red_raised_at is None
    assert case.version == 3  # received, accepted, dispatched
    assert list(case.co_departments.all()) == []
    events = list(case.events.order_by("id"))
    assert [(e.kind, e.from_status, e.to_status) for e in events] == [
        (EventKind.SUBMIT, "", CaseStatus.SUBMITTED),
        (EventKind.ACCEPT, CaseStatus.SUBMITTED, CaseStatus.ACCEPTED),
        (EventKind.DISPATCH, CaseStatus.ACCEPTED, CaseStatus.DISPATCHED),
    ]
    assert events[2].department == police and events[2].data == {"co": []}
    assert events[1].actor is None and events[2].actor is None
    handlers = {world.a.users["dept_handler"].pk, world.a.users["dept_leader"].pk}
    assert set(Notification.objects.filter(case=case).values_list("user_id", flat=True)) == (
        handlers
    )


def test_intake_rows(world: World, clock: Any, noise: Category) -> None:
    operator = world.a.users["township_operator"]
    other = colleague(operator, "township_a2")
    case, _ = submit(item(world, noise, channel=Channel.WINDOW), actor=operator)
    case.refresh_from_db()
    assert (case.status, case.version, case.created_by) == (CaseStatus.SUBMITTED, 1, operator)
    assert case.number == "520524-20260608-00001"
    reporter = CaseReporter.objects.get(case=case)
    assert reporter.phone.reveal() == "13800001111"
    assert reporter.phone_digest == lookup_digest("13800001111", "phone")
    assert reporter.household_id == world.a.household.pk
    event = CaseEvent.objects.get(case=case)
    assert (event.kind, event.actor, event.actor_body) == (
        EventKind.SUBMIT,
        operator,
        gettext("Governance center"),  # written in the language active at the time
    )
    assert event.data == {"channel": "window", "holder": world.a.area.territory_code}
    # The center's other operators are told; the one who entered it is not.
    notification = Notification.objects.get(case=case)
    assert notification.user == other and case.number in notification.message


def test_a_new_case_is_built_as_its_model_would_build_it(
    world: World, clock: Any, noise: Category
) -> None:
    """The intake fills a new case's attributes itself, unless a receiver of the init
    signals must see it built."""
    from fengqiao.cases.services import _sql

    insert = _sql().inserts[Case]
    values = {"title": "楼下夜间噪音", "category_id": noise.pk, "household_id": None}
    built, made = insert.instance(values), Case(**values)
    assert {**vars(built), "uuid": None, "_state": None} == {
        **vars(made),
        "uuid": None,
        "_state": None,
    }
    assert (built._state.adding, built._state.db) == (True, None)
    seen: list[Case] = []

    def receiver(sender: type[Case], instance: Case, **kwargs: Any) -> None:
        seen.append(instance)

    post_init.connect(receiver, sender=Case)
    try:
        case, _ = submit(item(world, noise))
    finally:
        post_init.disconnect(receiver, sender=Case)
    assert case in seen


def test_numbers_follow_on_per_county_and_day(world: World, clock: Any, noise: Category) -> None:
    numbers = [submit(item(world, noise))[0].number for _ in range(3)]
    assert numbers == [f"520524-20260608-0000{n}" for n in (1, 2, 3)]
    clock.move_to(datetime.datetime(2026, 6, 9, 9, 0, tzinfo=datetime.UTC))
    assert submit(item(world, noise))[0].number == "520524-20260609-00001"
    batch = case_submit_many(items=[item(world, noise) for _ in range(3)], actor=None)
    assert [case.number[-5:] for case, _ in batch] == ["00002", "00003", "00004"]
    assert CaseNumberCounter.objects.get(day=datetime.date(2026, 6, 9)).last == 4


def test_invalid_input_is_refused_as_full_clean_would(
    world: World, clock: Any, noise: Category
) -> None:
    with pytest.raises(ValidationError) as error:
        submit(item(world, noise, title="长" * 101))
    assert "title" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        submit(item(world, noise, household_id=10**9))
    assert "household" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        submit(item(world, noise, urgency="extreme"))
    assert "urgency" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        submit(item(world, noise, idempotency_key="k" * 101))
    assert "idempotency_key" in error.value.message_dict
    assert not Case.objects.exists()
    assert not CaseNumberCounter.objects.exists()  # no number was used up


def test_a_batch_takes_the_same_statements_whatever_its_size(
    world: World, clock: Any, noise: Category, django_assert_num_queries: Any
) -> None:
    id_card = Category.objects.get(code="id_card")
    RoutingRule.objects.create(
        category=id_card,
        territory_code="",
        department=Department.objects.get(name="双堰街道派出所"),
        handle_directly=True,
    )
    invalidate_routing()

    def batch(size: int, tag: str) -> list[CaseInput]:
        return [
            item(
                world,
                id_card if n % 3 == 0 else noise,
                idempotency_key=f"{tag}-{n}",
                territory_code=(world.a if n % 2 else world.b).household.territory_code,
                household_id=(world.a if n % 2 else world.b).household.pk,
            )
            for n in range(size)
        ]

    case_submit_many(items=batch(3, "warm"), actor=None)
    # The key probe, the household probe, the number, one insert each of cases, reporters
    # and events, the operators and the department staff, one insert of notifications. (A
    # batch larger than a statement may carry — 22 cases on SQLite — takes more inserts.)
    with django_assert_num_queries(BATCH_QUERIES):
        case_submit_many(items=batch(5, "small"), actor=None)
    with django_assert_num_queries(BATCH_QUERIES):
        answers = case_submit_many(items=batch(20, "large"), actor=None)
    assert all(created for _, created in answers)
    assert Case.objects.count() == 3 + 5 + 20


def test_a_batch_receives_each_item_as_case_submit_would(
    world: World, clock: Any, noise: Category, police: Department, direct_rule: RoutingRule
) -> None:
    id_card = Category.objects.get(code="id_card")
    entries = [
        item(world, noise, idempotency_key="p-1"),
        item(world, id_card, case_type=CaseType.CONSULTATION, idempotency_key="p-2"),
        item(
            world,
            noise,
            channel=Channel.PROVINCIAL,
            territory_code=world.b.area.territory_code,
            household_id=None,
            reporter=None,
        ),
    ]
    one_by_one = [submit(entry)[0] for entry in entries]
    keyed = [
        CaseInput(**{**vars(entry), "idempotency_key": f"batch-{n}"})
        for n, entry in enumerate(entries)
    ]
    batched = [case for case, created in case_submit_many(items=keyed, actor=None)]
    ignored = {"id", "uuid", "number", "idempotency_key", "created_at", "updated_at"}
    for single, batch in zip(one_by_one, batched, strict=True):
        single.refresh_from_db()
        batch.refresh_from_db()
        fields = [f.attname for f in Case._meta.concrete_fields if f.attname not in ignored]
        assert {f: getattr(single, f) for f in fields if not f.endswith("_at")} == {
            f: getattr(batch, f) for f in fields if not f.endswith("_at")
        }
        assert [(e.kind, e.to_status, e.department_id) for e in single.events.order_by("id")] == [
            (e.kind, e.to_status, e.department_id) for e in batch.events.order_by("id")
        ]
        assert sorted(
            Notification.objects.filter(case=single).values_list("user_id", "kind")
        ) == sorted(Notification.objects.filter(case=batch).values_list("user_id", "kind"))
        columns = ("kind", "name", "household_id", "phone", "phone_digest")
        assert list(single.reporters.values_list(*columns)) == list(
            batch.reporters.values_list(*columns)
        )


def test_a_batch_answers_known_and_repeated_keys(world: World, clock: Any, noise: Category) -> None:
    known, _ = submit(item(world, noise, idempotency_key="k-1"))
    answers = case_submit_many(
        items=[
            item(world, noise, idempotency_key="k-1"),
            item(world, noise, idempotency_key="k-2"),
            item(world, noise, idempotency_key="k-2"),
            item(world, noise),
        ],
        actor=None,
    )
    assert [created for _, created in answers] == [False, True, False, True]
    assert answers[0][0].pk == known.pk and answers[2][0] is answers[1][0]
    assert Case.objects.count() == 3


def test_one_invalid_item_refuses_the_batch(world: World, clock: Any, noise: Category) -> None:
    with pytest.raises(BatchItemError) as error:
        case_submit_many(
            items=[item(world, noise), item(world, noise, household_id=10**9)], actor=None
        )
    assert error.value.position == 1
    assert "household" in error.value.error.message_dict
    with pytest.raises(BatchItemError) as error:
        case_submit_many(items=[item(world, noise, title="  ")], actor=None)
    assert error.value.position == 0
    assert not Case.objects.exists()


def test_a_concurrent_intake_with_the_same_key_answers_with_the_winners_case(
    world: World, clock: Any, noise: Category, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other request inserted its case between this one's key probe and its insert: the
    insert writes nothing (no second case, no stray reporter, event or notification) and
    the answer is the winner's case."""
    from fengqiao.cases import services

    winner, _created = submit(item(world, noise, idempotency_key="app-race"))
    counts = (CaseReporter.objects.count(), CaseEvent.objects.count(), Notification.objects.count())
    probes = iter([None])  # the first probe misses (the winner had not committed yet)
    real_probe = services._case_with_key
    monkeypatch.setattr(
        services, "_case_with_key", lambda key, **kw: next(probes, None) or real_probe(key, **kw)
    )
    again, created = submit(item(world, noise, idempotency_key="app-race", title="重发"))
    assert (again.pk, created) == (winner.pk, False)
    assert Case.objects.filter(idempotency_key="app-race").count() == 1
    assert (
        CaseReporter.objects.count(),
        CaseEvent.objects.count(),
        Notification.objects.count(),
    ) == counts
