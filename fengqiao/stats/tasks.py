"""Background work of the statistics: folding the tally's appended changes, and recomputing it
where the working-day calendar changed."""

from __future__ import annotations

import datetime

from celery import shared_task

from fengqiao.stats import tally


@shared_task(name="stats.fold_tally", ignore_result=True)
def fold_tally() -> int:
    """The moves' appended tally changes into the tally (reads stay exact either way; the
    fold keeps the appended rows few)."""
    return tally.fold()


@shared_task(name="stats.recompute_tally_across", ignore_result=True)
def recompute_tally_across(day: str) -> int:
    """The working day ``day`` (ISO date) changed: recompute the months whose replies span it."""
    months = tally.months_replied_across(datetime.date.fromisoformat(day))
    return tally.rebuild(months) if months else 0
