"""One-time SMS codes that prove a resident holds the phone they typed.

A code is six digits, lives ``CODE_TTL_SECONDS`` in the shared cache, and is stored only as
a keyed hash (HMAC with the secret key) under a key made from the phone's lookup hash and the
purpose it was sent for: a code sent for a report cannot open a case lookup. A wrong code
uses up one of ``MAX_ATTEMPTS``; then the code is void and a new one must be asked for.
A newer code replaces the older one.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from fengqiao.core.privacy import lookup_digest
from fengqiao.residents.sms import sms_backend, sms_send

CODE_TTL_SECONDS = 300
MAX_ATTEMPTS = 5


class Purpose(enum.StrEnum):
    REPORT = "report"
    LOOKUP = "lookup"


@dataclass(frozen=True)
class SentCode:
    """What the page may tell: the code itself only on the demo channel."""

    demo_code: str | None
    channel_label: str


class CodeError(Exception):
    """The code is wrong, expired or used up; the message says which, for the resident."""


def _key(purpose: Purpose, phone: str) -> str:
    return f"residents:otp:{purpose}:{lookup_digest(phone, 'phone')[:40]}"


def _seal(purpose: Purpose, phone: str, code: str) -> str:
    message = f"{purpose}:{lookup_digest(phone, 'phone')}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def code_send(*, phone: str, purpose: Purpose) -> SentCode:
    """Make a new code for the phone and send it (raises ``SmsError`` if the gateway
    refuses; then no code is kept)."""
    code = f"{secrets.randbelow(10**6):06d}"
    sms_send(
        phone=phone,
        template="verification_code",
        code=code,
        minutes=str(CODE_TTL_SECONDS // 60),
    )
    cache.set(
        _key(purpose, phone),
        {
            "sealed": _seal(purpose, phone, code),
            "left": MAX_ATTEMPTS,
            "until": time.time() + CODE_TTL_SECONDS,
        },
        timeout=CODE_TTL_SECONDS,
    )
    backend = sms_backend()
    return SentCode(
        demo_code=code if backend.shows_code_on_page else None,
        channel_label=str(backend.label),
    )


def code_check(*, phone: str, purpose: Purpose, code: str, consume: bool = True) -> None:
    """Accept the code or raise ``CodeError``. A right code is used up (``consume``)."""
    key = _key(purpose, phone)
    entry = cache.get(key)
    if not entry:
        raise CodeError(_("The code has expired or was never sent. Ask for a new one."))
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) == 6 and hmac.compare_digest(entry["sealed"], _seal(purpose, phone, code)):
        if consume:
            cache.delete(key)
        return
    left = int(entry["left"]) - 1
    if left <= 0:
        cache.delete(key)
        raise CodeError(_("Too many wrong codes. Ask for a new one."))
    # Keep the code's original expiry: wrong guesses must not prolong its life.
    remaining = int(float(entry["until"]) - time.time())
    if remaining > 0:
        cache.set(key, {**entry, "left": left}, timeout=remaining)
    raise CodeError(_("The code is not right. Check the message and try again."))


def code_forget(*, phone: str, purpose: Purpose) -> None:
    """Use up the phone's code (after what it was checked for has been done)."""
    cache.delete(_key(purpose, phone))
