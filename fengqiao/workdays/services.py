"""Writers of the working-day overrides; each change rebuilds this process's calendar."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from fengqiao.workdays.choices import DayKind
from fengqiao.workdays.models import WorkdayOverride
from fengqiao.workdays.schedule import invalidate_calendar
from fengqiao.workdays.signals import calendar_changed


@transaction.atomic
def workday_override_set(
    *, day: datetime.date, kind: DayKind, reason: str, actor: Any = None
) -> WorkdayOverride:
    override = WorkdayOverride.objects.filter(date=day).first() or WorkdayOverride(date=day)
    override.kind, override.reason = kind, reason
    if override.created_by_id is None and getattr(actor, "is_authenticated", False):
        override.created_by = actor
    override.full_clean()
    override.save()
    transaction.on_commit(invalidate_calendar)
    calendar_changed.send(sender=WorkdayOverride, day=day)
    return override


@transaction.atomic
def workday_override_remove(*, day: datetime.date, actor: Any = None) -> None:
    WorkdayOverride.objects.filter(date=day).delete()
    transaction.on_commit(invalidate_calendar)
    calendar_changed.send(sender=WorkdayOverride, day=day)
