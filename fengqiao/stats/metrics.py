"""The case loop's figures (口径), defined here once; ``docs/metrics.md`` says the same in words.

Public API (stable; the ledgers, dashboards and benchmarks call only these):

- ``Period(kind, first, last)``: dates inclusive, local time (Asia/Shanghai). Build one with
  ``Period.containing(kind, day)`` (kind ``day``/``week``/``month``/``year``) or
  ``Period.custom(first, last)``; ``period.previous()`` is the period just before, of the same
  kind and length.
- ``Filters(territory="", department_id=None, channel="", case_type="", category_id=None)``:
  narrows what the reader may see; never widens it.
- ``case_figures(user, period, filters) -> CaseFigures``: every count and rate below.
- ``case_breakdown(user, period, filters, by=...) -> list[BreakdownRow]`` with ``by`` one of
  ``"territory"`` (the next level down), ``"channel"``, ``"type"``, ``"category"``,
  ``"department"`` (the lead department), ``"day"``, ``"week"``, ``"month"`` (trend buckets).
  The rows add up to ``case_figures`` (every case falls in exactly one row).
- ``department_ranking(user, period, filters) -> list[BreakdownRow]``: the department rows,
  ranked (考核排名) by closure rate, then on-time reply rate, then satisfaction.
- ``rate_display(rate) -> str`` (``"94.60%"`` / ``"—"``), re-exported from ``stats.rates``.

Which cases: the **cohort received in the period** — cases whose ``created_at`` (received) falls
in the period, in the reader's scope (``Case.objects.visible_to``), merged duplicates left out
(they are the same matter as the case they were merged into). Every figure describes that
cohort *as it stands now*: "closed" means received in the period and closed by now, so
closed ≤ received and the closure rate never exceeds 100 %.

Counts: received; accepted (``accepted_at`` set: taken in, not rejected); closed (status
closed); overdue_now (open with the reply deadline running and past); extensions (cases granted
any extension); hard_matters (cases approved as hard); returns (times returned as not ours,
退单; in the department breakdown counted against the department that returned them).

Rates (``stats.rates.rate``: exact, truncated to 0.0001, ``None`` when nothing to divide by):
closure_rate = closed / received (办结率); on_time_sign_rate = signed by the sign-for deadline /
signed with one; on_time_reply_rate = replied by the reply deadline / replied with one;
reopen_rate = reopened (重办) / replied; satisfaction_rate = (satisfied + basically satisfied) /
rated; return_visit_rate = cases with a return visit (回访) recorded / replied.

Times: from acceptance (when the reply clock starts) to the latest reply, in **working hours**:
the hours elapsed less 24 for every whole non-working day (weekend, holiday, per the
working-day calendar) strictly between the local day of acceptance and the local day of the
reply. Days on which the clock starts or stops count in full, as a deadline ("by the end of the
N-th working day") does. mean_reply_hours is the exact mean to 0.1 hour (truncated);
p90_reply_hours the nearest-rank 90th percentile of the times in whole hours (truncated).
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.cases.choices import (
    DEADLINE_STATUSES,
    CaseType,
    Channel,
    EventKind,
)
from fengqiao.cases.models import Case, CaseEvent, Category
from fengqiao.core.codes import is_within, within
from fengqiao.core.scoping import territory_prefix_for
from fengqiao.disputes import metrics as dispute_metrics
from fengqiao.disputes.models import Dispute
from fengqiao.org.models import Department
from fengqiao.stats import tally
from fengqiao.stats.rates import NO_RATE, rate, rate_display
from fengqiao.stats.worktime import (
    EPOCH_DAY,
    SECONDS_PER_HOUR,
    date_of,
    local_day_expression,
    reply_groups,
)
from fengqiao.territory.models import Area

__all__ = [
    "BREAKDOWNS",
    "NO_RATE",
    "BreakdownRow",
    "CaseFigures",
    "Filters",
    "Period",
    "case_breakdown",
    "case_figures",
    "department_ranking",
    "rate",
    "rate_display",
    "total_of",
]

PeriodKind = Literal["day", "week", "month", "year", "custom"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("day", "week", "month", "year", "custom")
BREAKDOWNS = ("territory", "channel", "type", "category", "department", "day", "week", "month")
TREND_BUCKETS = ("day", "week", "month")
# The length of the next territory level down from a code of a given length.
NEXT_LEVEL = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12, 12: 15, 15: 18}
NOT_DISPATCHED = "-"


# ---------------------------------------------------------------------------------------
# Periods and filters


def _local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Period:
    """Local dates ``first`` to ``last``, both included."""

    kind: PeriodKind
    first: datetime.date
    last: datetime.date

    def __post_init__(self) -> None:
        if self.kind not in PERIOD_KINDS:
            raise ValueError(f"kind must be one of {PERIOD_KINDS}, not {self.kind!r}")
        if self.last < self.first:
            raise ValueError(_("The period ends before it starts."))

    @classmethod
    def containing(cls, kind: PeriodKind, day: datetime.date) -> Period:
        """The day, ISO week (Monday–Sunday), calendar month or calendar year of ``day``."""
        if kind == "day":
            return cls(kind, day, day)
        if kind == "week":
            first = day - datetime.timedelta(days=day.weekday())
            return cls(kind, first, first + datetime.timedelta(days=6))
        if kind == "month":
            first = day.replace(day=1)
            return cls(kind, first, _next_month(first) - datetime.timedelta(days=1))
        if kind == "year":
            return cls(kind, datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31))
        raise ValueError(f"no period of kind {kind!r} contains a day; use Period.custom")

    @classmethod
    def custom(cls, first: datetime.date, last: datetime.date) -> Period:
        return cls("custom", first, last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period just before: the previous day/week/month/year, or for a custom period
        the same number of days ending the day before ``first``."""
        if self.kind == "custom":
            last = self.first - datetime.timedelta(days=1)
            return Period("custom", last - datetime.timedelta(days=self.days - 1), last)
        return Period.containing(self.kind, self.first - datetime.timedelta(days=1))

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The aware instants [start of ``first``, start of the day after ``last``)."""
        zone = _local_zone()
        start = datetime.datetime.combine(self.first, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(
            self.last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
        )
        return start, end

    def label(self) -> str:
        if self.kind == "year":
            return str(self.first.year)
        if self.kind == "month":
            return self.first.strftime("%Y-%m")
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def _next_month(first: datetime.date) -> datetime.date:
    return datetime.date(first.year + first.month // 12, first.month % 12 + 1, 1)


@dataclass(frozen=True)
class Filters:
    """Narrowing of the reader's scope. ``territory`` is a territory code prefix (a township,
    a village …); ``category_id`` includes the category's descendants."""

    territory: str = ""
    department_id: int | None = None
    channel: str = ""
    case_type: str = ""
    category_id: int | None = None

    def replace(self, **changes: Any) -> Filters:
        return dataclasses.replace(self, **changes)


