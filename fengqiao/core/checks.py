"""Deploy checks: ``manage.py check --deploy`` refuses the public development keys."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def development_keys_check(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        errors.append(
            Error(
                "FENGQIAO_SECRET_KEY is the public development key.",
                hint="Set FENGQIAO_SECRET_KEY to a long random value (docs/configuration.md).",
                id="fengqiao.E001",
            )
        )
    if settings.DEVELOPMENT_FIELD_KEY in settings.FIELD_ENCRYPTION_KEYS:
        errors.append(
            Error(
                "FENGQIAO_FIELD_KEYS includes the public development key.",
                hint="Generate a key with `python manage.py generate_keys`.",
                id="fengqiao.E002",
            )
        )
    if settings.LOOKUP_HASH_KEY == settings.DEVELOPMENT_LOOKUP_KEY:
        errors.append(
            Error(
                "FENGQIAO_LOOKUP_KEY is the public development key.",
                hint="Generate a key with `python manage.py generate_keys`.",
                id="fengqiao.E003",
            )
        )
    return errors


def development_keys_in_use() -> bool:
    return bool(development_keys_check(None))
