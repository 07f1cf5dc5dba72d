"""Per-process caches of the reference rows the API's intake reads on every request.

``POST /api/v1/cases/`` is the busiest write of the API (a provincial platform pushes
hundreds of cases a minute); the category by its code and the existence of the place are
read for each one. Both are policy data that change a few times a year, so each process keeps
them as the routing table does (``cases.routing``): reloaded every ``RELOAD_SECONDS``, and at
once in the process that saves a category. Another process sees a change within that time —
the same rule as for routing rules, deadline policies and the working-day calendar
(docs/architecture.md, "Caches of policy tables").
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from fengqiao.cases.models import Category
from fengqiao.territory.models import Area, Grid, HouseholdUnit

RELOAD_SECONDS = 60.0
# Known places, remembered once found (a county has some thousands of villages and grids).
PLACES_KEPT = 50_000


class _Categories:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_code: dict[str, Category] | None = None
        self._loaded_at = 0.0

    def active(self, code: str) -> Category | None:
        by_code = self._by_code
        if by_code is None or time.monotonic() - self._loaded_at > RELOAD_SECONDS:
            with self._lock:
                by_code = {c.code: c for c in Category.objects.filter(is_active=True)}
                self._by_code, self._loaded_at = by_code, time.monotonic()
        return by_code.get(code)

    def invalidate(self) -> None:
        self._by_code = None


class _Places:
    """Codes found to be current places; a code not (yet) known is looked up each time."""

    def __init__(self) -> None:
        self._found: dict[str, float] = {}

    def exists(self, code: str) -> bool:
        now = time.monotonic()
        found_at = self._found.get(code)
        if found_at is not None and now - found_at <= RELOAD_SECONDS:
            return True
        if not _place_in_database(code):
            self._found.pop(code, None)
            return False
        if len(self._found) >= PLACES_KEPT:
            self._found.clear()
        self._found[code] = now
        return True

    def invalidate(self) -> None:
        self._found = {}


def _place_in_database(code: str) -> bool:
    if len(code) <= 12:
        return Area.objects.filter(territory_code=code, valid_to__isnull=True).exists()
    if len(code) == 15:
        return Grid.objects.filter(code=code).exists()
    return HouseholdUnit.objects.filter(code=code).exists()


_categories = _Categories()
_places = _Places()


def _invalidate_on_commit(**kwargs: Any) -> None:
    # After the commit: a reload before it would read the old rows and keep them.
    transaction.on_commit(invalidate)


for _model in (Category, Area, Grid, HouseholdUnit):
    for _signal in (post_save, post_delete):
        _signal.connect(
            _invalidate_on_commit,
            sender=_model,
            weak=False,
            dispatch_uid=f"api-lookups-{_model.__name__}-{id(_signal)}",
        )


def active_category(code: str) -> Category | None:
    """The category in use with this code, or None."""
    return _categories.active(code)


def place_exists(code: str) -> bool:
    """Whether ``code`` is a current area, a grid or a ten-household unit."""
    return _places.exists(code)


def invalidate() -> None:
    _categories.invalidate()
    _places.invalidate()