NO_FILTERS = Filters()


# ---------------------------------------------------------------------------------------
# The figures


@dataclass(frozen=True)
class Counts:
    """The additive counts behind the figures (rows of a breakdown add up field by field)."""

    received: int = 0
    accepted: int = 0
    closed: int = 0
    signed: int = 0
    signed_on_time: int = 0
    replied: int = 0
    replied_with_deadline: int = 0
    replied_on_time: int = 0
    overdue_now: int = 0
    extensions: int = 0
    hard_matters: int = 0
    returns: int = 0
    reopened: int = 0
    rated: int = 0
    satisfied: int = 0
    return_visits: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in _COUNT_FIELDS}
        )


_COUNT_FIELDS = dataclasses.fields(Counts)


@dataclass(frozen=True)
class ReplyTimes:
    """Replies' working times as (whole hours → how many) plus the exact sum in seconds,
    additive."""

    count: int = 0
    total_seconds: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    def __add__(self, other: ReplyTimes) -> ReplyTimes:
        histogram = dict(self.histogram)
        for hours, count in other.histogram.items():
            histogram[hours] = histogram.get(hours, 0) + count
        return ReplyTimes(
            self.count + other.count, self.total_seconds + other.total_seconds, histogram
        )

    def mean(self) -> Decimal | None:
        if not self.count:
            return None
        exact = Decimal(self.total_seconds) / Decimal(self.count * SECONDS_PER_HOUR)
        return exact.quantize(Decimal("0.1"), rounding=ROUND_DOWN)

    def percentile(self, share: float = 0.9) -> int | None:
        """Nearest rank: the smallest value with at least ``share`` of the replies at or
        below it."""
        total = sum(self.histogram.values())
        if not total:
            return None
        # The rank against the histogram's own total (read in a statement of its own, it may
        # include a reply committed after the counts were read).
        rank = math.ceil(share * total)
        seen = 0
        for hours in sorted(self.histogram):
            seen += self.histogram[hours]
            if seen >= rank:
                return hours
        return max(self.histogram)


