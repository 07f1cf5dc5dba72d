"""Bulletins (宣传信息码上接收): warnings and publicity a center sends to the households of a
territory subtree for a period.

A ``Bulletin`` is aimed at one territory code (county, township, village or grid) and reaches
every household whose code starts with it. It is in force from ``valid_from`` until
``valid_until`` unless withdrawn; its state is derived from those times, never stored. It
changes only through ``services.py``, and every change appends a ``BulletinEvent`` in the same
transaction.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.bulletins.choices import (
    BulletinEventKind,
    BulletinKind,
    BulletinState,
    BulletinUrgency,
)
from fengqiao.bulletins.scoping import BulletinQuerySet

target_code_validator = RegexValidator(
    r"^(\d{6}|\d{9}|\d{12}|\d{15})$",
    _(
        "A bulletin is aimed at a county (6 digits), a township (9), a village (12) "
        "or a grid (15 digits)."
    ),
)


class Bulletin(models.Model):
    """A warning or a piece of publicity for the households under ``territory_code``."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=BulletinKind.choices)
    urgency = models.CharField(
        _("urgency"),
        max_length=10,
        choices=BulletinUrgency.choices,
        default=BulletinUrgency.NORMAL,
        help_text=_("Urgent bulletins are pinned at the top of residents' pages."),
    )
    title = models.CharField(_("title"), max_length=80)
    body = models.TextField(_("text"), max_length=2000)
    # The target: the bulletin reaches every household whose code starts with it.
    territory_code = models.CharField(
        _("target territory"), max_length=15, validators=[target_code_validator]
    )
    valid_from = models.DateTimeField(_("in force from"))
    valid_until = models.DateTimeField(_("in force until"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True, editable=False)
    # Optimistic concurrency: a form carries the version it showed; a stale one is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = BulletinQuerySet.as_manager()

    class Meta:
        ordering = ["-valid_from", "-id"]
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")),
                name="bulletin_period_ordered",
                violation_error_message=_("The end of the period must come after its start."),
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_reason="")
                | (Q(withdrawn_at__isnull=False) & ~Q(withdrawn_reason="")),
                name="bulletin_withdrawal_has_reason",
                violation_error_message=_(
                    "A withdrawn bulletin needs the reason it was withdrawn."
                ),
            ),
        ]
        indexes = [
            # Residents' pages: ``territory_code IN (the household's prefixes)`` among the
            # bulletins not withdrawn and not yet expired. Partial, so withdrawn rows cost
            # nothing; ``valid_until`` second, so the expired rows of a busy township are
            # skipped inside the index.
            models.Index(
                fields=["territory_code", "valid_until"],
                name="bulletin_reach",
                condition=Q(withdrawn_at__isnull=True),
            ),
            # Staff lists: a subtree range in publication order.
            models.Index(fields=["territory_code", "valid_from"], name="bulletin_territory"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_pinned(self) -> bool:
        """Urgent bulletins are pinned above the others on residents' pages."""
        return self.urgency == BulletinUrgency.URGENT

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    def state_at(self, now: datetime.datetime) -> BulletinState:
        if self.withdrawn_at is not None:
            return BulletinState.WITHDRAWN
        if now < self.valid_from:
            return BulletinState.SCHEDULED
        if now < self.valid_until:
            return BulletinState.IN_FORCE
        return BulletinState.EXPIRED

    @property
    def state(self) -> BulletinState:
        return self.state_at(timezone.now())


class BulletinEvent(models.Model):
    """One change of a bulletin: published, edited (with what changed) or withdrawn (with
    why). Append-only: the bulletin's history and the statistics read these rows."""

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=12, choices=BulletinEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    # For an edit: {field: [before, after]} of the fields that changed.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("bulletin event")
        verbose_name_plural = _("bulletin events")
        indexes = [models.Index(fields=["kind", "created_at"], name="bulletin_event_kind_time")]

    def __str__(self) -> str:
        return f"{self.bulletin_id} {self.kind}"
