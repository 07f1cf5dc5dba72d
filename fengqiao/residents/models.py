"""码上办 for residents: the service guide shown on every household page, and what the
residents' pages record beside the case loop (which plate a report came from, whether its
phone was verified, the rating reminders sent).

The case itself, its reporter (with the private tracking link) and its timeline live in the
cases app; nothing here duplicates them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import CaseType
from fengqiao.core.scoping import TerritoryScopedQuerySet


class ServiceGuideEntry(models.Model):
    """办事指南: a common matter, what to bring and where to go.

    Scoped like bulletins: an entry for a township shows on the page of every household
    under it; a blank territory means everywhere. An entry marked ``online`` can be done
    fully from the phone (掌上办结): its "do it online" button opens the report form with
    the entry's type and category already chosen.
    """

    territory_code = models.CharField(
        _("territory"),
        max_length=18,
        blank=True,
        help_text=_("Territory code of the area it applies to (a township: all its households)."),
    )
    title = models.CharField(_("matter"), max_length=60)
    summary = models.TextField(_("how it works"), max_length=1000, blank=True)
    what_to_bring = models.TextField(_("what to bring"), max_length=1000, blank=True)
    where = models.CharField(_("where"), max_length=200)
    office_hours = models.CharField(_("office hours"), max_length=100, blank=True)
    phone = models.CharField(_("office phone"), max_length=30, blank=True)
    online = models.BooleanField(
        _("can be done online"),
        default=False,
        help_text=_("The resident can report it from the phone and get the result online."),
    )
    case_type = models.CharField(
        _("case type when reported"), max_length=20, choices=CaseType.choices, blank=True
    )
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("category when reported"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("shown"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = TerritoryScopedQuerySet.as_manager()

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("service guide entry")
        verbose_name_plural = _("service guide")
        constraints = [
            models.UniqueConstraint(fields=["territory_code", "title"], name="guide_unique_title")
        ]
        indexes = [models.Index(fields=["territory_code", "sort_order"], name="guide_territory")]

    def __str__(self) -> str:
        return self.title


class ResidentReport(models.Model):
    """A case reported from a doorplate: which plate, and when the phone was verified by a
    one-time code. Only reporters with a verified phone get SMS from us."""

    reporter = models.OneToOneField(
        "cases.CaseReporter", on_delete=models.CASCADE, related_name="resident_report"
    )
    doorplate = models.ForeignKey(
        "doorplates.Doorplate", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    phone_verified_at = models.DateTimeField(_("phone verified at"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("resident report")
        verbose_name_plural = _("resident reports")

    def __str__(self) -> str:
        return f"{self.reporter_id}"


class RatingReminder(models.Model):
    """One rating reminder SMS to a reporter for one reply round of a case (a reopened case
    that is replied again is a new round). The row is written before sending, so two runs
    of the reminder task never send twice."""

    reporter = models.ForeignKey(
        "cases.CaseReporter", on_delete=models.CASCADE, related_name="rating_reminders"
    )
    round = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rating reminder")
        verbose_name_plural = _("rating reminders")
        constraints = [
            models.UniqueConstraint(fields=["reporter", "round"], name="reminder_once_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.reporter_id}#{self.round}"