@dataclass(frozen=True)
class CaseFigures:
    """Every figure of a cohort of cases (see the module docstring for the definitions)."""

    received: int
    accepted: int
    closed: int
    closure_rate: Decimal | None
    on_time_sign_rate: Decimal | None
    on_time_reply_rate: Decimal | None
    overdue_now: int
    extensions: int
    hard_matters: int
    returns: int
    reopen_rate: Decimal | None
    satisfaction_rate: Decimal | None
    return_visit_rate: Decimal | None
    mean_reply_hours: Decimal | None
    p90_reply_hours: int | None
    counts: Counts = field(repr=False, compare=False)
    times: ReplyTimes = field(repr=False, compare=False)

    RATES = (
        "closure_rate",
        "on_time_sign_rate",
        "on_time_reply_rate",
        "reopen_rate",
        "satisfaction_rate",
        "return_visit_rate",
    )

    @classmethod
    def of(cls, counts: Counts, times: ReplyTimes) -> CaseFigures:
        c = counts
        return cls(
            received=c.received,
            accepted=c.accepted,
            closed=c.closed,
            closure_rate=rate(c.closed, c.received),
            on_time_sign_rate=rate(c.signed_on_time, c.signed),
            on_time_reply_rate=rate(c.replied_on_time, c.replied_with_deadline),
            overdue_now=c.overdue_now,
            extensions=c.extensions,
            hard_matters=c.hard_matters,
            returns=c.returns,
            reopen_rate=rate(c.reopened, c.replied),
            satisfaction_rate=rate(c.satisfied, c.rated),
            return_visit_rate=rate(c.return_visits, c.replied),
            mean_reply_hours=times.mean(),
            p90_reply_hours=times.percentile(0.9),
            counts=c,
            times=times,
        )

    def display(self, name: str) -> str:
        """A figure as shown: rates ``94.60%``/``—``, hours ``12.5``/``—``, counts as is."""
        value = getattr(self, name)
        if name in self.RATES:
            return rate_display(value)
        if value is None:
            return NO_RATE
        return str(value)

    def as_json(self) -> dict[str, Any]:
        """Plain values for the page (rates as percentages with two decimals, strings)."""
        data: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name in ("counts", "times"):
                continue
            value = getattr(self, f.name)
            if f.name in self.RATES:
                data[f.name] = None if value is None else str(value * 100)
            elif isinstance(value, Decimal):
                data[f.name] = str(value)
            else:
                data[f.name] = value
        return data


@dataclass(frozen=True)
class BreakdownRow:
    """One group of a breakdown: ``key`` (a territory code, a choice value, an id as text, a
    bucket's first day), a readable ``label`` and the group's figures."""

    key: str
    label: str
    figures: CaseFigures


# ---------------------------------------------------------------------------------------
# SQL pieces


# The conditions of the counts, one definition for the figures, the tally's recomputation
# and (in Python) ``tally.counters``.
_AGGREGATES: dict[str, Any] = tally.aggregates()


def _overdue_aggregate(now: datetime.datetime) -> Any:
    return Count("pk", filter=Q(status__in=DEADLINE_STATUSES, reply_due_at__lt=now))


