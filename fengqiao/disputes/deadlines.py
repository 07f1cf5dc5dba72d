"""The mediation deadline (化解时限): one month by default, editable per level as data.

It rides on the cases' machinery: the same working-day calendar (``fengqiao.workdays``), the
same end-of-day due times (``cases.deadlines.due_after``) and the same derived states (yellow
before, red after); only the length is the disputes' own. A deadline in calendar days that
falls on a day off moves to the next working day, as a court's deadline does.
"""

from __future__ import annotations

import contextlib
import datetime
from dataclasses import dataclass

from django.utils import timezone

from fengqiao.cases.choices import DeadlineState
from fengqiao.cases.deadlines import END_OF_DAY, due_after
from fengqiao.disputes.choices import DEADLINE_STATUSES
from fengqiao.workdays.schedule import UnknownScheduleError, calendar


@dataclass(frozen=True)
class Policy:
    settle_days: int = 30
    working_days: bool = False
    yellow_days: int = 5


# "A dispute is normally settled within one month" (People's Mediation practice).
DEFAULT_POLICY = Policy()


def policy_for(level: str) -> Policy:
    from fengqiao.disputes.models import DeadlinePolicy

    row = DeadlinePolicy.objects.filter(level=level).first()
    if row is None:
        return DEFAULT_POLICY
    return Policy(
        settle_days=row.settle_days, working_days=row.working_days, yellow_days=row.yellow_days
    )


def settle_due(start: datetime.datetime, policy: Policy) -> datetime.datetime:
    """The end of the day the dispute should be settled by."""
    if policy.working_days:
        return due_after(start, policy.settle_days)
    day = timezone.localtime(start).date() + datetime.timedelta(days=policy.settle_days)
    # A year whose schedule is not yet known: keep the calendar day.
    with contextlib.suppress(UnknownScheduleError):
        day = calendar().add(day, 0)
    return timezone.make_aware(datetime.datetime.combine(day, END_OF_DAY))


def warn_time(due: datetime.datetime, policy: Policy) -> datetime.datetime:
    return due - datetime.timedelta(days=policy.yellow_days)


def deadline_state(
    *,
    status: str,
    due: datetime.datetime | None,
    warn_at: datetime.datetime | None,
    now: datetime.datetime | None = None,
) -> DeadlineState:
    """Derived from the stored times, so a missed sweep can never leave it stale."""
    if status not in DEADLINE_STATUSES or due is None:
        return DeadlineState.NONE
    now = now or timezone.now()
    if now > due:
        return DeadlineState.RED
    if warn_at is not None and now >= warn_at:
        return DeadlineState.YELLOW
    return DeadlineState.OK
