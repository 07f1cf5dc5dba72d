"""Typed readers for the ``FENGQIAO_*`` environment variables that configure the project.

Settings come from the environment only (twelve-factor); these helpers turn the strings into
typed values and fail loudly, naming the variable, when a value cannot be understood.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

PREFIX = "FENGQIAO_"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    """The variable's text, or ``default`` when it is unset."""
    return os.environ.get(PREFIX + name, default)


def env_bool(name: str, default: bool) -> bool:
    """A yes/no variable: 1/true/yes/on or 0/false/no/off (any case)."""
    raw = os.environ.get(PREFIX + name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{PREFIX}{name} must be one of 1/0/true/false/yes/no, not {raw!r}")


def env_int(name: str, default: int) -> int:
    """A whole-number variable."""
    raw = os.environ.get(PREFIX + name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{PREFIX}{name} must be a whole number, not {raw!r}") from error


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated variable, blanks dropped."""
    raw = os.environ.get(PREFIX + name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
