"""The signature of a delivery, and how a receiver checks it.

``X-Fengqiao-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``

The timestamp is signed with the body so that a captured request cannot be replayed later
(receivers reject a ``t`` too far from their clock); ``v1`` names the scheme so that a later
one can be sent beside it during a change. Several ``v1`` values may appear while a secret is
being rotated; one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SECRET_MARKER = "whsec_"
SIGNATURE_HEADER = "X-Fengqiao-Signature"
EVENT_HEADER = "X-Fengqiao-Event"
DELIVERY_HEADER = "X-Fengqiao-Delivery"
DEFAULT_TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """256 random bits, URL-safe."""
    return SECRET_MARKER + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    return f"t={stamp},v1={signature(secret, stamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: the header is well formed, fresh, and one ``v1`` matches."""
    stamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            stamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if stamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        return False
    expected = signature(secret, stamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
