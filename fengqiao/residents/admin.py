"""The service guide (办事指南) is edited here by administrators, within their territory;
saving goes through ``guide_entry_save`` (the same checks a script gets). Reminders and the
plate a report came from are records, read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest

from fengqiao.core.admin import AdministratorOnlyAdmin, ScopedModelAdmin
from fengqiao.residents.models import RatingReminder, ServiceGuideEntry
from fengqiao.residents.services import guide_entry_delete, guide_entry_save


@admin.register(ServiceGuideEntry)
class ServiceGuideEntryAdmin(ScopedModelAdmin):
    list_display = ["title", "territory_code", "online", "is_active", "sort_order"]
    list_filter = ["online", "is_active"]
    search_fields = ["title", "territory_code", "where"]
    list_select_related = ["category"]
    fields = [
        "territory_code",
        "title",
        "summary",
        "what_to_bring",
        "where",
        "office_hours",
        "phone",
        "online",
        "case_type",
        "category",
        "sort_order",
        "is_active",
    ]

    def scoped_queryset(self, request: HttpRequest) -> Any:
        # Entries for everywhere (blank code) are seen by every administrator.
        prefix = getattr(request.user, "scope_code", "")
        queryset = ServiceGuideEntry.objects.all()
        if prefix:
            queryset = ServiceGuideEntry.objects.within(prefix) | queryset.filter(territory_code="")
        return queryset

    def save_model(
        self, request: HttpRequest, obj: ServiceGuideEntry, form: Any, change: bool
    ) -> None:
        try:
            guide_entry_save(entry=obj, actor=request.user)
        except PermissionDenied as error:
            raise ValidationError(str(error)) from error

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if obj is not None and obj.territory_code == "" and getattr(request.user, "scope_code", ""):
            return False  # a township's administrator reads the county-wide entries only
        return allowed

    def delete_model(self, request: HttpRequest, obj: ServiceGuideEntry) -> None:
        guide_entry_delete(entry=obj, actor=request.user)


@admin.register(RatingReminder)
class RatingReminderAdmin(AdministratorOnlyAdmin):
    list_display = ["reporter", "round", "created_at", "sent_at", "attempts", "error"]
    readonly_fields = ["reporter", "round", "created_at", "sent_at", "attempts", "error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
