from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "fengqiao.stats"
    label = "stats"
    verbose_name = _("Statistics and dashboards")

    def ready(self) -> None:
        from fengqiao.workdays.signals import calendar_changed

        calendar_changed.connect(_recompute_reply_times, dispatch_uid="stats-calendar-changed")


def _recompute_reply_times(sender: Any, day: Any, **kwargs: Any) -> None:
    """A working day changed: the tally's reply times across it are recomputed once the
    change is committed and this process's calendar rebuilt (``invalidate_calendar`` was
    registered first, so it runs first)."""
    from django.db import transaction

    from fengqiao.stats import tally

    transaction.on_commit(lambda: tally.rebuild(tally.months_replied_across(day)))
