"""The only writers of webhook state: subscriptions, the dispatch of case events into
deliveries, each delivery attempt, and the replay of dead letters.

A subscription's secret is created here and returned once; it is stored encrypted because
signing needs it in clear. Administrators act through the admin or the ``webhooks``
command; ``actor=None`` is the server's own operator at the shell.
"""

from __future__ import annotations

import datetime
import functools
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.api.models import ApiKey
from fengqiao.api.services import external_id_of
from fengqiao.audit.choices import AuditAction
from fengqiao.audit.services import audit_record
from fengqiao.cases.choices import EventKind
from fengqiao.cases.models import CaseEvent
from fengqiao.core.codes import is_within
from fengqiao.core.privacy import decrypt, encrypt
from fengqiao.org.choices import Role
from fengqiao.webhooks import policy
from fengqiao.webhooks.choices import DeliveryStatus
from fengqiao.webhooks.models import Attempt, Delivery, DispatchCursor, Subscription
from fengqiao.webhooks.payload import encode, payload
from fengqiao.webhooks.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    new_secret,
    signature_header,
)

logger = logging.getLogger(__name__)

CURSOR_NAME = "case_events"
DISPATCH_BATCH = 1000
EXCERPT_BYTES = 500
USER_AGENT = "Fengqiao-Webhooks/1"


# ---------------------------------------------------------------------------------------
# Who may act


def is_installation_administrator(user: Any) -> bool:
    """A superuser, or an administrator with no territory scope. Webhooks send the events of
    the whole installation and show what receivers answer, so an administrator scoped to one
    township may not manage them."""
    if getattr(user, "is_superuser", False):
        return True
    return getattr(user, "role", "") == Role.ADMINISTRATOR and not getattr(user, "scope_code", "")


def _require_administrator(actor: Any) -> None:
    if actor is None:
        return
    if not is_installation_administrator(actor):
        raise PermissionDenied(
            _("Only an administrator of the whole installation may manage webhooks.")
        )


# ---------------------------------------------------------------------------------------
# Subscriptions


def _clean_kinds(kinds: Iterable[str]) -> list[str]:
    chosen = sorted({str(kind) for kind in kinds})
    unknown = [kind for kind in chosen if kind not in EventKind.values]
    if unknown:
        raise ValidationError(
            {
                "event_kinds": _("Unknown event types: %(kinds)s. Choose from the list.")
                % {"kinds": ", ".join(unknown)}
            }
        )
    return chosen


def check_platform_scope(subscription: Subscription) -> None:
    """A platform's subscription stays inside its API key's territory (blank: the key's)."""
    api_key = subscription.api_key
    if api_key is None or not api_key.territory_code:
        return
    if not subscription.territory_code:
        subscription.territory_code = api_key.territory_code
    if not is_within(subscription.territory_code, api_key.territory_code):
        raise ValidationError(
            {
                "territory_code": _(
                    "The platform's API key is limited to territory %(code)s: choose a "
                    "territory under it."
                )
                % {"code": api_key.territory_code}
            }
        )


def _save_subscription(subscription: Subscription) -> None:
    subscription.full_clean()
    try:
        with transaction.atomic():
            subscription.save()
    except IntegrityError as error:
        raise ValidationError(
            {"name": _("A webhook subscription with this name already exists.")}
        ) from error


@transaction.atomic
def subscription_create(
    *,
    name: str,
    url: str,
    actor: Any = None,
    event_kinds: Sequence[str] = (),
    territory_code: str = "",
    api_key: ApiKey | None = None,
    max_attempts: int = 12,
) -> tuple[Subscription, str]:
    """A new active subscription; returns it and its secret, shown this once only."""
    _require_administrator(actor)
    secret = new_secret()
    subscription = Subscription(
        name=name.strip(),
        url=url.strip(),
        secret_encrypted=encrypt(secret),
        event_kinds=_clean_kinds(event_kinds),
        territory_code=territory_code.strip(),
        api_key=api_key,
        max_attempts=max_attempts,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    check_platform_scope(subscription)
    _save_subscription(subscription)
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        target=subscription,
        detail={"webhook": "created", "name": subscription.name, "url": subscription.url},
    )
    return subscription, secret


