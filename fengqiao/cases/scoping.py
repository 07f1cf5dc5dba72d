"""Which cases a staff member may read: the one scoping method for the case family."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q

from fengqiao.core.codes import within
from fengqiao.core.scoping import territory_prefix_for

if TYPE_CHECKING:
    from fengqiao.cases.models import Case  # noqa: F401  (named in the base class below)


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: Any) -> CaseQuerySet:
        """Territory staff: cases located in their subtree. Department staff: cases their
        department leads or co-handles now. Out of scope is absent (404 on a detail page)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.department_id is not None:
            return self.filter(department_q(user.department_id))
        prefix = territory_prefix_for(user)
        if prefix is None:
            return self.none()
        return self.filter(within("territory_code", prefix))


def department_q(department_id: int) -> Q:
    from fengqiao.cases.models import Case

    co_handled = Case.co_departments.through.objects.filter(department_id=department_id)
    return Q(lead_department_id=department_id) | Q(pk__in=co_handled.values("case_id"))
