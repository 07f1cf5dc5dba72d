"""Admin of bulletins: a read-only window for administrators, within their scope.

Publishing, editing and withdrawing go through ``services.py`` (from the staff pages), which
check who may act, keep the period sensible and write the history; the admin must not become
a second way around that.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fengqiao.bulletins.models import Bulletin, BulletinEvent
from fengqiao.core.admin import ReadOnlyScopedAdmin, is_administrator


class BulletinEventInline(admin.TabularInline[BulletinEvent, Bulletin]):
    """The bulletin's history, read-only."""

    model = BulletinEvent
    fields = readonly_fields = ("created_at", "kind", "actor", "note", "changes")
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "title",
        "kind",
        "urgency",
        "territory_code",
        "valid_from",
        "valid_until",
        "withdrawn_at",
        "created_by",
    ]
    list_filter = ["kind", "urgency"]
    search_fields = ["title", "=territory_code"]
    date_hierarchy = "valid_from"
    list_select_related = ["created_by"]
    readonly_fields = [
        "uuid",
        "kind",
        "urgency",
        "title",
        "body",
        "territory_code",
        "valid_from",
        "valid_until",
        "withdrawn_at",
        "withdrawn_reason",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [BulletinEventInline]
