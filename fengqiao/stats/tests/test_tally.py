"""The tally (stats.tally) never drifts from the cases: after any sequence of moves through the
services it equals a recomputation from the cases, and the figures read from it equal the
figures read from the cases."""

from __future__ import annotations

import datetime
import io
import random
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from fengqiao.cases.choices import CaseStatus, CaseType, Channel, Rating, ReporterKind
from fengqiao.cases.models import Case, CaseRequest, Category
from fengqiao.cases.routing import invalidate_routing
from fengqiao.cases.services import (
    CaseInput,
    ReporterInput,
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
from fengqiao.cases.tasks import sweep_deadlines
from fengqiao.cases.views import allowed_actions
from fengqiao.conftest import World
from fengqiao.org.models import Department
from fengqiao.stats import metrics, tally
from fengqiao.stats.metrics import BREAKDOWNS, Filters, Period
from fengqiao.stats.models import CaseTallyDelta
from fengqiao.stats.tests.conftest import JUNE, SHANGHAI, Dataset
from fengqiao.workdays.choices import DayKind
from fengqiao.workdays.services import workday_override_set

pytestmark = pytest.mark.django_db(transaction=False)

QUARTER = Period.custom(datetime.date(2026, 5, 1), datetime.date(2026, 7, 31))


def _readers(world: World) -> list[Any]:
    return [world.county_operator, world.admin, world.a.users["township_operator"]]


def _filters(world: World) -> list[Filters]:
    return [Filters(), Filters(territory=world.a.area.territory_code)]


def _assert_same_figures(world: World, period: Period) -> None:
    """Every figure function, every grouping, from the tally and from the cases."""
    for user in _readers(world):
        for filters in _filters(world):
            assert (
                metrics._tally_prefix(user, period, filters, "", 0, with_times=True) is not None
            ), "the tally is not read here: the comparison would prove nothing"
            for by in ("", *BREAKDOWNS):
                for with_times in (True, False):
                    if by == "":
                        from_tally = metrics.case_figures(user, period, filters)
                        with metrics.from_cases():
                            from_cases = metrics.case_figures(user, period, filters)
                    else:
                        from_tally = metrics.case_breakdown(
                            user, period, filters, by=by, with_times=with_times
                        )
                        with metrics.from_cases():
                            from_cases = metrics.case_breakdown(
                                user, period, filters, by=by, with_times=with_times
                            )
                    assert from_tally == from_cases, (user.username, filters, by, with_times)
                    if by != "":
                        for one, other in zip(from_tally, from_cases, strict=True):
                            assert one.figures.counts == other.figures.counts
                            assert one.figures.times == other.figures.times
            ranking = metrics.department_ranking(user, period, filters)
            with metrics.from_cases():
                assert ranking == metrics.department_ranking(user, period, filters)


def test_the_dataset_figures_come_out_the_same_from_the_tally(dataset: Dataset) -> None:
    world = dataset.world
    assert tally.stored() == tally.computed()
    _assert_same_figures(world, JUNE)
    june = metrics.case_figures(world.county_operator, JUNE)
    assert (june.received, june.closed, june.returns) == (7, 2, 1)
    assert (june.mean_reply_hours, june.p90_reply_hours) == (Decimal("22.6"), 49)


def test_folding_keeps_the_figures_and_empties_the_changes(dataset: Dataset) -> None:
    before = tally.stored()
    assert CaseTallyDelta.objects.exists()
    assert tally.fold() > 0
    assert not CaseTallyDelta.objects.exists()
    assert tally.stored() == before == tally.computed()
    assert tally.fold() == 0
    _assert_same_figures(dataset.world, JUNE)
    # A move after the fold appends again; read together, still the same.
    case_accept(case=dataset.cases["c7"], actor=dataset.world.b.users["township_operator"])
    assert CaseTallyDelta.objects.exists()
    assert tally.stored() == tally.computed()


def test_rebuild_command_recomputes(dataset: Dataset) -> None:
    expected = tally.stored()
    CaseTallyDelta.objects.all().delete()  # as if a bulk load had bypassed the services
    assert tally.stored() != expected
    call_command("tally", "rebuild")
    assert tally.stored() == expected
    call_command("tally", "check")


def test_rebuilding_one_month_keeps_the_others_and_the_years(dataset: Dataset) -> None:
    expected = tally.stored()
    call_command("tally", "rebuild", "--month", "2026-06")
    assert tally.stored() == expected == tally.computed()
    call_command("tally", "rebuild", "--month", "2026-05")  # no case: nothing changes
    assert tally.stored() == expected


def test_the_rebuild_command_names_a_wrong_month() -> None:
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("tally", "rebuild", "--month", "June")


def test_the_fold_command_folds(dataset: Dataset) -> None:
    expected = tally.stored()
    out = io.StringIO()
    call_command("tally", "fold", stdout=out)
    assert out.getvalue().startswith("folded ")
    assert not CaseTallyDelta.objects.exists()
    assert tally.stored() == expected


def test_the_check_command_fails_on_drift(dataset: Dataset) -> None:
    CaseTallyDelta.objects.filter(dimension="area").first().delete()  # type: ignore[union-attr]
    with pytest.raises(SystemExit):
        call_command("tally", "check")


def test_a_calendar_change_recomputes_the_replies_across_it(
    dataset: Dataset, django_capture_on_commit_callbacks: Any
) -> None:
    """c6 was accepted on Friday 5 June and replied on Monday 8 June: 18 working hours. Made a
    working day (调休), Saturday 6 June counts in full."""
    world = dataset.world
    before = metrics.case_figures(world.county_operator, JUNE)
    with dataset_clock(), django_capture_on_commit_callbacks(execute=True):
        workday_override_set(day=datetime.date(2026, 6, 6), kind=DayKind.WORKING, reason="调休")
    assert tally.stored() == tally.computed()
    after = metrics.case_figures(world.county_operator, JUNE)
    assert after.times.total_seconds == before.times.total_seconds + 86400
    _assert_same_figures(world, JUNE)


def dataset_clock() -> Any:
    return time_machine.travel(datetime.datetime(2026, 6, 12, 12, tzinfo=SHANGHAI), tick=False)


# ---------------------------------------------------------------------------------------
# Random moves


# How often a move is chosen when offered, against 1 for the others: the moves that end or
# restart a case's path would otherwise keep most cases from reaching a reply and a rating.
_RARELY = {"merge": 0.1, "supervise": 0.1, "return": 0.2, "escalate": 0.3, "reject": 0.3}


class _Driver:
    """Makes random allowed moves on random cases, as the people of the test world would."""

    def __init__(self, world: World, rng: random.Random, clock: Any) -> None:
        self.world, self.rng, self.clock = world, rng, clock
        self.now = datetime.datetime(2026, 5, 25, 9, tzinfo=SHANGHAI)
        self.people = [
            world.county_operator,
            *[
                township.users[role]
                for township in (world.a, world.b)
                for role in (
                    "township_operator",
                    "village_operator",
                    "grid_worker",
                    "dept_handler",
                    "dept_leader",
                )
            ],
        ]
        self.departments = list(Department.objects.order_by("pk"))
        self.categories = list(
            Category.objects.filter(is_active=True, children__isnull=True).order_by("pk")
        )
        self.made: dict[str, int] = {}

    def tick(self) -> None:
        # Sub-second instants too: near a second's, day's or month's end, each database must
        # cut the fraction the way Python does.
        minutes = self.rng.choice((5, 30, 90, 240, 600, 1500))
        fraction = self.rng.choice((0, 1, 999_600, 999_999, self.rng.randrange(1_000_000)))
        self.now += datetime.timedelta(minutes=minutes, microseconds=fraction)
        self.clock.move_to(self.now)

    def submit(self) -> None:
        township = self.rng.choice((self.world.a, self.world.b))
        channel = self.rng.choice((Channel.QR_DOORPLATE, Channel.PHONE, Channel.GRID_WORKER))
        place = self.rng.choice(
            (
                township.household.territory_code,
                township.village.territory_code,
                township.area.territory_code,
            )
        )
        arguments = {
            "case_type": self.rng.choice(list(CaseType)),
            "category": self.rng.choice(self.categories),
            "channel": channel,
            "title": "随机案件",
            "description": "随机生成的案件。",
            "territory_code": place,
            "reporter": ReporterInput(kind=ReporterKind.ANONYMOUS),
        }
        actor = township.users["grid_worker"] if channel == Channel.GRID_WORKER else None
        if self.rng.random() < 0.2:
            items = [CaseInput(**arguments) for _ in range(self.rng.randint(1, 3))]
            case_submit_many(items=items, actor=actor)
        else:
            case_submit(**arguments, actor=actor)
        self._count("submit")

    def _count(self, move: str) -> None:
        self.made[move] = self.made.get(move, 0) + 1

    def move(self) -> None:
        cases = list(
            Case.objects.exclude(status__in=(CaseStatus.CLOSED, CaseStatus.REJECTED)).order_by("pk")
        )
        self.rng.shuffle(cases)
        for case in cases[:6]:
            if (
                case.status == CaseStatus.REPLIED
                and case.reply_approved
                and self.rng.random() < 0.5
            ):
                rating = self.rng.choice(list(Rating))
                case_rate(case=case, rating=rating, comment="评价")
                self._count("rate")
                return
            pending = set(case.requests.filter(status="pending").values_list("kind", flat=True))
            options = [
                (person, action)
                for person in self.people
                for action in allowed_actions(person, case, pending)
            ]
            if options:
                # A move first (merging, open to every supervisor of every open case, would
                # crowd out the rest), then one of the people who may make it.
                actions = sorted({action for _person, action in options})
                weights = [_RARELY.get(action, 1.0) for action in actions]
                action = self.rng.choices(actions, weights=weights)[0]
                people = sorted((p.pk, p) for p, a in options if a == action)
                person = self.rng.choice(people)[1]
                self._do(action, person, case)
                self._count(action)
                return

    def _do(self, action: str, person: Any, case: Case) -> None:
        rng = self.rng
        if action == "accept":
            case_accept(case=case, actor=person)
        elif action == "reject":
            case_reject(case=case, actor=person, reason="不予受理")
        elif action == "escalate":
            case_escalate(case=case, actor=person, reason="需要上级协调")
        elif action == "dispatch":
            if case.status == CaseStatus.SUBMITTED:  # one click from the intake queue
                case = case_accept(case=case, actor=person)
            case_dispatch(case=case, actor=person, department=rng.choice(self.departments))
        elif action == "resolve":
            case_resolve_on_spot(case=case, actor=person, what_was_done="现场调解")
        elif action == "sign":
            case_sign(case=case, actor=person)
        elif action == "return":
            case_return(case=case, actor=person, reason="不属于本部门")
        elif action == "reply":
            case_reply(case=case, actor=person, text="已处理")
        elif action == "hard":
            case_request_hard(case=case, actor=person, reason="情况复杂")
        elif action == "extension":
            case_request_extension(case=case, actor=person, days=rng.randint(1, 10), reason="鉴定")
        elif action == "decide":
            request = CaseRequest.objects.filter(case=case, status="pending").first()
            assert request is not None
            approve = rng.random() < 0.7
            case_decide_request(request=request, actor=person, approve=approve, note="理由")
        elif action == "supervise":
            case_supervise(case=case, actor=person, message="请抓紧办理")
        elif action == "review":
            case_review_reply(case=case, actor=person, approve=rng.random() < 0.8, note="请补充")
        elif action == "return_visit":
            rating = rng.choice(list(Rating))
            case_return_visit(case=case, actor=person, rating=rating, note="电话回访")
        elif action == "merge":
            others = (
                Case.objects.exclude(pk=case.pk)
                .exclude(status__in=(CaseStatus.CLOSED, CaseStatus.REJECTED))
                .filter(territory_code__startswith=case.territory_code[:9])
            )
            into = rng.choice(list(others.order_by("pk")) or [None])
            if into is not None and allowed_actions(person, into, set()) & {"merge"}:
                case_merge(duplicate=case, into=into, actor=person)
        else:
            raise AssertionError(action)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_moves_never_drift(world: World, seed: int) -> None:
    invalidate_routing()
    rng = random.Random(seed)
    start = datetime.datetime(2026, 5, 25, 9, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False) as clock:
        driver = _Driver(world, rng, clock)
        for step in range(400):
            driver.tick()
            if step < 30 or rng.random() < 0.25:
                driver.submit()
            else:
                driver.move()
            if step % 40 == 39:
                sweep_deadlines()
            if step % 70 == 69:
                tally.fold()
            if step % 50 == 49:
                assert tally.stored() == tally.computed(), f"drift after step {step}"
        assert tally.stored() == tally.computed()
        # Every kind of move was made, so the comparison covers them all.
        wanted = {
            "submit",
            "accept",
            "reject",
            "escalate",
            "resolve",
            "dispatch",
            "sign",
            "return",
            "hard",
            "extension",
            "decide",
            "reply",
            "review",
            "rate",
            "return_visit",
            "merge",
        }
        assert wanted <= set(driver.made), str(sorted(driver.made.items()))
        _assert_same_figures(world, QUARTER)
        _assert_same_figures(world, Period.containing("month", datetime.date(2026, 6, 1)))
