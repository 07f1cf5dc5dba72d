"""The one scoping method for reads: ``Model.objects.visible_to(user)``.

Each model family declares how a row relates to a user's scope; pages, exports, admin lists
and the API all read through ``visible_to`` and never filter by scope themselves. What is out
of scope is simply absent, so a detail view of it answers 404 exactly as for a missing row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

from fengqiao.core.codes import within

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

_M = TypeVar("_M", bound=models.Model)


class TerritoryScopedQuerySet(models.QuerySet[_M]):
    """Rows that carry a ``territory_code``: visible when it lies in the user's territory.

    Department staff have no territory of their own: they see none of these rows (what they
    see is what is sent to their department, defined by the case workflow).
    """

    scope_field = "territory_code"

    def visible_to(self, user: AbstractBaseUser | AnonymousUser) -> TerritoryScopedQuerySet[_M]:
        prefix = territory_prefix_for(user)
        if prefix is None:
            return self.none()
        return self.filter(within(self.scope_field, prefix))

    def within(self, prefix: str) -> TerritoryScopedQuerySet[_M]:
        """Rows in the subtree of ``prefix`` (a territory code), regardless of who asks."""
        return self.filter(within(self.scope_field, prefix))


def territory_prefix_for(user: Any) -> str | None:
    """The territory code a user may read under: '' for everything, None for nothing."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user.territory_prefix()
