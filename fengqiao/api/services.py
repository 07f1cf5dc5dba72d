"""Writers of API keys: create (the plaintext is returned once) and revoke.

Keys are 256 random bits, so a plain SHA-256 digest is enough to store them: there is nothing
to brute-force, and unlike an HMAC under ``LOOKUP_HASH_KEY`` the stored digests survive a
rotation of that key. Lookups compare digests through the unique index.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.api.models import ApiKey
from fengqiao.audit.choices import AuditAction
from fengqiao.audit.services import audit_record

KEY_MARKER: Final = "fq_"
PREFIX_LENGTH: Final = len(KEY_MARKER) + 8
# A 4000-character "key" is not a key: refuse it before hashing.
MAX_KEY_LENGTH: Final = 200


def key_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, name: str, territory_code: str = "", actor: Any = None) -> tuple[ApiKey, str]:
    """A new active key named ``name``; returns the row and the plaintext, shown only once."""
    plaintext = KEY_MARKER + secrets.token_urlsafe(32)
    api_key = ApiKey(
        name=name.strip(),
        territory_code=territory_code.strip(),
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
        detail={"api_key": "created", "name": api_key.name, "prefix": api_key.prefix},
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
