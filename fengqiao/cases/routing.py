"""谁主管、谁负责: which department a case goes to.

Rules map a category (and its descendants) in a territory subtree to a department; the most
specific rule wins: the longest territory code first, then the deepest category. No rule →
no department: the case waits in the holding center's triage queue.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from fengqiao.cases.models import Category, RoutingRule


@dataclass(frozen=True)
class Route:
    department_id: int
    handle_directly: bool
    rule_id: int


# Rules saved in another process (another app worker, the admin) reach this one within this
# many seconds; the process that saves a rule reloads at once (invalidate_routing on commit).
RELOAD_SECONDS = 60.0


class _RuleTable:
    """All active rules, indexed by category path, loaded once per process and reloaded
    every ``RELOAD_SECONDS`` (a few hundred rows: cheap)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded_at = 0.0
        self._by_category: dict[int, list[tuple[str, Route]]] | None = None
        self._paths: dict[int, str] = {}
        self._ids_by_code: dict[str, int] = {}

    def _load(self) -> None:
        by_category: dict[int, list[tuple[str, Route]]] = {}
        for rule in RoutingRule.objects.filter(is_active=True, department__is_active=True):
            by_category.setdefault(rule.category_id, []).append(
                (rule.territory_code, Route(rule.department_id, rule.handle_directly, rule.pk))
            )
        for rules in by_category.values():
            rules.sort(key=lambda item: len(item[0]), reverse=True)
        self._paths = dict(Category.objects.values_list("id", "path"))
        self._ids_by_code = {code: pk for pk, code in Category.objects.values_list("id", "code")}
        self._by_category = by_category
        self._loaded_at = time.monotonic()

    def route(self, category_id: int, territory_code: str) -> Route | None:
        if self._by_category is None or time.monotonic() - self._loaded_at > RELOAD_SECONDS:
            with self._lock:
                if self._by_category is None or time.monotonic() - self._loaded_at > RELOAD_SECONDS:
                    self._load()
        assert self._by_category is not None
        path = self._paths.get(category_id)
        if path is None:
            return None
        # From the category itself up to the root: the deepest category with a match wins
        # among rules of equal territory length; the longest territory wins overall.
        best: tuple[int, int, Route] | None = None
        codes = path.split("/")
        for depth in range(len(codes), 0, -1):
            category = self._ids_by_code.get(codes[depth - 1])
            for prefix, route in self._by_category.get(category or -1, []):
                if territory_code.startswith(prefix):
                    key = (len(prefix), depth, route)
                    if best is None or key[:2] > best[:2]:
                        best = key
                    break  # rules are sorted longest territory first
        return best[2] if best else None

    def invalidate(self) -> None:
        with self._lock:
            self._by_category = None


_table = _RuleTable()


def route(*, category_id: int, territory_code: str) -> Route | None:
    """The department responsible for a category at a place, or None for triage."""
    return _table.route(category_id, territory_code)


def invalidate_routing() -> None:
    _table.invalidate()
