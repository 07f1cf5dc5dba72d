"""The dispatcher reads the case events into deliveries: each matching subscription gets each
event once, filtered by event type and territory, and a platform gets the cases it pushed."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client

from fengqiao.api.services import api_key_create
from fengqiao.cases.choices import EventKind
from fengqiao.cases.models import CaseEvent
from fengqiao.conftest import World
from fengqiao.org.models import Department
from fengqiao.webhooks.models import Delivery, DispatchCursor, Subscription
from fengqiao.webhooks.services import (
    CURSOR_NAME,
    deliveries_dispatch,
    subscription_create,
    subscription_secret,
)
from fengqiao.webhooks.tests.conftest import handle_to_reply, submit

URL = "https://receiver.example.org/hooks"


def kinds_of(subscription: Subscription) -> list[str]:
    return list(
        Delivery.objects.filter(subscription=subscription)
        .order_by("event_id")
        .values_list("event_kind", flat=True)
    )


@pytest.mark.django_db
def test_territory_and_event_type_filters(world: World, clock: Any, police: Department) -> None:
    county, _ = subscription_create(name="county", url=URL)
    township_a, _ = subscription_create(
        name="township-a", url=URL, territory_code=world.a.area.territory_code
    )
    township_b, _ = subscription_create(
        name="township-b", url=URL, territory_code=world.b.area.territory_code
    )
    replies_only, _ = subscription_create(
        name="replies", url=URL, event_kinds=[EventKind.REVIEW_APPROVE, EventKind.CLOSE]
    )
    handle_to_reply(world, submit(world), police)
    submit(world, territory_code=world.b.household.territory_code)

    result = deliveries_dispatch()

    a_events = list(
        CaseEvent.objects.filter(case__territory_code__startswith=world.a.area.territory_code)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert len(a_events) >= 6  # submit (+ routing), accept, dispatch, sign, reply, approve
    assert kinds_of(township_a) == a_events
    assert kinds_of(township_b) == ["submit"]
    assert kinds_of(county) == [*a_events, "submit"]
    assert kinds_of(replies_only) == ["review_approve"]
    assert len(result.created) == Delivery.objects.count()


@pytest.mark.django_db
def test_each_event_is_dispatched_once_however_often_it_is_read(world: World, clock: Any) -> None:
    subscription_create(name="county", url=URL)
    submit(world)
    first = deliveries_dispatch()
    assert first.created
    assert deliveries_dispatch().created == []  # the same events, re-read in the look-back
    clock.shift(datetime.timedelta(hours=1))
    assert deliveries_dispatch().created == []
    assert Delivery.objects.count() == len(first.created)


@pytest.mark.django_db
def test_an_event_that_committed_after_a_later_one_is_still_found(world: World, clock: Any) -> None:
    subscription_create(name="county", url=URL)
    case = submit(world)
    event = CaseEvent.objects.filter(case=case).latest("id")
    # Another transaction took a higher id and committed first; the dispatcher passed it.
    DispatchCursor.objects.update_or_create(
        name=CURSOR_NAME, defaults={"last_event_id": event.pk + 100}
    )
    clock.shift(datetime.timedelta(minutes=2))
    created = deliveries_dispatch().created
    assert Delivery.objects.filter(pk__in=created, event=event).exists()


@pytest.mark.django_db
def test_a_new_subscription_does_not_receive_history(world: World, clock: Any) -> None:
    submit(world)
    assert deliveries_dispatch().created == []  # nobody listens: the cursor moves on
    clock.shift(datetime.timedelta(hours=1))  # beyond the look-back window
    subscription, _ = subscription_create(name="late", url=URL)
    assert deliveries_dispatch().created == []
    submit(world)
    deliveries_dispatch()
    assert kinds_of(subscription) == ["submit"]  # what happens from now on


@pytest.mark.django_db
def test_a_platform_receives_the_cases_it_pushed_and_those_of_its_territory(
    world: World, clock: Any, police: Department
) -> None:
    # The platform pushes through the REST API as a county account, and subscribes to one
    # township: it hears of that township's cases and of every case it pushed itself.
    api_key, plaintext = api_key_create(name="province", user=world.county_operator)
    platform, _ = subscription_create(
        name="province-platform",
        url=URL,
        api_key=api_key,
        territory_code=world.a.area.territory_code,
    )
    _, other_plaintext = api_key_create(name="other", user=world.county_operator)

    def push(key: str, external_id: str) -> str:
        response = Client(HTTP_AUTHORIZATION=f"Token {key}").post(
            "/api/v1/cases/",
            {
                "case_type": "help",
                "category": "noise",
                "channel": "provincial",
                "title": "求助",
                "description": "夜间噪音",
                "territory_code": world.b.household.territory_code,
                "external_id": external_id,
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        return str(response.json()["number"])

    pushed = push(plaintext, "GZ-2026-000123")
    local = submit(world).number
    foreign = push(other_plaintext, "GZ-2026-000123")  # the same id from another system
    deliveries_dispatch()

    bodies = [json.loads(d.body) for d in Delivery.objects.filter(subscription=platform)]
    numbers = {body["case"]["number"] for body in bodies}
    assert numbers == {pushed, local}
    assert foreign not in numbers
    by_number = {body["case"]["number"]: body["case"] for body in bodies}
    assert by_number[pushed]["external_id"] == "GZ-2026-000123"
    assert by_number[local]["external_id"] is None


@pytest.mark.django_db
def test_a_platform_subscription_stays_inside_its_keys_territory(world: World) -> None:
    api_key, _ = api_key_create(name="province", territory_code=world.a.area.territory_code)
    with pytest.raises(Exception, match="520524001"):
        subscription_create(
            name="too-wide", url=URL, api_key=api_key, territory_code=world.b.area.territory_code
        )
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_a_revoked_platform_and_an_inactive_subscription_receive_nothing(
    world: World, clock: Any
) -> None:
    from fengqiao.api.services import api_key_revoke
    from fengqiao.webhooks.services import subscription_update

    api_key, _ = api_key_create(name="province")
    subscription_create(name="platform", url=URL, api_key=api_key)
    paused, _ = subscription_create(name="paused", url=URL)
    subscription_update(subscription=paused, is_active=False)
    api_key_revoke(name="province")
    submit(world)
    assert deliveries_dispatch().created == []


@pytest.mark.django_db
def test_the_payload_carries_no_personal_information(
    world: World, clock: Any, police: Department
) -> None:
    subscription_create(name="county", url=URL)
    case = handle_to_reply(world, submit(world), police)
    deliveries_dispatch()
    approve = Delivery.objects.get(event_kind=EventKind.REVIEW_APPROVE)
    body = json.loads(approve.body)
    assert body["delivery"] == str(approve.uuid)
    assert body["event"]["type"] == "review_approve"
    assert body["event"]["status"] == "replied"
    assert body["event"]["occurred_at"].endswith("+08:00")
    assert body["case"] == {
        "id": str(case.uuid),
        "number": case.number,
        "external_id": None,
        "status": "replied",
        "territory_code": case.territory_code,
        "category": {"code": "noise", "name": case.category.name},
        "lead_department": police.name,
        "reply_due_at": body["case"]["reply_due_at"],
        "public_text": "已上门处理，噪音已消除",
    }
    for delivery in Delivery.objects.all():
        assert "13800001111" not in delivery.body  # the reporter's phone, also in the text
        assert "王某" not in delivery.body
        assert "夜间噪音" not in delivery.body  # the description is the resident's own words


@pytest.mark.django_db
def test_the_secret_is_stored_encrypted(world: World) -> None:
    _, secret = subscription_create(name="county", url=URL)
    stored = Subscription.objects.values_list("secret_encrypted", flat=True).get()
    assert secret not in stored and secret[6:20] not in stored
    assert subscription_secret(Subscription.objects.get()) == secret


@pytest.mark.django_db
def test_bad_input_says_what_to_fix_and_saves_nothing(world: World) -> None:
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError) as error:
        subscription_create(name="x", url="not a url", event_kinds=["accept", "explode"])
    assert "url" in error.value.message_dict or "event_kinds" in error.value.message_dict
    with pytest.raises(ValidationError, match="explode"):
        subscription_create(name="x", url=URL, event_kinds=["explode"])
    with pytest.raises(ValidationError) as error:
        subscription_create(name="x", url="ftp//nowhere")
    assert "url" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        subscription_create(name="x", url=URL, actor=world.a.users["township_operator"])
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_a_cursor_moved_back_by_hand_sends_nothing_twice(world: World, clock: Any) -> None:
    subscription_create(name="county", url=URL)
    submit(world)
    first = deliveries_dispatch().created
    DispatchCursor.objects.update(last_event_id=0)
    clock.shift(datetime.timedelta(hours=1))
    assert deliveries_dispatch().created == []
    assert Delivery.objects.count() == len(first)
