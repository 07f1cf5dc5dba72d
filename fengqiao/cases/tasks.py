"""The deadline sweep: warnings, automatic supervision and return-visit reminders.

It reads only what has newly come due, through partial indexes that hold just the open cases
not yet warned, so its work follows what changed, not the size of the table. Each raise is
claimed with a conditional UPDATE, so two sweeps running at once still raise each warning
exactly once. Overdue itself is never decided here: pages derive it from the stored
deadline, so a sweep that did not run cannot leave a wrong state behind.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from celery import shared_task
from django.db.models import QuerySet
from django.utils import timezone

from fengqiao.cases.choices import DEADLINE_STATUSES, CaseStatus
from fengqiao.cases.models import Case
from fengqiao.cases.scoping import status_in_literal
from fengqiao.cases.services import (
    case_raise_red,
    case_raise_yellow,
    case_request_return_visit,
)

BATCH = 1000


def _drain(
    pending: Callable[[], QuerySet[Case]],
    raise_one: Callable[..., bool],
    now: datetime.datetime,
) -> int:
    """Raise for every pending case, a batch at a time, until none is left (or a batch
    raised nothing, which means the rest were claimed by a concurrent sweep)."""
    raised = 0
    while True:
        batch = list(pending().order_by().values_list("id", flat=True)[:BATCH])
        done = sum(raise_one(case_id=pk, now=now) for pk in batch)
        raised += done
        if len(batch) < BATCH or done == 0:
            return raised


@shared_task(name="cases.sweep_deadlines")
def sweep_deadlines() -> dict[str, int]:
    """One pass; returns how many of each it raised."""
    now = timezone.now()
    open_with_deadline = Case.objects.filter(status_in_literal(*DEADLINE_STATUSES))
    return {
        # Overdue first: a case both past due and unwarned gets the supervision notice only.
        "red": _drain(
            lambda: open_with_deadline.filter(red_raised_at__isnull=True, reply_due_at__lte=now),
            case_raise_red,
            now,
        ),
        "yellow": _drain(
            lambda: open_with_deadline.filter(yellow_raised_at__isnull=True, warn_at__lte=now),
            case_raise_yellow,
            now,
        ),
        "return_visit": _drain(
            lambda: Case.objects.filter(
                status_in_literal(CaseStatus.REPLIED.value),
                return_visit_requested_at__isnull=True,
                rating_due_at__lte=now,
            ),
            case_request_return_visit,
            now,
        ),
    }
