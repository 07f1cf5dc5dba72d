"""``manage.py tally rebuild|check|fold``: the case tally behind the dashboards' figures.

- ``rebuild [--month 2026-06 …]``: recompute from the cases (all months, or those given) —
  after loading cases by other means than the services (an import, a restore).
- ``check``: compare the tally with a recomputation from the cases; exits 1 and names the
  rows that differ.
- ``fold``: fold the appended changes now (the worker does it every minute).
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from fengqiao.stats import tally

SHOWN = 20


def _month(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise CommandError(f"--month {text!r}: write the month as YYYY-MM, e.g. 2026-06") from None


class Command(BaseCommand):
    help = "Rebuild, check or fold the case tally behind the statistics."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        rebuild = commands.add_parser("rebuild", help="recompute the tally from the cases")
        rebuild.add_argument(
            "--month", action="append", type=_month, help="only this month (YYYY-MM); repeatable"
        )
        commands.add_parser("check", help="compare the tally with the cases")
        commands.add_parser("fold", help="fold the appended changes now")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        started = time.perf_counter()
        if action == "rebuild":
            rows = tally.rebuild(options["month"])
            self.stdout.write(
                f"tally rebuilt: {rows} rows in {time.perf_counter() - started:.1f} s"
            )
        elif action == "fold":
            self.stdout.write(f"folded {tally.fold()} rows")
        else:
            self._check()

    def _check(self) -> None:
        # Both read from one snapshot, or a move committed in between would show as drift.
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            stored, computed = tally.stored(), tally.computed()
        keys = sorted(set(stored) | set(computed))
        wrong = [key for key in keys if stored.get(key) != computed.get(key)]
        if not wrong:
            self.stdout.write(f"the tally matches the cases ({len(computed)} rows)")
            return
        for month, area, dimension, key in wrong[:SHOWN]:
            row = (month, area, dimension, key)
            self.stderr.write(
                f"{month:%Y-%m} {area} {dimension}={key!r}: stored {stored.get(row)}, "
                f"cases {computed.get(row)}"
            )
        self.stderr.write(
            f"{len(wrong)} tally rows differ from the cases; `manage.py tally rebuild` "
            "recomputes them"
        )
        raise SystemExit(1)
