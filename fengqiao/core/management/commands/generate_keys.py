"""Print fresh random keys as environment-variable lines (the secret, field and lookup keys)."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print new FENGQIAO_SECRET_KEY, FENGQIAO_FIELD_KEYS and FENGQIAO_LOOKUP_KEY lines."

    def handle(self, *args: Any, **options: Any) -> None:
        field_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        self.stdout.write(f"FENGQIAO_SECRET_KEY={secrets.token_urlsafe(50)}")
        self.stdout.write(f"FENGQIAO_FIELD_KEYS={field_key}")
        self.stdout.write(f"FENGQIAO_LOOKUP_KEY={secrets.token_urlsafe(32)}")
