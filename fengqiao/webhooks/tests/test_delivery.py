"""Delivery to a real HTTP receiver on 127.0.0.1: signed, retried with back-off, logged,
dead-lettered after the limit, replayed, and never lost. Tasks run eagerly here; time moves
by the test's clock (retries wait for the periodic dispatch, as after a worker restart)."""

from __future__ import annotations

import datetime
import json
import socket
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from fengqiao.cases.models import CaseEvent
from fengqiao.conftest import World
from fengqiao.org.models import Department
from fengqiao.webhooks.choices import DeliveryStatus
from fengqiao.webhooks.models import Attempt, Delivery
from fengqiao.webhooks.services import subscription_create
from fengqiao.webhooks.tasks import deliver, dispatch
from fengqiao.webhooks.tests.conftest import Receiver, handle_to_reply, serve, submit


def run_beat(clock: Any, capture: Any, *, rounds: int, step: datetime.timedelta) -> None:
    """What beat does over time: a dispatch pass, then the clock moves on."""
    for _ in range(rounds):
        with capture(execute=True):
            dispatch.delay()
        clock.shift(step)


def statuses(delivery: Delivery) -> list[int | None]:
    return list(delivery.log.order_by("number").values_list("status_code", flat=True))


@pytest.mark.django_db
def test_a_receiver_failing_its_first_three_deliveries_gets_every_event_exactly_once(
    world: World,
    clock: Any,
    police: Department,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, receiver.secret = subscription_create(name="platform", url=receiver.url)
    receiver.fail_first = 3
    case = handle_to_reply(world, submit(world), police)
    events = set(CaseEvent.objects.filter(case=case).values_list("id", flat=True))

    run_beat(
        clock, django_capture_on_commit_callbacks, rounds=3, step=datetime.timedelta(minutes=5)
    )

    assert [request.answered for request in receiver.requests[:3]] == [500, 500, 500]
    accepted = receiver.accepted
    assert all(request.signed_correctly for request in receiver.requests)
    # Exactly once per delivery id, and every event of the case among them.
    assert Counter(request.delivery for request in accepted).most_common(1)[0][1] == 1
    assert {request.data["event"]["id"] for request in accepted} == events
    assert len(accepted) == len(events) == Delivery.objects.count()
    assert len(receiver.requests) == len(events) + 3
    assert {request.event for request in accepted} == {
        request.data["event"]["type"] for request in accepted
    }
    assert all(request.data["case"]["number"] == case.number for request in accepted)
    # The delivery log: three failures, each followed by its success.
    assert not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
    failed_first = [delivery for delivery in Delivery.objects.all() if statuses(delivery)[0] == 500]
    assert len(failed_first) in (1, 2, 3)
    assert sum(statuses(delivery).count(500) for delivery in failed_first) == 3
    assert all(statuses(delivery)[-1] == 200 for delivery in Delivery.objects.all())
    assert Attempt.objects.filter(succeeded=False).count() == 3
    assert Attempt.objects.filter(succeeded=True).count() == len(events)
    failure = Attempt.objects.filter(succeeded=False).first()
    assert failure is not None
    assert failure.error == "HTTP 500" and failure.response_excerpt == "temporarily broken"


@pytest.mark.django_db
def test_retries_wait_for_the_back_off(
    world: World,
    clock: Any,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscription_create(name="platform", url=receiver.url, event_kinds=["submit"])
    receiver.always_fail = True
    submit(world)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.delay()
    delivery = Delivery.objects.get()
    assert delivery.attempts == 1 and len(receiver.requests) == 1
    wait = (delivery.next_attempt_at - datetime.datetime.now(datetime.UTC)).total_seconds()
    assert 24 <= wait <= 36  # 30 s ± 20 %

    # A task message arriving early (a duplicate, a redelivery) does nothing.
    assert deliver.delay(delivery.pk).get() == "skipped"
    clock.shift(datetime.timedelta(seconds=wait + 61))
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.delay()
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and len(receiver.requests) == 2
    second_wait = (delivery.next_attempt_at - datetime.datetime.now(datetime.UTC)).total_seconds()
    assert 48 <= second_wait <= 72


@pytest.mark.django_db
def test_dead_letter_after_the_limit_then_replay_delivers_it_once(
    world: World,
    clock: Any,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, receiver.secret = subscription_create(
        name="platform", url=receiver.url, event_kinds=["submit"], max_attempts=3
    )
    receiver.always_fail = True
    submit(world)
    run_beat(clock, django_capture_on_commit_callbacks, rounds=8, step=datetime.timedelta(hours=1))

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DEAD and delivery.dead_at is not None
    assert statuses(delivery) == [500, 500, 500]  # no fourth try without a replay
    assert len(receiver.requests) == 3

    receiver.always_fail = False
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("webhooks", "replay", "--subscription", "platform", stdout=out)
    assert "1 dead letters" in out.getvalue()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert statuses(delivery) == [500, 500, 500, 200]
    assert [request.answered for request in receiver.requests] == [500, 500, 500, 200]
    assert receiver.requests[-1].signed_correctly

    # Replaying again sends nothing: only dead letters move.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("webhooks", "replay", stdout=StringIO())
    run_beat(clock, django_capture_on_commit_callbacks, rounds=2, step=datetime.timedelta(hours=1))
    assert len(receiver.requests) == 4
    status = StringIO()
    call_command("webhooks", "status", stdout=status)
    assert status.getvalue() == "platform\tdelivered\t1\n"


@pytest.mark.django_db
def test_replay_names_an_unknown_subscription(world: World) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nobody"):
        call_command("webhooks", "replay", "--subscription", "nobody", stdout=StringIO())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.django_db
def test_a_receiver_that_is_down_loses_nothing(
    world: World,
    clock: Any,
    police: Department,
    django_capture_on_commit_callbacks: Any,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/fengqiao"
    _, secret = subscription_create(name="platform", url=url, max_attempts=4)
    case = handle_to_reply(world, submit(world), police)
    events = set(CaseEvent.objects.filter(case=case).values_list("id", flat=True))

    run_beat(
        clock, django_capture_on_commit_callbacks, rounds=2, step=datetime.timedelta(minutes=2)
    )
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == len(events)
    failure = Attempt.objects.first()
    assert failure is not None and failure.status_code is None
    assert "ConnectError" in failure.error

    run_beat(clock, django_capture_on_commit_callbacks, rounds=6, step=datetime.timedelta(hours=1))
    assert Delivery.objects.filter(status=DeliveryStatus.DEAD).count() == len(events)

    # The receiver comes back on its address; the administrator replays the dead letters.
    receiver = Receiver(secret=secret)
    server = serve(receiver, port=port)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("webhooks", "replay", stdout=StringIO())
    finally:
        server.shutdown()
        server.server_close()
    assert {request.data["event"]["id"] for request in receiver.accepted} == events
    assert len(receiver.requests) == len(events)
    assert all(request.signed_correctly for request in receiver.requests)
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == len(events)


@pytest.mark.django_db
def test_the_body_sent_is_the_frozen_body(
    world: World, clock: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscription_create(name="platform", url=receiver.url)
    submit(world)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.delay()
    delivery = Delivery.objects.get()
    (request,) = receiver.requests
    assert request.body == delivery.body.encode()
    assert request.delivery == str(delivery.uuid) == json.loads(request.body)["delivery"]
    assert request.event == "submit"


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["switched_off", "territory_narrowed"])
def test_what_is_queued_stops_when_the_subscription_no_longer_wants_it(
    world: World,
    clock: Any,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
    change: str,
) -> None:
    subscription, _secret = subscription_create(
        name="platform", url=receiver.url, event_kinds=["submit"]
    )
    receiver.always_fail = True
    submit(world)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.delay()
    assert len(receiver.requests) == 1
    # The administrator reacts (a compromised receiver, a re-drawn area) before the retry.
    if change == "switched_off":
        subscription.is_active = False
    else:
        subscription.territory_code = world.b.area.territory_code
    subscription.save()
    clock.shift(datetime.timedelta(hours=1))
    run_beat(clock, django_capture_on_commit_callbacks, rounds=3, step=datetime.timedelta(hours=1))
    delivery = Delivery.objects.get()
    assert len(receiver.requests) == 1  # nothing more was sent
    assert delivery.status == DeliveryStatus.DEAD and "withdrawn" in delivery.last_error
    assert delivery.attempts == 1
