"""The working-day calendar: China's public holidays and make-up working days (调休) from the
``holidays`` library, corrected by the admin-editable overrides.

Adding working days must be fast (deadlines are computed for every case): each known year is
precomputed into a sorted tuple of working-day ordinals, so adding N working days is one
binary search and one index, with no per-day loop.

A year is known when the library has the State Council's schedule for it or when overrides
exist for it. For any other year the calendar refuses to answer: the library silently falls
back to rules there, which gets the make-up days wrong.
"""

from __future__ import annotations

import bisect
import datetime
import threading
import time
from dataclasses import dataclass
from typing import Any

import holidays
from django.utils.translation import gettext as _
from holidays.countries.china import ChinaStaticHolidays

# The library has the official schedules (with make-up days) for these years only.
LIBRARY_YEARS = range(2001, max(ChinaStaticHolidays.special_public_holidays) + 1)
# How often a process looks again for overrides changed by another process.
REFRESH_SECONDS = 60.0


class UnknownScheduleError(ValueError):
    """The year's holiday schedule is neither in the library nor entered as overrides."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            _(
                "The working-day schedule for %(year)d is not known: enter the State Council's "
                "schedule for %(year)d as working-day overrides first."
            )
            % {"year": year}
        )


@dataclass(frozen=True)
class DayInfo:
    day: datetime.date
    working: bool
    reason: str


@dataclass(frozen=True)
class Override:
    day: datetime.date
    working: bool
    reason: str


class WorkingCalendar:
    """An immutable calendar for a set of known years."""

    def __init__(self, overrides: list[Override]) -> None:
        self._overrides = {o.day: o for o in overrides}
        self.years = frozenset(LIBRARY_YEARS) | {o.day.year for o in overrides}
        library_years = sorted(set(LIBRARY_YEARS) & self.years)
        self._library = holidays.country_holidays("CN", years=library_years, language="zh_CN")
        working: list[int] = []
        for year in sorted(self.years):
            day = datetime.date(year, 1, 1)
            while day.year == year:
                if self._is_working(day):
                    working.append(day.toordinal())
                day += datetime.timedelta(days=1)
        self._working = tuple(working)

    def _is_working(self, day: datetime.date) -> bool:
        override = self._overrides.get(day)
        if override is not None:
            return override.working
        if day.year in LIBRARY_YEARS:
            return bool(self._library.is_working_day(day))
        return day.weekday() < 5

    def _require(self, year: int) -> None:
        if year not in self.years:
            raise UnknownScheduleError(year)

    def is_working_day(self, day: datetime.date) -> bool:
        self._require(day.year)
        return self._is_working(day)

    def explain(self, day: datetime.date) -> DayInfo:
        """Whether ``day`` is worked, and why (holiday name, make-up day, weekend, override)."""
        self._require(day.year)
        override = self._overrides.get(day)
        if override is not None:
            return DayInfo(day, override.working, override.reason)
        weekend = day.weekday() >= 5
        if day.year in LIBRARY_YEARS:
            if weekend and day in self._library.weekend_workdays:
                return DayInfo(day, True, _("make-up working day (调休上班)"))
            name = self._library.get(day)
            if name:
                return DayInfo(day, False, str(name))
        if weekend:
            return DayInfo(day, False, _("weekend"))
        return DayInfo(day, True, _("ordinary working day"))

    def add(self, start: datetime.date, days: int) -> datetime.date:
        """The working day that is ``days`` working days after ``start`` (``days`` ≥ 0).

        Counting starts the day after ``start``: a matter received on any day of Friday is
        due, with one working day, on the next working day. With 0 it is ``start`` itself if
        that is a working day, otherwise the next working day.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        self._require(start.year)
        ordinal = start.toordinal()
        if days == 0:
            index = bisect.bisect_left(self._working, ordinal)
        else:
            index = bisect.bisect_right(self._working, ordinal) + days - 1
        if index >= len(self._working):
            last = datetime.date.fromordinal(self._working[-1]) if self._working else start
            raise UnknownScheduleError(last.year + 1)
        result = self._working[index]
        # The result must lie in a known year with no unknown year skipped over on the way.
        result_day = datetime.date.fromordinal(result)
        for year in range(start.year, result_day.year + 1):
            self._require(year)
        return result_day

    def count_between(self, start: datetime.date, end: datetime.date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        self._require(start.year)
        self._require(end.year)
        return bisect.bisect_right(self._working, end.toordinal()) - bisect.bisect_right(
            self._working, start.toordinal()
        )


class _CalendarCache:
    """One calendar per process, rebuilt when overrides change (here or, within
    ``REFRESH_SECONDS``, in another process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calendar: WorkingCalendar | None = None
        self._version: Any = None
        self._checked_at = 0.0

    def get(self) -> WorkingCalendar:
        now = time.monotonic()
        if self._calendar is not None and now - self._checked_at < REFRESH_SECONDS:
            return self._calendar
        with self._lock:
            version = _overrides_version()
            if self._calendar is None or version != self._version:
                self._calendar = WorkingCalendar(_load_overrides())
                self._version = version
            self._checked_at = now
            return self._calendar

    def invalidate(self) -> None:
        with self._lock:
            self._calendar = None
            self._version = None


def _overrides_version() -> Any:
    from django.db.models import Count, Max

    from fengqiao.workdays.models import WorkdayOverride

    return WorkdayOverride.objects.aggregate(n=Count("id"), last=Max("updated_at"))


def _load_overrides() -> list[Override]:
    from fengqiao.workdays.choices import DayKind
    from fengqiao.workdays.models import WorkdayOverride

    return [
        Override(day, kind == DayKind.WORKING, reason)
        for day, kind, reason in WorkdayOverride.objects.values_list("date", "kind", "reason")
    ]


_cache = _CalendarCache()


def calendar() -> WorkingCalendar:
    """The current working-day calendar."""
    return _cache.get()


def invalidate_calendar() -> None:
    _cache.invalidate()


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    return calendar().add(start, days)


def is_working_day(day: datetime.date) -> bool:
    return calendar().is_working_day(day)
