"""The only writers of doorplates: issue (and re-issue), revoke; and the token lookup."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core.privacy import encrypt
from fengqiao.doorplates.models import Doorplate
from fengqiao.territory.models import Household

TOKEN_BYTES = 16  # 128 bits: 22 URL-safe characters, short enough for a small QR code


def _require_covers(actor: Any, territory_code: str) -> None:
    """Plates are managed by staff whose territory holds the household."""
    if not (getattr(actor, "is_authenticated", False) and actor.covers(territory_code)):
        raise PermissionDenied(_("This household is outside your territory."))


def token_digest(token: str) -> str:
    """The keyed hash a token is found by (the token itself is not stored in the clear)."""
    message = f"doorplate:{token}".encode()
    return hmac.new(settings.LOOKUP_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()


def doorplate_for_token(token: str) -> Doorplate | None:
    """The plate a scanned token names, revoked or not (the caller tells the two apart), with
    its household loaded; None for a token that was never issued."""
    if not token or len(token) > 64:
        return None
    return (
        Doorplate.objects.select_related("household", "household__grid")
        .filter(token_digest=token_digest(token))
        .first()
    )


def _new_plate(household: Household, *, actor: Any) -> tuple[Doorplate, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    plate = Doorplate.objects.create(
        household=household,
        territory_code=household.territory_code,
        token_digest=token_digest(token),
        token_sealed=encrypt(token),
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    return plate, token


@transaction.atomic
def doorplate_issue(*, household: Household, actor: Any, reason: str = "") -> Doorplate:
    """Give the household a (new) plate. An existing working plate is revoked first, so a
    lost or moved plate stops working the moment the new one is printed."""
    _require_covers(actor, household.territory_code)
    now = timezone.now()
    Doorplate.objects.filter(household=household, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=(reason or _("Replaced by a new plate"))[:200]
    )
    plate, _token = _new_plate(household, actor=actor)
    return plate


@transaction.atomic
def doorplate_issue_missing(*, households: Iterable[Household], actor: Any) -> int:
    """Issue a plate to each of the households that has no working one; returns how many."""
    households = list(households)
    for household in households:
        _require_covers(actor, household.territory_code)
    covered = set(
        Doorplate.objects.filter(household__in=households, revoked_at__isnull=True).values_list(
            "household_id", flat=True
        )
    )
    made = [h for h in households if h.pk not in covered]
    for household in made:
        _new_plate(household, actor=actor)
    return len(made)


@transaction.atomic
def doorplate_revoke(*, doorplate: Doorplate, actor: Any, reason: str) -> Doorplate:
    _require_covers(actor, doorplate.territory_code)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the plate is revoked.")]})
    plate = Doorplate.objects.select_for_update().get(pk=doorplate.pk)
    if plate.revoked_at is None:
        plate.revoked_at = timezone.now()
        plate.revoked_reason = reason[:200]
        plate.save(update_fields=["revoked_at", "revoked_reason"])
    return plate