# A key is how a breakdown groups: an expression over the case (with the path to the case's
# columns as a prefix, so that the same key groups events by their case) and how to read it.
KeyFunction = Callable[[str], Any]


def _key_expression(by: str, depth: int) -> KeyFunction | None:
    if by == "territory":
        return lambda p: Substr(f"{p}territory_code", 1, depth)
    columns = {
        "channel": "channel",
        "type": "case_type",
        "category": "category_id",
        "department": "lead_department_id",
    }
    if by in columns:
        return lambda p: F(f"{p}{columns[by]}")
    if by in TREND_BUCKETS:
        return lambda p: local_day_expression(f"{p}created_at")
    if by == "":
        return None
    raise ValueError(f"by must be one of {BREAKDOWNS}, not {by!r}")


# ---------------------------------------------------------------------------------------
# The cohort and its grouped counts


def _category_ids(category_id: int) -> list[int]:
    path = Category.objects.filter(pk=category_id).values_list("path", flat=True).first()
    if path is None:
        return []
    return list(
        Category.objects.filter(Q(path=path) | Q(path__startswith=f"{path}/")).values_list(
            "pk", flat=True
        )
    )


def cohort(user: Any, period: Period, filters: Filters = NO_FILTERS) -> QuerySet[Case]:
    """The cases the figures count: received in ``period``, visible to ``user``, narrowed by
    ``filters``, merged duplicates left out."""
    start, end = period.bounds()
    cases = Case.objects.visible_to(user).filter(
        created_at__gte=start, created_at__lt=end, merged_into__isnull=True
    )
    if filters.territory:
        cases = cases.filter(within("territory_code", filters.territory))
    if filters.department_id is not None:
        cases = cases.filter(lead_department_id=filters.department_id)
    if filters.channel:
        cases = cases.filter(channel=filters.channel)
    if filters.case_type:
        cases = cases.filter(case_type=filters.case_type)
    if filters.category_id is not None:
        cases = cases.filter(category_id__in=_category_ids(filters.category_id))
    return cases.order_by()


def _grouped_counts(
    cases: QuerySet[Case], key: KeyFunction | None, now: datetime.datetime
) -> dict[Any, Counts]:
    aggregates = {**_AGGREGATES, "overdue_now": _overdue_aggregate(now)}
    if key is None:
        row = cases.aggregate(**aggregates)
        return {None: Counts(**row)} if row["received"] else {}
    rows = cases.annotate(group=key("")).values("group").annotate(**aggregates).order_by()
    return {row.pop("group"): Counts(**row) for row in rows}


