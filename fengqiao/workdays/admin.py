from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from fengqiao.core.admin import AdministratorOnlyAdmin
from fengqiao.workdays.choices import DayKind
from fengqiao.workdays.models import WorkdayOverride
from fengqiao.workdays.services import workday_override_remove, workday_override_set


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(AdministratorOnlyAdmin):
    """The year's official schedule, entered day by day; every change goes through the
    services so the working-day calendar is rebuilt."""

    list_display = ["date", "kind", "reason", "created_by"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    fields = ["date", "kind", "reason"]

    def save_model(
        self, request: HttpRequest, obj: WorkdayOverride, form: Any, change: Any
    ) -> None:
        saved = workday_override_set(
            day=obj.date, kind=DayKind(obj.kind), reason=obj.reason, actor=request.user
        )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: WorkdayOverride) -> None:
        workday_override_remove(day=obj.date, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WorkdayOverride]) -> None:
        # The bulk "delete selected" action must rebuild the calendar too.
        for override in queryset:
            workday_override_remove(day=override.date, actor=request.user)
