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
