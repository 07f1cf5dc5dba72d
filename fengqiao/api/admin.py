"""Admin of API keys (list and inspect them, never see a key) and of the Open311 requests
received (which key sent which case; read-only, the contact details stay out of sight).

Keys are created and revoked through ``services.py`` (the ``apikey`` management command),
which shows the plaintext once and audits the change; here they are read-only, and only the
non-secret prefix identifies them. The digest is not shown either.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fengqiao.api.models import ApiKey, Open311Request
from fengqiao.core.admin import AdministratorOnlyAdmin


@admin.register(ApiKey)
class ApiKeyAdmin(AdministratorOnlyAdmin):
    list_display = ["name", "prefix", "territory_code", "user", "created_at", "active"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    fields = readonly_fields = (
        "name",
        "prefix",
        "territory_code",
        "user",
        "created_at",
        "revoked_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("active"), boolean=True)
    def active(self, obj: ApiKey) -> bool:
        return obj.is_active


@admin.register(Open311Request)
class Open311RequestAdmin(AdministratorOnlyAdmin):
    """Which system sent which case. Read-only: a request is written only by
    ``open311_request_submit``; the e-mail (encrypted) and identifiers are not shown."""

    list_display = ["case", "api_key", "created_at"]
    list_filter = ["api_key"]
    search_fields = ["case__number"]
    list_select_related = ["case", "api_key"]
    fields = readonly_fields = ("case", "api_key", "token", "address_id", "media_url", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
