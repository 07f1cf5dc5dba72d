"""API keys of the other systems that talk to the platform (Open311 clients, county portals).

Only a SHA-256 digest of a key is stored, with a short non-secret prefix so that an
administrator can tell keys apart in lists and logs. The plaintext is shown once, when the key
is created, and cannot be recovered afterwards: a lost key is revoked and a new one created.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

territory_code_validator = RegexValidator(
    r"^[0-9]{2,18}$", _("A territory code is 2 to 18 digits.")
)


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """A key another system presents to the API; revoked keys stay for the record."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    prefix = models.CharField(
        _("prefix"),
        max_length=16,
        editable=False,
        help_text=_("The first characters of the key, to recognise it; not secret."),
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    territory_code = models.CharField(
        _("territory"),
        max_length=18,
        blank=True,
        validators=[territory_code_validator],
        help_text=_("Territory code the key is limited to; blank for everywhere."),
    )
    # The staff account the system acts as: its role and territory scope every read and write
    # the key makes, through the same guards as the pages. Blank: public resources only.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acts as"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="api_keys",
        help_text=_("The account whose role and territory the system's requests act with."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=models.F("created_at")),
                name="apikey_revoked_after_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
