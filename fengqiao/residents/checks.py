"""Deployment checks of the residents' pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Info, Tags, Warning, register
from django.utils.module_loading import import_string

from fengqiao.residents.sms import DEFAULT_BACKEND, SmsBackend


@register(Tags.security, deploy=True)
def check_sms_backend(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The demo SMS channel shows one-time codes on the page: fine for a demonstration, but it
    proves nothing about the phone. Production needs a real gateway. Said as information, not
    a warning, while the project ships no gateway of its own (a deployment without an SMS
    contract still works, and ``check --deploy --fail-level WARNING`` stays usable)."""
    path = getattr(settings, "RESIDENTS_SMS_BACKEND", DEFAULT_BACKEND)
    try:
        backend = import_string(path)
    except ImportError:
        return [Warning(f"RESIDENTS_SMS_BACKEND {path!r} cannot be imported.", id="residents.W002")]
    if isinstance(backend, type) and issubclass(backend, SmsBackend) and backend.shows_code_on_page:
        return [
            Info(
                "The residents' pages use the demo SMS channel, which shows the one-time code "
                "on the page.",
                hint="Set FENGQIAO_SMS_BACKEND to a real gateway (fengqiao/residents/sms.py).",
                id="residents.I001",
            )
        ]
    return []