@transaction.atomic
def subscription_update(
    *, subscription: Subscription, actor: Any = None, **changes: Any
) -> Subscription:
    """Change what a subscription receives or where (not its secret: rotate that)."""
    _require_administrator(actor)
    allowed = {
        "name",
        "url",
        "event_kinds",
        "territory_code",
        "api_key",
        "max_attempts",
        "is_active",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"subscription_update() cannot change {sorted(unknown)}")
    current = Subscription.objects.select_for_update().get(pk=subscription.pk)
    old_url = current.url
    for field, value in changes.items():
        if field == "event_kinds":
            value = _clean_kinds(value)
        elif isinstance(value, str):
            value = value.strip()
        setattr(current, field, value)
    check_platform_scope(current)
    _save_subscription(current)
    if current.url != old_url:  # where the signed events go is a security matter
        audit_record(
            action=AuditAction.PERMISSION_CHANGE,
            actor=actor,
            target=current,
            detail={"webhook": "changed", "name": current.name, "url": current.url},
        )
    return current


@transaction.atomic
def subscription_rotate_secret(*, subscription: Subscription, actor: Any = None) -> str:
    """A new secret, effective for every attempt from now on; returned this once only."""
    _require_administrator(actor)
    secret = new_secret()
    Subscription.objects.filter(pk=subscription.pk).update(
        secret_encrypted=encrypt(secret), updated_at=timezone.now()
    )
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        target=subscription,
        detail={"webhook": "secret rotated", "name": subscription.name},
    )
    return secret


def subscription_secret(subscription: Subscription) -> str:
    """The secret in clear, for signing only (never shown again)."""
    return decrypt(subscription.secret_encrypted)


# ---------------------------------------------------------------------------------------
# Dispatch: case events → deliveries (the outbox read)


def _receiving() -> list[Subscription]:
    return [
        subscription
        for subscription in Subscription.objects.filter(is_active=True).select_related("api_key")
        if subscription.api_key is None or subscription.api_key.is_active
    ]


def matches(subscription: Subscription, event: CaseEvent) -> bool:
    """The event is of a type the subscription wants, and its case lies in the
    subscription's territory or was pushed by the subscription's platform."""
    if subscription.event_kinds and event.kind not in subscription.event_kinds:
        return False
    case = event.case
    api_key = subscription.api_key
    if api_key is not None and external_id_of(api_key, case.idempotency_key) is not None:
        return True
    return is_within(case.territory_code, subscription.territory_code)


def _events(*, newest_first: bool = False, **filters: Any) -> list[CaseEvent]:
    # The look-back reads newest first by time, so that the range on ``created_at`` leads (an
    # index range scan); by id, a window with no event would walk the whole primary key.
    order = ("-created_at", "-id") if newest_first else ("id",)
    events = list(
        CaseEvent.objects.filter(**filters)
        .select_related("case__category", "case__lead_department")
        .order_by(*order)[:DISPATCH_BATCH]
    )
    return sorted(events, key=lambda event: event.pk) if newest_first else events


def _new_delivery(subscription: Subscription, event: CaseEvent, now: datetime.datetime) -> Delivery:
    delivery_id = uuid.uuid4()
    body = encode(payload(delivery_id=str(delivery_id), subscription=subscription, event=event))
    return Delivery(
        uuid=delivery_id,
        subscription=subscription,
        event=event,
        event_kind=event.kind,
        body=body,
        next_attempt_at=now,
    )


@dataclass(frozen=True)
class DispatchResult:
    events_read: int
    created: list[int]


