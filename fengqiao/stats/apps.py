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
    """A working day changed: the tally's reply times across it are recomputed by the worker
    once the change is committed (and this process's calendar rebuilt: ``invalidate_calendar``
    was registered first), and once more when every other process has reloaded the calendar
    (``REFRESH_SECONDS``), since a move made meanwhile elsewhere timed its reply the old way.
    In the background: the administrator's request neither waits for it nor fails with it
    (``robust``: an unreachable broker is logged; ``tally rebuild`` recomputes by hand)."""
    from django.db import transaction

    from fengqiao.stats.tasks import recompute_tally_across
    from fengqiao.workdays.schedule import REFRESH_SECONDS

    def recompute() -> None:
        recompute_tally_across.delay(day.isoformat())
        recompute_tally_across.apply_async((day.isoformat(),), countdown=REFRESH_SECONDS + 15)

    transaction.on_commit(recompute, robust=True)


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
