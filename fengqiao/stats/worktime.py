"""A reply's time in working hours (docs/metrics.md section 7), computed the same way in Python
(the tally's changes) and in SQL (the figures read from the cases, the tally's rebuild).

Instants are taken in whole seconds since 1970 (the fraction dropped), which both databases
give exactly (PostgreSQL's ``EXTRACT(EPOCH …)`` is exact; SQLite's ``strftime('%s', …)`` of the
text cut to whole seconds); a float epoch differs between them by microseconds, enough to move
a figure that is truncated. A local day is a whole-seconds instant shifted by the zone's
offset, divided by 86,400.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import BigIntegerField, Count, Expression, F, Func, QuerySet, Sum, Value

from fengqiao.workdays.schedule import UnknownScheduleError, calendar

SECONDS_PER_DAY = 86400
SECONDS_PER_HOUR = 3600
EPOCH_DAY = datetime.date(1970, 1, 1)


def utc_offset_seconds() -> int:
    # China keeps one offset all year (no daylight saving), so a local day is a fixed shift
    # of the UTC clock; the offset is read from the zone rather than written down.
    offset = datetime.datetime(2020, 1, 1, tzinfo=ZoneInfo(settings.TIME_ZONE)).utcoffset()
    return int(offset.total_seconds()) if offset else 0


def whole_seconds(instant: datetime.datetime) -> int:
    """Seconds since 1970 of an aware instant, the fraction dropped (as the SQL gives it)."""
    delta = instant - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
    return delta.days * SECONDS_PER_DAY + delta.seconds


def local_day_number(seconds: int) -> int:
    """Days since 1970-01-01 of the local date of a whole-seconds instant."""
    return (seconds + utc_offset_seconds()) // SECONDS_PER_DAY


def date_of(day_number: int) -> datetime.date:
    return EPOCH_DAY + datetime.timedelta(days=day_number)


def non_working_days_between(day_from: int, day_to: int) -> int:
    """Whole non-working days strictly between two local day numbers."""
    between = day_to - day_from - 1
    if between <= 0:
        return 0
    # count_between(a, b): the working days after a, up to and including b.
    start, last = date_of(day_from), date_of(day_to - 1)
    try:
        working = calendar().count_between(start, last)
    except UnknownScheduleError:
        # A year the calendar does not know: weekends are the non-working days.
        working = sum(
            1 for n in range(1, between + 1) if (start + datetime.timedelta(days=n)).weekday() < 5
        )
    return between - working


def working_seconds(accepted_at: datetime.datetime, replied_at: datetime.datetime) -> int:
    """From acceptance to reply, less a day for every whole non-working day in between."""
    start, end = whole_seconds(accepted_at), whole_seconds(replied_at)
    skipped = non_working_days_between(local_day_number(start), local_day_number(end))
    return max(end - start - skipped * SECONDS_PER_DAY, 0)


class WholeSeconds(Func):
    """Seconds since 1970 of a datetime column, the fraction dropped (an integer)."""

    output_field = BigIntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # strftime('%s') parses the fraction of a second and rounds to the nearest second
        # (…:59.9996 becomes the next second, and maybe the next day); the text is cut to
        # whole seconds first. '%%%%s' becomes '%%s' in the statement, which the SQLite
        # backend turns into '%s'.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER)",
        )


def local_day_expression(column: str) -> Expression:
    """``local_day_number`` in SQL: integer division of whole seconds (both databases)."""
    return (WholeSeconds(F(column)) + Value(utc_offset_seconds())) / Value(SECONDS_PER_DAY)


def reply_groups(
    cases: QuerySet[Any], columns: Sequence[str]
) -> Iterator[tuple[dict[str, Any], int, int, int]]:
    """The replied cases grouped by ``columns`` (fields or annotations of ``cases``) and by
    (local day of acceptance, local day of reply, whole hours elapsed), in one query; per
    group: its row, how many replies, their working seconds in all, and the whole working
    hours each of them took (the same within a group) — the calendar applied per group."""
    replied = cases.filter(accepted_at__isnull=False, replied_at__isnull=False).annotate(
        elapsed=WholeSeconds(F("replied_at")) - WholeSeconds(F("accepted_at")),
        day_from=local_day_expression("accepted_at"),
        day_to=local_day_expression("replied_at"),
    )
    replied = replied.annotate(hours=F("elapsed") / Value(SECONDS_PER_HOUR))
    rows = (
        replied.values(*columns, "day_from", "day_to", "hours")
        .annotate(n=Count("pk"), seconds=Sum("elapsed"))
        .order_by()
    )
    for row in rows:
        skipped = non_working_days_between(row["day_from"], row["day_to"])
        n = row["n"]
        seconds = max(row["seconds"] - skipped * SECONDS_PER_DAY * n, 0)
        yield row, n, seconds, max(row["hours"] - 24 * skipped, 0)