@transaction.atomic
def deliveries_dispatch(*, now: datetime.datetime | None = None) -> DispatchResult:
    """Create the deliveries of the case events written since the last dispatch, and of the
    recent ones again (a transaction that committed late); an existing (event, subscription)
    pair is skipped. Returns the ids of the new deliveries: the caller enqueues them after
    this transaction commits. Concurrent dispatches queue on the cursor row."""
    now = now or timezone.now()
    cursor, _ = DispatchCursor.objects.select_for_update().get_or_create(name=CURSOR_NAME)
    subscriptions = _receiving()
    if not subscriptions:
        # Nothing listens: move on, so that a new subscription does not receive history.
        latest = CaseEvent.objects.aggregate(latest=Max("id"))["latest"] or 0
        DispatchCursor.objects.filter(pk=cursor.pk).update(
            last_event_id=max(latest, cursor.last_event_id)
        )
        return DispatchResult(0, [])
    fresh = _events(id__gt=cursor.last_event_id)
    # Late commits sit just below the cursor: read the window from the cursor down.
    late = _events(
        newest_first=True, id__lte=cursor.last_event_id, created_at__gte=now - policy.lookback()
    )
    events = late + fresh
    # Fresh events have none unless the cursor was moved back by hand; checking them too
    # keeps such a pass from failing on the unique constraint.
    existing = set(
        Delivery.objects.filter(event_id__in=[event.pk for event in events]).values_list(
            "event_id", "subscription_id"
        )
    )
    new = [
        _new_delivery(subscription, event, now)
        for event in events
        for subscription in subscriptions
        if (event.pk, subscription.pk) not in existing and matches(subscription, event)
    ]
    Delivery.objects.bulk_create(new, batch_size=500)
    if fresh:
        DispatchCursor.objects.filter(pk=cursor.pk).update(last_event_id=fresh[-1].pk)
    # Both databases return the new primary keys from a bulk insert (SQLite ≥ 3.35).
    return DispatchResult(len(events), [delivery.pk for delivery in new])


def deliveries_due(*, now: datetime.datetime | None = None, limit: int = 1000) -> list[int]:
    """Pending deliveries whose next attempt is overdue by more than the grace: their retry
    message was lost or never held (long waits). The periodic dispatch sends them again."""
    now = now or timezone.now()
    return list(
        Delivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now - policy.requeue_grace()
        )
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:limit]
    )


# ---------------------------------------------------------------------------------------
# One attempt


@dataclass(frozen=True)
class AttemptResult:
    """What happened: ``None`` when the delivery was not ours to try (already delivered,
    dead, not yet due, or in flight elsewhere)."""

    attempt: Attempt | None
    retry_in: float | None = None


def _claim(delivery_id: int, now: datetime.datetime) -> bool:
    """Take the delivery for one attempt: a conditional UPDATE, so two copies of the task
    (a redelivered message, a re-enqueue) never post the same delivery at once. The lease
    outlasts the request's timeout."""
    lease = now + datetime.timedelta(seconds=policy.timeout_seconds() + 30)
    return bool(
        Delivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).update(
            next_attempt_at=lease,
            attempts=F("attempts") + 1,
            attempts_total=F("attempts_total") + 1,
        )
    )


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    excerpt: str
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@functools.cache
def _client() -> httpx.Client:
    """One client per process: its TLS set-up is costly (tens of milliseconds) and it keeps
    connections to a receiver alive between deliveries. httpx clients are thread-safe. No
    redirects: a signed body is for the address the administrator entered only."""
    return httpx.Client(follow_redirects=False, headers={"User-Agent": USER_AGENT})


def _post(delivery: Delivery, secret: str) -> _Outcome:
    body = delivery.body.encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature_header(secret, body),
        EVENT_HEADER: delivery.event_kind,
        DELIVERY_HEADER: str(delivery.uuid),
    }
    started = time.monotonic()
    status_code: int | None = None
    excerpt = error = ""
    try:
        with _client().stream(
            "POST",
            delivery.subscription.url,
            content=body,
            headers=headers,
            timeout=policy.timeout_seconds(),
        ) as response:
            status_code = response.status_code
            received = b""
            for chunk in response.iter_bytes():
                received += chunk
                if len(received) >= EXCERPT_BYTES:
                    break
            excerpt = received[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    except httpx.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}"[:300]
    duration_ms = int((time.monotonic() - started) * 1000)
    if status_code is not None and not 200 <= status_code < 300:
        error = f"HTTP {status_code}"
    return _Outcome(status_code, excerpt, error, duration_ms)


