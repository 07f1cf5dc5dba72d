"""Writing the security audit log. ``audit_record`` is the only way an entry is made."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.models import AuditEntry


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: AuditAction,
    actor: Any = None,
    username: str = "",
    target: models.Model | None = None,
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. ``actor`` may be None (a failed login by an unknown name)."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if is_user else None,
        username=username or (actor.get_username() if is_user else ""),
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        ip_address=client_ip(request),
        detail=detail or {},
    )
