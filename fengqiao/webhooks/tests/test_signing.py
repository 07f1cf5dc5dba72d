"""A receiver can verify what we sign; the back-off schedule doubles, jitters and is capped."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from fengqiao.webhooks.policy import retry_delay
from fengqiao.webhooks.signing import new_secret, signature_header, verify

BODY = b'{"event":{"type":"accept"},"case":{"number":"520524-20260608-0001"}}'


def test_a_receiver_recomputes_the_signature_from_timestamp_and_body() -> None:
    secret = new_secret()
    header = signature_header(secret, BODY, timestamp=1_780_000_000)
    stamp, v1 = (part.split("=", 1)[1] for part in header.split(","))
    # What a receiver in any language does: HMAC-SHA256 over "<t>.<body>" with the secret.
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert v1 == expected
    assert verify(secret, header, BODY, now=1_780_000_010)


@pytest.mark.parametrize(
    "change",
    [
        {"body": BODY.replace(b"accept", b"reject")},
        {"secret": "whsec_someone-else"},
        {"now": 1_780_000_000 + 301},  # replayed later than the tolerance
        {"header": "v1=deadbeef"},  # no timestamp
        {"header": "t=1780000000"},  # no signature
    ],
)
def test_anything_altered_fails_verification(change: dict[str, Any]) -> None:
    secret = new_secret()
    header = signature_header(secret, BODY, timestamp=1_780_000_000)
    assert not verify(
        change.get("secret", secret),
        change.get("header", header),
        change.get("body", BODY),
        now=change.get("now", 1_780_000_000),
    )


def test_secrets_are_random_and_long() -> None:
    first, second = new_secret(), new_secret()
    assert first != second and first.startswith("whsec_") and len(first) >= 6 + 43


def test_back_off_doubles_from_the_base_with_twenty_percent_jitter() -> None:
    lowest = [retry_delay(n, rand=lambda: 0.0) for n in range(1, 6)]
    highest = [retry_delay(n, rand=lambda: 1.0) for n in range(1, 6)]
    middle = [retry_delay(n, rand=lambda: 0.5) for n in range(1, 6)]
    assert middle == [30, 60, 120, 240, 480]
    assert lowest == pytest.approx([24, 48, 96, 192, 384])
    assert highest == pytest.approx([36, 72, 144, 288, 576])


def test_back_off_is_capped_at_six_hours(settings: Any) -> None:
    assert retry_delay(30, rand=lambda: 0.5) == 6 * 3600
    settings.WEBHOOKS_RETRY_BASE_SECONDS = 1
    settings.WEBHOOKS_RETRY_CAP_SECONDS = 10
    assert [retry_delay(n, rand=lambda: 0.5) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]
