"""Publishing, editing and withdrawing: who may, where, for how long; every change writes one
event; refusals say what to fix and change nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from fengqiao.bulletins.choices import (
    BulletinEventKind,
    BulletinKind,
    BulletinState,
    BulletinUrgency,
)
from fengqiao.bulletins.models import Bulletin, BulletinEvent
from fengqiao.bulletins.services import bulletin_edit, bulletin_withdraw
from fengqiao.bulletins.tests.conftest import DAY, NOW, publish
from fengqiao.conftest import World
from fengqiao.org.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> object:
    with translation.override("en"):
        yield


def edit(bulletin: Bulletin, actor: User, **changes: object) -> Bulletin:
    """Send the bulletin's own values back, with ``changes`` applied."""
    values: dict[str, object] = {
        "kind": BulletinKind(bulletin.kind),
        "urgency": BulletinUrgency(bulletin.urgency),
        "title": bulletin.title,
        "body": bulletin.body,
        "territory_code": bulletin.territory_code,
        "valid_from": bulletin.valid_from,
        "valid_until": bulletin.valid_until,
        "now": NOW,
    }
    values.update(changes)
    return bulletin_edit(bulletin=bulletin, actor=actor, **values)  # type: ignore[arg-type]


# --- Who may publish ---------------------------------------------------------------------------


def test_township_operator_publishes_to_the_township_with_one_event(world: World) -> None:
    operator = world.a.users["township_operator"]
    bulletin = publish(operator, world.a.area.territory_code, title="  防范电信诈骗  ")

    assert bulletin.title == "防范电信诈骗"
    assert bulletin.created_by == operator
    assert bulletin.state_at(NOW) == BulletinState.IN_FORCE
    assert bulletin.version == 1
    events = list(bulletin.events.all())
    assert [(e.kind, e.actor) for e in events] == [(BulletinEventKind.PUBLISHED, operator)]


def test_publishers_reach_down_their_subtree(world: World, center_leader: User) -> None:
    publish(world.county_operator, world.b.grid.code)  # the county reaches any grid
    publish(world.a.users["township_operator"], world.a.village.territory_code)
    publish(world.a.users["township_operator"], world.a.other_grid.code)
    publish(center_leader, world.a.area.territory_code)
    publish(world.admin, world.county.territory_code)
    assert Bulletin.objects.count() == 5


@pytest.mark.parametrize(
    "role", ["village_operator", "grid_worker", "unit_head", "dept_handler", "dept_leader"]
)
def test_others_may_not_publish(world: World, role: str) -> None:
    user = world.a.users[role]
    with pytest.raises(PermissionDenied, match="county or township center"):
        publish(user, user.scope_code or world.a.area.territory_code)
    assert not Bulletin.objects.exists()
    assert not BulletinEvent.objects.exists()


def test_an_inactive_publisher_may_not(world: World) -> None:
    operator = world.a.users["township_operator"]
    operator.is_active = False
    with pytest.raises(PermissionDenied):
        publish(operator, world.a.area.territory_code)


