"""Which cases a staff member may read: the one scoping method for the case family."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

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


def status_in_literal(*statuses: str) -> RawSQL:
    """``status IN (…)`` with the values written into the statement, as the partial indexes'
    conditions are written. SQLite uses a partial index only when the query's WHERE clause
    repeats the index's condition; a condition on bound parameters (Django's ``status__in``)
    cannot be proven to, and the query then reads every open case. The values are the
    workflow's own constants, never input."""
    from fengqiao.cases.models import Case

    assert all(status.isidentifier() for status in statuses)
    column = f'"{Case._meta.db_table}"."status"'
    values = ", ".join(f"'{status}'" for status in statuses)
    if len(statuses) == 1:
        return RawSQL(f"{column} = {values}", [], output_field=BooleanField())  # noqa: S611
    return RawSQL(f"{column} IN ({values})", [], output_field=BooleanField())  # noqa: S611
