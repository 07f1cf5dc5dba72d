"""Background work of webhooks: the periodic dispatch and one delivery attempt.

``webhooks.dispatch`` runs from beat every few seconds: it reads the new case events into
deliveries and enqueues them, and re-enqueues pending deliveries whose retry is overdue
(their delayed message was lost, or their wait was too long to hold as one). Each
``webhooks.deliver`` makes one attempt and, after a failure, schedules the next with the
back-off delay. The database rows decide everything, so a lost, repeated or early message
costs nothing: the attempt claims its delivery first and does nothing if it cannot.
"""

from __future__ import annotations

from collections.abc import Iterable

from celery import shared_task
from django.db import transaction

from fengqiao.webhooks import policy
from fengqiao.webhooks.services import deliveries_dispatch, deliveries_due, delivery_attempt


def enqueue(delivery_ids: Iterable[int]) -> None:
    """Send a delivery task for each, once the current transaction (if any) has committed."""
    ids = list(delivery_ids)
    if ids:
        transaction.on_commit(lambda: [deliver.delay(pk) for pk in ids])


@shared_task(name="webhooks.dispatch")
def dispatch() -> dict[str, int]:
    result = deliveries_dispatch()
    due = deliveries_due()
    enqueue([*result.created, *due])
    return {"events": result.events_read, "created": len(result.created), "requeued": len(due)}


@shared_task(name="webhooks.deliver")
def deliver(delivery_id: int) -> str:
    """One attempt; returns what happened (for logs): delivered, retry, dead or skipped."""
    result = delivery_attempt(delivery_id=delivery_id)
    if result.attempt is None:
        return "skipped"
    if result.attempt.succeeded:
        return "delivered"
    if result.retry_in is None:
        return "dead"
    if result.retry_in <= policy.DELAYED_MESSAGE_LIMIT_SECONDS:
        deliver.apply_async((delivery_id,), countdown=result.retry_in)
    return "retry"
