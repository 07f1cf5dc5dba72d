"""Overrides of the working-day calendar for schedules the holidays library does not know.

The State Council publishes next year's holiday schedule each November, before any library
release has it; an administrator enters the year's rest days and make-up working days here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.workdays.choices import DayKind


class WorkdayOverride(models.Model):
    """One date declared a working day or a rest day, overriding the library and weekends."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    reason = models.CharField(
        _("reason"), max_length=100, help_text=_("For example: 国庆节 or 国庆节调休上班.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"
