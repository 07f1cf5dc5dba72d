"""Doorplate services: issuing, re-issuing, revoking, who may, and the demo loader."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fengqiao.conftest import World
from fengqiao.doorplates.demo import load_demo
from fengqiao.doorplates.models import Doorplate
from fengqiao.doorplates.services import (
    can_manage_doorplates,
    doorplate_for_token,
    doorplate_issue,
    doorplate_issue_missing_under,
    doorplate_revoke,
)

pytestmark = pytest.mark.django_db


def test_reissuing_revokes_the_old_plate_and_the_new_token_works_at_once(world: World) -> None:
    household = world.a.household
    actor = world.a.users["village_operator"]
    first = doorplate_issue(household=household, actor=actor)
    old_token = first.token()

    second = doorplate_issue(household=household, actor=actor, reason="门牌丢失")

    old = doorplate_for_token(old_token)
    assert old is not None and old.pk == first.pk and not old.is_active
    assert old.revoked_reason == "门牌丢失"
    new = doorplate_for_token(second.token())
    assert new is not None and new.pk == second.pk and new.is_active
    assert new.household == household
    assert second.token() != old_token and len(second.token()) >= 22
    assert Doorplate.objects.filter(household=household, revoked_at__isnull=True).count() == 1
    # The token is not stored in the clear.
    row = Doorplate.objects.values("token_digest", "token_sealed").get(pk=second.pk)
    assert second.token() not in row["token_digest"] and second.token() not in row["token_sealed"]


def test_revoking_needs_a_reason_and_stops_the_plate(world: World) -> None:
    actor = world.a.users["township_operator"]
    plate = doorplate_issue(household=world.a.household, actor=actor)
    with pytest.raises(ValidationError):
        doorplate_revoke(doorplate=plate, actor=actor, reason="  ")
    doorplate_revoke(doorplate=plate, actor=actor, reason="房屋拆除")
    found = doorplate_for_token(plate.token())
    assert found is not None and not found.is_active and found.revoked_reason == "房屋拆除"


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("township_operator", True),
        ("village_operator", True),
        ("admin", True),
        ("county_operator", True),
        ("grid_worker", False),
        ("unit_head", False),
        ("dept_handler", False),
        ("dept_leader", False),
        ("other_township_operator", False),
    ],
)
def test_who_may_manage_plates(world: World, who: str, allowed: bool) -> None:
    users = {
        **world.a.users,
        "admin": world.admin,
        "county_operator": world.county_operator,
        "other_township_operator": world.b.users["township_operator"],
    }
    actor = users[who]
    household = world.a.household
    assert can_manage_doorplates(actor, household.territory_code) is allowed
    if allowed:
        assert doorplate_issue(household=household, actor=actor).is_active
    else:
        with pytest.raises(PermissionDenied):
            doorplate_issue(household=household, actor=actor)
        assert not Doorplate.objects.filter(household=household).exists()


def test_revoking_another_townships_plate_is_refused(world: World) -> None:
    plate = doorplate_issue(household=world.b.household, actor=world.b.users["township_operator"])
    with pytest.raises(PermissionDenied):
        doorplate_revoke(doorplate=plate, actor=world.a.users["township_operator"], reason="x")
    assert Doorplate.objects.get(pk=plate.pk).is_active


def test_issuing_the_missing_plates_of_a_township_is_idempotent(world: World) -> None:
    actor = world.a.users["township_operator"]
    kept = doorplate_issue(household=world.a.household, actor=actor)

    assert (
        doorplate_issue_missing_under(
            territory_code=world.a.area.territory_code, actor=actor, batch_size=1
        )
        == 1
    )
    assert (
        doorplate_issue_missing_under(territory_code=world.a.area.territory_code, actor=actor) == 0
    )
    assert Doorplate.objects.get(pk=kept.pk).is_active  # an existing plate is kept
    assert Doorplate.objects.filter(revoked_at__isnull=True).count() == 2
    assert not Doorplate.objects.filter(territory_code__startswith=world.b.area.territory_code)


def test_load_demo_issues_every_household_of_the_township_once(world: World) -> None:
    township = world.a.area.territory_code
    assert load_demo(township_code=township, actor=world.admin) == 2
    assert load_demo(township_code=township, actor=world.admin) == 0
    assert Doorplate.objects.count() == 2
    with pytest.raises(PermissionDenied):
        load_demo(
            township_code=world.b.area.territory_code, actor=world.a.users["township_operator"]
        )
