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
