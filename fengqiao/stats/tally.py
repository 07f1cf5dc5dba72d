"""The case tally: the figures' additive counts by month, place and dimension, kept current by
the case services and read by ``stats.metrics`` (docs/metrics.md section 9).

A case **contributes** to a handful of tally rows (``contribution``): its received month and
village (dimension ``area``), its township with its channel, type, category and lead
department, and, once replied, its reply time in whole working hours (``hours``,
``department_hours``). Each counter is what the case adds to a figure now: 1 to received, 1 to
closed if it is closed, its times returned to returns, its working seconds to the reply-time
sum, and so on — the same conditions ``stats.metrics`` counts over the cases table. A merged
duplicate contributes nothing. 退单 are counted in the department dimension against the
department that returned the case (``record_return``).

**Kept current:** ``remember`` notes a case's contribution when a move reads and locks it;
``record_move`` appends the difference after the move saves it, in the same transaction
(``CaseTallyDelta``); intakes append their new cases' contributions (``record_new``, or the
rows of ``intake_rows`` inside PostgreSQL's one-statement intake). ``fold`` moves the
appended rows into ``CaseTally`` (a periodic task). ``rebuild`` recomputes months from the
cases (``manage.py tally rebuild``: after a bulk load that bypassed the services, or when the
working-day calendar changed under past replies). A test drives random moves through the
services and checks the tally against a recomputation.
"""

from __future__ import annotations

import datetime
import functools
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DateField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Substr, TruncMonth
from django.utils import timezone

from fengqiao.cases.choices import CaseStatus, EventKind, Rating
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.core.codes import upper_bound
from fengqiao.core.db import execute_direct
from fengqiao.stats.models import COUNTER_NAMES, CaseTally, CaseTallyDelta
from fengqiao.stats.worktime import (
    SECONDS_PER_HOUR,
    reply_groups,
    working_seconds,
)

logger = logging.getLogger(__name__)

COUNTERS = COUNTER_NAMES
Vector = tuple[int, ...]
# (month, area, dimension, key)
Key = tuple[datetime.date, str, str, str]

VILLAGE_DEPTH = 12
TOWNSHIP_DEPTH = 9
# The dimensions kept per township, and the case attribute each is keyed by.
KEYED = {
    "channel": "channel",
    "type": "case_type",
    "category": "category_id",
    "department": "lead_department_id",
}
HISTOGRAMS = ("hours", "department_hours")
# The histograms again per calendar year (``month`` is 1 January): a year's dashboard reads
# a twelfth of the rows. Always the sum of the year's monthly rows (``_with_years``).
YEARLY = {"hours": "year_hours", "department_hours": "year_department_hours"}
# The case columns a contribution depends on: a move that saves none of them changes nothing.
TALLIED_FIELDS = frozenset(
    {
        "created_at",
        "territory_code",
        "merged_into",
        "merged_into_id",
        *KEYED.values(),
        "category",
        "lead_department",
        "status",
        "accepted_at",
        "signed_at",
        "sign_due_at",
        "replied_at",
        "reply_due_at",
        "extension_days",
        "is_hard",
        "return_count",
        "reopen_count",
        "rating",
        "return_visit_count",
    }
)
_INDEX = {name: position for position, name in enumerate(COUNTERS)}
_RETURNS = _INDEX["returns"]
_TIMED = _INDEX["timed"]
ZERO: Vector = (0,) * len(COUNTERS)
ONE_TIMED: Vector = tuple(int(n == _TIMED) for n in range(len(COUNTERS)))
_SNAPSHOT = "_tally_contribution"


def _one(name: str, count: int = 1) -> Vector:
    return tuple(count if n == _INDEX[name] else 0 for n in range(len(COUNTERS)))


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_of(instant: datetime.datetime) -> datetime.date:
    """The first day of the local calendar month of an instant."""
    return timezone.localtime(instant, _zone()).date().replace(day=1)


def _text(value: Any) -> str:
    """A dimension's value as a tally key ("" for none)."""
    return "" if value is None else str(value)


def _department_key(department_id: int | None) -> str:
    return _text(department_id)


# ---------------------------------------------------------------------------------------
# What a case contributes


