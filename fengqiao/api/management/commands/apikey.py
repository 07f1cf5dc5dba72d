"""`apikey create NAME` and `apikey revoke NAME`: keys for other systems, from the shell.

``create`` prints the key last, on its own line, so that a script can take it with
``tail -n 1``; it is shown this once and cannot be recovered.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.api.models import ApiKey
from fengqiao.api.services import api_key_create, api_key_revoke


def _message(error: ValidationError) -> str:
    return "; ".join(str(message) for message in error.messages)


class Command(BaseCommand):
    help = "Create or revoke an API key for another system."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key; it is printed once")
        create.add_argument("name")
        create.add_argument("--territory", default="", help="limit the key to this territory code")
        create.add_argument(
            "--as",
            dest="acts_as",
            default="",
            metavar="USERNAME",
            help="the staff account whose role and territory the system acts with "
            "(without it the key reads public resources only)",
        )
        revoke = sub.add_parser("revoke", help="revoke a key at once")
        revoke.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        name: str = options["name"]
        if options["action"] == "create":
            user = self._account(options["acts_as"])
            try:
                api_key, plaintext = api_key_create(
                    name=name, territory_code=options["territory"], user=user
                )
            except ValidationError as error:
                raise CommandError(_message(error)) from error
            self.stdout.write(f"Created API key “{api_key.name}” (prefix {api_key.prefix}).")
            self.stdout.write("Store it now: it is shown only this once.")
            self.stdout.write(plaintext)
            return
        try:
            api_key = api_key_revoke(name=name)
        except ApiKey.DoesNotExist as error:
            raise CommandError(f"no API key named “{name}”") from error
        except ValidationError as error:
            raise CommandError(_message(error)) from error
        self.stdout.write(f"Revoked API key “{api_key.name}” (prefix {api_key.prefix}).")

    def _account(self, username: str) -> Any:
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"no active account named “{username}”") from error
