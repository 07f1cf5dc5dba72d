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

Memory stays constant: ``ledgers.xlsx`` streams rows to the file, and the rows are read in
chunks: the ordered ids with ``.iterator()``, then each chunk with its parties. ID numbers
and phones are masked unless the actor may unmask them.

It is one of the ledgers of ``fengqiao.ledgers`` (``DisputeLedger``): the export job there
decides whether it is written in the request or in the background, and writes the audit log
(an unmasked export also as unmasking). Unlike the page, which drops a filter value it cannot
read, the export refuses it with what to fix.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation

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
from fengqiao.ledgers.workbook import (
    Destination,
    Progress,
    Written,
    data_sheet,
    form_filters,
    full_values,
)
from fengqiao.ledgers.xlsx import Styled, Workbook
from fengqiao.territory.models import Area

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


def ledger_rows(disputes: QuerySet[Dispute]) -> Iterator[Dispute]:
    """What the ledger rows read, in register order (newest screened first), CHUNK at a time.

    The order is read as ids alone, then each chunk's disputes (with committee, mediator and
    parties) by primary key: sorting whole rows would make SQLite hold every row of the
    ledger in memory before the first one came back."""
    ordered = disputes.order_by("-screened_on", "-id").values_list("id", flat=True)
    batch: list[int] = []
    for pk in ordered.iterator(chunk_size=CHUNK):
        batch.append(pk)
        if len(batch) >= CHUNK:
            yield from _chunk(batch)
            batch = []
    yield from _chunk(batch)


def _chunk(ids: list[int]) -> Iterator[Dispute]:
    if not ids:
        return
    found = (
        Dispute.objects.select_related("committee", "lead_mediator")
        .prefetch_related(Prefetch("parties", queryset=DisputeParty.objects.order_by("id")))
        .in_bulk(ids)
    )
    yield from (found[pk] for pk in ids if pk in found)


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
    sheet = workbook.create_sheet(SUMMARY_SHEET, widths=[26, 14, 14, 14])

    def cell(value: Any, *, percent: bool = False, strong: bool = False) -> Any:
        if percent and value != NO_RATE:
            return Styled(value, "percent")
        return Styled(value, "bold") if strong else value

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
            "截断（不进位），不会高估。",
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


def _invalid(form: RegisterFilterForm) -> ValidationError:
    messages = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        messages += [f"{label}：{error}" if label else str(error) for error in errors]
    return ValidationError(messages)


class DisputeLedger:
    """The register rows ``actor`` sees under the page's filters ``params`` (its query
    string), as a ledger of ``fengqiao.ledgers``. Raises ``ValidationError`` for a filter
    value that cannot be read."""

    def __init__(
        self,
        *,
        params: Mapping[str, Any],
        actor: Any,
        now: datetime.datetime | None = None,
        unmask: bool = False,
    ) -> None:
        form = RegisterFilterForm(params)
        if not form.is_valid():
            raise _invalid(form)
        self.actor = actor
        self.params = params
        self.filters = form_filters(form, params)
        self.unmasked = full_values(actor, asked=unmask)
        self.disputes = register_filter(Dispute.objects.visible_to(actor), params)

    def count(self) -> int:
        return self.disputes.count()

    def write(self, destination: Destination, *, progress: Progress | None = None) -> Written:
        with Workbook() as workbook, translation.override("zh-hans"):
            sheet = data_sheet(workbook, REGISTER_SHEET, COLUMNS, freeze="C2")
            row_of = _Row(unmasked=self.unmasked)
            count = 0
            for dispute in ledger_rows(self.disputes):
                sheet.append(row_of(dispute))
                count += 1
                if progress is not None and count % CHUNK == 0:
                    progress(count)
            figures = _summary_sheet(workbook, self.disputes, actor=self.actor, params=self.params)
            workbook.save(destination)
        return Written(rows=count, detail={"kind": "dispute_register", **figures})


def register_workbook_write(
    *, actor: Any, params: Mapping[str, Any], destination: str | Path | IO[bytes]
) -> int:
    """Write the register rows ``actor`` sees under ``params`` as .xlsx to ``destination``;
    the number of disputes written. Not audited: exports go through ``fengqiao.ledgers``."""
    return DisputeLedger(params=params, actor=actor).write(destination).rows
