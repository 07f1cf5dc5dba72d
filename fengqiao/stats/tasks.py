"""Periodic work of the statistics: folding the tally's appended changes."""

from __future__ import annotations

from celery import shared_task

from fengqiao.stats import tally


@shared_task(name="stats.fold_tally", ignore_result=True)
def fold_tally() -> int:
    """The moves' appended tally changes into the tally (reads stay exact either way; the
    fold keeps the appended rows few)."""
    return tally.fold()
