"""The case figures: the rate rule, every figure on a dataset worked out by hand, breakdowns
that add up, scoping, working hours, periods."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengqiao.stats.metrics import (
    BreakdownRow,
    CaseFigures,
    Counts,
    Filters,
    Period,
    case_breakdown,
    case_figures,
    department_ranking,
)
from fengqiao.stats.rates import rate, rate_display
from fengqiao.stats.tests.conftest import JUNE, Dataset

pytestmark = pytest.mark.django_db


def test_the_seed_percentages_come_out_exactly() -> None:
    assert rate_display(rate(418_468, 442_327)) == "94.60%"  # 办结率
    assert rate_display(rate(2_695, 2_914)) == "92.48%"  # 化解率


def test_rates_are_truncated_never_overstated() -> None:
    assert rate(99_996, 100_000) == Decimal("0.9999")
    assert rate_display(rate(99_996, 100_000)) == "99.99%"
    assert rate_display(rate(1, 32)) == "3.12%"  # 0.03125
    assert rate_display(rate(2, 3)) == "66.66%"
    assert rate(5, 5) == Decimal("1.0000") and rate_display(rate(5, 5)) == "100.00%"
    assert rate(0, 0) is None and rate_display(None) == "—"


def test_case_figures_of_the_dataset(dataset: Dataset) -> None:
    f = case_figures(dataset.world.county_operator, JUNE)
    assert (f.received, f.accepted, f.closed) == (7, 5, 2)  # c8 merged: not counted
    assert rate_display(f.closure_rate) == "28.57%"
    assert rate_display(f.on_time_sign_rate) == "66.66%"  # c1, c4 of c1, c2, c4
    assert rate_display(f.on_time_reply_rate) == "66.66%"  # c1, c6 of c1, c2, c6
    assert (f.overdue_now, f.extensions, f.hard_matters, f.returns) == (3, 1, 0, 1)
    assert rate_display(f.reopen_rate) == "33.33%"
    assert rate_display(f.satisfaction_rate) == "66.66%"
    assert rate_display(f.return_visit_rate) == "33.33%"
    # 50 minutes, 49 h, and 66 h less the weekend's 48 h: (0.83 + 49 + 18) / 3 = 22.61.
    assert f.mean_reply_hours == Decimal("22.6")
    assert f.p90_reply_hours == 49


def test_working_hours_skip_the_weekend(dataset: Dataset) -> None:
    f = case_figures(dataset.world.county_operator, JUNE, Filters(channel="phone"))
    assert f.received == 1 and f.mean_reply_hours == Decimal("18.0") and f.p90_reply_hours == 18


def test_a_period_outside_the_cases_is_empty(dataset: Dataset) -> None:
    f = case_figures(dataset.world.county_operator, JUNE.previous())
    assert f.received == 0 and f.closure_rate is None and f.mean_reply_hours is None


def _total(rows: list[BreakdownRow]) -> Counts:
    total = Counts()
    for row in rows:
        total = total + row.figures.counts
    return total


def _same_counts(a: CaseFigures, b: Counts) -> None:
    assert dataclasses.asdict(a.counts) == dataclasses.asdict(b)


@pytest.mark.parametrize("by", ["territory", "channel", "type", "category", "month", "week", "day"])
def test_breakdowns_add_up(dataset: Dataset, by: str) -> None:
    county = dataset.world.county_operator
    rows = case_breakdown(county, JUNE, by=by)
    _same_counts(case_figures(county, JUNE), _total(rows))


def test_territory_rows_are_the_townships_own_figures(dataset: Dataset) -> None:
    world = dataset.world
    rows = case_breakdown(world.county_operator, JUNE, by="territory")
    assert [(r.key, r.label, r.figures.received) for r in rows] == [
        ("520524001", "双堰街道", 5),
        ("520524002", "文腾街道", 2),
    ]
    township = world.a.users["township_operator"]
    assert case_figures(township, JUNE) == rows[0].figures  # a township leader sees its own
    assert case_figures(world.county_operator, JUNE, Filters(territory="520524002")) == (
        rows[1].figures
    )
    # The township's drill-down goes one level down, to its villages.
    villages = case_breakdown(township, JUNE, by="territory")
    assert [(r.key, r.figures.received) for r in villages] == [("520524001201", 5)]


def test_departments_and_their_returns(dataset: Dataset) -> None:
    county = dataset.world.county_operator
    rows = {r.key: r for r in case_breakdown(county, JUNE, by="department")}
    police_a, police_b = str(dataset.police_a.pk), str(dataset.police_b.pk)
    assert rows[police_a].figures.received == 3  # c1, c2, c4 (c3 went back)
    assert rows[police_a].figures.returns == 1  # the return counts against who returned it
    assert rows["-"].figures.received == 3  # c3, c5, c7: with no department now
    ranking = department_ranking(county, JUNE)
    assert [r.key for r in ranking] == [police_a, police_b]  # 66.66% closed before 0%
    leader = dataset.world.a.users["dept_leader"]
    assert case_figures(leader, JUNE).received == 3
    # A department's breakdown by territory starts at the territory it serves.
    assert [r.key for r in case_breakdown(leader, JUNE, by="territory")] == ["520524001201"]


def test_breakdowns_without_times_skip_only_the_times(dataset: Dataset) -> None:
    county = dataset.world.county_operator
    full = case_breakdown(county, JUNE, by="channel")
    light = case_breakdown(county, JUNE, by="channel", with_times=False)
    assert [r.figures.counts for r in light] == [r.figures.counts for r in full]
    assert all(r.figures.mean_reply_hours is None for r in light)
    assert any(r.figures.mean_reply_hours is not None for r in full)


def test_trend_buckets_cover_the_period(dataset: Dataset) -> None:
    rows = case_breakdown(dataset.world.county_operator, JUNE, by="week")
    assert rows[0].key == "2026-06-01" and rows[-1].key == "2026-06-29"
    assert [r.figures.received for r in rows] == [1, 6, 0, 0, 0]


def test_the_dashboard_reads_the_same_number_of_queries_at_any_size(
    dataset: Dataset, clock: Any, django_assert_num_queries: Any
) -> None:
    from fengqiao.stats.dashboard import dashboard
    from fengqiao.stats.tests.conftest import _submit

    county = dataset.world.county_operator
    with CaptureQueriesContext(connection) as before:
        dashboard(county, JUNE, Filters())
    for township in (dataset.world.a, dataset.world.b, dataset.world.a):
        _submit(dataset.world, township)
    with django_assert_num_queries(len(before)):
        board = dashboard(county, JUNE, Filters())
    assert board.figures.received == 10


def test_periods() -> None:
    day = datetime.date(2026, 3, 1)
    assert Period.containing("week", day) == Period("week", datetime.date(2026, 2, 23), day)
    assert Period.containing("month", day).previous() == Period(
        "month", datetime.date(2026, 2, 1), datetime.date(2026, 2, 28)
    )
    assert Period.containing("year", day).previous().first == datetime.date(2025, 1, 1)
    custom = Period.custom(datetime.date(2026, 3, 10), datetime.date(2026, 3, 19))
    assert custom.previous() == Period.custom(datetime.date(2026, 2, 28), datetime.date(2026, 3, 9))
    with pytest.raises(ValueError):
        Period.custom(datetime.date(2026, 3, 2), datetime.date(2026, 3, 1))
