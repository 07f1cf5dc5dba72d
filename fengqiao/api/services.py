"""Writers of the integration app: API keys (create, the plaintext returned once; revoke) and
Open311 requests received as cases.

Keys are 256 random bits, so a plain SHA-256 digest is enough to store them: there is nothing
to brute-force, and unlike an HMAC under ``LOOKUP_HASH_KEY`` the stored digests survive a
rotation of that key. Lookups compare digests through the unique index.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.api.models import ApiKey, Open311Request
from fengqiao.audit.choices import AuditAction
from fengqiao.audit.services import audit_record
from fengqiao.cases.choices import CaseType, Channel, ReporterKind
from fengqiao.cases.models import Category
from fengqiao.cases.services import ReporterInput, case_submit
from fengqiao.core.codes import is_within
from fengqiao.core.privacy import encrypt

KEY_MARKER: Final = "fq_"
PREFIX_LENGTH: Final = len(KEY_MARKER) + 8
# A 4000-character "key" is not a key: refuse it before hashing.
MAX_KEY_LENGTH: Final = 200


def key_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *, name: str, territory_code: str = "", user: Any = None, actor: Any = None
) -> tuple[ApiKey, str]:
    """A new active key named ``name``, acting as ``user`` (None: public resources only);
    returns the row and the plaintext, shown only once."""
    plaintext = KEY_MARKER + secrets.token_urlsafe(32)
    api_key = ApiKey(
        name=name.strip(),
        territory_code=territory_code.strip(),
        user=user,
        prefix=plaintext[:PREFIX_LENGTH],
        key_hash=key_digest(plaintext),
    )
    api_key.full_clean()
    try:
        with transaction.atomic():
            api_key.save()
    except IntegrityError as error:
        # Two creations with the same name at once: the second one loses here.
        raise ValidationError({"name": _("An API key with this name already exists.")}) from error
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        target=api_key,
        detail={
            "api_key": "created",
            "name": api_key.name,
            "prefix": api_key.prefix,
            "acts_as": user.get_username() if user is not None else None,
        },
    )
    return api_key, plaintext


@transaction.atomic
def api_key_revoke(*, name: str, actor: Any = None) -> ApiKey:
    """Revoke the key named ``name``; it stops resolving at once. Raises
    ``ApiKey.DoesNotExist`` for an unknown name and ``ValidationError`` when already revoked."""
    api_key = ApiKey.objects.select_for_update().get(name=name.strip())
    if api_key.revoked_at is not None:
        raise ValidationError(_("The API key “%(name)s” is already revoked.") % {"name": name})
    api_key.revoked_at = timezone.now()
    api_key.full_clean()
    api_key.save(update_fields=["revoked_at"])
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        target=api_key,
        detail={"api_key": "revoked", "name": api_key.name, "prefix": api_key.prefix},
    )
    return api_key


# ---------------------------------------------------------------------------------------
# Open311: a request received through POST requests


@dataclass(frozen=True)
class Open311Submission:
    """A ``POST requests`` already checked field by field (``open311.parse_submission``):
    the category, where (a territory code we serve), what, and who may be contacted."""

    category: Category
    territory_code: str
    description: str
    address: str = ""
    address_id: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    reporter_name: str = ""
    phone: str = ""
    email: str = ""
    device_id: str = ""
    account_id: str = ""
    media_url: str = ""
    client_key: str = ""


# Open311 has no request types: a resident asking the government to see to something is a
# request for help (求助) in the loop's terms.
OPEN311_CASE_TYPE: Final = CaseType.HELP
TITLE_LENGTH: Final = 40


def _open311_title(category: Category, description: str) -> str:
    """Open311 requests have no title: the category and the start of the description."""
    first_line = " ".join(description.split())
    if len(first_line) > TITLE_LENGTH:
        first_line = first_line[: TITLE_LENGTH - 1] + "…"
    return f"{category.name}：{first_line}"[:100]


SYSTEM_KEY_PREFIX: Final = "key"


def system_case_key(api_key: ApiKey, external_id: str) -> str:
    """The case's idempotency key for a system's own id of a case, whichever door it came in
    by (Open311 or the REST API): scoped by the key, so two systems that happen to use the
    same ids never meet, and one system's id names one case."""
    return f"{SYSTEM_KEY_PREFIX}:{api_key.pk}:{external_id}"


def external_id_of(api_key: ApiKey, idempotency_key: str | None) -> str | None:
    """The system's own id of a case it sent, or None when another system or a person sent
    it (what webhooks tell the platform that pushed the case)."""
    prefix = f"{SYSTEM_KEY_PREFIX}:{api_key.pk}:"
    if idempotency_key and idempotency_key.startswith(prefix):
        return idempotency_key[len(prefix) :]
    return None


@transaction.atomic
def open311_request_submit(
    *, api_key: ApiKey, submission: Open311Submission
) -> tuple[Open311Request, bool]:
    """Receive an Open311 request as a case (channel API, routed like any other), acting as
    the key's account. Returns (request, created): the same ``client_key`` from the same key
    gives back the first request. Raises ``PermissionDenied`` for a revoked key or a place
    outside the key's territory, ``ValidationError`` for what the case loop refuses."""
    if not api_key.is_active:
        raise PermissionDenied(_("This API key has been revoked."))
    if api_key.user is not None and not api_key.user.is_active:
        raise PermissionDenied(_("The account this API key acts as is disabled."))
    if api_key.territory_code and not is_within(submission.territory_code, api_key.territory_code):
        raise PermissionDenied(
            _("This API key may only report matters within territory %(code)s.")
            % {"code": api_key.territory_code}
        )
    if api_key.user is not None and not api_key.user.covers(submission.territory_code):
        # The key acts as this account: it receives cases where the account could.
        raise PermissionDenied(
            _("The account this API key acts as cannot receive matters at %(code)s.")
            % {"code": submission.territory_code}
        )
    reporter = ReporterInput()
    if submission.reporter_name or submission.phone:
        reporter = ReporterInput(
            kind=ReporterKind.PERSON, name=submission.reporter_name, phone=submission.phone
        )
    key = system_case_key(api_key, submission.client_key) if submission.client_key else None
    case, created = case_submit(
        case_type=OPEN311_CASE_TYPE,
        category=submission.category,
        channel=Channel.API,
        title=_open311_title(submission.category, submission.description),
        description=submission.description,
        territory_code=submission.territory_code,
        reporter=reporter,
        address=submission.address,
        latitude=submission.latitude,
        longitude=submission.longitude,
        idempotency_key=key,
        actor=api_key.user,
    )
    if not created:
        existing = Open311Request.objects.filter(case=case).first()
        if existing is None:  # the key named a case received some other way: not ours
            raise ValidationError(_("This request id was already used for another matter."))
        return existing, False
    request = Open311Request(
        case=case,
        api_key=api_key,
        address_id=submission.address_id,
        media_url=submission.media_url,
        email_encrypted=encrypt(submission.email) if submission.email else "",
        device_id=submission.device_id,
        account_id=submission.account_id,
    )
    request.full_clean(exclude=["case", "api_key"])
    request.save()
    return request, True
