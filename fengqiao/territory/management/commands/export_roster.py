"""``manage.py export_roster --user USERNAME [--territory CODE] [--unmask] OUTPUT.xlsx``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.org.models import User
from fengqiao.territory.roster import TerritoryNotFound, roster_export


class Command(BaseCommand):
    help = (
        "Export the household roster of a territory as .xlsx, with the import template's "
        "layout; masked unless --unmask is given by a user who may unmask (audited)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", help="the .xlsx file to write")
        parser.add_argument("--user", required=True, help="username whose scope applies")
        parser.add_argument(
            "--territory", default=None, help="territory code (default: the user's scope)"
        )
        parser.add_argument(
            "--unmask",
            action="store_true",
            help="full ID numbers and phones (to correct and import again; the user must be "
            "allowed to unmask)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist as error:
            raise CommandError(f"no active user {options['user']!r}") from error
        code = options["territory"]
        if code is None:
            code = user.territory_prefix() or ""
        try:
            count = roster_export(
                actor=user,
                territory_code=code,
                destination=options["output"],
                unmask=options["unmask"],
            )
        except PermissionDenied as error:
            raise CommandError(str(error) or "permission denied") from error
        except TerritoryNotFound as error:
            raise CommandError(f"no territory {code!r} in the scope of {user.username}") from error
        self.stdout.write(self.style.SUCCESS(f"wrote {count} persons to {options['output']}"))