def _returns_by_department(cases: QuerySet[Case]) -> dict[Any, int]:
    """退单 counted against the department that returned the case (its event says which)."""
    rows = (
        CaseEvent.objects.filter(kind=EventKind.RETURN, case__in=cases.values("pk"))
        .values("department_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["department_id"]: row["n"] for row in rows}


def _grouped_reply_times(cases: QuerySet[Case], key: KeyFunction | None) -> dict[Any, ReplyTimes]:
    """Per group: the replies' working times (``worktime.reply_groups``, the same arithmetic
    as the tally's)."""
    columns = []
    if key is not None:
        cases = cases.annotate(group=key(""))
        columns = ["group"]
    accumulated: dict[Any, ReplyTimes] = {}
    for row, n, seconds, hours in reply_groups(cases, columns):
        times = ReplyTimes(n, seconds, {hours: n})
        group = row.get("group")
        accumulated[group] = accumulated[group] + times if group in accumulated else times
    return accumulated


def _figures_by(
    user: Any,
    period: Period,
    filters: Filters,
    by: str,
    depth: int,
    *,
    with_times: bool = True,
) -> tuple[dict[Any, CaseFigures], bool]:
    """The figures per group of ``by`` ("" for one group, None), and whether they came from
    the tally (docs/metrics.md section 9) rather than the cases."""
    now = timezone.now()
    prefix = _tally_prefix(user, period, filters, by, depth, with_times=with_times)
    if prefix is not None:
        figures = _figures_from_tally(
            user, period, filters, prefix, by, depth, with_times=with_times
        )
        return figures, True
    key = _key_expression(by, depth)
    cases = cohort(user, period, filters)
    counts = _grouped_counts(cases, key, now)
    times = _grouped_reply_times(cases, key) if with_times else {}
    figures = {
        group: CaseFigures.of(group_counts, times.get(group, ReplyTimes()))
        for group, group_counts in counts.items()
    }
    return figures, False


# ---------------------------------------------------------------------------------------
# The same figures from the tally (docs/metrics.md section 9)

_tally_enabled: ContextVar[bool] = ContextVar("stats_tally_enabled", default=True)
# The groupings whose reply-time histograms the tally keeps (the 90th percentile needs them).
_TIMED_FROM_TALLY = ("", "month", "department")


@contextmanager
def from_cases() -> Iterator[None]:
    """Read every figure from the cases table inside the block (the tests compare the two)."""
    token = _tally_enabled.set(False)
    try:
        yield
    finally:
        _tally_enabled.reset(token)


def _whole_months(period: Period) -> bool:
    return period.first.day == 1 and (period.last + datetime.timedelta(days=1)).day == 1


def _tally_prefix(
    user: Any, period: Period, filters: Filters, by: str, depth: int, *, with_times: bool
) -> str | None:
    """The territory subtree to read from the tally, or None when the figures must be read
    from the cases: a period of whole months, no filter but a territory down to a township,
    a reader whose scope is a territory, groupings the tally keeps."""
    if not _tally_enabled.get() or by in ("day", "week") or not _whole_months(period):
        return None
    if with_times and by not in _TIMED_FROM_TALLY:
        return None
    if filters.department_id is not None or filters.channel or filters.case_type:
        return None
    if filters.category_id is not None or getattr(user, "department_id", None) is not None:
        return None
    prefix = territory_prefix_for(user)
    if prefix is None:
        return None
    if filters.territory:
        if is_within(filters.territory, prefix):
            prefix = filters.territory
        elif not is_within(prefix, filters.territory):
            return None  # nothing in common: the cases' path answers with nothing
    if len(prefix) > tally.TOWNSHIP_DEPTH:
        return None
    if by == "territory" and depth > tally.VILLAGE_DEPTH:
        return None
    return prefix


def _tally_groups(by: str, depth: int) -> tuple[str, tuple[str | int, ...]]:
    if by == "":
        return "area", ()
    if by == "month":
        return "area", ("month",)
    if by == "territory":
        return "area", (depth,)
    return by, ("key",)


def _native_key(by: str, key: Any) -> Any:
    """A tally key as the cases' grouping gives it (see ``_key_expression``)."""
    if by == "":
        return None
    if by == "month":
        return (key - EPOCH_DAY).days
    if by in ("category", "department"):
        return int(key) if key else None
    return key


def _whole_years(period: Period) -> bool:
    return (period.first.month, period.first.day, period.last.month, period.last.day) == (
        1,
        1,
        12,
        31,
    )


def _tally_histograms(period: Period, prefix: str, by: str) -> dict[Any, dict[int, int]]:
    """Replies by whole working hours, per group (only the count of replies is read: these
    are the tally's most numerous rows; whole years read the yearly rows)."""
    first, last = period.first, period.last.replace(day=1)
    hours, department_hours = "hours", "department_hours"
    if _whole_years(period) and by != "month":
        hours, department_hours = tally.YEARLY[hours], tally.YEARLY[department_hours]
        last = last.replace(month=1)
    histograms: dict[Any, dict[int, int]] = defaultdict(dict)
    if by == "department":
        rows = tally.read(prefix, first, last, department_hours, "key", counters=["timed"])
        for (key,), (count,) in rows.items():
            if count:  # a reply that moved on (reopened, replied again) leaves a zero
                department, whole = key.rsplit(":", 1)
                histograms[_native_key(by, department)][int(whole)] = count
        return histograms
    groups = ("month", "key") if by == "month" else ("key",)
    read = tally.read(prefix, first, last, hours, *groups, counters=["timed"])
    for group, (count,) in read.items():
        if count:
            histogram = histograms[_native_key(by, group[0] if by == "month" else None)]
            whole = int(group[-1])
            histogram[whole] = histogram.get(whole, 0) + count
    return histograms


def _figures_from_tally(
    user: Any,
    period: Period,
    filters: Filters,
    prefix: str,
    by: str,
    depth: int,
    *,
    with_times: bool,
) -> dict[Any, CaseFigures]:
    first, last = period.first, period.last.replace(day=1)
    dimension, groups = _tally_groups(by, depth)
    rows = tally.read(prefix, first, last, dimension, *groups)
    overdue = _overdue_now(user, period, filters, by, depth)
    histograms = _tally_histograms(period, prefix, by) if with_times else {}
    names = tally.COUNTERS
    figures = {}
    for group, values in rows.items():
        counted = dict(zip(names, values, strict=True))
        if not counted["received"]:
            continue  # only 退单 against a department that leads none of these cases
        key = _native_key(by, group[0] if group else None)
        timed, seconds = counted.pop("timed"), counted.pop("timed_seconds")
        times = ReplyTimes(timed, seconds, histograms.get(key, {})) if with_times else ReplyTimes()
        figures[key] = CaseFigures.of(Counts(**counted, overdue_now=overdue.get(key, 0)), times)
    return figures


def _overdue_now(
    user: Any, period: Period, filters: Filters, by: str, depth: int
) -> dict[Any, int]:
    """Overdue now, per group: it changes with the clock, so it is read from the cases (the
    open ones past a running deadline: few, and the indexes hold the open ones apart). Inside
    ``one_reading`` the overdue cases are read once, counted per value of every grouping at
    once, and each breakdown takes its counts from that."""
    counted = _overdue_counts(user, period, filters)
    if by != "territory":
        return counted[by]
    overdue: dict[Any, int] = defaultdict(int)
    for village, n in counted["village"].items():
        overdue[village[:depth]] += n
    return overdue


# The groupings of the overdue cases, after (village, local day number of receipt).
_OVERDUE_KEYS = ("channel", "type", "category", "department")
_OVERDUE_COLUMNS = ("channel", "case_type", "category_id", "lead_department_id")
_reading: ContextVar[dict[Any, dict[str, dict[Any, int]]] | None] = ContextVar(
    "stats_reading", default=None
)


@contextmanager
def one_reading() -> Iterator[None]:
    """Figures read in the block share what changes with the clock (overdue now), read once:
    one page's figures then agree with each other, and cost one query for it."""
    token = _reading.set({})
    try:
        yield
    finally:
        _reading.reset(token)


def _overdue_counts(user: Any, period: Period, filters: Filters) -> dict[str, dict[Any, int]]:
    """The cases overdue now, counted per village, per month of receipt (as the tally keys
    it), per channel, type, category and department, and in all ("")."""
    cache = _reading.get()
    key = (getattr(user, "pk", None), period, filters)
    if cache is not None and key in cache:
        return cache[key]
    cases = cohort(user, period, filters).filter(
        status__in=DEADLINE_STATUSES, reply_due_at__lt=timezone.now()
    )
    rows = (
        cases.annotate(
            village=Substr("territory_code", 1, tally.VILLAGE_DEPTH),
            day=local_day_expression("created_at"),
        )
        .values_list("village", "day", *_OVERDUE_COLUMNS)
        .annotate(n=Count("pk"))
        .order_by()
    )
    groupings = ("village", "day", *_OVERDUE_KEYS)
    counted: dict[str, dict[Any, int]] = {name: defaultdict(int) for name in groupings}
    total = 0
    for row in rows:
        n = row[-1]
        total += n
        for name, value in zip(groupings, row, strict=False):
            counted[name][value] += n
    months: dict[Any, int] = defaultdict(int)
    for day, n in counted.pop("day").items():
        months[(date_of(day).replace(day=1) - EPOCH_DAY).days] += n
    counted["month"] = months
    counted[""] = {None: total}
    if cache is not None:
        cache[key] = counted
    return counted


EMPTY_FIGURES = CaseFigures.of(Counts(), ReplyTimes())


def dispute_resolution(
    user: Any, period: Period, filters: Filters = NO_FILTERS
) -> dispute_metrics.ResolutionFigures | None:
    """The 化解率 of the disputes the reader sees, screened in the period (the disputes app's
    definition, docs/metrics.md sections 1–3), narrowed to the filter's territory. None when
    the filters name a case dimension (department, channel, type, category) that disputes
    do not have: a 化解率 "of a category" would silently be the whole territory's."""
    if filters.department_id or filters.channel or filters.case_type or filters.category_id:
        return None
    disputes = Dispute.objects.visible_to(user)
    if filters.territory:
        disputes = disputes.filter(within("territory_code", filters.territory))
    return dispute_metrics.resolution_figures(
        dispute_metrics.screened_between(disputes, period.first, period.last)
    )


def case_figures(user: Any, period: Period, filters: Filters = NO_FILTERS) -> CaseFigures:
    """Every figure of the cases ``user`` may see, received in ``period``, within
    ``filters``: three queries (counts, reply times, return visits)."""
    figures, _from_tally = _figures_by(user, period, filters, "", 0)
    return figures.get(None, EMPTY_FIGURES)


# ---------------------------------------------------------------------------------------
# Breakdowns


def scope_prefix(user: Any, filters: Filters) -> str:
    """The territory the figures cover: the filter's, or else the reader's own — for
    department staff, the territory their department serves (its cases lie there)."""
    if filters.territory:
        return filters.territory
    prefix = user.territory_prefix() if user is not None else ""
    if prefix is None and getattr(user, "department_id", None) is not None:
        territory: str | None = (
            Department.objects.filter(pk=user.department_id)
            .values_list("territory_code", flat=True)
            .first()
        )
        return territory or ""
    return prefix or ""


def case_breakdown(
    user: Any,
    period: Period,
    filters: Filters = NO_FILTERS,
    *,
    by: str,
    with_times: bool = True,
) -> list[BreakdownRow]:
    """The figures per group (see ``BREAKDOWNS``), ordered by key (territories by code, trend
    buckets by date, others by received, most first). Groups with no case received are left
    out; the rows add up to ``case_figures``.

    ``with_times=False`` skips the reply times (the costliest query): the rows' mean and
    90th-percentile reply hours are then ``None``, for views that do not show them."""
    depth = NEXT_LEVEL.get(len(scope_prefix(user, filters)), 18)
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {BREAKDOWNS}, not {by!r}")
    figures, from_tally = _figures_by(user, period, filters, by, depth, with_times=with_times)
    if by in TREND_BUCKETS:
        return _trend_rows(figures, period, by)
    if by == "department" and not from_tally:
        figures = _with_department_returns(figures, user, period, filters)
    labels = _labels(by, figures.keys(), depth)
    rows = [
        BreakdownRow(key=_key_text(group), label=labels.get(group, _key_text(group)), figures=f)
        for group, f in figures.items()
    ]
    if by == "territory":
        rows.sort(key=lambda row: row.key)
    else:
        rows.sort(key=lambda row: (-row.figures.received, row.key))
    return rows


def _key_text(group: Any) -> str:
    return NOT_DISPATCHED if group is None else str(group)


def _with_department_returns(
    figures: dict[Any, CaseFigures], user: Any, period: Period, filters: Filters
) -> dict[Any, CaseFigures]:
    returned = _returns_by_department(cohort(user, period, filters))
    result = {}
    for group, f in figures.items():
        counts = dataclasses.replace(f.counts, returns=returned.get(group, 0))
        result[group] = dataclasses.replace(f, returns=counts.returns, counts=counts)
    return result


def _labels(by: str, keys: Iterable[Any], depth: int) -> dict[Any, str]:
    keys = [k for k in keys if k is not None]
    if by == "channel":
        return {k: str(Channel(k).label) if k in Channel.values else k for k in keys}
    if by == "type":
        return {k: str(CaseType(k).label) if k in CaseType.values else k for k in keys}
    if by == "category":
        return dict(Category.objects.filter(pk__in=keys).values_list("pk", "name"))
    if by == "department":
        names: dict[Any, str] = dict(
            Department.objects.filter(pk__in=keys).values_list("pk", "name")
        )
        names[None] = _("Not dispatched")
        return names
    if by == "territory":
        return _territory_names(keys, depth)
    return {}


def _territory_names(codes: list[str], depth: int) -> dict[Any, str]:
    from fengqiao.territory.models import Grid

    names = dict(
        Area.objects.filter(territory_code__in=codes, valid_to=None)
        .order_by()
        .values_list("territory_code", "name")
    )
    missing = [code for code in codes if code not in names]
    if missing:
        names.update(
            Grid.objects.filter(territory_code__in=missing).values_list("territory_code", "name")
        )
    for code in codes:
        if len(code) < depth:
            # Cases registered on the level above itself (at the township, not in a village).
            names[code] = _("%(name)s (itself)") % {"name": names.get(code, code)}
    return names


def _bucket_start(day: datetime.date, by: str) -> datetime.date:
    if by == "week":
        return day - datetime.timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


def _trend_rows(figures: dict[Any, CaseFigures], period: Period, by: str) -> list[BreakdownRow]:
    """Every bucket of the period in date order, empty ones included (a trend line has no
    gaps); the days are folded into weeks or months by adding their counts."""
    counts: dict[datetime.date, Counts] = defaultdict(Counts)
    times: dict[datetime.date, ReplyTimes] = defaultdict(ReplyTimes)
    for day_number, f in figures.items():
        bucket = _bucket_start(date_of(day_number), by)
        counts[bucket] = counts[bucket] + f.counts
        times[bucket] = times[bucket] + f.times
    rows = []
    bucket = _bucket_start(period.first, by)
    while bucket <= period.last:
        rows.append(
            BreakdownRow(
                key=bucket.isoformat(),
                label=_bucket_label(bucket, by),
                figures=CaseFigures.of(counts[bucket], times[bucket]),
            )
        )
        bucket = _next_bucket(bucket, by)
    return rows


def _next_bucket(bucket: datetime.date, by: str) -> datetime.date:
    if by == "month":
        return _next_month(bucket)
    return bucket + datetime.timedelta(days=7 if by == "week" else 1)


def _bucket_label(bucket: datetime.date, by: str) -> str:
    if by == "month":
        return bucket.strftime("%Y-%m")
    return bucket.strftime("%m-%d")


def total_of(rows: Iterable[BreakdownRow]) -> CaseFigures:
    """The figures of a whole from the rows of one of its breakdowns (counts and reply times
    add up; the rates are computed from the sums, never averaged)."""
    counts, times = Counts(), ReplyTimes()
    for row in rows:
        counts = counts + row.figures.counts
        times = times + row.figures.times
    return CaseFigures.of(counts, times)


def department_ranking(
    user: Any, period: Period, filters: Filters = NO_FILTERS
) -> list[BreakdownRow]:
    """考核排名: the departments that led cases of the cohort, best first — by closure rate,
    then on-time reply rate, then satisfaction rate (a missing rate ranks last), then most
    received. Cases not dispatched to any department are left out."""
    rows = [
        row
        for row in case_breakdown(user, period, filters, by="department")
        if row.key != NOT_DISPATCHED
    ]

    def order(row: BreakdownRow) -> tuple[Any, ...]:
        f = row.figures
        return (
            -(f.closure_rate if f.closure_rate is not None else Decimal(-1)),
            -(f.on_time_reply_rate if f.on_time_reply_rate is not None else Decimal(-1)),
            -(f.satisfaction_rate if f.satisfaction_rate is not None else Decimal(-1)),
            -f.received,
            row.label,
        )

    return sorted(rows, key=order)
