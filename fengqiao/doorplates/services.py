"""The only writers of doorplates: issue (and re-issue), revoke, print; and the token lookup.

Who may manage plates (issue, re-issue, revoke, print sheets, download a plate): center
operators (a county's, a township's or a village's center, 村/社区 staff included: their
accounts are center operators scoped to the village) and administrators, for the households
their territory covers. Grid workers and ten-household unit heads do not: a plate is a
household's key, and handing out a new one is the center's act (a grid worker who finds a
plate lost tells the center). Department staff have no territory. The pages, the admin and
the print task all go through these functions, so the rule holds everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.services import audit_record
from fengqiao.core.privacy import encrypt
from fengqiao.doorplates.models import Doorplate, PlateSheet
from fengqiao.org.choices import Role
from fengqiao.territory.choices import AreaLevel
from fengqiao.territory.models import Area, Household

TOKEN_BYTES = 16  # 128 bits: 22 URL-safe characters, short enough for a small QR code


MANAGER_ROLES = frozenset({Role.ADMINISTRATOR, Role.CENTER_OPERATOR})
ISSUE_BATCH = 500  # households per short transaction when issuing a village's plates


def can_manage_doorplates(user: Any, territory_code: str) -> bool:
    """May ``user`` issue, revoke and print the plates of households under
    ``territory_code``? (See the module's docstring.)"""
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return False
    if not (user.is_superuser or user.role in MANAGER_ROLES):
        return False
    return bool(user.covers(territory_code))


def _require_covers(actor: Any, territory_code: str) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.covers(territory_code)):
        raise PermissionDenied(_("This household is outside your territory."))
    if not can_manage_doorplates(actor, territory_code):
        raise PermissionDenied(_("Only center operators and administrators manage doorplates."))


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
    issued_by = actor if getattr(actor, "is_authenticated", False) else None
    plates = []
    for household in made:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        plates.append(
            Doorplate(
                household=household,
                territory_code=household.territory_code,
                token_digest=token_digest(token),
                token_sealed=encrypt(token),
                issued_by=issued_by,
            )
        )
    Doorplate.objects.bulk_create(plates, batch_size=ISSUE_BATCH)
    return len(made)


def households_without_plate(territory_code: str) -> Any:
    """The households under ``territory_code`` that have no working plate."""
    working = Doorplate.objects.filter(household=OuterRef("pk"), revoked_at__isnull=True)
    return Household.objects.within(territory_code).filter(~Exists(working)).order_by("id")


def doorplate_issue_missing_under(
    *, territory_code: str, actor: Any, batch_size: int = ISSUE_BATCH
) -> int:
    """Issue a plate to every household under ``territory_code`` that has none.

    Batch by batch, each in its own short transaction: on SQLite a single transaction for a
    township's 5,000 households would hold the only write lock for seconds. Idempotent: a
    second run finds nothing to do. Returns how many plates were issued.
    """
    _require_covers(actor, territory_code)
    issued = 0
    last_id = 0
    while True:
        batch = list(households_without_plate(territory_code).filter(id__gt=last_id)[:batch_size])
        if not batch:
            return issued
        issued += doorplate_issue_missing(households=batch, actor=actor)
        last_id = batch[-1].pk


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


# --- Printing ---------------------------------------------------------------------------------


def printable_area(*, user: Any, territory_code: str) -> Area:
    """The current village or township ``territory_code`` names, if ``user`` may print its
    plates; ``Area.DoesNotExist`` otherwise (out of scope looks like missing)."""
    area = (
        Area.objects.visible_to(user)
        .filter(
            territory_code=territory_code,
            valid_to__isnull=True,
            level__in=[AreaLevel.TOWNSHIP, AreaLevel.VILLAGE],
        )
        .get()
    )
    _require_covers(user, area.territory_code)
    return area


@transaction.atomic
def plate_sheet_start(*, area: Area, actor: Any, base_url: str) -> PlateSheet:
    """Queue the printing of ``area``'s plates (missing plates are issued first); the task
    runs after this transaction commits, in the starter's language."""
    from django.utils.translation import get_language

    from fengqiao.doorplates.tasks import plate_sheet_print

    if area.level not in (AreaLevel.TOWNSHIP, AreaLevel.VILLAGE):
        raise ValidationError(_("Plates are printed for a village or a township."))
    _require_covers(actor, area.territory_code)
    sheet = PlateSheet(
        territory_code=area.territory_code,
        area_name=area.name,
        base_url=base_url.rstrip("/")[:200],
        created_by=actor,
    )
    sheet.full_clean()
    sheet.save()
    language = get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(lambda: plate_sheet_print.delay(sheet.pk, language))
    return sheet


def plate_sheets_visible(user: Any) -> Any:
    """Print jobs the user may see: those of territories whose plates they manage."""
    sheets = PlateSheet.objects.visible_to(user).select_related("created_by")
    if not (getattr(user, "is_superuser", False) or getattr(user, "role", "") in MANAGER_ROLES):
        return sheets.none()
    return sheets


def plate_sheet_download(*, sheet: PlateSheet, actor: Any, request: Any = None) -> PlateSheet:
    """Allow the download of a finished sheet, writing it to the security audit log."""
    _require_covers(actor, sheet.territory_code)
    if sheet.status != PlateSheet.Status.DONE or not sheet.file:
        raise ValidationError(_("This sheet is not ready."))
    audit_record(
        action=AuditAction.EXPORT,
        actor=actor,
        target=sheet,
        request=request,
        detail={
            "what": "doorplate_sheet",
            "territory_code": sheet.territory_code,
            "plates": sheet.plates_done,
        },
    )
    return sheet


def doorplate_export(*, doorplate: Doorplate, actor: Any, kind: str, request: Any = None) -> None:
    """Allow the download of one plate's image (it carries the token), audited."""
    _require_covers(actor, doorplate.territory_code)
    if not doorplate.is_active:
        raise ValidationError(_("This plate has been revoked."))
    audit_record(
        action=AuditAction.EXPORT,
        actor=actor,
        target=doorplate,
        request=request,
        detail={"what": "doorplate", "format": kind, "household": doorplate.household_id},
    )
