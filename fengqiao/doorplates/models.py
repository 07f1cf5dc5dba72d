"""码上办 doorplates: the QR token on a household's door.

The token is the resident's only key: whoever holds the plate may report for that household
and read its public page. So it is random (not the household id), kept in the database only
as a keyed hash for lookup plus an encrypted copy for reprinting, and can be revoked: a new
plate for the household revokes the old one in the same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.core.scoping import TerritoryScopedQuerySet


class Doorplate(models.Model):
    household = models.ForeignKey(
        "territory.Household",
        verbose_name=_("household"),
        on_delete=models.CASCADE,
        related_name="doorplates",
    )
    # Copied from the household so that "the plates under village X" is a range query.
    territory_code = models.CharField(_("territory code"), max_length=18, editable=False)
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    token_sealed = models.TextField(editable=False)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)

    objects = TerritoryScopedQuerySet.as_manager()

    class Meta:
        ordering = ["territory_code", "id"]
        verbose_name = _("doorplate")
        verbose_name_plural = _("doorplates")
        constraints = [
            # At most one working plate per household: issuing a new one revokes the old.
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(revoked_at__isnull=True),
                name="doorplate_one_active_per_household",
            )
        ]
        indexes = [models.Index(fields=["territory_code", "id"], name="doorplate_territory")]

    def __str__(self) -> str:
        return f"{self.household_id} ({'revoked' if self.revoked_at else 'active'})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def token(self) -> str:
        """The token printed on the plate (decrypted: for printing only, never logged)."""
        from fengqiao.core.privacy import decrypt

        return decrypt(self.token_sealed)


class PlateSheet(models.Model):
    """One printing of the plates of a village or township: the background job that issues
    the missing plates and writes the A4 PDF, its progress, and the file.

    The status page polls this row; the task commits progress to it page by page. The PDF
    holds working tokens (in its QR codes), so it is downloaded only by staff who may manage
    the territory's plates, each download is audited, and a sheet's file is deleted when a
    newer sheet of the same territory is finished.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Printing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    territory_code = models.CharField(_("territory code"), max_length=12, editable=False)
    area_name = models.CharField(_("village or township"), max_length=60)
    # The public address the QR codes open (fixed when the job is started).
    base_url = models.CharField(_("public address"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    plates_total = models.PositiveIntegerField(_("plates to print"), default=0)
    plates_done = models.PositiveIntegerField(_("plates printed"), default=0)
    plates_issued = models.PositiveIntegerField(_("plates newly issued"), default=0)
    file = models.FileField(_("PDF file"), upload_to="doorplates/", blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = TerritoryScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("plate sheet")
        verbose_name_plural = _("plate sheets")
        indexes = [
            models.Index(fields=["territory_code", "-created_at"], name="platesheet_territory")
        ]

    def __str__(self) -> str:
        return f"{self.area_name} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def percent(self) -> int | None:
        if not self.plates_total:
            return None
        return min(100, round(100 * self.plates_done / self.plates_total))
