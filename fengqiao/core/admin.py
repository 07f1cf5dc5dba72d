"""What every admin page of the project shares: only administrators get in, lists read through
the same scoping as the pages, and what is out of scope answers 404.

The admin is for administrators and reference data. It is not a second write path for
territory rows (those go through services and the roster import) nor for roles and
permissions (those go through the audited ``org.services``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _

from fengqiao.org.choices import Role

admin.site.site_header = _("Fengqiao administration")
admin.site.site_title = _("Fengqiao administration")
admin.site.index_title = _("Reference data, accounts and the audit log")


def is_administrator(user: Any) -> bool:
    """An active staff account with the administrator role (or a superuser).

    ``is_staff`` alone is not enough: a center operator flagged as staff by mistake must not
    find a way into the admin.
    """
    return bool(
        getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
        and (
            getattr(user, "is_superuser", False) or getattr(user, "role", "") == Role.ADMINISTRATOR
        )
    )


class AdministratorOnlyAdmin(admin.ModelAdmin):
    """A model admin that nobody but an administrator may see or use."""

    # The full-table COUNT(*) under "N results (M total)" is a needless scan on county tables.
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user) and super().has_delete_permission(request, obj)


class ScopedModelAdmin(AdministratorOnlyAdmin):
    """Lists and detail pages read through ``Model.objects.visible_to(request.user)``: an
    administrator scoped to a township sees that township, as on the pages. A row outside the
    scope answers 404, like a row that does not exist (Django's admin would redirect to the
    index with "perhaps it was deleted", which tells apart "hidden" from "missing")."""

    def scoped_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return self.model._default_manager.visible_to(request.user)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        queryset = self.scoped_queryset(request)
        ordering = self.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return queryset

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        found = super().get_object(request, object_id, from_field)
        if found is None:
            raise Http404
        return found


class ReadOnlyScopedAdmin(ScopedModelAdmin):
    """Territory rows: searchable and viewable, never written here. Writes go through the
    services and the roster import, which keep codes, digests and summaries consistent."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