def counters(case: Case) -> Vector:
    """What the case adds to each counter now (the conditions of ``metrics._AGGREGATES``)."""
    accepted, replied = case.accepted_at, case.replied_at
    signed, sign_due, reply_due = case.signed_at, case.sign_due_at, case.reply_due_at
    timed = accepted is not None and replied is not None
    values = {
        "received": 1,
        "accepted": accepted is not None,
        "closed": case.status == CaseStatus.CLOSED,
        "signed": signed is not None and sign_due is not None,
        "signed_on_time": signed is not None and sign_due is not None and signed <= sign_due,
        "replied": replied is not None,
        "replied_with_deadline": replied is not None and reply_due is not None,
        "replied_on_time": replied is not None and reply_due is not None and replied <= reply_due,
        "extensions": case.extension_days > 0,
        "hard_matters": case.is_hard,
        "returns": case.return_count,
        "reopened": case.reopen_count > 0,
        "rated": case.rating != "",
        "satisfied": case.rating in (Rating.SATISFIED, Rating.BASICALLY),
        "return_visits": case.return_visit_count > 0,
        "timed": timed,
        "timed_seconds": working_seconds(accepted, replied) if timed else 0,  # type: ignore[arg-type]
    }
    return tuple(int(values[name]) for name in COUNTERS)


