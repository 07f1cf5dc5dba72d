"""The streaming .xlsx writer, read back with openpyxl."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.utils.safestring import mark_safe
from openpyxl import load_workbook

from fengqiao.ledgers.xlsx import MAX_TEXT, Styled, Workbook


def _saved(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    with workbook:
        workbook.save(out)
    return out.getvalue()


def test_values_come_back_as_written() -> None:
    workbook = Workbook()
    sheet = workbook.create_sheet("台账 & <测试>", widths=[20, 10], freeze="C2")
    sheet.append(["编号", "值"], style="header")
    moment = datetime.datetime(2026, 6, 8, 9, 30, 15)
    wide = [f"列{n}" for n in range(30)]
    rows = [
        ["=SUM(A1:A9)", 'a < b & "c" > d', 42, 1.5, Decimal("0.9248"), True, None, ""],
        [moment, datetime.date(2026, 2, 28), "多行\n文本 ", "bad\x00\x07\ufffechars", "x" * 40_000],
        wide,
        [Styled(Decimal("0.9248"), "percent"), Styled("粗体", "bold"), mark_safe("安全")],
    ]
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("第二页").append(["只有一格"])
    book = load_workbook(io.BytesIO(_saved(workbook)))
    assert book.sheetnames == ["台账 & <测试>", "第二页"]
    ws = book["台账 & <测试>"]
    assert ws.freeze_panes == "C2"
    assert ws.column_dimensions["A"].width == 20
    assert ws["A1"].value == "编号" and ws["A1"].font.b
    # Text is never a formula, whatever it begins with.
    assert ws["A2"].value == "=SUM(A1:A9)" and ws["A2"].data_type == "s"
    assert ws["B2"].value == 'a < b & "c" > d'
    assert (ws["C2"].value, ws["D2"].value, ws["F2"].value) == (42, 1.5, True)
    assert ws["E2"].value == pytest.approx(0.9248)
    assert ws["G2"].value is None and ws["H2"].value is None
    assert ws["A3"].value == moment
    assert ws["B3"].value == datetime.datetime(2026, 2, 28)
    assert ws["C3"].value == "多行\n文本 "
    assert ws["D3"].value == "badchars"
    assert len(ws["E3"].value) == MAX_TEXT
    assert [cell.value for cell in ws[4]] == wide  # past column Z: AA, AB, …
    assert ws["AD4"].value == "列29"
    assert ws["A5"].number_format == "0.00%" and ws["B5"].font.b
    assert ws["C5"].value == "安全"  # a str subclass is written as its text
    assert book["第二页"]["A1"].value == "只有一格"


def test_times_must_be_local() -> None:
    with Workbook() as workbook, pytest.raises(TypeError):
        workbook.create_sheet("x").append([datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)])


def test_an_empty_sheet_is_valid() -> None:
    workbook = Workbook()
    workbook.create_sheet("空")
    book = load_workbook(io.BytesIO(_saved(workbook)), read_only=True)
    assert list(book["空"].iter_rows(values_only=True)) == []
