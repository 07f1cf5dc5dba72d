"""Territory codes: the spine of scoping.

Every scoped row stores the code of the smallest territory it belongs to. Codes nest by
prefix: county ``520524`` → township ``520524001`` → village ``520524001001`` → grid
``520524001001003`` → ten-household unit ``520524001001003007``. "Everything under X" is
therefore the half-open range ``[X, X+1)`` on that column: a plain index range scan on both
SQLite and PostgreSQL, with no recursive query.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

# How many leading digits of the 12-digit official code are significant at each level.
SIGNIFICANT_DIGITS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
GRID_SUFFIX_DIGITS = 3
UNIT_SUFFIX_DIGITS = 3
GRID_CODE_LENGTH = 12 + GRID_SUFFIX_DIGITS
UNIT_CODE_LENGTH = GRID_CODE_LENGTH + UNIT_SUFFIX_DIGITS


def prefix_of(official_code: str, level: str) -> str:
    """The territory code of an area: the significant prefix of its official 12-digit code."""
    return official_code[: SIGNIFICANT_DIGITS[level]]


def official_code(prefix: str) -> str:
    """The 12-digit official form of an area's territory code (zero-padded)."""
    return prefix.ljust(12, "0")


def upper_bound(prefix: str) -> str | None:
    """The smallest code of the same length after every code that starts with ``prefix``.

    ``None`` when there is none (a prefix of all nines): then only the lower bound applies.
    """
    following = int(prefix) + 1
    text = str(following).zfill(len(prefix))
    return text if len(text) == len(prefix) else None


def within(field: str, prefix: str) -> Q:
    """A filter for rows whose ``field`` lies in the subtree of ``prefix``."""
    if not prefix:
        return Q()
    bounds: dict[str, Any] = {f"{field}__gte": prefix}
    upper = upper_bound(prefix)
    if upper is not None:
        bounds[f"{field}__lt"] = upper
    return Q(**bounds)


def is_within(code: str, prefix: str) -> bool:
    return code.startswith(prefix)


def ancestors(code: str) -> list[str]:
    """The territory codes above ``code``, from the province down (not including ``code``)."""
    lengths = [2, 4, 6, 9, 12, GRID_CODE_LENGTH, UNIT_CODE_LENGTH]
    return [code[:n] for n in lengths if n < len(code)]
