"""Admin of the doorplates: plates and print jobs, read-only and scoped.

Plates are issued, re-issued and revoked only through the services (the doorplate pages),
which keep one working plate per household; the admin never shows or exports a token (it
reads neither the digest nor the sealed copy).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from fengqiao.core.admin import ReadOnlyScopedAdmin
from fengqiao.doorplates.models import Doorplate, PlateSheet

_PLATE_FIELDS = (
    "household",
    "territory_code",
    "issued_at",
    "issued_by",
    "revoked_at",
    "revoked_reason",
)
_SHEET_FIELDS = (
    "area_name",
    "territory_code",
    "status",
    "plates_total",
    "plates_done",
    "plates_issued",
    "created_by",
    "created_at",
    "finished_at",
    "error",
)


@admin.register(Doorplate)
class DoorplateAdmin(ReadOnlyScopedAdmin):
    list_display = ["household", "territory_code", "issued_at", "issued_by", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["household__address", "territory_code"]
    list_select_related = ["household", "issued_by"]
    fields = _PLATE_FIELDS
    readonly_fields = _PLATE_FIELDS
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("token_sealed", "token_digest")


@admin.register(PlateSheet)
class PlateSheetAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "area_name",
        "territory_code",
        "status",
        "plates_done",
        "created_by",
        "created_at",
    ]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    # The file holds working tokens: it is downloaded from the sheet page (audited), not here.
    fields = _SHEET_FIELDS
    readonly_fields = _SHEET_FIELDS
