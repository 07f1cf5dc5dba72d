"""``manage.py import_roster FILE --user USERNAME``: the same import as the web page."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.org.models import User
from fengqiao.territory.roster import RosterProgress, roster_import


class Command(BaseCommand):
    help = "Import households and persons from an .xlsx roster (docs/roster.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the .xlsx roster")
        parser.add_argument(
            "--user", required=True, help="username of the staff member importing (scope)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist as error:
            raise CommandError(f"no active user {options['user']!r}") from error

        def progress(step: RosterProgress) -> None:
            total = f"/{step.total}" if step.total else ""
            self.stdout.write(f"{step.stage}: {step.done}{total} rows")

        try:
            result = roster_import(source=options["file"], actor=user, progress=progress)
        except PermissionDenied as error:
            raise CommandError(str(error) or "permission denied") from error
        except FileNotFoundError as error:
            raise CommandError(f"no such file: {options['file']}") from error
        if not result.ok:
            for problem in result.errors:
                self.stderr.write(f"row {problem.row}\t{problem.column or '-'}\t{problem.problem}")
            if result.error_count > len(result.errors):
                self.stderr.write(f"… and {result.error_count - len(result.errors)} more")
            outcome = "stopped part-way" if result.partial else "nothing was imported"
            raise CommandError(f"{result.error_count} error(s): {outcome}")
        counts = result.counts()
        self.stdout.write(
            self.style.SUCCESS(
                "imported {rows} rows: households {households_created} created, "
                "{households_updated} updated, {households_unchanged} unchanged; persons "
                "{persons_created} created, {persons_updated} updated, {persons_unchanged} "
                "unchanged".format(**counts)
            )
        )
