"""Reads of the integration app: which key a request presents, which services we offer."""

from __future__ import annotations

from fengqiao.api.models import ApiKey
from fengqiao.api.services import KEY_MARKER, MAX_KEY_LENGTH, key_digest
from fengqiao.cases.categories import categories_in_tree_order
from fengqiao.cases.models import Category
from fengqiao.territory.choices import AreaLevel
from fengqiao.territory.models import Area


def api_key_for(plaintext: str | None) -> ApiKey | None:
    """The active key whose plaintext this is, or None (unknown, revoked, malformed)."""
    if not plaintext or len(plaintext) > MAX_KEY_LENGTH or not plaintext.startswith(KEY_MARKER):
        return None
    return ApiKey.objects.active().filter(key_hash=key_digest(plaintext)).first()


def county_exists(code: str) -> bool:
    """Whether ``code`` is the 6-digit territory code of a current county-level area."""
    return Area.objects.filter(
        territory_code=code, level=AreaLevel.COUNTY, valid_to__isnull=True
    ).exists()


def service_categories() -> list[Category]:
    """The active categories, in tree order. An active category has only active ancestors
    (kept by ``cases.categories``), so every parent of a listed one is listed too."""
    return list(categories_in_tree_order().filter(is_active=True))


def service_category(code: str) -> Category | None:
    return Category.objects.filter(code=code, is_active=True).first()
