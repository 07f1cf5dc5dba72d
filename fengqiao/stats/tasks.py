"""Periodic work of the statistics: folding the tally's appended changes."""

from __future__ import annotations

import datetime

from celery import shared_task

from fengqiao.stats import tally


@shared_task(name="stats.fold_tally", ignore_result=True)
def fold_tally() -> int:
    """The moves' appended tally changes into the tally (reads stay exact either way; the
    fold keeps the appended rows few)."""
    return tally.fold()


@shared_task(name="stats.rebuild_tally_months", ignore_result=True)
def rebuild_tally_months(months: list[str]) -> int:
    """Recompute the tally of these months (ISO dates of their first days) from the cases."""
    return tally.rebuild([datetime.date.fromisoformat(month) for month in months])
