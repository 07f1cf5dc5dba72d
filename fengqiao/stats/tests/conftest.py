"""A small county of cases built through the services, with every figure worked out by hand.

All cases are received in June 2026 and looked at on Friday 2026-06-12 at noon (Shanghai):

| case | township | what happened | counted as |
|---|---|---|---|
| c1 | A | accepted, dispatched, signed and replied at once, rated satisfied | closed, on time |
| c2 | A | signed a day late, replied 49 h after acceptance (late), 回访: basically | closed, late |
| c3 | A | dispatched, returned (退单) by A's police, back with the center | return, overdue |
| c4 | A | signed, 2 days' extension, no reply yet | extension, overdue |
| c5 | A | rejected | received only |
| c6 | B | accepted Fri 16:00, replied Mon 10:00 (18 working hours), 重办 | reopened |
| c7 | B | submitted only | received only |
| c8 | B | a duplicate merged into c7 | not counted |
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fengqiao.cases.choices import CaseType, Channel, Rating, ReporterKind
from fengqiao.cases.models import Case, Category
from fengqiao.cases.routing import invalidate_routing
from fengqiao.cases.services import (
    ReporterInput,
    case_accept,
    case_decide_request,
    case_dispatch,
    case_merge,
    case_rate,
    case_reject,
    case_reply,
    case_request_extension,
    case_return,
    case_return_visit,
    case_review_reply,
    case_sign,
    case_submit,
)
from fengqiao.conftest import World
from fengqiao.org.models import Department
from fengqiao.stats.metrics import Period

SHANGHAI = ZoneInfo("Asia/Shanghai")
JUNE = Period.containing("month", datetime.date(2026, 6, 1))
LOOKED_AT = datetime.datetime(2026, 6, 12, 12, 0, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 6, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class Dataset:
    world: World
    cases: dict[str, Case]
    police_a: Department
    police_b: Department


def _submit(
    world: World, township: Any, channel: Channel = Channel.QR_DOORPLATE, **extra: Any
) -> Case:
    case, created = case_submit(
        case_type=extra.pop("case_type", CaseType.COMPLAINT),
        category=Category.objects.get(code="noise"),
        channel=channel,
        title="楼下夜间噪音",
        description="每晚十一点后楼下烧烤店噪音很大。",
        territory_code=township.household.territory_code,
        household_id=township.household.pk,
        reporter=ReporterInput(kind=ReporterKind.HOUSEHOLD, name="张女士", phone="13800001111"),
        **extra,
    )
    assert created
    return case


def build_dataset(world: World, clock: Any) -> Dataset:
    invalidate_routing()
    police_a = Department.objects.get(name="双堰街道派出所")
    police_b = Department.objects.get(name="文腾街道派出所")
    op_a, op_b = world.a.users["township_operator"], world.b.users["township_operator"]
    handler_a, leader_a = world.a.users["dept_handler"], world.a.users["dept_leader"]
    handler_b = world.b.users["dept_handler"]
    cases: dict[str, Case] = {}

    # c6 first: received on Friday 5 June, replied on Monday across the weekend.
    clock.move_to(at(5, 15))
    c6 = cases["c6"] = _submit(world, world.b, channel=Channel.PHONE)
    clock.move_to(at(5, 16))
    case_accept(case=c6, actor=op_b)
    case_dispatch(case=c6, actor=op_b, department=police_b)
    clock.move_to(at(5, 16, 30))
    case_sign(case=c6, actor=handler_b)

    clock.move_to(at(8, 9))
    c1, c2, c3, c4, c5 = (_submit(world, world.a) for _ in range(5))
    cases.update(c1=c1, c2=c2, c3=c3, c4=c4, c5=c5)
    c7 = cases["c7"] = _submit(world, world.b, case_type=CaseType.CONSULTATION)
    c8 = cases["c8"] = _submit(world, world.b, case_type=CaseType.CONSULTATION)
    for case in (c1, c2, c3, c4):
        case_accept(case=case, actor=op_a)
        case_dispatch(case=case, actor=op_a, department=police_a)
    case_reject(case=c5, actor=op_a, reason="不属于受理范围")
    case_merge(duplicate=c8, into=c7, actor=op_b)
    case_sign(case=c1, actor=handler_a)
    case_sign(case=c4, actor=handler_a)
    case_return(case=c3, actor=handler_a, reason="属于市场监管")
    request = case_request_extension(case=c4, actor=handler_a, days=2, reason="等待鉴定")
    case_decide_request(request=request, actor=leader_a, approve=True)
    clock.move_to(at(8, 9, 50))
    case_reply(case=c1, actor=handler_a, text="已处理")
    case_review_reply(case=c1, actor=op_a, approve=True)
    case_rate(case=c1, rating=Rating.SATISFIED)

    clock.move_to(at(8, 10))
    case_reply(case=c6, actor=handler_b, text="已约谈店主")
    case_review_reply(case=c6, actor=op_b, approve=True)
    clock.move_to(at(8, 11))
    case_rate(case=c6, rating=Rating.UNSATISFIED, comment="还是很吵")

    clock.move_to(at(9, 10))
    case_sign(case=c2, actor=handler_a)
    clock.move_to(at(10, 10))
    case_reply(case=c2, actor=handler_a, text="已处理")
    case_review_reply(case=c2, actor=op_a, approve=True)
    case_return_visit(case=c2, actor=op_a, rating=Rating.BASICALLY, note="电话回访：基本满意")

    clock.move_to(LOOKED_AT)
    for key, case in cases.items():
        cases[key] = Case.objects.get(pk=case.pk)
    return Dataset(world=world, cases=cases, police_a=police_a, police_b=police_b)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(at(1, 9), tick=False) as traveller:
        yield traveller


@pytest.fixture
def dataset(world: World, clock: Any) -> Dataset:
    return build_dataset(world, clock)
