"""A small streaming .xlsx writer for big ledgers: rows go to a temporary file as they come,
and are zipped into the workbook at the end, so memory does not grow with the rows.

Why not openpyxl's write-only mode: profiling a 100,000-row case ledger showed four fifths of
the time in openpyxl's per-cell objects and its pure-Python XML serialiser (et_xmlfile; lxml
makes it only about a quarter faster). Writing each row as one string of SpreadsheetML is
several times faster. The files are checked by reading them back with openpyxl (tests,
``bench/ledgers_export.py``); they hold the parts Excel requires of a package.

What it writes: text as inline strings (never a formula, whatever the text begins with),
numbers, booleans, dates and times (naive, local) with a date format, and a few cell styles
(bold, a centred wrapped header, percentages with two decimals) through ``Styled``; column
widths and frozen panes per sheet. Nothing else: no shared strings, no formulas, no merged
cells.
"""

from __future__ import annotations

import datetime
import re
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

from openpyxl.utils import column_index_from_string, get_column_letter

StyleName = Literal["bold", "header", "percent", "date", "datetime"]
MAX_ROWS = 1_048_576  # Excel's limits
MAX_TEXT = 32_767
# Excel's day numbers count naive wall-clock time (it has no time zones).
_EPOCH = datetime.datetime(1899, 12, 30)  # noqa: DTZ001
# Characters XML 1.0 does not allow (openpyxl refuses them too): dropped from text. A resident
# can type U+FFFE into a report, and one such character would make the whole sheet unreadable.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_STYLE_IDS: dict[str, int] = {"bold": 1, "header": 2, "date": 3, "datetime": 4, "percent": 5}
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


@dataclass(frozen=True, slots=True)
class Styled:
    """A value with one of the workbook's cell styles."""

    value: Any
    style: StyleName


class TooManyRows(ValueError):
    pass


def _text(value: str) -> str:
    if len(value) > MAX_TEXT:
        value = value[: MAX_TEXT - 1] + "…"
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    return _text(value).replace('"', "&quot;")


def _serial(value: datetime.datetime | datetime.date) -> float:
    """Excel's day number (the 1900 system) of a naive date or time."""
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time.min)
    elif value.tzinfo is not None:
        raise TypeError("Excel has no time zones: give local times without tzinfo")
    return (value - _EPOCH).total_seconds() / 86400


