"""The done-when test with a real Celery worker on Redis: a receiver that fails its first
three deliveries still gets every event of the case exactly once, signed."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from fengqiao.cases.models import CaseEvent
from fengqiao.conftest import World, redis_worker, wait_until
from fengqiao.org.models import Department
from fengqiao.webhooks.choices import DeliveryStatus
from fengqiao.webhooks.models import Attempt, Delivery
from fengqiao.webhooks.services import subscription_create
from fengqiao.webhooks.tests.conftest import Receiver, handle_to_reply, submit

BROKER = "redis://127.0.0.1:6379/13"
QUEUE = "webhooks-test"


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_on_redis_survives_three_failed_deliveries(
    world: World, police: Department, receiver: Receiver
) -> None:
    with redis_worker(
        broker=BROKER, queue=QUEUE, settings_module="fengqiao.webhooks.tests.worker_settings"
    ) as worker:
        _, receiver.secret = subscription_create(name="platform", url=receiver.url)
        receiver.fail_first = 3
        case = handle_to_reply(world, submit(world), police)
        events = set(CaseEvent.objects.filter(case=case).values_list("id", flat=True))
        worker.send("webhooks.dispatch")
        delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
        wait_until(lambda: delivered.count() >= len(events))
        worker.assert_alive()

    assert delivered.count() == len(events) == Delivery.objects.count()
    assert [request.answered for request in receiver.requests[:3]] == [500, 500, 500]
    accepted = receiver.accepted
    assert Counter(request.delivery for request in accepted).most_common(1)[0][1] == 1
    assert {request.data["event"]["id"] for request in accepted} == events
    assert len(receiver.requests) == len(events) + 3
    assert all(request.signed_correctly for request in receiver.requests)
    assert Attempt.objects.filter(succeeded=False, status_code=500).count() == 3
    assert Attempt.objects.filter(succeeded=True, status_code=200).count() == len(events)
    logs: Any = [
        list(delivery.log.order_by("number").values_list("status_code", flat=True))
        for delivery in Delivery.objects.all()
    ]
    assert all(log[-1] == 200 and set(log[:-1]) <= {500} for log in logs)
