"""The done-when test with a real Celery worker on Redis: a receiver that fails its first
three deliveries still gets every event of the case exactly once, signed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from fengqiao.cases.models import CaseEvent
from fengqiao.conftest import World
from fengqiao.org.models import Department
from fengqiao.webhooks.choices import DeliveryStatus
from fengqiao.webhooks.models import Attempt, Delivery
from fengqiao.webhooks.services import subscription_create
from fengqiao.webhooks.tests.conftest import Receiver, handle_to_reply, submit

ROOT = Path(__file__).resolve().parents[3]
BROKER = "redis://127.0.0.1:6379/13"
QUEUE = "webhooks-test"


def worker_env() -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fengqiao.webhooks.tests.worker_settings",
        "FENGQIAO_BROKER_URL": BROKER,
        "FENGQIAO_TASKS_EAGER": "0",
    }
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        env["FENGQIAO_DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["FENGQIAO_DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    return env


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_on_redis_survives_three_failed_deliveries(
    world: World, police: Department, receiver: Receiver
) -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:"):
        pytest.skip("the in-memory SQLite test database is invisible to a worker process")
    _, receiver.secret = subscription_create(name="platform", url=receiver.url)
    receiver.fail_first = 3
    case = handle_to_reply(world, submit(world), police)
    events = set(CaseEvent.objects.filter(case=case).values_list("id", flat=True))

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "fengqiao",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            QUEUE,
        ],
        cwd=ROOT,
        env=worker_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        from celery import Celery

        client = Celery("fengqiao-webhooks-test", broker=BROKER)
        client.send_task("webhooks.dispatch", queue=QUEUE)
        deadline = time.monotonic() + 30
        delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED)
        while time.monotonic() < deadline and delivered.count() < len(events):
            time.sleep(0.2)
        assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else ""
    finally:
        worker.terminate()
        worker.wait(timeout=15)

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
