"""Personal information at rest and on screen: encryption, keyed lookup hashes, masking.

Citizen ID numbers and phone numbers are sensitive personal information under PIPL. They are
stored encrypted (AES-256-GCM, key from configuration), found by an HMAC of the normalised
value (exact lookup and duplicate detection without decrypting), and reach templates as a
``Sensitive`` value whose text form is the masked one, so showing the full number takes a
deliberate ``reveal()`` that the unmask service audits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

SensitiveKind = Literal["id_number", "phone"]

_NONCE_BYTES = 12
_TOKEN_VERSION = b"\x01"


class Sensitive:
    """A decrypted personal value that prints masked; ``reveal()`` gives the full value."""

    __slots__ = ("_value", "kind")

    def __init__(self, value: str, kind: SensitiveKind) -> None:
        self._value = value
        self.kind = kind

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        return mask(self._value, self.kind)

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"<Sensitive {self.kind} {self.masked}>"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sensitive):
            return self._value == other._value
        if isinstance(other, str):
            return self._value == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)


def mask(value: str, kind: SensitiveKind) -> str:
    """``5205**********1234`` for an ID number, ``138****0000`` for a phone."""
    if not value:
        return ""
    if kind == "id_number":
        if len(value) <= 8:
            return "*" * len(value)
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def normalize(value: str, kind: SensitiveKind) -> str:
    """The canonical form that is encrypted and hashed: what two spellings of one value share."""
    value = value.strip()
    if kind == "id_number":
        return value.replace(" ", "").upper()
    digits = "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits.replace("+", "")


@lru_cache(maxsize=1)
def _ciphers() -> tuple[AESGCM, ...]:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FENGQIAO_FIELD_KEYS must name at least one key")
    ciphers = []
    for encoded in keys:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if len(raw) != 32:
            raise ImproperlyConfigured("Each FENGQIAO_FIELD_KEYS key must be 32 bytes, base64")
        ciphers.append(AESGCM(raw))
    return tuple(ciphers)


def encrypt(plaintext: str) -> str:
    """AES-256-GCM under the current key; the text form is base64(version|nonce|ciphertext)."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _ciphers()[0].encrypt(nonce, plaintext.encode(), None)
    return base64.b64encode(_TOKEN_VERSION + nonce + sealed).decode("ascii")


def decrypt(token: str) -> str:
    raw = base64.b64decode(token)
    nonce, sealed = raw[1 : 1 + _NONCE_BYTES], raw[1 + _NONCE_BYTES :]
    for cipher in _ciphers():
        try:
            return cipher.decrypt(nonce, sealed, None).decode()
        except InvalidTag:
            continue
    raise ImproperlyConfigured("A stored personal value matches none of FENGQIAO_FIELD_KEYS")


def lookup_digest(value: str, kind: SensitiveKind) -> str:
    """The keyed hash that finds a value: HMAC-SHA256 of kind and normalised value, hex."""
    if not value:
        return ""
    message = f"{kind}:{normalize(value, kind)}".encode()
    return hmac.new(settings.LOOKUP_HASH_KEY.encode(), message, hashlib.sha256).hexdigest()


class EncryptedSensitiveField(models.TextField):
    """A personal value stored encrypted; Python code sees it as ``Sensitive`` (prints masked).

    Exact lookups on the ciphertext are meaningless (each encryption is randomised): search
    through the companion ``*_digest`` column that ``lookup_digest`` fills.
    """

    description = "Encrypted personal value"

    def __init__(self, *args: Any, kind: SensitiveKind, **kwargs: Any) -> None:
        self.kind: SensitiveKind = kind
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Sensitive:
        return Sensitive(decrypt(value) if value else "", self.kind)

    def to_python(self, value: Any) -> Sensitive:
        if isinstance(value, Sensitive):
            return value
        return Sensitive(normalize(str(value), self.kind) if value else "", self.kind)

    def get_prep_value(self, value: Any) -> str:
        if isinstance(value, Sensitive):
            value = value.reveal()
        if not value:
            return ""
        return encrypt(normalize(str(value), self.kind))

    def value_to_string(self, obj: models.Model) -> str:
        # Serialisation (dumpdata) writes the masked form: full values never leave by that path.
        value = self.value_from_object(obj)
        return str(value)
