"""Writers of bulletins: publish, edit, withdraw. Each is keyword-only, takes the acting user,
checks who may act (``scoping.can_manage``) and the bulletin's state, validates, saves, and
appends one ``BulletinEvent`` — all in one transaction. Nothing else writes a bulletin.

Times are kept to the whole minute (what the forms show and send), so a form sent back
unchanged compares equal to what is stored. A start in the past means "from now": a bulletin
cannot have reached anyone before it was published.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fengqiao.bulletins.choices import (
    BulletinEventKind,
    BulletinKind,
    BulletinState,
    BulletinUrgency,
)
from fengqiao.bulletins.models import Bulletin, BulletinEvent, target_code_validator
from fengqiao.bulletins.scoping import can_manage, publisher_prefix
from fengqiao.core.codes import GRID_CODE_LENGTH, is_within
from fengqiao.territory.models import Area, Grid

# A bulletin is a notice for now, not a standing page: past a year, publish it again.
MAX_PERIOD = datetime.timedelta(days=366)


class StaleBulletinError(ValidationError):
    """Someone changed the bulletin after the page was shown."""


# --- Checks ----------------------------------------------------------------------------------


def _minute(value: datetime.datetime) -> datetime.datetime:
    return value.replace(second=0, microsecond=0)


def _when(value: datetime.datetime) -> str:
    return str(formats.date_format(timezone.localtime(value), "Y-m-d H:i"))


def _require_publisher(actor: Any) -> str:
    prefix = publisher_prefix(actor)
    if prefix is None:
        raise PermissionDenied(
            _(
                "Only the operators or the leader of a county or township center, or an "
                "administrator, can publish bulletins."
            )
        )
    return prefix


def _check_target(code: str, prefix: str) -> None:
    try:
        target_code_validator(code)
    except ValidationError as error:
        raise ValidationError({"territory_code": error.messages}) from None
    if not is_within(code, prefix):
        raise ValidationError(
            {
                "territory_code": _(
                    "%(code)s is outside your territory: aim at %(scope)s or a place under it."
                )
                % {"code": code, "scope": prefix}
            }
        )
    if len(code) == GRID_CODE_LENGTH:
        exists = Grid.objects.filter(code=code).exists()
    else:
        exists = Area.objects.filter(territory_code=code, valid_to__isnull=True).exists()
    if not exists:
        raise ValidationError(
            {
                "territory_code": _(
                    "No current county, township, village or grid has the code %(code)s: "
                    "check the digits."
                )
                % {"code": code}
            }
        )


def _check_period(
    valid_from: datetime.datetime, valid_until: datetime.datetime, now: datetime.datetime
) -> None:
    if valid_until <= valid_from:
        raise ValidationError(
            {"valid_until": _("The end of the period must come after its start.")}
        )
    if valid_until <= now:
        raise ValidationError(
            {"valid_until": _("This end has already passed: choose an end in the future.")}
        )
    if valid_until - valid_from > MAX_PERIOD:
        raise ValidationError(
            {
                "valid_until": _(
                    "A bulletin stays in force for at most %(days)d days: choose an earlier end "
                    "and publish it again later if needed."
                )
                % {"days": MAX_PERIOD.days}
            }
        )


def _locked(bulletin: Bulletin, version: int | None) -> Bulletin:
    current = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if version is not None and current.version != version:
        raise StaleBulletinError(
            _(
                "Someone else changed the bulletin “%(title)s” a moment ago. Reload the page "
                "to see what changed."
            )
            % {"title": current.title}
        )
    return current


def _require_manager(actor: Any, bulletin: Bulletin) -> None:
    _require_publisher(actor)
    if not can_manage(actor, bulletin.territory_code):
        raise PermissionDenied(
            _("This bulletin is aimed above your territory: its publisher's center manages it.")
        )


def _save(bulletin: Bulletin, fields: list[str]) -> None:
    bulletin.full_clean()
    bulletin.version = F("version") + 1
    bulletin.save(update_fields=[*fields, "version", "updated_at"])
    bulletin.refresh_from_db(fields=["version"])


def _event(
    bulletin: Bulletin,
    kind: BulletinEventKind,
    *,
    actor: Any,
    note: str = "",
    changes: dict[str, Any] | None = None,
) -> BulletinEvent:
    return BulletinEvent.objects.create(
        bulletin=bulletin, kind=kind, actor=actor, note=note, changes=changes or {}
    )


# --- Moves -----------------------------------------------------------------------------------


@transaction.atomic
def bulletin_publish(
    *,
    actor: Any,
    kind: BulletinKind,
    title: str,
    body: str,
    territory_code: str,
    valid_from: datetime.datetime,
    valid_until: datetime.datetime,
    urgency: BulletinUrgency = BulletinUrgency.NORMAL,
    now: datetime.datetime | None = None,
) -> Bulletin:
    """Publish a bulletin to the households under ``territory_code`` for a period."""
    prefix = _require_publisher(actor)
    now = _minute(now or timezone.now())
    territory_code = territory_code.strip()
    _check_target(territory_code, prefix)
    valid_from = max(_minute(valid_from), now)
    valid_until = _minute(valid_until)
    _check_period(valid_from, valid_until, now)
    bulletin = Bulletin(
        kind=kind,
        urgency=urgency,
        title=title.strip(),
        body=body.strip(),
        territory_code=territory_code,
        valid_from=valid_from,
        valid_until=valid_until,
        created_by=actor,
    )
    bulletin.full_clean()
    bulletin.save()
    _event(bulletin, BulletinEventKind.PUBLISHED, actor=actor)
    return bulletin


def _display(value: Any) -> str:
    """A value as the edit event records it (JSON)."""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    return str(value)


@transaction.atomic
def bulletin_edit(
    *,
    bulletin: Bulletin,
    actor: Any,
    kind: BulletinKind,
    title: str,
    body: str,
    territory_code: str,
    valid_from: datetime.datetime,
    valid_until: datetime.datetime,
    urgency: BulletinUrgency,
    version: int | None = None,
    now: datetime.datetime | None = None,
) -> Bulletin:
    """Change a scheduled or in-force bulletin. Nothing changed: nothing is written (and no
    event). Expired and withdrawn bulletins are the record of what residents saw: they stay
    as they are (publish a new one instead)."""
    _require_manager(actor, bulletin)
    bulletin = _locked(bulletin, version)
    _require_manager(actor, bulletin)  # the target may have moved since the page was shown
    now = _minute(now or timezone.now())
    state = bulletin.state_at(now)
    if state == BulletinState.WITHDRAWN:
        raise ValidationError(
            _("The bulletin “%(title)s” was withdrawn: it can no longer be edited.")
            % {"title": bulletin.title}
        )
    if state == BulletinState.EXPIRED:
        raise ValidationError(
            _(
                "The bulletin “%(title)s” expired on %(when)s: publish a new bulletin instead "
                "of editing it."
            )
            % {"title": bulletin.title, "when": _when(bulletin.valid_until)}
        )
    territory_code = territory_code.strip()
    if territory_code != bulletin.territory_code:
        _check_target(territory_code, publisher_prefix(actor) or "")
    valid_from = _minute(valid_from)
    if valid_from != bulletin.valid_from:
        valid_from = max(valid_from, now)
    valid_until = _minute(valid_until)
    _check_period(valid_from, valid_until, now)
    wanted = {
        "kind": kind,
        "urgency": urgency,
        "title": title.strip(),
        "body": body.strip(),
        "territory_code": territory_code,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }
    changes = {
        field: [_display(getattr(bulletin, field)), _display(value)]
        for field, value in wanted.items()
        if getattr(bulletin, field) != value
    }
    if not changes:
        return bulletin
    for field in changes:
        setattr(bulletin, field, wanted[field])
    _save(bulletin, list(changes))
    _event(bulletin, BulletinEventKind.EDITED, actor=actor, changes=changes)
    return bulletin


@transaction.atomic
def bulletin_withdraw(
    *,
    bulletin: Bulletin,
    actor: Any,
    reason: str,
    version: int | None = None,
    now: datetime.datetime | None = None,
) -> Bulletin:
    """Take a scheduled or in-force bulletin off residents' pages at once, saying why."""
    _require_manager(actor, bulletin)
    bulletin = _locked(bulletin, version)
    _require_manager(actor, bulletin)
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the bulletin is withdrawn.")})
    state = bulletin.state_at(now)
    if state == BulletinState.WITHDRAWN:
        raise ValidationError(
            _("The bulletin “%(title)s” was already withdrawn on %(when)s.")
            % {"title": bulletin.title, "when": _when(bulletin.withdrawn_at or now)}
        )
    if state == BulletinState.EXPIRED:
        raise ValidationError(
            _("The bulletin “%(title)s” already expired on %(when)s: there is nothing to withdraw.")
            % {"title": bulletin.title, "when": _when(bulletin.valid_until)}
        )
    bulletin.withdrawn_at = now
    bulletin.withdrawn_reason = reason
    _save(bulletin, ["withdrawn_at", "withdrawn_reason"])
    _event(bulletin, BulletinEventKind.WITHDRAWN, actor=actor, note=reason)
    return bulletin
