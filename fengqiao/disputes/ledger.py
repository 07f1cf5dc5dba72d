"""The dispute register as an Excel ledger (矛盾纠纷排查化解台账).

One row per dispute, the columns in the order of the record's data elements (GB/T 31000
module 7, DOMAIN.md) under their official Chinese names, between the register number first
and the screening date and state last. A dispute's main parties share the party columns:
each party column lists every party's value in the same order, separated by "；", so that
the n-th value of every party column belongs to the n-th party.

The rows are the register page's: ``Dispute.objects.visible_to(actor)`` narrowed by the page's
own filter function (``selectors.register_filter``) applied to the same query string. A
second sheet holds the figures of exactly those rows (screened, resolved, 化解率 from
``metrics``) and per township, and says which filters made them.

Memory stays constant: openpyxl's write-only mode streams rows to the file, and the rows are
read with ``.iterator()`` in chunks (parties prefetched per chunk). ID numbers and phones are
masked unless the actor may unmask them; every export is written to the security audit log,
an unmasked one also as unmasking.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.services import audit_record
from fengqiao.core.privacy import Sensitive, SensitiveKind, mask
from fengqiao.disputes.choices import (
    DisputeStatus,
    DisputeType,
    Education,
    IdType,
    Method,
    Outcome,
    PersonCategory,
    Scale,
    Sex,
)
from fengqiao.disputes.forms import RegisterFilterForm
from fengqiao.disputes.metrics import (
    NO_RATE,
    resolution_by_territory,
    resolution_figures,
)
from fengqiao.disputes.models import Dispute, DisputeParty
from fengqiao.disputes.selectors import register_filter
from fengqiao.territory.models import Area

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REGISTER_SHEET = "矛盾纠纷台账"
SUMMARY_SHEET = "化解率汇总"
PARTY_SEPARATOR = "；"
CHUNK = 1000

# (header, column width). The headers are the data elements' official names: Chinese
# whatever the interface language, like the household roster's.
COLUMNS: tuple[tuple[str, float], ...] = (
    ("登记编号", 20),
    ("名称", 22),
    ("发生日期", 11),
    ("发生地点", 24),
    ("规模", 14),
    ("类别", 12),
    ("涉及人数", 8),
    ("简述", 40),
    ("涉及单位", 16),
    ("证件类型", 14),
    ("证件号码", 22),
    ("姓名", 14),
    ("性别", 6),
    ("民族", 8),
    ("学历", 12),
    ("人员类别", 12),
    ("住址", 28),
    ("化解时限", 17),
    ("化解方式", 12),
    ("化解组织", 24),
    ("化解责任人", 10),
    ("化解责任人联系电话", 14),
    ("化解是否成功", 8),
    ("化解情况", 30),
    ("考评日期", 11),
    ("考评意见", 24),
    ("经度", 12),
    ("纬度", 12),
    ("排查日期", 11),
    ("状态", 16),
)
HEADERS = tuple(header for header, _width in COLUMNS)

# 化解是否成功: "是" exactly when the dispute counts as resolved in the figures (metrics),
# "否" when mediation ended without an agreement, blank while it is still under way (an
# agreement not yet performed or confirmed included).
YES, NO = "是", "否"


def _labels(choices: Any) -> dict[str, str]:
    """A choice class's labels in the active language (the caller activates Chinese)."""
    return {value: str(label) for value, label in choices.choices}


def _shown(value: Sensitive | str, kind: SensitiveKind, *, unmasked: bool) -> str:
    if isinstance(value, Sensitive):
        return value.reveal() if unmasked else value.masked
    return str(value) if unmasked else mask(str(value), kind)


