"""Which disputes a staff member may read: the one scoping method for the dispute family."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q

from fengqiao.core.codes import within
from fengqiao.core.scoping import territory_prefix_for

if TYPE_CHECKING:
    from fengqiao.disputes.models import Dispute  # noqa: F401  (named in the base class below)


class DisputeQuerySet(models.QuerySet["Dispute"]):
    def visible_to(self, user: Any) -> DisputeQuerySet:
        """Territory staff: disputes located in their subtree. Department staff: disputes
        their department referred, or that they mediate as lead mediator. Anyone: disputes
        they mediate. Out of scope is absent (404 on a detail page)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        mediating = Q(lead_mediator__user_id=user.pk)
        if user.department_id is not None:
            return self.filter(Q(referring_department_id=user.department_id) | mediating)
        prefix = territory_prefix_for(user)
        if prefix is None:
            return self.filter(mediating)
        if not prefix:
            return self.all()
        return self.filter(within("territory_code", prefix) | mediating)

    def within(self, prefix: str) -> DisputeQuerySet:
        """Disputes in the subtree of ``prefix``, regardless of who asks (statistics)."""
        return self.filter(within("territory_code", prefix))
