"""`workdays add DATE N` and `workdays check DATE`: the working-day calendar from the shell."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fengqiao.workdays.schedule import UnknownScheduleError, calendar


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from error


class Command(BaseCommand):
    help = "Add working days to a date, or say whether a date is a working day and why."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="DATE + N working days")
        add.add_argument("date")
        add.add_argument("days", type=int)
        check = sub.add_parser("check", help="is DATE a working day?")
        check.add_argument("date")

    def handle(self, *args: Any, **options: Any) -> None:
        day = _date(options["date"])
        try:
            if options["action"] == "add":
                if options["days"] < 0:
                    raise CommandError("the number of working days must not be negative")
                self.stdout.write(calendar().add(day, options["days"]).isoformat())
            else:
                info = calendar().explain(day)
                kind = "working day" if info.working else "rest day"
                self.stdout.write(f"{kind}: {info.reason}")
        except UnknownScheduleError as error:
            raise CommandError(str(error)) from error
