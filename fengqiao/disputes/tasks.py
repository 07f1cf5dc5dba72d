"""The dispute deadline sweep: due-soon warnings and automatic supervision when overdue.

Like the cases' sweep it reads only what has newly come due (partial indexes hold just the
open disputes not yet warned) and claims each raise with a conditional UPDATE, so two sweeps
at once still raise each warning exactly once. Overdue itself is derived from the stored
due time on every page; a sweep that did not run leaves no wrong state behind.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from celery import shared_task
from django.db.models import QuerySet
from django.utils import timezone

from fengqiao.disputes.choices import DEADLINE_STATUSES
from fengqiao.disputes.models import Dispute
from fengqiao.disputes.services import dispute_raise_red, dispute_raise_yellow

BATCH = 1000


def _drain(
    pending: Callable[[], QuerySet[Dispute]],
    raise_one: Callable[..., bool],
    now: datetime.datetime,
) -> int:
    """Raise for every pending dispute, a batch at a time, until none is left (or a batch
    raised nothing: the rest were claimed by a concurrent sweep)."""
    raised = 0
    while True:
        batch = list(pending().order_by().values_list("id", flat=True)[:BATCH])
        done = sum(raise_one(dispute_id=pk, now=now) for pk in batch)
        raised += done
        if len(batch) < BATCH or done == 0:
            return raised


@shared_task(name="disputes.sweep_deadlines")
def sweep_deadlines() -> dict[str, int]:
    """One pass; returns how many of each it raised."""
    now = timezone.now()
    open_with_deadline = Dispute.objects.filter(status__in=DEADLINE_STATUSES)
    return {
        # Overdue first: a dispute both past due and unwarned gets the supervision only.
        "red": _drain(
            lambda: open_with_deadline.filter(red_raised_at__isnull=True, due_at__lte=now),
            dispute_raise_red,
            now,
        ),
        "yellow": _drain(
            lambda: open_with_deadline.filter(yellow_raised_at__isnull=True, warn_at__lte=now),
            dispute_raise_yellow,
            now,
        ),
    }
