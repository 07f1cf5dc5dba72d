"""The dispute register's figures: screened, resolved and the resolution rate (化解率).

Defined here and nowhere else; every page, export, dashboard and benchmark reads them through
these functions, and ``docs/metrics.md`` states the same definitions in words:

- **screened** (排查): a dispute registered in the register. Its period is decided by
  ``screened_on`` (排查日期), the day it was screened or reported, never by when it was
  typed in or settled.
- **resolved** (化解): of those, the ones whose outcome is "agreement reached" *and* whose
  agreement has been performed (``performed_on``) or judicially confirmed (``confirmed_on``).
  The services set ``resolved_at`` at exactly that moment; the figure reads the conditions
  themselves, so it cannot drift from the definition.
- **化解率** = resolved / screened, by the platform's one rate rule (``fengqiao.stats.rates``):
  an exact ``Decimal`` truncated (ROUND_DOWN) to 0.0001, two decimals of a percent, so that
  a figure never overstates; ``None`` when nothing was screened, shown as "—".

The period is a cohort: "resolved this year" counts the disputes *screened* this year that are
resolved now, so resolved ≤ screened and the rate never exceeds 100 %.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from fengqiao.core.codes import SIGNIFICANT_DIGITS
from fengqiao.disputes.choices import Outcome
from fengqiao.disputes.models import Dispute
from fengqiao.stats import rates
from fengqiao.territory.models import Area

# The one definition of "resolved" (化解).
RESOLVED = Q(outcome=Outcome.AGREEMENT) & (
    Q(performed_on__isnull=False) | Q(confirmed_on__isnull=False)
)
# The platform's one rate rule, kept under these names for the callers of this module.
RATE_QUANTUM = rates.RATE_QUANTUM
RATE_ROUNDING = rates.RATE_ROUNDING
NO_RATE = rates.NO_RATE
LEVELS = ("township", "village")


@dataclass(frozen=True)
class ResolutionFigures:
    """Screened and resolved disputes and the 化解率 of a set of disputes."""

    screened: int
    resolved: int
    rate: Decimal | None  # resolved / screened, quantised to 0.0001; None when none screened
    rate_display: str  # "92.48%", or "—"

    @classmethod
    def of(cls, *, screened: int, resolved: int) -> ResolutionFigures:
        rate = resolution_rate(screened=screened, resolved=resolved)
        return cls(screened=screened, resolved=resolved, rate=rate, rate_display=rate_display(rate))


@dataclass(frozen=True)
class TerritoryResolution(ResolutionFigures):
    """One township's or village's figures. ``code`` is its territory code; a row whose code
    is shorter than the level's holds the disputes registered on the level above itself
    (e.g. at the township, not in one of its villages)."""

    code: str
    name: str


def resolution_rate(*, screened: int, resolved: int) -> Decimal | None:
    """resolved / screened by the one rate rule: exact, truncated to 0.0001."""
    return rates.rate(resolved, screened)


def rate_display(rate: Decimal | None) -> str:
    """``Decimal("0.9248")`` → ``"92.48%"``; ``None`` → ``"—"``."""
    return rates.rate_display(rate)


def screened_between(
    disputes: QuerySet[Dispute], first_day: datetime.date, last_day: datetime.date
) -> QuerySet[Dispute]:
    """The disputes screened from ``first_day`` to ``last_day``, both included."""
    return disputes.filter(screened_on__gte=first_day, screened_on__lte=last_day)


def screened_in_year(disputes: QuerySet[Dispute], year: int) -> QuerySet[Dispute]:
    """The disputes screened in the calendar year ``year`` (a range: the index serves it)."""
    return screened_between(disputes, datetime.date(year, 1, 1), datetime.date(year, 12, 31))


def resolution_figures(disputes: QuerySet[Dispute]) -> ResolutionFigures:
    """Screened, resolved and the 化解率 of ``disputes`` (already scoped and limited to the
    period by the caller), in one aggregate query."""
    counts = disputes.order_by().aggregate(
        screened=Count("pk"), resolved=Count("pk", filter=RESOLVED)
    )
    return ResolutionFigures.of(screened=counts["screened"], resolved=counts["resolved"])


def resolution_by_territory(
    disputes: QuerySet[Dispute], *, level: str
) -> list[TerritoryResolution]:
    """The figures of ``disputes`` per township (``level="township"``, the first 9 digits of
    the territory code) or per village (``"village"``, 12 digits), ordered by code, with the
    areas' current names. Every dispute falls in exactly one row, so the rows add up to
    ``resolution_figures(disputes)``. Two queries: the grouped counts, then the names."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    digits = SIGNIFICANT_DIGITS[level]
    groups = list(
        disputes.order_by()
        .annotate(area_code=Substr("territory_code", 1, digits))
        .values("area_code")
        .annotate(screened=Count("pk"), resolved=Count("pk", filter=RESOLVED))
        .order_by("area_code")
        .values_list("area_code", "screened", "resolved")
    )
    names = dict(
        Area.objects.filter(territory_code__in=[code for code, _s, _r in groups], valid_to=None)
        .order_by()
        .values_list("territory_code", "name")
    )
    rows = []
    for code, screened, resolved in groups:
        name = names.get(code, code)
        if len(code) < digits:
            name = _("%(name)s (itself)") % {"name": name}
        figures = ResolutionFigures.of(screened=screened, resolved=resolved)
        rows.append(
            TerritoryResolution(
                screened=figures.screened,
                resolved=figures.resolved,
                rate=figures.rate,
                rate_display=figures.rate_display,
                code=code,
                name=name,
            )
        )
    return rows