def contribution(case: Case) -> dict[Key, Vector]:
    """The tally rows the case adds to, with what it adds (nothing for a merged duplicate)."""
    if case.merged_into_id is not None:
        return {}
    month = month_of(case.created_at)
    code = case.territory_code
    township = code[:TOWNSHIP_DEPTH]
    vector = counters(case)
    rows: dict[Key, Vector] = {(month, code[:VILLAGE_DEPTH], "area", ""): vector}
    for dimension, attribute in KEYED.items():
        value = getattr(case, attribute)
        key = "" if value is None else str(value)
        if dimension == "department":
            # 退单 count against the department that returned the case (record_return).
            rows[(month, township, dimension, key)] = _with(vector, _RETURNS, 0)
        else:
            rows[(month, township, dimension, key)] = vector
    if vector[_TIMED]:
        hours = str(vector[_INDEX["timed_seconds"]] // SECONDS_PER_HOUR)
        department = _department_key(case.lead_department_id)
        year = month.replace(month=1)
        for dimension, key in (("hours", hours), ("department_hours", f"{department}:{hours}")):
            rows[(month, township, dimension, key)] = ONE_TIMED
            rows[(year, township, YEARLY[dimension], key)] = ONE_TIMED
    return rows


def _with(vector: Vector, position: int, value: int) -> Vector:
    return (*vector[:position], value, *vector[position + 1 :])


def _add(into: dict[Key, list[int]], rows: dict[Key, Vector], sign: int = 1) -> None:
    for key, vector in rows.items():
        total = into.get(key)
        if total is None:
            total = into[key] = [0] * len(COUNTERS)
        for position, value in enumerate(vector):
            total[position] += sign * value


def _nonzero(changes: dict[Key, list[int]]) -> dict[Key, Vector]:
    return {key: tuple(values) for key, values in changes.items() if any(values)}


# ---------------------------------------------------------------------------------------
# Keeping it current (called by the case services, inside their transactions)


def remember(case: Case) -> None:
    """Note what the case contributes before a move changes it (the move's ``_locked``)."""
    case.__dict__[_SNAPSHOT] = contribution(case)


def record_move(case: Case, fields: Iterable[str]) -> None:
    """After a move saved ``fields`` of ``case``: append the change of its contribution."""
    if TALLIED_FIELDS.isdisjoint(fields):
        return
    before: dict[Key, Vector] | None = case.__dict__.get(_SNAPSHOT)
    if before is None:
        raise RuntimeError(
            "A move changed a counted field of a case it did not read through _locked: "
            "the tally cannot know what the case contributed before."
        )
    after = contribution(case)
    changes: dict[Key, list[int]] = {}
    _add(changes, after)
    _add(changes, before, -1)
    if before and not after:
        # Merged away: its 退单, counted against the departments that returned it, go too.
        _add(changes, _department_returns(case), -1)
    append(_nonzero(changes))
    case.__dict__[_SNAPSHOT] = after


def record_return(case: Case, department_id: int) -> None:
    """退单 by ``department_id``: counted against it in the department dimension."""
    key = (month_of(case.created_at), case.territory_code[:TOWNSHIP_DEPTH], "department")
    append({(*key, str(department_id)): _one("returns")})


def record_new(cases: Sequence[Case], *, cursor: Any = None) -> None:
    """Cases just received (their rows are written in this transaction); ``cursor``: the
    intake's own, when it has one."""
    if len(cases) == 1:
        # One case (a single intake): its contribution is already what the sum would be,
        # without adding it up counter by counter.
        changes = {key: vector for key, vector in contribution(cases[0]).items() if any(vector)}
    else:
        sums: dict[Key, list[int]] = {}
        for case in cases:
            _add(sums, contribution(case))
        changes = _nonzero(sums)
    _insert(CaseTallyDelta, changes, cursor=cursor)


def intake_rows(case: Case) -> tuple[datetime.date, int, list[tuple[str, str, str]]]:
    """A new case's contribution as (month, accepted 0/1, [(area, dimension, key)]), every
    row adding 1 to received and the flag to accepted — all a case can add at intake (for
    PostgreSQL's one-statement intake, which writes the rows itself)."""
    rows = contribution(case)
    month = month_of(case.created_at)
    accepted = 1 if case.accepted_at is not None else 0
    expected = _with(_one("received"), _INDEX["accepted"], accepted)
    keys = []
    for (row_month, area, dimension, key), vector in rows.items():
        wanted = _with(expected, _RETURNS, 0) if dimension == "department" else expected
        if row_month != month or vector != wanted:
            raise ValueError(f"a new case cannot add {vector} to the tally row {dimension}")
        keys.append((area, dimension, key))
    return month, accepted, keys


def _department_returns(case: Case) -> dict[Key, Vector]:
    month, township = month_of(case.created_at), case.territory_code[:TOWNSHIP_DEPTH]
    returned = (
        CaseEvent.objects.filter(case_id=case.pk, kind=EventKind.RETURN, department__isnull=False)
        .values("department_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        (month, township, "department", str(row["department_id"])): _one("returns", row["n"])
        for row in returned
    }


_COLUMNS = ("month", "area", "dimension", "key", *COUNTERS)
# SQLite's limit on a statement's parameters (999 before 3.32) over the columns of a row.
_ROWS_PER_STATEMENT = 999 // len(_COLUMNS)


@functools.lru_cache(maxsize=64)
def _insert_sql(table: str, rows: int) -> str:
    """``INSERT INTO table (…) VALUES (…), …`` for ``rows`` rows, built once per size (every
    move appends a few rows: building the statement was most of the cost)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in _COLUMNS)  # the fields' names are their columns
    row = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    return f"INSERT INTO {quote(table)} ({columns}) VALUES " + ", ".join([row] * rows)  # noqa: S608


def append(changes: dict[Key, Vector]) -> None:
    """Append changes to ``CaseTallyDelta`` (in the caller's transaction)."""
    _insert(CaseTallyDelta, changes)


def _insert(
    model: type[CaseTally | CaseTallyDelta], rows: dict[Key, Vector], *, cursor: Any = None
) -> None:
    if not rows:
        return
    items = list(rows.items())
    table = model._meta.db_table
    with nullcontext(cursor) if cursor is not None else connection.cursor() as using:
        adapt = using.db.ops.adapt_datefield_value
        for start in range(0, len(items), _ROWS_PER_STATEMENT):
            chunk = items[start : start + _ROWS_PER_STATEMENT]
            params: list[Any] = []
            for (month, area, dimension, key), vector in chunk:
                params += [adapt(month), area, dimension, key, *vector]
            execute_direct(using, _insert_sql(table, len(chunk)), params)


# ---------------------------------------------------------------------------------------
# Folding the appended changes


def fold() -> int:
    """Move the appended changes into ``CaseTally``; returns how many rows were folded. One
    statement on PostgreSQL (what it deletes is exactly what it adds); on SQLite inside one
    write transaction (no other writer in between)."""
    quote = connection.ops.quote_name
    tally, delta = quote(CaseTally._meta.db_table), quote(CaseTallyDelta._meta.db_table)
    keys = "month, area, dimension, key"
    sums = ", ".join(f"SUM({quote(name)})" for name in COUNTERS)
    columns = ", ".join(quote(name) for name in COUNTERS)
    adds = ", ".join(f"{quote(n)} = {tally}.{quote(n)} + excluded.{quote(n)}" for n in COUNTERS)
    upsert = f"ON CONFLICT (dimension, month, area, key) DO UPDATE SET {adds}"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One fold at a time: two would upsert the same rows in different orders.
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_FOLD_LOCK])
            if not cursor.fetchone()[0]:
                return 0
            cursor.execute(
                f"WITH moved AS (DELETE FROM {delta} RETURNING {keys}, {columns}) "  # noqa: S608
                f"INSERT INTO {tally} ({keys}, {columns}) SELECT {keys}, {sums} FROM moved "
                f"GROUP BY {keys} {upsert}"
            )
            return int(cursor.rowcount)
        cursor.execute(f"SELECT MAX(id) FROM {delta}")  # noqa: S608
        last = cursor.fetchone()[0]
        if last is None:
            return 0
        cursor.execute(
            f"INSERT INTO {tally} ({keys}, {columns}) SELECT {keys}, {sums} "  # noqa: S608
            f"FROM {delta} WHERE id <= %s GROUP BY {keys} {upsert}",
            [last],
        )
        folded = int(cursor.rowcount)
        cursor.execute(f"DELETE FROM {delta} WHERE id <= %s", [last])  # noqa: S608
        return folded


# A constant for PostgreSQL's advisory lock of the fold ("fq-tally" as a number).
_FOLD_LOCK = 0x66712D74616C6C79


# ---------------------------------------------------------------------------------------
# Reading


def read(
    prefix: str,
    first: datetime.date,
    last: datetime.date,
    dimension: str,
    *groups: str | int,
    counters: Sequence[str] = COUNTERS,
) -> dict[tuple[Any, ...], list[int]]:
    """The ``counters`` of ``dimension``'s rows for the months from ``first`` to ``last``
    (first days) in the subtree of ``prefix``, summed per ``groups`` — ``"key"``,
    ``"month"``, or a number: the area cut to that length (none: one total, keyed ``()``) —
    folded and appended rows together, in one statement.

    Written as SQL rather than through the ORM: a county's year is tens of thousands of
    histogram rows, and the ORM's per-value conversions were most of the read's time."""
    quote = connection.ops.quote_name
    selected: list[str] = []
    grouped: list[str] = []
    for group in groups:
        if isinstance(group, int):
            selected.append(f"SUBSTR(area, 1, {int(group)})")
        elif group in ("key", "month"):
            selected.append(quote(group))
        else:
            raise ValueError(f"cannot group the tally by {group!r}")
        grouped.append(str(len(grouped) + 1))
    conditions = ["dimension = %s", "month >= %s", "month <= %s"]
    params: list[Any] = [dimension]
    params += [connection.ops.adapt_datefield_value(day) for day in (first, last)]
    if prefix:
        conditions.append("area >= %s")
        params.append(prefix)
        upper = upper_bound(prefix)
        if upper is not None:
            conditions.append("area < %s")
            params.append(upper)
    columns = ", ".join(["month", "area", "key", *(quote(name) for name in counters)])
    where = " AND ".join(conditions)
    union = " UNION ALL ".join(
        f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {where}"  # noqa: S608
        for model in (CaseTally, CaseTallyDelta)
    )
    sums = ", ".join(f"CAST(SUM({quote(name)}) AS BIGINT)" for name in counters)
    sql = f"SELECT {', '.join([*selected, sums])} FROM ({union}) AS t"  # noqa: S608
    if grouped:
        sql += f" GROUP BY {', '.join(grouped)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params * 2)
        rows = cursor.fetchall()
    width = len(groups)
    months = [n for n, group in enumerate(groups) if group == "month"]
    totals: dict[tuple[Any, ...], list[int]] = {}
    for row in rows:
        key: list[Any] = list(row[:width])
        for n in months:
            if isinstance(key[n], str):  # SQLite gives dates as text
                key[n] = datetime.date.fromisoformat(key[n])
        values = [value or 0 for value in row[width:]]
        if width or any(values):
            totals[tuple(key)] = values
    return totals


# ---------------------------------------------------------------------------------------
# Rebuilding from the cases


def _months_filter(months: Sequence[datetime.date] | None) -> Q:
    if months is None:
        return Q()
    zone = _zone()
    condition = Q(pk__in=[])
    for month in months:
        start = datetime.datetime.combine(month, datetime.time.min, tzinfo=zone)
        end_month = datetime.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        end = datetime.datetime.combine(end_month, datetime.time.min, tzinfo=zone)
        condition |= Q(created_at__gte=start, created_at__lt=end)
    return condition


def aggregates() -> dict[str, Any]:
    """The counts of section 5–6 of docs/metrics.md as SQL aggregates over cases (the
    conditions ``counters`` applies to one case)."""
    return {
        "received": Count("pk"),
        "accepted": Count("pk", filter=Q(accepted_at__isnull=False)),
        "closed": Count("pk", filter=Q(status=CaseStatus.CLOSED)),
        "signed": Count("pk", filter=Q(signed_at__isnull=False, sign_due_at__isnull=False)),
        "signed_on_time": Count("pk", filter=Q(signed_at__lte=F("sign_due_at"))),
        "replied": Count("pk", filter=Q(replied_at__isnull=False)),
        "replied_with_deadline": Count(
            "pk", filter=Q(replied_at__isnull=False, reply_due_at__isnull=False)
        ),
        "replied_on_time": Count("pk", filter=Q(replied_at__lte=F("reply_due_at"))),
        "extensions": Count("pk", filter=Q(extension_days__gt=0)),
        "hard_matters": Count("pk", filter=Q(is_hard=True)),
        "returns": Coalesce(Sum("return_count"), 0),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
        "rated": Count("pk", filter=~Q(rating="")),
        "satisfied": Count("pk", filter=Q(rating__in=(Rating.SATISFIED, Rating.BASICALLY))),
        "return_visits": Count("pk", filter=Q(return_visit_count__gt=0)),
    }


def local_month(column: str) -> TruncMonth:
    return TruncMonth(column, tzinfo=_zone(), output_field=DateField())


def _grouping(dimension: str) -> dict[str, Any]:
    """The (area, key) of a dimension's rows as expressions over the case."""
    if dimension == "area":
        return {"area": Substr("territory_code", 1, VILLAGE_DEPTH), "key": Value("")}
    return {"area": Substr("territory_code", 1, TOWNSHIP_DEPTH), "key": F(KEYED[dimension])}


def computed(months: Sequence[datetime.date] | None = None) -> dict[Key, Vector]:
    """The tally as the cases stand (the months given, or all), from grouped queries."""
    cases = Case.objects.filter(_months_filter(months), merged_into__isnull=True).annotate(
        month=local_month("created_at")
    )
    totals: dict[Key, list[int]] = {}
    for dimension in ("area", *KEYED):
        rows = (
            cases.annotate(**_grouping(dimension))
            .values("month", "area", "key")
            .annotate(**aggregates())
            .order_by()
        )
        for row in rows:
            vector = [row.get(name) or 0 for name in COUNTERS]
            if dimension == "department":
                vector[_RETURNS] = 0
            key = "" if row["key"] is None else str(row["key"])
            _add(totals, {(row["month"], row["area"], dimension, key): tuple(vector)})
    _add_reply_times(cases, totals)
    _add_department_returns(months, totals)
    return _nonzero(_with_years(totals))


def _with_years(totals: dict[Key, list[int]]) -> dict[Key, list[int]]:
    """The yearly histogram rows, summed from the monthly ones."""
    yearly: dict[Key, list[int]] = {}
    for (month, area, dimension, key), values in totals.items():
        if dimension in YEARLY:
            _add(yearly, {(month.replace(month=1), area, YEARLY[dimension], key): tuple(values)})
    _add(totals, {key: tuple(values) for key, values in yearly.items()})
    return totals


def _add_reply_times(cases: QuerySet[Case], totals: dict[Key, list[int]]) -> None:
    """timed, timed_seconds and the hour histograms (``worktime.reply_groups``)."""
    village = cases.annotate(village=Substr("territory_code", 1, VILLAGE_DEPTH))
    for row, n, seconds, whole in reply_groups(village, ["month", "village", *KEYED.values()]):
        vector = tuple(
            n if name == "timed" else seconds if name == "timed_seconds" else 0 for name in COUNTERS
        )
        month, area = row["month"], row["village"]
        township, hours = area[:TOWNSHIP_DEPTH], str(whole)
        department = _department_key(row["lead_department_id"])
        _add(totals, {(month, area, "area", ""): vector})
        for dimension, attribute in KEYED.items():
            _add(totals, {(month, township, dimension, _text(row[attribute])): vector})
        timed = _one("timed", n)
        _add(totals, {(month, township, "hours", hours): timed})
        _add(totals, {(month, township, "department_hours", f"{department}:{hours}"): timed})


def _add_department_returns(
    months: Sequence[datetime.date] | None, totals: dict[Key, list[int]]
) -> None:
    events = (
        CaseEvent.objects.filter(
            kind=EventKind.RETURN,
            department_id__isnull=False,
            case__in=Case.objects.filter(_months_filter(months), merged_into__isnull=True),
        )
        .annotate(
            month=local_month("case__created_at"),
            area=Substr("case__territory_code", 1, TOWNSHIP_DEPTH),
        )
        .values("month", "area", "department_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in events:
        returned: Key = (row["month"], row["area"], "department", str(row["department_id"]))
        _add(totals, {returned: _one("returns", row["n"])})


def rebuild(months: Sequence[datetime.date] | None = None) -> int:
    """Recompute the tally of the months given (or all) from the cases, and the yearly rows of
    their years from the months; returns the rows written. Moves wait while it runs
    (PostgreSQL: the change table is locked; SQLite: one writer at a time), so none is lost or
    counted twice."""
    yearly = list(YEARLY.values())
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(CaseTallyDelta._meta.db_table)
                cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        years = None if months is None else sorted({month.replace(month=1) for month in months})
        for model in (CaseTallyDelta, CaseTally):
            rows = model.objects.all()
            if months is not None:
                rows = rows.filter(
                    Q(month__in=months, dimension__in=[*KEYED, "area", *HISTOGRAMS])
                    | Q(month__in=years, dimension__in=yearly)
                )
            rows.delete()
        tally = computed(months)
        if years is not None:
            tally = {key: row for key, row in tally.items() if key[2] not in yearly}
        _insert(CaseTally, tally)
        written = len(tally)
        if years is not None:
            written += _rebuild_years(years)
    logger.info("tally rebuilt: %d rows", written)
    return written


def _rebuild_years(years: Sequence[datetime.date]) -> int:
    """The yearly histogram rows of ``years`` (already deleted) from the stored monthly rows
    (folded and appended)."""
    monthly: dict[Key, list[int]] = {}
    for year in years:
        rows = stored(HISTOGRAMS, first=year, last=year.replace(month=12))
        _add(monthly, rows)
    years_only = {
        key: values for key, values in _with_years(monthly).items() if key[2] in YEARLY.values()
    }
    written = _nonzero(years_only)
    _insert(CaseTally, written)
    return len(written)


def months_replied_across(day: datetime.date) -> list[datetime.date]:
    """The months of the cases whose reply time spans ``day`` (a working-day change there
    changes their working hours)."""
    zone = _zone()
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    end = start + datetime.timedelta(days=1)
    return sorted(
        Case.objects.filter(accepted_at__lt=end, replied_at__gte=start)
        .annotate(month=local_month("created_at"))
        .values_list("month", flat=True)
        .distinct()
        .order_by()
    )


def stored(
    dimensions: Sequence[str] | None = None,
    *,
    first: datetime.date | None = None,
    last: datetime.date | None = None,
) -> dict[Key, Vector]:
    """The tally as stored: folded and appended rows added up (zero rows left out); all of
    it, or the ``dimensions`` given for the months from ``first`` to ``last``."""
    condition = Q()
    if dimensions is not None:
        condition &= Q(dimension__in=dimensions)
    if first is not None:
        condition &= Q(month__gte=first)
    if last is not None:
        condition &= Q(month__lte=last)
    totals: dict[Key, list[int]] = defaultdict(lambda: [0] * len(COUNTERS))
    for model in (CaseTally, CaseTallyDelta):
        for row in model.objects.filter(condition).values_list(*_COLUMNS).order_by().iterator():
            total = totals[row[:4]]
            for position, value in enumerate(row[4:]):
                total[position] += value
    return _nonzero(dict(totals))