def _local(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A stored time as the local wall-clock time Excel shows (it has no time zones)."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def ledger_rows(disputes: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """What a ledger row reads, in register order (newest screened first)."""
    return (
        disputes.select_related("committee", "lead_mediator")
        .prefetch_related(Prefetch("parties", queryset=DisputeParty.objects.order_by("id")))
        .order_by("-screened_on", "-id")
    )


class _Row:
    """Turns a dispute into its ledger row (labels looked up once, not per row)."""

    def __init__(self, *, unmasked: bool) -> None:
        self.unmasked = unmasked
        self.scale = _labels(Scale)
        self.types = _labels(DisputeType)
        self.id_types = _labels(IdType)
        self.sexes = _labels(Sex)
        self.educations = _labels(Education)
        self.categories = _labels(PersonCategory)
        self.methods = _labels(Method)
        self.statuses = _labels(DisputeStatus)

    def success(self, dispute: Dispute) -> str:
        if dispute.outcome == Outcome.AGREEMENT and (
            dispute.performed_on is not None or dispute.confirmed_on is not None
        ):
            return YES
        if dispute.outcome in (Outcome.NO_AGREEMENT, Outcome.WITHDRAWN):
            return NO
        return ""

    def __call__(self, dispute: Dispute) -> list[Any]:
        parties = list(dispute.parties.all())

        def each(value: Any) -> str:
            return PARTY_SEPARATOR.join(value(party) for party in parties)

        mediator = dispute.lead_mediator
        unmasked = self.unmasked
        return [
            dispute.number,
            dispute.name,
            dispute.occurred_on,
            dispute.place,
            self.scale.get(dispute.scale, dispute.scale),
            self.types.get(dispute.dispute_type, dispute.dispute_type),
            dispute.people_involved,
            dispute.summary,
            dispute.units_involved,
            each(lambda p: self.id_types.get(p.id_type, p.id_type)),
            each(lambda p: _shown(p.id_number, "id_number", unmasked=unmasked)),
            each(lambda p: p.name),
            each(lambda p: self.sexes.get(p.sex, "")),
            each(lambda p: p.ethnicity),
            each(lambda p: self.educations.get(p.education, p.education)),
            each(lambda p: self.categories.get(p.category, p.category)),
            each(lambda p: p.address),
            _local(dispute.due_at),
            self.methods.get(dispute.method, dispute.method),
            dispute.committee.name if dispute.committee else "",
            mediator.name if mediator else "",
            _shown(mediator.phone, "phone", unmasked=unmasked) if mediator else "",
            self.success(dispute),
            dispute.outcome_note,
            dispute.evaluated_on,
            dispute.evaluation,
            dispute.longitude,
            dispute.latitude,
            dispute.screened_on,
            self.statuses.get(dispute.status, dispute.status),
        ]


def _filter_description(params: Mapping[str, Any]) -> str:
    """The register filters that made the rows, as the page names them."""
    form = RegisterFilterForm(params)
    form.is_valid()
    parts = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "", False):
            continue
        if name == "territory":
            area = Area.objects.filter(territory_code=value, valid_to=None).first()
            shown = f"{area.name}（{value}）" if area else str(value)
        elif hasattr(field, "choices"):
            shown = str(dict(field.choices).get(value, value))
        elif value is True:
            shown = YES
        else:
            shown = str(value)
        parts.append(f"{field.label}：{shown}")
    return "；".join(parts) or "无（本人可见的全部纠纷）"


def _summary_sheet(
    workbook: Workbook, disputes: QuerySet[Dispute], *, actor: Any, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The figures of exactly the exported rows, overall and per township."""
    sheet = workbook.create_sheet(SUMMARY_SHEET)
    sheet.column_dimensions["A"].width = 26
    for letter in "BCD":
        sheet.column_dimensions[letter].width = 14
    bold = Font(bold=True)

    def cell(value: Any, *, percent: bool = False, strong: bool = False) -> Any:
        made = WriteOnlyCell(sheet, value=value)
        if percent and value != NO_RATE:
            made.number_format = "0.00%"
        if strong:
            made.font = bold
        return made

    figures = resolution_figures(disputes)
    sheet.append([cell("矛盾纠纷排查化解 化解率汇总", strong=True)])
    sheet.append(["导出时间", _local(timezone.now())])
    sheet.append(["导出人", str(actor)])
    sheet.append(["筛选条件", _filter_description(params)])
    sheet.append([])
    sheet.append([cell("排查数（件）", strong=True), figures.screened])
    sheet.append([cell("化解数（件）", strong=True), figures.resolved])
    rate = figures.rate if figures.rate is not None else NO_RATE
    sheet.append([cell("化解率", strong=True), cell(rate, percent=True)])
    sheet.append([])
    sheet.append(
        [
            "口径",
            "排查数：排查日期在所选期间内登记的纠纷；化解数：其中达成调解协议且已履行或经司法确认的"
            "纠纷；化解率＝化解数÷排查数，精确计算后以百分数保留两位小数（如92.48%），"
            "四舍五入。",
        ]
    )
    sheet.append([])
    sheet.append(
        [cell(text, strong=True) for text in ("乡镇（街道）", "排查数", "化解数", "化解率")]
    )
    townships = resolution_by_territory(disputes, level="township")
    for row in townships:
        sheet.append(
            [
                row.name,
                row.screened,
                row.resolved,
                cell(row.rate if row.rate is not None else NO_RATE, percent=True),
            ]
        )
    sheet.append(
        [
            cell("合计", strong=True),
            figures.screened,
            figures.resolved,
            cell(rate, percent=True),
        ]
    )
    return {
        "screened": figures.screened,
        "resolved": figures.resolved,
        "rate": figures.rate_display,
    }


def register_workbook_write(
    *,
    actor: Any,
    params: Mapping[str, Any],
    destination: str | Path | IO[bytes],
    request: HttpRequest | None = None,
) -> int:
    """Write the register rows ``actor`` sees under the page's filters ``params`` (its query
    string) as .xlsx to ``destination``; return the number of disputes written. Audited."""
    unmasked = bool(actor.has_perm("org.unmask_personal"))
    disputes = register_filter(Dispute.objects.visible_to(actor), params)
    workbook = Workbook(write_only=True)
    with translation.override("zh-hans"):
        sheet = workbook.create_sheet(REGISTER_SHEET)
        for index, (_header, width) in enumerate(COLUMNS, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "C2"
        header_font = Font(bold=True)
        header_alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        headers = []
        for header in HEADERS:
            made = WriteOnlyCell(sheet, value=header)
            made.font = header_font
            made.alignment = header_alignment
            headers.append(made)
        sheet.append(headers)
        row_of = _Row(unmasked=unmasked)
        count = 0
        for dispute in ledger_rows(disputes).iterator(chunk_size=CHUNK):
            # An empty cell is left out of the file rather than written as "" (faster, smaller).
            sheet.append([None if value == "" else value for value in row_of(dispute)])
            count += 1
        figures = _summary_sheet(workbook, disputes, actor=actor, params=params)
    workbook.save(destination)
    detail = {
        "kind": "dispute_register",
        "filters": {key: str(value) for key, value in params.items() if value},
        "rows": count,
        "unmasked": unmasked,
        **figures,
    }
    audit_record(action=AuditAction.EXPORT, actor=actor, request=request, detail=detail)
    if unmasked:
        audit_record(action=AuditAction.UNMASK, actor=actor, request=request, detail=detail)
    return count
