"""Template helpers of the case pages: deadline badges, the inbox badge, place look-ups."""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.utils import timezone

from fengqiao.cases import selectors
from fengqiao.cases.choices import DeadlineState
from fengqiao.cases.deadlines import deadline_state

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: Any) -> int:
    """The signed-in user's unread notifications: one COUNT on the partial index, once per
    request however many times a page asks."""
    request = context.get("request")
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return 0
    cached = getattr(request, "_unread_notifications", None)
    if cached is None:
        cached = selectors.unread_count(user)
        if request is not None:
            request._unread_notifications = cached
    return int(cached)


@register.inclusion_tag("cases/_deadline.html")
def deadline_badge(
    status: str,
    due: datetime.datetime | None,
    warn_at: datetime.datetime | None = None,
    *,
    label: str = "",
) -> dict[str, Any]:
    """A due time with its state (ok / yellow / red), derived from the stored times."""
    state = deadline_state(status=status, due=due, warn_at=warn_at, now=timezone.now())
    return {
        "state": state,
        "state_label": DeadlineState(state).label,
        "due": due,
        "label": label,
        "running": state != DeadlineState.NONE,
    }


@register.filter
def lookup(mapping: dict[str, Any] | None, key: str) -> Any:
    """``{{ places|lookup:case.territory_code }}``"""
    if not mapping:
        return ""
    return mapping.get(key, "")
