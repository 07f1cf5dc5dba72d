"""Absolute addresses for what leaves the site: QR codes on printed plates, links in SMS."""

from __future__ import annotations

from typing import Any

from django.conf import settings

FALLBACK = "http://127.0.0.1:8000"


def public_base_url(request: Any = None) -> str:
    """Where residents reach the site from outside: ``FENGQIAO_PUBLIC_URL``, else the address
    this request came to, else the local development address."""
    configured = str(settings.PUBLIC_URL or "")
    if configured:
        return configured.rstrip("/")
    if request is not None:
        return str(request.build_absolute_uri("/")).rstrip("/")
    return FALLBACK
