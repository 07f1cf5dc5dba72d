"""Deadlines on the working-day calendar, from the policies stored as data.

A deadline of N working days falls at the end (23:59:59, local time) of the N-th working day
after the day the clock starts; N = 0 means the end of that day if it is a working day, else
of the next one. Extensions are counted in calendar days, as the seed's "at most one month
(30 days)" is.
"""

from __future__ import annotations

import datetime
import threading
import time
from dataclasses import dataclass

from django.utils import timezone

from fengqiao.cases.choices import DEADLINE_STATUSES, CaseStatus, DeadlineState, Level
from fengqiao.workdays.schedule import calendar

END_OF_DAY = datetime.time(23, 59, 59)


@dataclass(frozen=True)
class Policy:
    sign_days: int = 0
    reply_days: int = 1
    hard_reply_days: int = 5
    extension_cap_days: int = 30
    yellow_hours: int = 4
    rating_wait_days: int = 3


# The seed's rules (柳塘镇 码上办): reply at once or within 1 working day; hard matters within
# 5 working days after approval; extensions at most 30 days in total.
DEFAULT_POLICY = Policy()

# Policies edited in another process reach this one within this many seconds; the process
# that saves a policy reloads at once (invalidate_policies on commit).
RELOAD_SECONDS = 60.0

_lock = threading.Lock()
_policies: dict[tuple[str, str], Policy] | None = None
_loaded_at = 0.0


def policy_for(case_type: str, level: str) -> Policy:
    """The policy for a case type at a level (cached per process, reloaded as above)."""
    global _policies, _loaded_at
    if _policies is None or time.monotonic() - _loaded_at > RELOAD_SECONDS:
        with _lock:
            if _policies is None or time.monotonic() - _loaded_at > RELOAD_SECONDS:
                _policies = _load_policies()
                _loaded_at = time.monotonic()
    return _policies.get((case_type, level), DEFAULT_POLICY)


def _load_policies() -> dict[tuple[str, str], Policy]:
    from fengqiao.cases.models import DeadlinePolicy

    return {
        (row.case_type, row.level): Policy(
            sign_days=row.sign_days,
            reply_days=row.reply_days,
            hard_reply_days=row.hard_reply_days,
            extension_cap_days=row.extension_cap_days,
            yellow_hours=row.yellow_hours,
            rating_wait_days=row.rating_wait_days,
        )
        for row in DeadlinePolicy.objects.all()
    }


def invalidate_policies() -> None:
    global _policies
    with _lock:
        _policies = None


def due_after(start: datetime.datetime, working_days: int) -> datetime.datetime:
    """The end of the working day ``working_days`` after ``start`` (local calendar)."""
    local_day = timezone.localtime(start).date()
    due_day = calendar().add(local_day, working_days)
    return timezone.make_aware(datetime.datetime.combine(due_day, END_OF_DAY))


def warn_time(due: datetime.datetime, policy: Policy) -> datetime.datetime:
    return due - datetime.timedelta(hours=policy.yellow_hours)


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


def level_of(code: str) -> Level:
    from fengqiao.cases.choices import LEVEL_BY_CODE_LENGTH

    return LEVEL_BY_CODE_LENGTH[len(code)]


__all__ = [
    "DEFAULT_POLICY",
    "CaseStatus",
    "Policy",
    "deadline_state",
    "due_after",
    "invalidate_policies",
    "level_of",
    "policy_for",
    "warn_time",
]
