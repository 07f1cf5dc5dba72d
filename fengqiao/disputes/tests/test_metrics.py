"""化解率 and the counts behind it (fengqiao.disputes.metrics), on registers built in bulk."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from fengqiao.conftest import World
from fengqiao.disputes.choices import DisputeStatus, DisputeType, Outcome, ReferralRoute, Source
from fengqiao.disputes.metrics import (
    ResolutionFigures,
    rate_display,
    resolution_by_territory,
    resolution_figures,
    resolution_rate,
    screened_in_year,
)
from fengqiao.disputes.models import Dispute

# The page's own figures (MISSION.md S3): 2,914 screened this year, 2,695 resolved, 92.48 %.
SCREENED, RESOLVED_COUNT = 2914, 2695

_numbers = itertools.count(1)

# Unresolved disputes, each state the register allows, in rotation: still open, agreement
# reached but neither performed nor confirmed (not resolved yet), no agreement, withdrawn.
_UNRESOLVED: Sequence[dict[str, Any]] = (
    {"status": DisputeStatus.REGISTERED},
    {"status": DisputeStatus.MEDIATING},
    {"status": DisputeStatus.AGREED, "outcome": Outcome.AGREEMENT},
    {
        "status": DisputeStatus.REFERRED,
        "outcome": Outcome.NO_AGREEMENT,
        "referral_route": ReferralRoute.LITIGATION,
    },
    {"status": DisputeStatus.WITHDRAWN, "outcome": Outcome.WITHDRAWN},
)


def bulk_register(
    *,
    year: int,
    screened: int,
    resolved: int,
    territory_codes: Sequence[str],
    name: str = "邻里纠纷",
) -> list[Dispute]:
    """``screened`` disputes screened in ``year`` (spread over the year and over
    ``territory_codes``), the first ``resolved`` of them resolved: agreement reached and then
    performed, or (every third) judicially confirmed only. Written with bulk_create in the
    states the services leave them in (status, outcome, dates and resolved_at agree)."""
    disputes = []
    for index in range(screened):
        screened_on = datetime.date(year, 1, 1) + datetime.timedelta(days=index % 365)
        code = territory_codes[index % len(territory_codes)]
        holder = code[:12] if len(code) >= 12 else code
        fields: dict[str, Any] = {}
        if index < resolved:
            settled = screened_on + datetime.timedelta(days=10)
            fields = {
                "status": DisputeStatus.RESOLVED,
                "outcome": Outcome.AGREEMENT,
                "resolved_at": timezone.make_aware(
                    datetime.datetime.combine(settled, datetime.time(10))
                ),
            }
            if index % 3 == 2:
                fields["confirmed_on"] = settled
            else:
                fields["performed_on"] = settled
        else:
            fields = dict(_UNRESOLVED[index % len(_UNRESOLVED)])
        number = next(_numbers)
        disputes.append(
            Dispute(
                number=f"T{code[:6]}-{year}-{number:06d}",
                name=f"{name}{number}",
                occurred_on=screened_on - datetime.timedelta(days=3),
                screened_on=screened_on,
                place=f"第{number}号附近",
                territory_code=code,
                dispute_type=DisputeType.NEIGHBOUR,
                summary="因排水沟堵塞引发争执。",
                source=Source.GRID_VISIT,
                holder_code=holder,
                level="village" if len(holder) == 12 else "township",
                **fields,
            )
        )
    return Dispute.objects.bulk_create(disputes, batch_size=500)


@pytest.fixture
def register(world: World) -> World:
    """This year's register of the page (2,914 screened, 2,695 resolved) over both townships,
    plus last year's disputes, which this year's figures must leave out."""
    codes = [
        world.a.village.territory_code,
        world.a.grid.code,
        world.b.village.territory_code,
        world.a.area.territory_code,  # registered at the township itself
    ]
    bulk_register(year=2026, screened=SCREENED, resolved=RESOLVED_COUNT, territory_codes=codes)
    bulk_register(year=2025, screened=300, resolved=10, territory_codes=codes)
    return world


def test_the_page_s_register_gives_92_48_percent(register: World, django_assert_num_queries):  # type: ignore[no-untyped-def]
    this_year = screened_in_year(Dispute.objects.all(), 2026)
    with django_assert_num_queries(1):
        figures = resolution_figures(this_year)
    assert figures == ResolutionFigures(
        screened=2914, resolved=2695, rate=Decimal("0.9248"), rate_display="92.48%"
    )
    assert isinstance(figures.rate, Decimal)
    assert resolution_figures(screened_in_year(Dispute.objects.all(), 2025)).resolved == 10


def test_resolved_means_agreement_and_performed_or_confirmed(world: World) -> None:
    code = world.a.village.territory_code
    bulk_register(year=2026, screened=5, resolved=0, territory_codes=[code])
    # An agreement reached is not yet resolved; performed or confirmed, it is.
    agreed = Dispute.objects.filter(status=DisputeStatus.AGREED)
    assert agreed.count() == 1
    assert resolution_figures(Dispute.objects.all()).resolved == 0
    agreed.update(confirmed_on=datetime.date(2026, 3, 1))
    assert resolution_figures(Dispute.objects.all()).resolved == 1
    # A performance date without an agreement (as data from elsewhere might hold) is not.
    Dispute.objects.filter(status=DisputeStatus.REFERRED).update(
        performed_on=datetime.date(2026, 3, 1)
    )
    assert resolution_figures(Dispute.objects.all()).resolved == 1


def test_nothing_screened_has_no_rate(world: World) -> None:
    figures = resolution_figures(Dispute.objects.all())
    assert figures == ResolutionFigures(screened=0, resolved=0, rate=None, rate_display="—")
    assert resolution_by_territory(Dispute.objects.all(), level="township") == []


def test_the_rate_is_exact_and_truncated() -> None:
    # 1/32 = 0.03125 exactly: truncated to 0.0312 (a rate never overstates).
    assert resolution_rate(screened=32, resolved=1) == Decimal("0.0312")
    assert rate_display(Decimal("0.0312")) == "3.12%"
    # 0.99996 shows 99.99%, never 100.00%.
    assert resolution_rate(screened=100_000, resolved=99_996) == Decimal("0.9999")
    # 2/3 = 0.66666…: truncated to 0.6666, exact (no float on the way).
    assert resolution_rate(screened=3, resolved=2) == Decimal("0.6666")
    assert resolution_rate(screened=5, resolved=5) == Decimal("1.0000")
    assert rate_display(Decimal("1.0000")) == "100.00%"
    assert rate_display(Decimal("0")) == "0.00%"
    assert resolution_rate(screened=0, resolved=0) is None
    assert rate_display(None) == "—"


def test_by_township_names_each_and_adds_up(register: World, django_assert_num_queries):  # type: ignore[no-untyped-def]
    this_year = screened_in_year(Dispute.objects.all(), 2026)
    with django_assert_num_queries(2):
        rows = resolution_by_territory(this_year, level="township")
    assert [(row.code, row.name) for row in rows] == [
        (register.a.area.territory_code, "双堰街道"),
        (register.b.area.territory_code, "文腾街道"),
    ]
    # Every fourth dispute is in 文腾街道's village, the rest in 双堰街道.
    assert rows[1].screened == len(range(2, SCREENED, 4))
    assert sum(row.screened for row in rows) == SCREENED
    assert sum(row.resolved for row in rows) == RESOLVED_COUNT
    for row in rows:
        assert row.rate == resolution_rate(screened=row.screened, resolved=row.resolved)
        assert row.rate_display.endswith("%")


def test_by_village_keeps_the_township_s_own_disputes_apart(register: World) -> None:
    a = register.a
    this_year = screened_in_year(Dispute.objects.all(), 2026)
    rows = resolution_by_territory(this_year, level="village")
    by_code = {row.code: row for row in rows}
    assert list(by_code) == sorted(by_code)
    # The grid's disputes count for its village; the township's own form a row of their own.
    assert by_code[a.village.territory_code].screened == len(range(0, SCREENED, 4)) + len(
        range(1, SCREENED, 4)
    )
    assert by_code[a.village.territory_code].name == "双堰街道一村"
    assert by_code[a.area.territory_code].screened == len(range(3, SCREENED, 4))
    assert by_code[a.area.territory_code].name != "双堰街道"
    assert "双堰街道" in by_code[a.area.territory_code].name
    assert sum(row.screened for row in rows) == SCREENED
    assert sum(row.resolved for row in rows) == RESOLVED_COUNT


def test_scoped_figures_cover_only_what_the_user_sees(register: World) -> None:
    operator = register.b.users["township_operator"]
    figures = resolution_figures(screened_in_year(Dispute.objects.visible_to(operator), 2026))
    assert figures.screened == len(range(2, SCREENED, 4))
    rows = resolution_by_territory(Dispute.objects.visible_to(operator), level="township")
    assert [row.code for row in rows] == [register.b.area.territory_code]


def test_an_unknown_level_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="level"):
        resolution_by_territory(Dispute.objects.all(), level="county")
