"""The case tally: the additive counts behind the figures, by month and place, kept current by
the case services (``stats.tally``; docs/metrics.md section 9).

Every move of a case appends its change to ``CaseTallyDelta`` in the move's own transaction
(an insert: moves never wait for each other on a shared counter row, and cannot deadlock over
one); ``stats.fold_tally`` folds those rows into ``CaseTally`` every minute. The figures read
the two tables together, so they are exact whether or not the fold has run.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# The counters, in the order the tally's code lists them (``stats.tally.COUNTERS``).
COUNTER_NAMES = (
    "received",
    "accepted",
    "closed",
    "signed",
    "signed_on_time",
    "replied",
    "replied_with_deadline",
    "replied_on_time",
    "extensions",
    "hard_matters",
    "returns",
    "reopened",
    "rated",
    "satisfied",
    "return_visits",
    "timed",
    "timed_seconds",
)


class TallyRow(models.Model):
    """The key of a tally row and its counters.

    ``month``: the first day of the local calendar month in which the cases were received.
    ``area``: where they happened — the village (a longer code cut to the village) for the
    ``area`` dimension, the township for the others (a case registered on a higher level
    itself keeps that level's code). ``dimension``/``key``: ``area``/"" (the cases of the
    place), ``channel``, ``type``, ``category``, ``department`` (the lead department's id,
    "" for none) with the value as text; ``hours`` (key: whole working hours) and
    ``department_hours`` (key: ``<department id>:<hours>``) count replies by their time
    (only ``timed`` is set) for the 90th percentile.
    """

    month = models.DateField()
    area = models.CharField(max_length=18)
    dimension = models.CharField(max_length=24)
    key = models.CharField(max_length=40, blank=True)
    received = models.BigIntegerField(default=0, db_default=0)
    accepted = models.BigIntegerField(default=0, db_default=0)
    closed = models.BigIntegerField(default=0, db_default=0)
    signed = models.BigIntegerField(default=0, db_default=0)
    signed_on_time = models.BigIntegerField(default=0, db_default=0)
    replied = models.BigIntegerField(default=0, db_default=0)
    replied_with_deadline = models.BigIntegerField(default=0, db_default=0)
    replied_on_time = models.BigIntegerField(default=0, db_default=0)
    extensions = models.BigIntegerField(default=0, db_default=0)
    hard_matters = models.BigIntegerField(default=0, db_default=0)
    returns = models.BigIntegerField(default=0, db_default=0)
    reopened = models.BigIntegerField(default=0, db_default=0)
    rated = models.BigIntegerField(default=0, db_default=0)
    satisfied = models.BigIntegerField(default=0, db_default=0)
    return_visits = models.BigIntegerField(default=0, db_default=0)
    # Replies with a reply time (accepted and replied), and the sum of those times in working
    # seconds: the mean is exact.
    timed = models.BigIntegerField(default=0, db_default=0)
    timed_seconds = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.area} {self.dimension}={self.key}"


class CaseTally(TallyRow):
    """The folded tally: one row per key."""

    class Meta:
        verbose_name = _("case tally row")
        verbose_name_plural = _("case tally")
        constraints = [
            # Also the index every read uses: a dimension over a range of months, in a subtree.
            models.UniqueConstraint(
                fields=["dimension", "month", "area", "key"], name="case_tally_key"
            )
        ]


class CaseTallyDelta(TallyRow):
    """Changes not yet folded into ``CaseTally``: appended by the moves, removed by the fold.
    Few rows at any time (a minute's moves), read whole."""

    class Meta:
        verbose_name = _("case tally change")
        verbose_name_plural = _("case tally changes")
