"""The department performance ledger (部门考核排名): ``stats.metrics.department_ranking`` as a
spreadsheet, for the dashboard's period and filters.

The figures and their definitions (口径) are the statistics app's, never recomputed here; the
period and filters are read from the query string by the dashboard's own readers
(``stats.views.period_from`` and ``filters_from``), so the ledger says what the screen says.
Only those who may read the dashboards may export it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils import translation
from django.utils.translation import gettext as _

from fengqiao.cases.choices import CaseType, Channel
from fengqiao.cases.models import Category
from fengqiao.ledgers.workbook import (
    NO_FILTER,
    Destination,
    Progress,
    Written,
    data_sheet,
    info_sheet,
    labels,
)
from fengqiao.ledgers.xlsx import Styled, Workbook
from fengqiao.org.models import Department
from fengqiao.stats.dashboard import may_read_dashboards
from fengqiao.stats.metrics import NO_RATE, BreakdownRow, CaseFigures, department_ranking
from fengqiao.stats.views import filters_from, period_from

TITLE = "部门考核排名"
SHEET = "部门考核排名"
PERIOD_FIELDS = ("kind", "day", "first", "last")
FILTER_FIELDS = ("territory", "department", "channel", "type", "category")

# (header, width, figure): the figures of ``CaseFigures`` in the dashboard's order.
COLUMNS: tuple[tuple[str, float, str], ...] = (
    ("排名", 6, ""),
    ("部门", 24, ""),
    ("收件数", 9, "received"),
    ("受理数", 9, "accepted"),
    ("办结数", 9, "closed"),
    ("办结率", 9, "closure_rate"),
    ("按时签收率", 11, "on_time_sign_rate"),
    ("按时答复率", 11, "on_time_reply_rate"),
    ("当前超期数", 10, "overdue_now"),
    ("延期件数", 9, "extensions"),
    ("疑难件数", 9, "hard_matters"),
    ("退单次数", 9, "returns"),
    ("重办率", 9, "reopen_rate"),
    ("满意率", 9, "satisfaction_rate"),
    ("回访率", 9, "return_visit_rate"),
    ("平均答复用时（工作小时）", 14, "mean_reply_hours"),
    ("90%答复用时（工作小时）", 14, "p90_reply_hours"),
)
HEADERS = tuple(header for header, _width, _figure in COLUMNS)


class PerformanceLedger:
    """The departments ranked for ``actor``'s dashboard period and filters ``params``."""

    def __init__(
        self,
        *,
        params: Mapping[str, Any],
        actor: Any,
        now: datetime.datetime | None = None,
        unmask: bool = False,  # figures only: nothing to unmask
    ) -> None:
        if not may_read_dashboards(actor):
            raise PermissionDenied(_("The dashboards are for the centers and leaders."))
        self.actor = actor
        self.period = period_from(params)  # ValidationError: what to fix
        self.metric_filters = filters_from(params, actor)  # out of scope: Http404
        self.filters = {
            name: str(params.get(name))
            for name in (*PERIOD_FIELDS, *FILTER_FIELDS)
            if params.get(name)
        }
        self.unmasked = False  # figures only: no personal values
        self._rows: list[BreakdownRow] | None = None

    def rows(self) -> list[BreakdownRow]:
        if self._rows is None:
            self._rows = department_ranking(self.actor, self.period, self.metric_filters)
        return self._rows

    def count(self) -> int:
        return len(self.rows())

    def write(self, destination: Destination, *, progress: Progress | None = None) -> Written:
        with Workbook() as workbook, translation.override("zh-hans"):
            sheet = data_sheet(
                workbook, SHEET, [(header, width) for header, width, _f in COLUMNS], freeze="C2"
            )
            rows = self.rows()
            for rank, row in enumerate(rows, start=1):
                sheet.append([rank, row.label, *(_cell(row.figures, f) for f in _figures())])
            info = info_sheet(
                workbook,
                title=f"{TITLE}（{self.period.label()}）",
                actor=self.actor,
                filters=self._describe(),
                rows=len(rows),
            )
            info.append(["统计期间", f"{self.period.first} 至 {self.period.last}"])
            info.append(
                [
                    "口径",
                    "统计期间内收到的案件（按收件时间），以其目前状态计；排名依次按办结率、"
                    "按时答复率、满意率，未派单的案件不计入任何部门。定义见 docs/metrics.md。",
                ]
            )
            if progress is not None:
                progress(len(rows))
            workbook.save(destination)
        return Written(
            rows=len(rows),
            detail={"kind": "department_performance", "period": self.period.label()},
        )

    def _describe(self) -> str:
        f = self.metric_filters
        parts = []
        if f.territory:
            parts.append(f"区划代码：{f.territory}")
        if f.department_id is not None:
            department = Department.objects.filter(pk=f.department_id).first()
            parts.append(f"部门：{department.name if department else f.department_id}")
        if f.channel:
            parts.append(f"来源渠道：{labels(Channel).get(f.channel, f.channel)}")
        if f.case_type:
            parts.append(f"类型：{labels(CaseType).get(f.case_type, f.case_type)}")
        if f.category_id is not None:
            category = Category.objects.filter(pk=f.category_id).first()
            parts.append(f"分类：{category.name if category else f.category_id}")
        return "；".join(parts) or NO_FILTER


def _figures() -> list[str]:
    return [figure for _header, _width, figure in COLUMNS if figure]


def _cell(figures: CaseFigures, name: str) -> Any:
    """A figure as a number Excel can sum (rates as fractions shown as percentages with two
    decimals, as on the dashboard); a missing rate or time as "—"."""
    value = getattr(figures, name)
    if value is None:
        return NO_RATE
    if name in CaseFigures.RATES:
        return Styled(float(value), "percent")
    if isinstance(value, Decimal):
        return float(value)
    return value
