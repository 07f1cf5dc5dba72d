"""The delivery policy: timeouts, the back-off schedule, how far the dispatcher looks back.

Defaults suit a county on one machine; a deployment may override each one in settings
(``WEBHOOKS_*``), e.g. a shorter back-off for a test worker.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

from django.conf import settings


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def retry_base_seconds() -> float:
    """The wait after the first failure; each further failure doubles it."""
    return _setting("WEBHOOKS_RETRY_BASE_SECONDS", 30)


def retry_cap_seconds() -> float:
    """No wait is longer than this (6 hours): a receiver back after a night is reached soon."""
    return _setting("WEBHOOKS_RETRY_CAP_SECONDS", 6 * 3600)


def timeout_seconds() -> float:
    """How long one POST may take, connect and read together."""
    return _setting("WEBHOOKS_TIMEOUT_SECONDS", 10)


def lookback() -> datetime.timedelta:
    """How far back each dispatch re-reads the case events it already passed: an event whose
    transaction committed after a later one (ids are taken at insert, not at commit) is still
    found if it committed within this window. Case moves take milliseconds; ten minutes is
    a wide margin."""
    return datetime.timedelta(seconds=_setting("WEBHOOKS_LOOKBACK_SECONDS", 600))


def requeue_grace() -> datetime.timedelta:
    """A pending delivery due longer than this is sent again by the periodic dispatch: its
    own retry message was lost (a broker or worker restart) or its wait was too long to hold
    as a delayed message."""
    return datetime.timedelta(seconds=_setting("WEBHOOKS_REQUEUE_GRACE_SECONDS", 60))


# Waits up to this long are scheduled as a delayed task message; longer ones are left to the
# periodic dispatch (a Redis broker redelivers delayed messages held past its visibility
# timeout, one hour by default).
DELAYED_MESSAGE_LIMIT_SECONDS = 300.0
JITTER = 0.2


def retry_delay(attempt: int, *, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): exponential back-off
    with ±20 % jitter, so that receivers coming back are not hit by every sender at once."""
    plain = min(retry_cap_seconds(), retry_base_seconds() * 2 ** (attempt - 1))
    return plain * (1 - JITTER + 2 * JITTER * rand())
