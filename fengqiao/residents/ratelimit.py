"""Rate limits for the residents' pages: per doorplate token, per phone, per IP address.

Counters are fixed windows in Django's shared cache (the database cache by default, Redis in
production), so every app worker counts together. What is counted (a token, a phone, an
address) enters the cache key only as a keyed hash: the cache table never holds a token or
a phone number. A limit that is reached answers with the seconds until its window ends, which
the page turns into "try again in N minutes".

The database cache's increment is a read then a write: two requests at the very same moment
may both pass at the edge of a limit. That is acceptable for limits meant to stop floods,
not to count exactly; Redis increments atomically.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: int


# name -> limit. Generous per address: a whole village may sit behind one carrier address.
DEFAULT_LIMITS: dict[str, Limit] = {
    # Wrong or revoked doorplate tokens and tracking links tried from one address.
    "bad_link:ip": Limit(20, 3600),
    # Opening pages at all (a scraper, a loop).
    "view:ip": Limit(600, 3600),
    # One-time codes asked for.
    "code:phone": Limit(5, 3600),
    "code:phone_gap": Limit(1, 60),
    "code:token": Limit(10, 3600),
    "code:ip": Limit(30, 3600),
    # Reports sent.
    "report:token": Limit(6, 3600),
    "report:phone": Limit(10, 86400),
    "report:ip": Limit(30, 3600),
    # Case lookups by number and phone.
    "lookup:ip": Limit(20, 3600),
    # Ratings sent (a rating can only be given once per reply; this stops hammering).
    "rate:link": Limit(10, 3600),
}


def limit_for(name: str) -> Limit:
    overrides = getattr(settings, "RESIDENTS_RATE_LIMITS", {}) or {}
    value = overrides.get(name)
    if value is None:
        return DEFAULT_LIMITS[name]
    if isinstance(value, Limit):
        return value
    count, seconds = value
    return Limit(int(count), int(seconds))


def _key(name: str, ident: str, window: int) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{name}:{ident}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    return f"residents:rl:{name}:{digest}:{window}"


def _window(limit: Limit, now: float) -> tuple[int, int]:
    """(window number, seconds until it ends)."""
    window = int(now // limit.seconds)
    return window, max(1, math.ceil((window + 1) * limit.seconds - now))


def blocked_for(name: str, ident: str) -> int:
    """Seconds until ``ident`` may try again under ``name``; 0 when it may now. Counts
    nothing (for limits that count only failures, see ``hit``)."""
    if not ident:
        return 0
    limit = limit_for(name)
    window, remaining = _window(limit, time.time())
    used = cache.get(_key(name, ident, window), 0)
    return remaining if used >= limit.count else 0


def hit(name: str, ident: str) -> int:
    """Count one use; returns the seconds to wait if this use went over the limit, else 0."""
    if not ident:
        return 0
    limit = limit_for(name)
    window, remaining = _window(limit, time.time())
    key = _key(name, ident, window)
    try:
        used = cache.incr(key)  # one round trip on Redis, the common case
    except ValueError:  # the window's first use
        used = 1 if cache.add(key, 1, timeout=limit.seconds + 5) else cache.incr(key)
    return remaining if used > limit.count else 0


def hit_all(*checks: tuple[str, str]) -> int:
    """Count one use against each (name, ident); the longest wait if any limit is passed."""
    return max((hit(name, ident) for name, ident in checks), default=0)


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind ``RESIDENTS_PROXY_COUNT`` trusted reverse proxies it is
    the entry those proxies appended to X-Forwarded-For (earlier entries are the client's
    own claims and cannot be trusted)."""
    proxies = int(getattr(settings, "RESIDENTS_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def minutes(seconds: int) -> int:
    """Whole minutes to tell the resident (never 0)."""
    return max(1, math.ceil(seconds / 60))
