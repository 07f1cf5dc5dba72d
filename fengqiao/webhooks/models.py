"""Outbound webhooks: who receives case events, what was sent, and every attempt.

The case services already write one ``CaseEvent`` per move in the move's own transaction:
that table is the outbox. The dispatcher turns each new event into one ``Delivery`` per
matching ``Subscription`` (unique per pair, so reading an event twice is harmless), and the
delivery task posts it until the receiver answers 2xx or the attempts run out (dead letter,
replayable). Nothing is sent from inside a case move, so a receiver that is down can never
stop or slow the case loop, and a delivery survives any restart because it is a row.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.webhooks.choices import DeliveryStatus

territory_code_validator = RegexValidator(
    r"^[0-9]{2,18}$", _("A territory code is 2 to 18 digits.")
)


class Subscription(models.Model):
    """A receiver of case events: where to post, the secret that signs, and what it gets.

    ``territory_code`` limits it to cases located in that subtree (blank: everywhere).
    A subscription of another platform (``api_key``) also receives the events of the cases
    that platform pushed through the API, wherever they are.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    url = models.URLField(
        _("receiver URL"),
        max_length=500,
        help_text=_("The HTTPS address the events are posted to."),
    )
    # AES-256-GCM under FENGQIAO_FIELD_KEYS (core.privacy): the secret is needed in clear to
    # sign, so it is encrypted, not hashed. Shown once, when created or rotated.
    secret_encrypted = models.TextField(editable=False)
    event_kinds = models.JSONField(
        _("event types"),
        default=list,
        blank=True,
        help_text=_("The case event types to send; none selected: all of them."),
    )
    territory_code = models.CharField(
        _("territory"),
        max_length=18,
        blank=True,
        validators=[territory_code_validator],
        help_text=_("Only cases located under this territory code; blank for everywhere."),
    )
    api_key = models.ForeignKey(
        "api.ApiKey",
        verbose_name=_("platform"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="webhook_subscriptions",
        help_text=_("The API key of another platform: it also receives the cases it pushed to us."),
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts before dead letter"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name


class DispatchCursor(models.Model):
    """How far the dispatcher has read the case events (one row, ``name="case_events"``)."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dispatch cursor")
        verbose_name_plural = _("dispatch cursors")

    def __str__(self) -> str:
        return f"{self.name} @ {self.last_event_id}"


class Delivery(models.Model):
    """One case event for one subscription. The body is frozen when the delivery is created,
    so every attempt sends the same bytes and the receiver can de-duplicate on ``uuid``."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        "cases.CaseEvent",
        verbose_name=_("case event"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique (event, subscription) constraint below serves lookups
    )
    event_kind = models.CharField(_("event type"), max_length=20)
    body = models.TextField(_("body"), editable=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    # Attempts since the delivery was created or last replayed (the dead-letter limit counts
    # these); ``attempts_total`` numbers the log rows across replays.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    attempts_total = models.PositiveIntegerField(_("attempts in all"), default=0)
    # When the next attempt may start. An attempt in flight pushes it past its own timeout
    # (a lease), so a second copy of the task, or the periodic re-enqueue, leaves it alone.
    next_attempt_at = models.DateTimeField(_("next attempt"))
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    dead_at = models.DateTimeField(_("dead-lettered at"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="delivery_once"),
        ]
        indexes = [
            # The periodic re-enqueue reads only the pending ones that have come due.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["subscription", "status", "id"], name="delivery_by_status"),
        ]

    def __str__(self) -> str:
        return f"{self.uuid} {self.event_kind} → {self.subscription}"


class Attempt(models.Model):
    """The delivery log: one row per POST, whatever happened."""

    delivery = models.ForeignKey(
        Delivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="log"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)
    error = models.CharField(_("error"), max_length=300, blank=True)
    response_excerpt = models.CharField(_("response (start)"), max_length=500, blank=True)

    class Meta:
        ordering = ["delivery", "number", "id"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"#{self.number} {self.status_code or self.error}"