@pytest.mark.parametrize(
    "target",
    [
        "520524002",  # the sibling township
        "520524",  # the county above
        "520524002201001",  # a grid of the sibling township
    ],
)
def test_a_target_outside_the_scope_is_refused(world: World, target: str) -> None:
    with pytest.raises(ValidationError) as refused:
        publish(world.a.users["township_operator"], target)
    assert refused.value.message_dict == {
        "territory_code": [
            f"{target} is outside your territory: aim at 520524001 or a place under it."
        ]
    }
    assert not Bulletin.objects.exists()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("5205240019", "A bulletin is aimed at a county (6 digits)"),
        ("52052400120100100", "A bulletin is aimed at a county (6 digits)"),
        ("52052400a", "A bulletin is aimed at a county (6 digits)"),
        ("520524001999", "No current county, township, village or grid has the code 520524001999"),
        ("520524001201009", "No current county, township, village or grid has the code"),
    ],
)
def test_a_target_must_be_a_place(world: World, target: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        publish(world.a.users["township_operator"], target)
    assert message in refused.value.message_dict["territory_code"][0]


# --- The period --------------------------------------------------------------------------------


def test_a_start_in_the_past_means_now_and_times_keep_to_the_minute(world: World) -> None:
    bulletin = publish(
        world.a.users["township_operator"],
        world.a.area.territory_code,
        valid_from=NOW - 3 * DAY,
        valid_until=NOW + DAY + datetime.timedelta(seconds=42, microseconds=7),
    )
    assert bulletin.valid_from == NOW
    assert bulletin.valid_until == NOW + DAY


@pytest.mark.parametrize(
    ("valid_from", "valid_until", "message"),
    [
        (NOW + 2 * DAY, NOW + DAY, "The end of the period must come after its start."),
        (NOW, NOW, "The end of the period must come after its start."),
        (NOW - 3 * DAY, NOW - DAY, "The end of the period must come after its start."),
        (NOW, NOW + 367 * DAY, "A bulletin stays in force for at most 366 days"),
    ],
)
def test_the_period_must_make_sense(
    world: World, valid_from: datetime.datetime, valid_until: datetime.datetime, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        publish(
            world.a.users["township_operator"],
            world.a.area.territory_code,
            valid_from=valid_from,
            valid_until=valid_until,
        )
    assert refused.value.message_dict["valid_until"][0].startswith(message)


def test_a_year_is_allowed(world: World) -> None:
    bulletin = publish(
        world.a.users["township_operator"],
        world.a.area.territory_code,
        valid_until=NOW + 366 * DAY,
    )
    assert bulletin.state_at(NOW + 365 * DAY) == BulletinState.IN_FORCE


def test_the_database_refuses_a_reversed_period(world: World) -> None:
    """The constraint holds even for a writer that skipped the service."""
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Bulletin.objects.create(
            kind=BulletinKind.ANTI_DRUG,
            title="x",
            body="x",
            territory_code=world.a.area.territory_code,
            valid_from=NOW,
            valid_until=NOW - DAY,
            created_by=world.admin,
        )


# --- Edit --------------------------------------------------------------------------------------


def test_edit_records_what_changed(world: World) -> None:
    operator = world.a.users["township_operator"]
    bulletin = publish(operator, world.a.area.territory_code)
    edited = edit(
        bulletin,
        operator,
        title="警惕“刷单返利”诈骗",
        urgency=BulletinUrgency.URGENT,
        territory_code=world.a.village.territory_code,
        valid_until=NOW + 10 * DAY,
    )
    edited.refresh_from_db()
    assert edited.title == "警惕“刷单返利”诈骗"
    assert edited.is_pinned
    assert edited.territory_code == world.a.village.territory_code
    assert edited.version == 2
    event = edited.events.get(kind=BulletinEventKind.EDITED)
    assert event.actor == operator
    assert event.changes == {
        "title": ["警惕刷单返利诈骗", "警惕“刷单返利”诈骗"],
        "urgency": ["normal", "urgent"],
        "territory_code": ["520524001", "520524001201"],
        "valid_until": ["2026-06-15T09:00:00+08:00", "2026-06-18T09:00:00+08:00"],
    }


def test_edit_without_change_writes_nothing(world: World) -> None:
    operator = world.a.users["township_operator"]
    bulletin = publish(operator, world.a.area.territory_code)
    same = edit(
        bulletin, operator, valid_until=bulletin.valid_until + datetime.timedelta(seconds=30)
    )
    assert same.version == 1
    assert list(same.events.values_list("kind", flat=True)) == [BulletinEventKind.PUBLISHED]


def test_edit_cannot_move_the_target_out_of_scope(world: World) -> None:
    operator = world.a.users["township_operator"]
    bulletin = publish(operator, world.a.area.territory_code)
    with pytest.raises(ValidationError, match="outside your territory"):
        edit(bulletin, operator, territory_code=world.b.area.territory_code)
    bulletin.refresh_from_db()
    assert bulletin.territory_code == world.a.area.territory_code
    assert bulletin.events.count() == 1


def test_only_publishers_covering_the_target_edit(world: World) -> None:
    county_bulletin = publish(world.county_operator, world.county.territory_code)
    township_bulletin = publish(world.county_operator, world.a.area.territory_code)
    a_operator = world.a.users["township_operator"]
    # A county bulletin to the whole county is above township A: the county manages it.
    with pytest.raises(PermissionDenied, match="above your territory"):
        edit(county_bulletin, a_operator, title="改")
    # One aimed at township A alone is A's center's business too.
    assert edit(township_bulletin, a_operator, title="改").title == "改"
    with pytest.raises(PermissionDenied):
        edit(township_bulletin, world.b.users["township_operator"], title="改")
    with pytest.raises(PermissionDenied):
        edit(township_bulletin, world.a.users["grid_worker"], title="改")


def test_a_stale_edit_is_refused(world: World) -> None:
    operator = world.a.users["township_operator"]
    bulletin = publish(operator, world.a.area.territory_code)
    edit(bulletin, operator, title="第二版", version=1)
    with pytest.raises(ValidationError, match="Someone else changed the bulletin"):
        edit(bulletin, operator, title="第三版", version=1)
    bulletin.refresh_from_db()
    assert bulletin.title == "第二版"


def test_expired_and_withdrawn_bulletins_stay_as_they_were(world: World) -> None:
    operator = world.a.users["township_operator"]
    bulletin = publish(operator, world.a.area.territory_code)
    with pytest.raises(ValidationError, match="expired on 2026-06-15 09:00: publish a new"):
        edit(bulletin, operator, title="改", now=NOW + 8 * DAY)
    bulletin_withdraw(bulletin=bulletin, actor=operator, reason="重复发布", now=NOW)
    with pytest.raises(ValidationError, match="was withdrawn: it can no longer be edited"):
        edit(bulletin, operator, title="改")
    bulletin.refresh_from_db()
    assert bulletin.title == "警惕刷单返利诈骗"


def test_moving_a_scheduled_start_into_the_past_means_now(world: World) -> None:
    operator = world.a.users["township_operator"]
    bulletin = publish(operator, world.a.area.territory_code, valid_from=NOW + DAY)
    assert bulletin.state_at(NOW) == BulletinState.SCHEDULED
    edited = edit(bulletin, operator, valid_from=NOW - DAY)
    assert edited.valid_from == NOW
    assert edited.state_at(NOW) == BulletinState.IN_FORCE


# --- Withdraw ----------------------------------------------------------------------------------


def test_withdraw_needs_a_reason_and_is_recorded(world: World) -> None:
    operator = world.a.users["township_operator"]
    bulletin = publish(operator, world.a.area.territory_code)
    with pytest.raises(ValidationError) as refused:
        bulletin_withdraw(bulletin=bulletin, actor=operator, reason="   ", now=NOW)
    assert refused.value.message_dict == {"reason": ["Say why the bulletin is withdrawn."]}
    bulletin.refresh_from_db()
    assert bulletin.withdrawn_at is None

    bulletin_withdraw(bulletin=bulletin, actor=operator, reason=" 预警已解除 ", now=NOW + DAY)
    bulletin.refresh_from_db()
    assert bulletin.state_at(NOW + DAY) == BulletinState.WITHDRAWN
    assert bulletin.withdrawn_reason == "预警已解除"
    assert bulletin.version == 2
    last = bulletin.events.last()
    assert last is not None
    assert (last.kind, last.actor, last.note) == (
        BulletinEventKind.WITHDRAWN,
        operator,
        "预警已解除",
    )

    with pytest.raises(ValidationError, match="already withdrawn on 2026-06-09 09:00"):
        bulletin_withdraw(bulletin=bulletin, actor=operator, reason="再撤", now=NOW + DAY)
    assert bulletin.events.count() == 2


def test_an_expired_bulletin_is_not_withdrawn(world: World) -> None:
    operator = world.a.users["township_operator"]
    bulletin = publish(operator, world.a.area.territory_code)
    with pytest.raises(ValidationError, match="already expired"):
        bulletin_withdraw(bulletin=bulletin, actor=operator, reason="过期", now=NOW + 9 * DAY)


def test_a_scheduled_bulletin_can_be_withdrawn(world: World) -> None:
    operator = world.a.users["township_operator"]
    bulletin = publish(operator, world.a.area.territory_code, valid_from=NOW + DAY)
    withdrawn = bulletin_withdraw(bulletin=bulletin, actor=operator, reason="取消", now=NOW)
    assert withdrawn.state_at(NOW + 2 * DAY) == BulletinState.WITHDRAWN


def test_withdraw_is_refused_outside_the_scope(world: World) -> None:
    bulletin = publish(world.a.users["township_operator"], world.a.area.territory_code)
    for user in (world.b.users["township_operator"], world.a.users["village_operator"]):
        with pytest.raises(PermissionDenied):
            bulletin_withdraw(bulletin=bulletin, actor=user, reason="x", now=NOW)
    bulletin.refresh_from_db()
    assert bulletin.withdrawn_at is None