class Sheet:
    """One worksheet; rows are appended in order and written out at once."""

    def __init__(
        self, title: str, *, widths: Sequence[float] = (), freeze: str | None = None
    ) -> None:
        self.title = title[:31]
        self.widths = list(widths)
        self.freeze = freeze
        self.rows = 0
        self._letters: list[str] = []
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115

    def _letter(self, index: int) -> str:
        while len(self._letters) <= index:
            self._letters.append(get_column_letter(len(self._letters) + 1))
        return self._letters[index]

    def append(self, values: Iterable[Any], *, style: StyleName | None = None) -> None:
        """One row; ``None`` and "" leave a cell empty; ``style`` applies to every cell."""
        self.rows += 1
        number = self.rows
        if number > MAX_ROWS:
            raise TooManyRows(f"a sheet holds at most {MAX_ROWS:,} rows")
        cells = [f'<row r="{number}">']
        for index, value in enumerate(values):
            if value is None or value == "":
                continue
            if style is not None:
                value = Styled(value, style)
            cells.append(self._cell(f"{self._letter(index)}{number}", value))
        cells.append("</row>")
        self._file.write("".join(cells))

    def _cell(self, ref: str, value: Any, style_id: int = 0) -> str:
        kind = type(value)
        s = f' s="{style_id}"' if style_id else ""
        if kind is str:
            text = _text(value)
            return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
        if kind is int or kind is float:
            return f'<c r="{ref}"{s}><v>{value}</v></c>'
        if kind is datetime.datetime:
            s = f' s="{style_id or _STYLE_IDS["datetime"]}"'
            return f'<c r="{ref}"{s}><v>{_serial(value)}</v></c>'
        if kind is datetime.date:
            s = f' s="{style_id or _STYLE_IDS["date"]}"'
            return f'<c r="{ref}"{s}><v>{_serial(value)}</v></c>'
        if kind is bool:
            return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
        if kind is Decimal:
            return f'<c r="{ref}"{s}><v>{float(value)}</v></c>'
        if kind is Styled:
            return self._cell(ref, value.value, _STYLE_IDS[value.style])
        if isinstance(value, str):  # a str subclass (SafeString…): its plain text
            return self._cell(ref, str.__str__(value), style_id)
        return self._cell(ref, str(value), style_id)

    def _head(self) -> str:
        parts = [_XML, f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">']
        if self.freeze:
            parts.append(_pane(self.freeze))
        if self.widths:
            parts.append("<cols>")
            for index, width in enumerate(self.widths, start=1):
                parts.append(f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>')
            parts.append("</cols>")
        parts.append("<sheetData>")
        return "".join(parts)

    def write_to(self, out: IO[bytes]) -> None:
        out.write(self._head().encode())
        self._file.seek(0)
        while chunk := self._file.read(1 << 20):
            out.write(chunk.encode())
        out.write(b"</sheetData></worksheet>")

    def close(self) -> None:
        self._file.close()


def _pane(cell: str) -> str:
    """Frozen rows above and columns left of ``cell`` (as openpyxl's ``freeze_panes``)."""
    match = re.fullmatch(r"([A-Z]+)(\d+)", cell)
    if match is None:
        raise ValueError(f"not a cell reference: {cell!r}")
    columns = column_index_from_string(match.group(1)) - 1
    rows = int(match.group(2)) - 1
    split = (f' xSplit="{columns}"' if columns else "") + (f' ySplit="{rows}"' if rows else "")
    pane = "bottomRight" if columns and rows else ("topRight" if columns else "bottomLeft")
    return (
        '<sheetViews><sheetView workbookViewId="0">'
        f'<pane{split} topLeftCell="{cell}" activePane="{pane}" state="frozen"/>'
        f'<selection pane="{pane}"/></sheetView></sheetViews>'
    )


_STYLES = (
    _XML + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" '
    'applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


class Workbook:
    """Sheets in the order they are made; ``save`` zips them. Use it as a context manager so
    that the sheets' temporary files go away whether or not the workbook was saved."""

    def __init__(self) -> None:
        self.sheets: list[Sheet] = []

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        for sheet in self.sheets:
            sheet.close()

    def create_sheet(
        self, title: str, *, widths: Sequence[float] = (), freeze: str | None = None
    ) -> Sheet:
        sheet = Sheet(title, widths=widths, freeze=freeze)
        self.sheets.append(sheet)
        return sheet

    def save(self, destination: str | Path | IO[bytes]) -> None:
        with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as package:
            package.writestr("[Content_Types].xml", self._content_types())
            package.writestr(
                "_rels/.rels",
                _XML + f'<Relationships xmlns="{_PACKAGE_REL}"><Relationship Id="rId1" '
                f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            )
            package.writestr("xl/workbook.xml", self._workbook())
            package.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
            package.writestr("xl/styles.xml", _STYLES)
            for number, sheet in enumerate(self.sheets, start=1):
                with package.open(f"xl/worksheets/sheet{number}.xml", "w") as out:
                    sheet.write_to(out)

    def _content_types(self) -> str:
        ns = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{ns}.worksheet+xml"/>'
            for n in range(1, len(self.sheets) + 1)
        )
        return (
            _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ns}.sheet.main+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ns}.styles+xml"/>'
            f"{sheets}</Types>"
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{_attribute(sheet.title)}" sheetId="{n}" r:id="rId{n}"/>'
            for n, sheet in enumerate(self.sheets, start=1)
        )
        return (
            _XML
            + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheets}</sheets></workbook>'
        )

    def _workbook_rels(self) -> str:
        rels = "".join(
            f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(self.sheets) + 1)
        )
        styles = len(self.sheets) + 1
        return (
            _XML + f'<Relationships xmlns="{_PACKAGE_REL}">{rels}'
            f'<Relationship Id="rId{styles}" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>"
        )
