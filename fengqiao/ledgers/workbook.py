"""What every ledger's workbook shares: the protocol a ledger implements, the header row,
the sheet that says who exported what under which filters, and cell values. The workbooks are
written by ``ledgers.xlsx`` (streaming, constant memory).

Headers are Chinese whatever the interface language (the ledgers are filed and compared
across offices as they are); choice labels are looked up once per export under
``translation.override("zh-hans")``, never per row.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

from django.utils import timezone

from fengqiao.core.privacy import Sensitive, SensitiveKind, mask
from fengqiao.ledgers.xlsx import Sheet, Styled, Workbook

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
INFO_SHEET = "导出说明"
NO_FILTER = "无"

Destination = str | Path | IO[bytes]
# Called with the number of rows written so far (after each chunk).
Progress = Callable[[int], None]

_T = TypeVar("_T")


@dataclass
class Written:
    """What an export wrote: the rows of its main sheet and what the audit entry records."""

    rows: int
    detail: dict[str, Any] = field(default_factory=dict)


class LedgerSource(Protocol):
    """One ledger under one user's scope and filters, ready to count and to write."""

    #: the filters as stored on the job and in the audit log (the form's non-empty fields)
    filters: dict[str, str]
    unmasked: bool

    def count(self) -> int: ...

    def write(self, destination: Destination, *, progress: Progress | None = None) -> Written: ...


def full_values(actor: Any, *, asked: bool) -> bool:
    """Whether a ledger shows full ID numbers and phones: only when the exporter asked for
    them (a box on the export form, never by default) and may unmask."""
    return asked and bool(actor.has_perm("org.unmask_personal"))


def labels(choices: Any) -> dict[str, str]:
    """A choice class's labels in the active language (the caller activates Chinese)."""
    return {value: str(label) for value, label in choices.choices}


def shown(value: Sensitive | str | None, kind: SensitiveKind, *, unmasked: bool) -> str:
    """A personal value as the ledger shows it: masked unless the reader may unmask."""
    if value is None or value == "":
        return ""
    if isinstance(value, Sensitive):
        return value.reveal() if unmasked else value.masked
    return str(value) if unmasked else mask(str(value), kind)


def local(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A stored time as the local wall-clock time Excel shows (it has no time zones)."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(tzinfo=None, microsecond=0)


def chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """``items`` in lists of ``size`` (itertools.batched is Python 3.12)."""
    chunk: list[_T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def data_sheet(
    workbook: Workbook, title: str, columns: Sequence[tuple[str, float]], *, freeze: str = "B2"
) -> Sheet:
    """A sheet with its column widths and a bold header row."""
    sheet = workbook.create_sheet(
        title, widths=[width for _header, width in columns], freeze=freeze
    )
    sheet.append([header for header, _width in columns], style="header")
    return sheet


def info_sheet(workbook: Workbook, *, title: str, actor: Any, filters: str, rows: int) -> Sheet:
    """The sheet that says what the ledger is, who exported it when, under which filters."""
    sheet = workbook.create_sheet(INFO_SHEET, widths=[14, 60])
    sheet.append([Styled(title, "bold")])
    sheet.append(["导出时间", local(timezone.now())])
    sheet.append(["导出人", str(actor)])
    sheet.append(["筛选条件", filters])
    sheet.append(["行数", rows])
    return sheet


def describe_filters(form: Any, *, names: dict[str, Callable[[Any], str]] | None = None) -> str:
    """A valid filter form's non-empty fields as "label：value；…", choices by their label."""
    names = names or {}
    parts = []
    for name, form_field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "", False) or form_field.widget.is_hidden:
            continue
        if name in names:
            text = names[name](value)
        elif hasattr(form_field, "choices") and not hasattr(value, "pk"):
            text = str(dict(form_field.choices).get(value, value))
        elif value is True:
            text = "是"
        else:
            text = str(value)
        parts.append(f"{form_field.label}：{text}")
    return "；".join(parts) or NO_FILTER


def form_filters(form: Any, params: Any) -> dict[str, str]:
    """The query string's values of the form's fields (what the job and the audit keep)."""
    return {name: str(params.get(name)) for name in form.fields if params.get(name)}