@transaction.atomic
def _record(delivery_id: int, outcome: _Outcome, started_at: datetime.datetime) -> AttemptResult:
    delivery = (
        Delivery.objects.select_for_update().select_related("subscription").get(pk=delivery_id)
    )
    attempt = Attempt.objects.create(
        delivery=delivery,
        number=delivery.attempts_total,
        started_at=started_at,
        duration_ms=outcome.duration_ms,
        status_code=outcome.status_code,
        succeeded=outcome.succeeded,
        error=outcome.error,
        response_excerpt=outcome.excerpt,
    )
    now = timezone.now()
    if outcome.succeeded:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.last_error = ""
        delivery.save(update_fields=["status", "delivered_at", "last_error"])
        return AttemptResult(attempt)
    delivery.last_error = outcome.error
    if delivery.attempts >= delivery.subscription.max_attempts:
        delivery.status = DeliveryStatus.DEAD
        delivery.dead_at = now
        delivery.save(update_fields=["status", "dead_at", "last_error"])
        logger.warning(
            "webhook delivery %s dead after %s attempts", delivery.uuid, delivery.attempts
        )
        return AttemptResult(attempt)
    wait = policy.retry_delay(delivery.attempts)
    delivery.next_attempt_at = now + datetime.timedelta(seconds=wait)
    delivery.save(update_fields=["next_attempt_at", "last_error"])
    return AttemptResult(attempt, retry_in=wait)


def _still_wanted(delivery: Delivery) -> bool:
    """Whether the subscriber may still have this delivery: an administrator who switches a
    subscription off, narrows its territory or revokes its platform's key stops what is
    already queued too (a receiver may have been compromised)."""
    subscription = delivery.subscription
    if not subscription.is_active:
        return False
    if subscription.api_key is not None and not subscription.api_key.is_active:
        return False
    return matches(subscription, delivery.event)


def _withdraw(delivery_id: int, now: datetime.datetime) -> None:
    """Out of line without an attempt: a dead letter (kept for the record), which a replay
    withdraws again unless the subscription wants it once more."""
    Delivery.objects.filter(pk=delivery_id).update(
        status=DeliveryStatus.DEAD,
        dead_at=now,
        attempts=F("attempts") - 1,
        attempts_total=F("attempts_total") - 1,
        last_error="withdrawn: the subscription no longer receives this event",
    )


def delivery_attempt(*, delivery_id: int) -> AttemptResult:
    """Post the delivery once, if it is due and nobody else is posting it; log the attempt;
    then mark it delivered, schedule the next attempt, or dead-letter it. No transaction is
    held during the request."""
    started_at = timezone.now()
    if not _claim(delivery_id, started_at):
        return AttemptResult(None)
    delivery = Delivery.objects.select_related("subscription__api_key", "event__case").get(
        pk=delivery_id
    )
    if not _still_wanted(delivery):
        _withdraw(delivery_id, started_at)
        return AttemptResult(None)
    try:
        outcome = _post(delivery, subscription_secret(delivery.subscription))
    except Exception as failure:  # a bug or a bad secret must not leave the lease dangling
        logger.exception("webhook delivery %s failed before sending", delivery.uuid)
        outcome = _Outcome(None, "", f"{type(failure).__name__}"[:300], 0)
    return _record(delivery_id, outcome, started_at)


# ---------------------------------------------------------------------------------------
# Replay


@transaction.atomic
def deliveries_replay(
    *,
    actor: Any = None,
    deliveries: Iterable[int] | None = None,
    subscription: Subscription | None = None,
) -> list[int]:
    """Put dead letters back in line, with a fresh count of attempts: the given ones, or all
    of a subscription's, or all. Returns their ids; the caller enqueues them after commit.
    Only dead letters move: a delivered one is never sent twice by a replay."""
    _require_administrator(actor)
    dead = Delivery.objects.select_for_update().filter(status=DeliveryStatus.DEAD)
    if deliveries is not None:
        dead = dead.filter(pk__in=list(deliveries))
    if subscription is not None:
        dead = dead.filter(subscription=subscription)
    ids = list(dead.values_list("id", flat=True))
    Delivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), dead_at=None
    )
    return ids
