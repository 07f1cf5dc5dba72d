from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "fengqiao.stats"
    label = "stats"
    verbose_name = _("Statistics and dashboards")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from fengqiao.workdays.signals import calendar_changed

        calendar_changed.connect(_recompute_reply_times, dispatch_uid="stats-calendar-changed")
        post_migrate.connect(_build_missing_tally, sender=self, dispatch_uid="stats-first-tally")


def _recompute_reply_times(sender: Any, day: Any, **kwargs: Any) -> None:
    """A working day changed: the tally's reply times across it are recomputed once the
    change is committed and this process's calendar rebuilt (``invalidate_calendar`` was
    registered first, so it runs first) — and once more when every other process has
    reloaded the calendar (``REFRESH_SECONDS``), since a move made meanwhile elsewhere timed
    its reply the old way."""
    from django.db import transaction

    from fengqiao.stats.tasks import rebuild_tally_months
    from fengqiao.workdays.schedule import REFRESH_SECONDS

    def recompute() -> None:
        months = [month.isoformat() for month in _months_across(day)]
        if months:
            rebuild_tally_months(months)
            rebuild_tally_months.apply_async((months,), countdown=REFRESH_SECONDS + 15)

    transaction.on_commit(recompute)


def _months_across(day: Any) -> list[Any]:
    from fengqiao.stats import tally

    return tally.months_replied_across(day)


def _build_missing_tally(**kwargs: Any) -> None:
    """An installation that had cases before the tally existed gets it after ``migrate``
    (with the models as the code has them, which a migration could not rely on)."""
    from fengqiao.cases.models import Case
    from fengqiao.stats import tally
    from fengqiao.stats.models import CaseTally, CaseTallyDelta

    if Case.objects.exists() and not (
        CaseTally.objects.exists() or CaseTallyDelta.objects.exists()
    ):
        tally.rebuild()
