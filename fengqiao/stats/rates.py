"""The one rate rule of the platform, used by every figure (cases, disputes, ledgers).

A rate is an exact ``Decimal`` computed from two integer counts and truncated (ROUND_DOWN)
to 0.0001, i.e. two decimals of a percent, so that a figure never overstates: 418,468 ÷
442,327 = 0.946060… → 0.9460, shown ``94.60%``; 0.99996 shows ``99.99%``, never ``100.00%``;
1 ÷ 32 = 0.03125 → ``3.12%``. Nothing to divide by gives ``None``, shown ``—``.

This module imports no models, so any app may use it.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

RATE_QUANTUM = Decimal("0.0001")  # a rate of 0.9248 is 92.48 %
RATE_ROUNDING = ROUND_DOWN
NO_RATE = "—"


def rate(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` exactly, truncated to 0.0001; ``None`` when the
    denominator is zero (or negative, which no count is)."""
    if denominator <= 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        RATE_QUANTUM, rounding=RATE_ROUNDING
    )


def rate_display(value: Decimal | None) -> str:
    """``Decimal("0.9248")`` → ``"92.48%"``; ``None`` → ``"—"``."""
    if value is None:
        return NO_RATE
    return f"{(value * 100).quantize(Decimal('0.01'), rounding=RATE_ROUNDING)}%"
