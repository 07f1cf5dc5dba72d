"""API keys of the other systems that talk to the platform (Open311 clients, county portals).

Only a SHA-256 digest of a key is stored, with a short non-secret prefix so that an
administrator can tell keys apart in lists and logs. The plaintext is shown once, when the key
is created, and cannot be recovered afterwards: a lost key is revoked and a new one created.
"""

from __future__ import annotations

import uuid

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


class Open311Request(models.Model):
    """A case received through Open311 ``POST requests``: which key sent it, the token the
    client may follow it by, and what the client sent that the case has no field for.

    Its existence also marks the case as published by its reporter through a public API, so
    the case's own texts (description, address, reply) are shown by the Open311 reads; other
    cases show only their category, status, place and dates (see docs/integration.md).
    """

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="open311", verbose_name=_("case")
    )
    api_key = models.ForeignKey(
        ApiKey, on_delete=models.PROTECT, related_name="requests", verbose_name=_("API key")
    )
    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    address_id = models.CharField(_("address_id"), max_length=18, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    # Personal information: the e-mail is stored encrypted (``fengqiao.core.privacy``); the
    # client's device and account identifiers are pseudonyms. None of these is ever shown by
    # the Open311 reads.
    email_encrypted = models.TextField(blank=True, editable=False)
    device_id = models.CharField(_("device_id"), max_length=100, blank=True)
    account_id = models.CharField(_("account_id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")

    def __str__(self) -> str:
        return f"{self.case_id} ({self.api_key_id})"
