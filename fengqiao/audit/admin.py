"""The audit log in the admin: read-only for administrators. Nobody may add, change or delete
an entry here (the model and database triggers refuse it as well)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fengqiao.audit.models import AuditEntry
from fengqiao.core.admin import AdministratorOnlyAdmin

_FIELDS = (
    "created_at",
    "actor",
    "username",
    "action",
    "target_type",
    "target_id",
    "ip_address",
    "detail",
)


@admin.register(AuditEntry)
class AuditEntryAdmin(AdministratorOnlyAdmin):
    list_display = ["created_at", "username", "action", "target_type", "target_id", "ip_address"]
    list_filter = ["action", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["username"]
    list_per_page = 100
    fields = _FIELDS
    readonly_fields = _FIELDS

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
