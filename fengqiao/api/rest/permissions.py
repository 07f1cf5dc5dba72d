"""Who may call the API at all. What each caller may see and do is decided further in, by the
same scoping (``visible_to``) and service guards as the pages."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsStaffAccount(BasePermission):
    """An active staff account: logged in on the web, or a system whose key acts as one.
    A key without an account reaches only the public resources."""

    message = _(
        "This resource needs a staff account: log in, or use an API key that acts as an "
        "account (ask the administrators to set one on the key)."
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)


class PublicResource(BasePermission):
    """Readable by anyone, as the Open311 service list is."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return True


class ListsRoster(BasePermission):
    """Reading the roster page by page is an export of it: listing households or persons
    needs the roster-export permission, as the roster workbook does (``roster_export``). One
    household or person by its id stays open to the scoped staff who may see it. Used after
    ``IsStaffAccount``, whose message a caller without an account gets first."""

    message = _(
        "Listing households or persons is an export of the roster: it needs the permission "
        "to export household rosters (ask the administrators to grant it to this account)."
    )

    def has_permission(self, request: Request, view: Any) -> bool:
        return getattr(view, "action", None) != "list" or request.user.has_perm("org.export_roster")
