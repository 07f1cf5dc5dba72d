"""Household rosters (花名册) in and out of Excel, the way village staff already keep them.

One row per person, the household's columns repeated on every member's row; docs/roster.md
describes the columns and the rules. The same layout is the downloadable template, the
import and the export, so an (unmasked) export can be imported again.

Import reads the file twice as a stream, never all of it at once:

1. **Checking** — every row is read and validated, across rows too (one 户主 per household,
   repeated household columns agree, no ID number twice, none registered outside the
   importer's area). Nothing is written. The normalised rows go to a temporary spool file,
   encrypted under a key that lives only in this process (it holds full ID numbers).
2. **Writing** — only when checking found no error: the spool is read back batch by batch and
   each batch is written with a handful of bulk queries in its own short transaction.

Why not one transaction around everything: on SQLite, the embedded default, a write
transaction holds the database's only write lock. A minute-long import would stall every
other writer for that minute, including the session save that every page view makes (so the
progress page itself could not load). Checking first keeps "a bad file imports nothing";
writing in short transactions lets other requests in between batches and makes progress plain
committed rows that a page in any process can read, on SQLite and PostgreSQL alike. The cost:
if the process dies, or someone else registers the same person at the same moment, while
writing, the batches already written stay. The import then reports failure, and importing
the same file again completes it, because re-importing updates and never duplicates.

Memory does not grow with the file: what must be remembered across the whole file (each ID
number, to find duplicates; each household, to check its repeated columns and its head and to
find its row id) lives in a private temporary SQLite database (``_Scratch``), and everything
else is one batch at a time. Only an .xlsx's shared-strings table, which Excel writes once
for the whole workbook, is read into memory in full.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import logging
import marshal
import os
import posixpath
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar
from uuid import uuid4
from xml.etree import ElementTree
from xml.parsers import expat

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.services import audit_record
from fengqiao.core.codes import GRID_CODE_LENGTH, UNIT_CODE_LENGTH, is_within, within
from fengqiao.core.idnumbers import birth_date_of, check_character, sex_of, validate_citizen_id
from fengqiao.core.privacy import lookup_digest
from fengqiao.territory.choices import ETHNICITIES, RELATION_WORDS, Relation, Sex
from fengqiao.territory.models import (
    Area,
    Grid,
    Household,
    HouseholdUnit,
    Person,
    PersonTag,
    RosterImport,
)

if TYPE_CHECKING:
    from fengqiao.org.models import User

logger = logging.getLogger(__name__)
_T = TypeVar("_T")

# --- The layout ------------------------------------------------------------------------------
# The headers are the file format, not interface text: they stay Chinese in every language.
TOWNSHIP = "乡镇（街道）"
VILLAGE = "村（社区）"
GRID = "网格编码"
UNIT = "联户体编码"
ADDRESS = "门牌地址"
BUILDING = "楼栋"
ENTRANCE = "单元"
ROOM = "房号"
LONGITUDE = "经度"
LATITUDE = "纬度"
NAME = "姓名"
RELATION = "与户主关系"
ID_NUMBER = "公民身份号码"
SEX = "性别"
BIRTH_DATE = "出生日期"
ETHNICITY = "民族"
PHONE = "联系电话"
TAGS = "人员标签"

HEADERS: tuple[str, ...] = (
    TOWNSHIP,
    VILLAGE,
    GRID,
    UNIT,
    ADDRESS,
    BUILDING,
    ENTRANCE,
    ROOM,
    LONGITUDE,
    LATITUDE,
    NAME,
    RELATION,
    ID_NUMBER,
    SEX,
    BIRTH_DATE,
    ETHNICITY,
    PHONE,
    TAGS,
)
ROSTER_SHEET = "花名册"
NOTES_SHEET = "填写说明"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Rows per batch: large enough that the per-batch queries are few, small enough that a batch
# (and its transaction) stays well under a second.
BATCH_SIZE = 1000
# The stored report is capped; every error is still counted.
MAX_REPORTED_ERRORS = 1000
# Rows above the header row that may hold a title (rosters often start with "XX村花名册").
MAX_TITLE_ROWS = 10
# The declared uncompressed size of the sheet: a bound against zip bombs (zipfile never
# inflates past the size it declares).
MAX_SHEET_BYTES = 2 * 1024**3

_NOTES: dict[str, tuple[bool, Any]] = {
    TOWNSHIP: (
        False,
        gettext_lazy(
            "Name of the township or street. For people reading the file; when filled in it "
            "must match the township of the grid."
        ),
    ),
    VILLAGE: (
        False,
        gettext_lazy(
            "Name of the village or community. When filled in it must match the village of "
            "the grid."
        ),
    ),
    GRID: (
        True,
        gettext_lazy(
            "The grid's 15-digit code (the village's 12-digit code and the grid number). The "
            "grid must exist and lie in your area. Type it as text."
        ),
    ),
    UNIT: (
        False,
        gettext_lazy(
            "The 18-digit code of the ten-household unit, which must belong to the grid. Type "
            "it as text."
        ),
    ),
    ADDRESS: (
        True,
        gettext_lazy("The doorplate address, e.g. the road and number or the group and number."),
    ),
    BUILDING: (False, gettext_lazy("Building, for flats.")),
    ENTRANCE: (False, gettext_lazy("Unit (entrance) of the building, for flats.")),
    ROOM: (
        False,
        gettext_lazy(
            "Room. Grid, address, building, unit and room together identify the household."
        ),
    ),
    LONGITUDE: (
        False,
        gettext_lazy("Longitude of the doorplate in decimal degrees; give both or neither."),
    ),
    LATITUDE: (
        False,
        gettext_lazy("Latitude of the doorplate in decimal degrees; give both or neither."),
    ),
    NAME: (True, gettext_lazy("Full name.")),
    RELATION: (
        True,
        gettext_lazy(
            "Relation to the head of household: 户主 (or 本人) for the head, otherwise e.g. "
            "配偶, 子, 女, 父母, 孙子女, 兄弟姐妹, 儿媳, 女婿, 其他. Each household has exactly "
            "one 户主."
        ),
    ),
    ID_NUMBER: (
        True,
        gettext_lazy(
            "The 18-character citizen ID number. It identifies the person when the roster is "
            "imported again. Type it as text: Excel keeps only 15 digits of a number."
        ),
    ),
    SEX: (False, gettext_lazy("男 or 女. When filled in it must agree with the ID number.")),
    BIRTH_DATE: (
        False,
        gettext_lazy(
            "Birth date, e.g. 1980-01-01. When filled in it must agree with the ID number."
        ),
    ),
    ETHNICITY: (False, gettext_lazy("Ethnic group, e.g. 汉族 (the default when empty).")),
    PHONE: (
        False,
        gettext_lazy(
            "An 11-digit mobile number, or a landline number with its area code "
            "(e.g. 0851-86123456)."
        ),
    ),
    TAGS: (
        False,
        gettext_lazy("Person tags separated by 、 or a comma. Tags you may use: %(tags)s."),
    ),
}


def _example_id_number() -> str:
    # A synthetic number under the non-existent region 990101 (no real person has it).
    first17 = "99010119800101001"
    return first17 + check_character(first17)


EXAMPLE_ROW: tuple[str, ...] = (
    "示例镇",
    "示例村",
    "990101001001001",
    "990101001001001001",
    "示例村一组12号",
    "",
    "",
    "",
    "106.713478",
    "26.578343",
    "王示例",
    "户主",
    _example_id_number(),
    "男",
    "1980-01-01",
    "汉族",
    "13800000000",
    "",
)


# --- Results -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RosterError:
    """One problem: the spreadsheet row (as Excel numbers it; 0 for the whole file), the
    column header ("" for the whole row or file) and what is wrong, in the user's language."""

    row: int
    column: str
    problem: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "problem": self.problem}


@dataclass(slots=True)
class RosterResult:
    rows: int = 0
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    persons_created: int = 0
    persons_updated: int = 0
    persons_unchanged: int = 0
    errors: list[RosterError] = field(default_factory=list)
    error_count: int = 0
    # True when writing stopped part-way (checking passed): some batches were written.
    partial: bool = False

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, row: int, column: str, problem: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RosterError(row, column, problem))

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "households_created": self.households_created,
            "households_updated": self.households_updated,
            "households_unchanged": self.households_unchanged,
            "persons_created": self.persons_created,
            "persons_updated": self.persons_updated,
            "persons_unchanged": self.persons_unchanged,
        }


@dataclass(frozen=True, slots=True)
class RosterProgress:
    """Reported after each batch: the stage, rows done in it, and the total when known (the
    file's declared size while checking, the exact count while writing)."""

    stage: Literal["checking", "writing"]
    done: int
    total: int | None


ProgressCallback = Callable[[RosterProgress], None]


class RosterFileError(Exception):
    """The file is not a readable .xlsx workbook."""


class TerritoryNotFound(Exception):
    """The territory code names nothing the user may see (callers answer 404)."""


# --- Reading .xlsx as a stream -------------------------------------------------------------------
# openpyxl's read_only mode streams too, but on this project's benchmark it needed about 27 s
# just to read 100,000 rows (it builds objects for every cell, and for files without a
# <dimension> element, which openpyxl's own write_only mode produces, it parses the whole
# sheet once more before the first row). Reading the sheet XML with expat takes about 4 s, so
# this reader handles only what a roster needs (cell values of the first sheet) and reuses
# openpyxl's helpers for the date rules.
_MAIN_NS = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)
_DOC_REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_ROW, _CELL, _VALUE, _TEXT, _PHONETIC, _DIMENSION = range(6)
_TAGS = {
    f"{ns} {local}": code
    for ns in _MAIN_NS
    for local, code in (
        ("row", _ROW),
        ("c", _CELL),
        ("v", _VALUE),
        ("t", _TEXT),
        ("rPh", _PHONETIC),
        ("dimension", _DIMENSION),
    )
}
_ROW_ATTRIBUTE_RE = re.compile(r"[A-Z]+(\d+)$")


def _column_index(reference: str) -> int:
    """0-based column of a cell reference such as "R12"."""
    index = 0
    for char in reference:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
        else:
            break
    return index - 1


def _parse_xml(data: bytes) -> ElementTree.Element:
    # The small parts (workbook, relationships, styles). Python's expat (2.4.1 and later)
    # refuses entity-expansion bombs and never fetches external entities, which is what
    # defusedxml would add.
    return ElementTree.fromstring(data)  # noqa: S314


def _find(root: ElementTree.Element, namespaces: Sequence[str], local: str) -> Iterator[Any]:
    for ns in namespaces:
        yield from root.iter(f"{{{ns}}}{local}")


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target path inside the archive) for a package part."""
    folder, name = posixpath.split(part)
    rels_name = posixpath.join(folder, "_rels", name + ".rels")
    if rels_name not in archive.namelist():
        return {}
    root = _parse_xml(archive.read(rels_name))
    found = {}
    for rel in root.iter(f"{{{_PKG_REL_NS}}}Relationship"):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
        found[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(path))
    return found


class _SheetStream:
    """The rows of a workbook's first sheet, as (row number, [cell values]), streamed."""

    def __init__(self, source: str | Path | IO[bytes]) -> None:
        try:
            self.archive = zipfile.ZipFile(source)
            self._locate_parts()
        except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError) as error:
            raise RosterFileError(str(error)) from error
        self.declared_rows: int | None = None

    def _locate_parts(self) -> None:
        workbook = next(
            (
                target
                for kind, target in _relationships(self.archive, "").values()
                if kind.endswith("/officeDocument")
            ),
            "xl/workbook.xml",
        )
        rels = _relationships(self.archive, workbook)
        root = _parse_xml(self.archive.read(workbook))
        first = next(_find(root, _MAIN_NS, "sheet"), None)
        if first is None:
            raise ValueError("no worksheet")
        rel_id = next(
            (first.get(f"{{{ns}}}id", "") for ns in _DOC_REL_NS if first.get(f"{{{ns}}}id")), ""
        )
        self.sheet_part = rels[rel_id][1]
        properties = next(_find(root, _MAIN_NS, "workbookPr"), None)
        date1904 = properties is not None and properties.get("date1904") in {"1", "true"}
        self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        by_type = {kind.rsplit("/", 1)[-1]: target for kind, target in rels.values()}
        self.strings = self._read_shared_strings(by_type.get("sharedStrings"))
        self.date_styles = self._read_date_styles(by_type.get("styles"))
        info = self.archive.getinfo(self.sheet_part)
        if info.file_size > MAX_SHEET_BYTES:
            raise ValueError("sheet too large")

    def _read_shared_strings(self, part: str | None) -> list[str]:
        """The shared-string table. openpyxl holds it in memory too: it is what Excel writes
        once per distinct text, so it grows with the distinct names and numbers in the file."""
        strings: list[str] = []
        if part is None or part not in self.archive.namelist():
            return strings
        pieces: list[str] = []
        depth = {"phonetic": 0, "text": False}

        def start(name: str, attrs: dict[str, str]) -> None:
            local = name.rsplit(" ", 1)[-1]
            if local == "si":
                pieces.clear()
            elif local == "rPh":
                depth["phonetic"] += 1
            elif local == "t" and not depth["phonetic"]:
                depth["text"] = True

        def end(name: str) -> None:
            local = name.rsplit(" ", 1)[-1]
            if local == "si":
                strings.append("".join(pieces))
            elif local == "rPh":
                depth["phonetic"] -= 1
            elif local == "t":
                depth["text"] = False

        def data(text: str) -> None:
            if depth["text"]:
                pieces.append(text)

        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = data
        with self.archive.open(part) as stream:
            parser.ParseFile(stream)
        return strings

    def _read_date_styles(self, part: str | None) -> frozenset[int]:
        """Indexes of the cell styles whose number format shows a date."""
        if part is None or part not in self.archive.namelist():
            return frozenset()
        root = _parse_xml(self.archive.read(part))
        formats: dict[int, str] = dict(BUILTIN_FORMATS)
        for number_format in _find(root, _MAIN_NS, "numFmt"):
            formats[int(number_format.get("numFmtId", "0"))] = number_format.get("formatCode", "")
        dates = set()
        cell_xfs = next(_find(root, _MAIN_NS, "cellXfs"), None)
        if cell_xfs is not None:
            for index, xf in enumerate(x for x in cell_xfs if x.tag.endswith("}xf")):
                code = formats.get(int(xf.get("numFmtId", "0")), "")
                if code and is_date_format(code):
                    dates.add(index)
        return frozenset(dates)

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        # The handlers run millions of times for a large roster: state lives in closure
        # variables (the fastest to read and write) and elements are told apart by one
        # dictionary lookup.
        ready: list[tuple[int, list[Any]]] = []
        cells: list[Any] = []
        text: list[str] = []
        row_number = 0
        column = -1
        kind = "n"
        style = 0
        collect = False
        phonetic = 0
        tags = _TAGS
        strings = self.strings
        date_styles = self.date_styles
        epoch = self.epoch
        columns: dict[str, int] = {}  # "AB" → 27: a sheet has few distinct column letters

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal row_number, column, kind, style, collect, phonetic
            tag = tags.get(name)
            if tag == _CELL:
                reference = attrs.get("r")
                if reference:
                    letters = reference.rstrip("0123456789")
                    found = columns.get(letters)
                    if found is None:
                        found = columns[letters] = _column_index(letters)
                    column = found
                else:
                    column += 1
                kind = attrs.get("t", "n")
                style_id = attrs.get("s")
                style = int(style_id) if style_id else 0
                text.clear()
            elif tag == _VALUE:
                collect = True
            elif tag == _TEXT:
                collect = not phonetic
            elif tag == _PHONETIC:
                phonetic += 1
            elif tag == _ROW:
                number = attrs.get("r")
                row_number = int(number) if number else row_number + 1
                column = -1
                cells.clear()
            elif tag == _DIMENSION:
                match = _ROW_ATTRIBUTE_RE.search(attrs.get("ref", ""))
                if match:
                    self.declared_rows = int(match.group(1))

        def end(name: str) -> None:
            nonlocal collect, phonetic
            tag = tags.get(name)
            if tag == _CELL:
                raw = "".join(text)
                # Text cells first: nearly every cell of a roster is one.
                value = raw if kind == "inlineStr" else convert(raw, kind, style)
                if value is not None and value != "":
                    size = len(cells)
                    if size == column:
                        cells.append(value)
                    elif size > column:
                        cells[column] = value
                    else:
                        cells.extend([None] * (column - size))
                        cells.append(value)
            elif tag in (_VALUE, _TEXT):
                collect = False
            elif tag == _PHONETIC:
                phonetic -= 1
            elif tag == _ROW:
                ready.append((row_number, cells.copy()))

        def data(chunk: str) -> None:
            if collect:
                text.append(chunk)

        def convert(raw: str, kind: str, style: int) -> Any:
            if kind == "s":
                return strings[int(raw)] if raw else None
            if kind in ("inlineStr", "str"):
                return raw
            if kind == "b":
                return raw == "1"
            if kind == "e":
                return raw  # "#N/A" and the like: validation reports them as bad values
            if kind == "d":
                return datetime.datetime.fromisoformat(raw) if raw else None
            if not raw:
                return None
            number: int | float = (
                float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
            )
            if style in date_styles:
                return from_excel(number, epoch)
            return number

        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = data
        try:
            with self.archive.open(self.sheet_part) as stream:
                while chunk := stream.read(1 << 16):
                    parser.Parse(chunk, False)
                    if ready:
                        yield from ready
                        ready.clear()
                parser.Parse(b"", True)
        except (expat.ExpatError, zipfile.BadZipFile, ValueError, IndexError) as error:
            raise RosterFileError(str(error)) from error
        yield from ready

    def close(self) -> None:
        self.archive.close()


# --- Cell values -------------------------------------------------------------------------------
def _text(value: Any) -> str:
    """The text of a cell; numbers without their ".0" (Excel stores 301 as 301.0)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()  # also the full-width space U+3000
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    return str(value).strip()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _normalise_header(value: Any) -> str:
    text = re.sub(r"\s+", "", _text(value)).replace("(", "（").replace(")", "）")
    return text.strip("*＊")


_RELATIONS: dict[str, Relation] = {
    word: relation for relation, words in RELATION_WORDS.items() for word in words
}
# The words offered in the template's drop-down and in error messages (any spelling of
# RELATION_WORDS is accepted).
_RELATION_SUGGESTIONS = (
    "户主",
    "配偶",
    "子",
    "女",
    "父母",
    "孙子女",
    "兄弟姐妹",
    "儿媳",
    "女婿",
    "其他",
)
# What the export writes: the word for the person's sex where rosters use one.
_RELATION_BY_SEX = {
    (Relation.PARENT, Sex.MALE): "父亲",
    (Relation.PARENT, Sex.FEMALE): "母亲",
    (Relation.GRANDCHILD, Sex.MALE): "孙子",
    (Relation.GRANDCHILD, Sex.FEMALE): "孙女",
    (Relation.CHILD_IN_LAW, Sex.MALE): "女婿",
    (Relation.CHILD_IN_LAW, Sex.FEMALE): "儿媳",
}


def _relation_word(relation: str, sex: str) -> str:
    word = _RELATION_BY_SEX.get((Relation(relation), Sex(sex))) if sex else None
    return word or RELATION_WORDS[Relation(relation)][0]


_SEXES = {"男": Sex.MALE, "女": Sex.FEMALE, "男性": Sex.MALE, "女性": Sex.FEMALE}
_SEX_WORD = {Sex.MALE: "男", Sex.FEMALE: "女"}
_ETHNICITIES = frozenset(ETHNICITIES)
_TAG_SEPARATORS = re.compile(r"[、,，;；]")
_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_PHONE_TEXT = re.compile(r"^[\d\s()（）+\-]+$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# A landline: area code with its leading 0 (3 or 4 digits) and a 7- or 8-digit number.
_LANDLINE = re.compile(r"^0\d{9,11}$")
_COORDINATE_STEP = Decimal("0.000001")


def _parse_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    match = _DATE_TEXT.match(text) or _DATE_DIGITS.match(text)
    if not match:
        return None
    try:
        return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """Lists of ``size`` items (itertools.batched arrives with Python 3.12)."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _digest_key(digest: str) -> int:
    # 60 bits of the keyed hash identify an ID number within one file (and fit SQLite's
    # integer key): a false duplicate needs two of the file's numbers to collide, about one
    # chance in 200 million for 100,000 people.
    return int(digest[:15], 16) if digest else 0


# --- Import: state kept across the file --------------------------------------------------------
# A checked row as spooled (marshal needs plain tuples):
# (row, grid_id, unit_id or 0, territory_code, address, building, entrance, room,
#  longitude or None, latitude or None, name, relation, id_number, id_digest, sex,
#  birth date ISO, ethnicity, phone, tag ids, phone_digest, household key)
_Spooled = tuple[Any, ...]
# grid id, address, building, entrance, room: what identifies a household.
_Doorplate = tuple[int, str, str, str, str]


@dataclass(frozen=True, slots=True)
class _GridInfo:
    id: int
    code: str
    village: str
    township: str


@dataclass(frozen=True, slots=True)
class _UnitInfo:
    id: int
    grid_code: str


class _Scratch:
    """The per-file indexes of an import, in a private temporary SQLite database.

    Checking must remember across the whole file every ID number (to find duplicates) and
    every household (its first row, its repeated columns, its head); writing must remember
    each household's row id. Held in Python these grew by 26 MB per 100,000 persons; here
    the memory is SQLite's small page cache, whatever the size of the file. Nothing in it is
    readable personal data: ID numbers are 60 bits of their keyed hash, doorplates and
    column values keyed BLAKE2 hashes under a key that exists only in this object, and SQLite
    deletes the file when the connection closes.
    """

    def __init__(self) -> None:
        self.db = sqlite3.connect("")  # "": a private temporary database on disk
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE ids (key INTEGER PRIMARY KEY, row INTEGER NOT NULL);
            CREATE TABLE households (
                key BLOB PRIMARY KEY,
                first_row INTEGER NOT NULL,
                unit INTEGER NOT NULL,
                lon INTEGER NOT NULL,
                lat INTEGER NOT NULL,
                head_row INTEGER NOT NULL,
                head_key INTEGER NOT NULL,
                pk INTEGER NOT NULL DEFAULT 0
            );
            -- Persons registered as head of a household of the file before the import.
            CREATE TABLE heads (household BLOB NOT NULL, key INTEGER NOT NULL, person INTEGER);
            """
        )
        self.secret = os.urandom(32)

    def household_key(self, doorplate: _Doorplate) -> bytes:
        text = "\x1f".join(str(part) for part in doorplate)
        return hashlib.blake2b(text.encode(), key=self.secret, digest_size=16).digest()

    def value(self, value: str | None) -> int:
        """A 63-bit stand-in for a column value: equal values, equal numbers."""
        digest = hashlib.blake2b(str(value).encode(), key=self.secret, digest_size=8).digest()
        return int.from_bytes(digest, "big", signed=True)

    def _select(self, sql: str, keys: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
        keys = list(keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            yield from self.db.execute(sql % ",".join("?" * len(chunk)), chunk)

    def earlier_rows(self, id_keys: Iterable[int]) -> dict[int, int]:
        return dict(self._select("SELECT key, row FROM ids WHERE key IN (%s)", id_keys))

    def add_ids(self, rows: Iterable[tuple[int, int]]) -> None:
        self.db.executemany("INSERT INTO ids (key, row) VALUES (?, ?)", rows)

    def households(self, keys: Iterable[bytes]) -> dict[bytes, list[int]]:
        """Household key → [first row, unit, longitude, latitude, head row, head key]."""
        found = self._select(
            "SELECT key, first_row, unit, lon, lat, head_row, head_key FROM households "
            "WHERE key IN (%s)",
            keys,
        )
        return {row[0]: list(row[1:]) for row in found}

    def add_households(self, states: Iterable[tuple[bytes, list[int]]]) -> None:
        self.db.executemany(
            "INSERT INTO households (key, first_row, unit, lon, lat, head_row, head_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((key, *state) for key, state in states),
        )

    def set_heads(self, states: Iterable[tuple[bytes, list[int]]]) -> None:
        self.db.executemany(
            "UPDATE households SET head_row = ?, head_key = ? WHERE key = ?",
            ((state[4], state[5], key) for key, state in states),
        )

    def add_registered_heads(self, rows: Iterable[tuple[bytes, int, int]]) -> None:
        self.db.executemany("INSERT INTO heads (household, key, person) VALUES (?, ?, ?)", rows)

    def households_without_head(self) -> Iterator[int]:
        for (first_row,) in self.db.execute(
            "SELECT first_row FROM households WHERE head_row = 0 ORDER BY first_row"
        ):
            yield first_row

    def second_heads(self) -> Iterator[tuple[int, int]]:
        """(head row in the file, person id) of registered heads the file leaves in place
        beside its own: not the file's head and nowhere else in the file."""
        yield from self.db.execute(
            "SELECT h.head_row, e.person FROM heads e JOIN households h ON h.key = e.household "
            # A head row whose ID number is wrong has its own error already.
            "WHERE h.head_row > 0 AND h.head_key != 0 AND e.key != h.head_key "
            "AND NOT EXISTS (SELECT 1 FROM ids WHERE ids.key = e.key) ORDER BY h.head_row"
        )

    def household_ids(self, keys: Iterable[bytes]) -> dict[bytes, int]:
        """Household key → its row id (0 until writing has found or created it)."""
        return dict(self._select("SELECT key, pk FROM households WHERE key IN (%s)", keys))

    def set_household_ids(self, ids: Iterable[tuple[bytes, int]]) -> None:
        self.db.executemany(
            "UPDATE households SET pk = ? WHERE key = ?", ((pk, key) for key, pk in ids)
        )

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.close()


class _RowFacts(NamedTuple):
    """What checking one row leaves for the checks across rows (and the spool)."""

    row: int
    spooled: _Spooled | None  # None when the row itself has an error
    household: bytes | None  # None when grid or address is wrong
    doorplate: _Doorplate | None
    unit: int
    lon: int
    lat: int
    is_head: bool
    id_key: int  # 0 when the ID number is wrong


class _Spool:
    """Checked rows waiting for the writing pass, in a temporary file.

    The rows carry full ID numbers and phones, so each batch is sealed with AES-GCM under a
    key that exists only in this object: a stray temporary file reveals nothing.
    """

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self.cipher = AESGCM(AESGCM.generate_key(bit_length=256))
        self.counter = itertools.count()
        self.batches = 0

    def write(self, rows: list[_Spooled]) -> None:
        nonce = next(self.counter).to_bytes(12, "big")
        sealed = self.cipher.encrypt(nonce, marshal.dumps(rows), None)
        self.file.write(len(sealed).to_bytes(8, "big") + nonce + sealed)
        self.batches += 1

    def read(self) -> Iterator[list[_Spooled]]:
        self.file.seek(0)
        for _batch in range(self.batches):
            size = int.from_bytes(self.file.read(8), "big")
            nonce = self.file.read(12)
            sealed = self.file.read(size)
            # Our own data, authenticated by AES-GCM: nothing from outside reaches marshal.
            rows: list[_Spooled] = marshal.loads(self.cipher.decrypt(nonce, sealed, None))  # noqa: S302
            yield rows

    def close(self) -> None:
        self.file.close()


class _WriteConflict(Exception):
    """The database changed between checking and writing in a way the file cannot override."""

    def __init__(self, row: int, column: str, problem: str) -> None:
        super().__init__(problem)
        self.row, self.column, self.problem = row, column, problem


class _Importer:
    def __init__(self, actor: User, progress: ProgressCallback | None) -> None:
        self.actor = actor
        prefix = actor.territory_prefix()
        if prefix is None:
            raise PermissionDenied(_("You have no territory to import households into."))
        self.prefix = prefix
        self.progress = progress
        self.result = RosterResult()
        self.may_tag_sensitive = actor.has_perm("org.view_sensitive_tags")
        self.tags: dict[str, tuple[int, bool]] = {
            name: (pk, sensitive)
            for pk, name, sensitive in PersonTag.objects.values_list("pk", "name", "sensitive")
        }
        self.visible_tag_ids = frozenset(
            pk for pk, sensitive in self.tags.values() if self.may_tag_sensitive or not sensitive
        )
        # Grids and units met so far: a few thousand for a county.
        self.grids: dict[str, _GridInfo | None] = {}
        self.units: dict[str, _UnitInfo | None] = {}
        self.scratch = _Scratch()
        self.columns: list[int] = []

    def close(self) -> None:
        self.scratch.close()

    # -- checking --------------------------------------------------------------------------
    def check(self, stream: _SheetStream, spool: _Spool) -> None:
        rows = stream.rows()
        header_row = self._read_header(rows)
        if header_row is None:
            return
        total = stream.declared_rows - header_row if stream.declared_rows else None
        self._report("checking", 0, total)
        batch: list[tuple[int, list[Any]]] = []
        for number, values in rows:
            if not any(v is not None and v != "" for v in values):
                continue  # blank rows (often formatted but empty) are not data
            batch.append((number, values))
            if len(batch) >= BATCH_SIZE:
                self._check_batch(batch, spool)
                self._report("checking", self.result.rows, total)
                batch = []
        if batch:
            self._check_batch(batch, spool)
        if self.result.rows == 0 and self.result.ok:
            self.result.add_error(header_row + 1, "", _("The roster has no rows under its header."))
        self._check_households()
        self._report("checking", self.result.rows, self.result.rows)

    def _read_header(self, rows: Iterator[tuple[int, list[Any]]]) -> int | None:
        """Find the header row (a title may sit above it) and map columns; None on mismatch."""
        first: tuple[int, list[str]] | None = None
        for number, values in itertools.islice(rows, MAX_TITLE_ROWS):
            names = [_normalise_header(v) for v in values]
            if not any(names):
                continue
            if first is None:
                first = (number, names)
            if NAME in names and ID_NUMBER in names:
                return self._map_header(number, names)
        if first is None:
            self.result.add_error(0, "", _("The first sheet of the workbook is empty."))
            return None
        return self._map_header(*first)

    def _map_header(self, number: int, names: list[str]) -> int | None:
        positions: dict[str, int] = {}
        unknown: list[str] = []
        repeated: list[str] = []
        for index, name in enumerate(names):
            if not name:
                continue
            if name not in HEADERS:
                unknown.append(name)
            elif name in positions:
                repeated.append(name)
            else:
                positions[name] = index
        missing = [h for h in HEADERS if h not in positions]
        if missing or unknown or repeated:
            parts = []
            if missing:
                parts.append(_("missing columns: %(names)s") % {"names": "、".join(missing)})
            if unknown:
                parts.append(_("unknown columns: %(names)s") % {"names": "、".join(unknown)})
            if repeated:
                parts.append(_("repeated columns: %(names)s") % {"names": "、".join(repeated)})
            self.result.add_error(
                number,
                "",
                _(
                    "The header row does not match the roster template (%(details)s). Download "
                    "the template and copy your data under its header."
                )
                % {"details": "; ".join(parts)},
            )
            return None
        self.columns = [positions[h] for h in HEADERS]
        return number

    def _cells(self, values: list[Any]) -> list[Any]:
        size = len(values)
        return [values[i] if i < size else None for i in self.columns]

    def _check_batch(self, batch: list[tuple[int, list[Any]]], spool: _Spool) -> None:
        rows = [(number, self._cells(values)) for number, values in batch]
        self._resolve_codes(rows)
        facts = [self._check_row(number, cells) for number, cells in rows]
        self.result.rows += len(rows)
        self._check_duplicates(facts)
        self._load_existing_heads(self._check_household_columns(facts))
        checked = [fact.spooled for fact in facts if fact.spooled is not None]
        self._check_registered(checked)
        self.scratch.commit()
        if self.result.ok:
            spool.write(checked)

    def _resolve_codes(self, rows: list[tuple[int, list[Any]]]) -> None:
        """Look up, in one query each, the grid and unit codes this batch brings up first."""
        grid_codes = {_text(cells[2]) for _, cells in rows} - self.grids.keys()
        grid_codes = {c for c in grid_codes if c.isdigit() and len(c) == GRID_CODE_LENGTH}
        unit_codes = {_text(cells[3]) for _, cells in rows} - self.units.keys()
        unit_codes = {c for c in unit_codes if c.isdigit() and len(c) == UNIT_CODE_LENGTH}
        if grid_codes:
            found = Grid.objects.filter(code__in=grid_codes).values_list(
                "pk", "code", "village__name", "village__parent__name"
            )
            for pk, code, village, township in found:
                self.grids[code] = _GridInfo(pk, code, village, township or "")
            for code in grid_codes:
                self.grids.setdefault(code, None)
        if unit_codes:
            for pk, code, grid_code in HouseholdUnit.objects.filter(
                code__in=unit_codes
            ).values_list("pk", "code", "grid__code"):
                self.units[code] = _UnitInfo(pk, grid_code)
            for code in unit_codes:
                self.units.setdefault(code, None)

    def _check_row(self, row: int, cells: list[Any]) -> _RowFacts:
        errors_before = self.result.error_count
        error = self.result.add_error
        (
            township_cell,
            village_cell,
            grid_cell,
            unit_cell,
            address_cell,
            building_cell,
            entrance_cell,
            room_cell,
            lon_cell,
            lat_cell,
            name_cell,
            relation_cell,
            id_cell,
            sex_cell,
            birth_cell,
            ethnicity_cell,
            phone_cell,
            tags_cell,
        ) = cells

        # Where: grid (in the actor's area), unit, names for people.
        grid: _GridInfo | None = None
        grid_code = _text(grid_cell)
        if not grid_code:
            error(row, GRID, _("Fill in the grid code."))
        elif not (grid_code.isdigit() and len(grid_code) == GRID_CODE_LENGTH):
            error(row, GRID, _("A grid code has 15 digits."))
        else:
            grid = self.grids.get(grid_code)
            # Out of the actor's area reads exactly like not existing (privacy).
            if grid is None or not is_within(grid_code, self.prefix):
                error(row, GRID, _("There is no grid %(code)s in your area.") % {"code": grid_code})
                grid = None
        if grid is not None:
            township = _text(township_cell)
            if township and township != grid.township:
                error(
                    row,
                    TOWNSHIP,
                    _("Grid %(code)s lies in %(expected)s, not %(given)s.")
                    % {"code": grid.code, "expected": grid.township, "given": township},
                )
            village = _text(village_cell)
            if village and village != grid.village:
                error(
                    row,
                    VILLAGE,
                    _("Grid %(code)s lies in %(expected)s, not %(given)s.")
                    % {"code": grid.code, "expected": grid.village, "given": village},
                )
        unit_code = _text(unit_cell)
        unit: _UnitInfo | None = None
        if unit_code:
            if not (unit_code.isdigit() and len(unit_code) == UNIT_CODE_LENGTH):
                problem = _("A ten-household unit code has 18 digits.")
                if _is_number(unit_cell):
                    problem += " " + _(
                        "The cell holds a number and Excel keeps only 15 digits: format the "
                        "column as text and type the code again."
                    )
                error(row, UNIT, problem)
            elif grid is not None:
                unit = self.units.get(unit_code)
                if unit is None or unit.grid_code != grid.code:
                    error(
                        row,
                        UNIT,
                        _("There is no ten-household unit %(unit)s in grid %(grid)s.")
                        % {"unit": unit_code, "grid": grid.code},
                    )
                    unit = None

        address = _text(address_cell)
        if not address:
            error(row, ADDRESS, _("Fill in the doorplate address."))
        elif len(address) > 120:
            error(row, ADDRESS, _("At most %(n)d characters.") % {"n": 120})
        parts = []
        for column, cell in (
            (BUILDING, building_cell),
            (ENTRANCE, entrance_cell),
            (ROOM, room_cell),
        ):
            text = _text(cell)
            if len(text) > 20:
                error(row, column, _("At most %(n)d characters.") % {"n": 20})
            parts.append(text)
        building, entrance, room = parts

        lon = self._coordinate(row, LONGITUDE, lon_cell, 180)
        lat = self._coordinate(row, LATITUDE, lat_cell, 90)
        if (lon_cell is None or lon_cell == "") != (lat_cell is None or lat_cell == ""):
            error(
                row,
                LONGITUDE if lon_cell is None or lon_cell == "" else LATITUDE,
                _("Give both longitude and latitude, or neither."),
            )

        # Who.
        name = _text(name_cell)
        if not name:
            error(row, NAME, _("Fill in the name."))
        elif len(name) > 50:
            error(row, NAME, _("At most %(n)d characters.") % {"n": 50})

        relation_text = _text(relation_cell)
        relation = _RELATIONS.get(relation_text)
        if not relation_text:
            error(row, RELATION, _("Fill in the relation to the head of household."))
        elif relation is None:
            error(
                row,
                RELATION,
                _("Unknown relation %(given)s; use one of: %(words)s.")
                % {"given": relation_text, "words": "、".join(_RELATION_SUGGESTIONS)},
            )

        number = ""
        digest = ""
        id_text = _text(id_cell)
        if not id_text:
            error(row, ID_NUMBER, _("Fill in the citizen ID number."))
        elif "*" in id_text:
            error(row, ID_NUMBER, _("This ID number is masked (with *): import full numbers."))
        else:
            try:
                number = validate_citizen_id(id_text)
            except ValidationError as invalid:
                problem = " ".join(invalid.messages)
                if _is_number(id_cell):
                    problem += " " + _(
                        "The cell holds a number and Excel keeps only 15 digits: format the "
                        "column as text and type the number again."
                    )
                error(row, ID_NUMBER, problem)
        if number:
            digest = lookup_digest(number, "id_number")
            sex = sex_of(number)
            sex_text = _text(sex_cell)
            if sex_text:
                given_sex = _SEXES.get(sex_text)
                if given_sex is None:
                    error(row, SEX, _("Write 男 or 女."))
                elif given_sex != sex:
                    error(
                        row,
                        SEX,
                        _("The ID number belongs to a person of the other sex (%(sex)s).")
                        % {"sex": _SEX_WORD[Sex(sex)]},
                    )
            birth = birth_date_of(number)
            if birth_cell is not None and birth_cell != "":
                given_birth = _parse_date(birth_cell)
                if given_birth is None:
                    error(row, BIRTH_DATE, _("Write the date like 1980-01-01."))
                elif given_birth != birth:
                    error(
                        row,
                        BIRTH_DATE,
                        _("The ID number gives the birth date %(date)s.")
                        % {"date": birth.isoformat()},
                    )

        ethnicity = _text(ethnicity_cell) or "汉族"
        if ethnicity not in _ETHNICITIES:
            if ethnicity + "族" in _ETHNICITIES:
                ethnicity += "族"
            else:
                error(
                    row,
                    ETHNICITY,
                    _("Unknown ethnic group %(given)s: write it as in 汉族, 苗族, 布依族.")
                    % {"given": ethnicity},
                )

        phone = self._phone(row, phone_cell)

        tag_ids: list[int] = []
        for tag_name in filter(None, (t.strip() for t in _TAG_SEPARATORS.split(_text(tags_cell)))):
            tag = self.tags.get(tag_name)
            if tag is None:
                error(row, TAGS, _("There is no person tag %(name)s.") % {"name": tag_name})
            elif tag[1] and not self.may_tag_sensitive:
                error(
                    row,
                    TAGS,
                    _("Only staff allowed to see special-population tags may set %(name)s.")
                    % {"name": tag_name},
                )
            elif tag[0] not in tag_ids:
                tag_ids.append(tag[0])

        doorplate: _Doorplate | None = None
        household: bytes | None = None
        if grid is not None and address:
            doorplate = (grid.id, address, building, entrance, room)
            household = self.scratch.household_key(doorplate)
        spooled: _Spooled | None = None
        if self.result.error_count == errors_before and grid is not None and relation:
            spooled = (
                row,
                grid.id,
                unit.id if unit is not None else 0,
                unit_code if unit is not None else grid.code,  # the territory code
                address,
                building,
                entrance,
                room,
                lon,
                lat,
                name,
                str(relation),
                number,
                digest,
                sex_of(number),
                birth_date_of(number).isoformat(),
                ethnicity,
                phone,
                tuple(tag_ids),
                lookup_digest(phone, "phone"),
                household,
            )
        value = self.scratch.value
        return _RowFacts(
            row,
            spooled,
            household,
            doorplate,
            value(unit_code),
            value(lon),
            value(lat),
            relation == Relation.HEAD,
            _digest_key(digest),
        )

    def _coordinate(self, row: int, column: str, cell: Any, limit: int) -> str | None:
        if cell is None or cell == "":
            return None
        try:
            value = Decimal(_text(cell)).quantize(_COORDINATE_STEP)
        except (InvalidOperation, ValueError):
            self.result.add_error(row, column, _("Write a number in decimal degrees."))
            return None
        if not -limit <= value <= limit:
            self.result.add_error(
                row,
                column,
                _(
                    "Must lie between -%(limit)d and %(limit)d (are longitude and latitude "
                    "swapped?)."
                )
                % {"limit": limit},
            )
            return None
        return str(value)

    def _phone(self, row: int, cell: Any) -> str:
        text = _text(cell)
        if not text:
            return ""
        if "*" in text:
            self.result.add_error(
                row, PHONE, _("This phone number is masked (with *): import full numbers.")
            )
            return ""
        digits = re.sub(r"\D", "", text)
        # A country code in front (+86 or 0086) is not part of the number.
        if text.startswith("+86"):
            digits = digits[2:]
        elif text.startswith("0086"):
            digits = digits[4:]
        if _PHONE_TEXT.match(text) and (_MOBILE.match(digits) or _LANDLINE.match(digits)):
            return digits
        self.result.add_error(
            row,
            PHONE,
            _(
                "Not a phone number: write an 11-digit mobile number, or a landline number "
                "with its area code such as 0851-86123456."
            ),
        )
        return ""

    def _check_registered(self, checked: list[_Spooled]) -> None:
        """ID numbers already registered outside the actor's area: refused, and without
        saying where (the importer may not know where that person lives)."""
        by_digest = {row[13]: row[0] for row in checked}
        if not by_digest:
            return
        # The unique index on the digest is partial (WHERE digest <> ''), and PostgreSQL
        # proves that an IN list implies that condition only for lists of up to 100 values:
        # spelling the condition out keeps the index in use (else a scan of all persons).
        registered = (
            Person.objects.filter(id_number_digest__in=by_digest)
            .exclude(id_number_digest="")
            .values_list("id_number_digest", "territory_code")
        )
        for digest, territory_code in registered:
            if not is_within(territory_code, self.prefix):
                self.result.add_error(
                    by_digest[digest],
                    ID_NUMBER,
                    _(
                        "This person is already registered in a household outside your area. "
                        "Ask the staff of the higher level to move them."
                    ),
                )

    def _check_duplicates(self, facts: list[_RowFacts]) -> None:
        """An ID number on two rows: the error on the second names both."""
        with_id = [fact for fact in facts if fact.id_key]
        earlier = self.scratch.earlier_rows({fact.id_key for fact in with_id})
        first_rows: dict[int, int] = {}
        for fact in with_id:
            first = earlier.get(fact.id_key) or first_rows.get(fact.id_key)
            if first:
                self.result.add_error(
                    fact.row,
                    ID_NUMBER,
                    _("Rows %(first)d and %(second)d have the same ID number.")
                    % {"first": first, "second": fact.row},
                )
            else:
                first_rows[fact.id_key] = fact.row
        self.scratch.add_ids(first_rows.items())

    def _check_household_columns(self, facts: list[_RowFacts]) -> list[tuple[bytes, _Doorplate]]:
        """Each household's repeated columns agree with its first row, and it has one head
        so far; returns the households this batch brings up first."""
        states = self.scratch.households({f.household for f in facts if f.household})
        new: dict[bytes, list[int]] = {}
        new_head: dict[bytes, list[int]] = {}
        fresh: list[tuple[bytes, _Doorplate]] = []
        for fact in facts:
            if fact.household is None or fact.doorplate is None:
                continue
            state = states.get(fact.household)
            if state is None:
                state = [fact.row, fact.unit, fact.lon, fact.lat, 0, 0]
                states[fact.household] = new[fact.household] = state
                fresh.append((fact.household, fact.doorplate))
            else:
                for column, given, first in (
                    (UNIT, fact.unit, state[1]),
                    (LONGITUDE, fact.lon, state[2]),
                    (LATITUDE, fact.lat, state[3]),
                ):
                    if given != first:
                        self.result.add_error(
                            fact.row,
                            column,
                            _(
                                "This household's %(column)s differs from its first row "
                                "(row %(row)d); the household columns must be the same on "
                                "every member's row."
                            )
                            % {"column": column, "row": state[0]},
                        )
            if not fact.is_head:
                continue
            if state[4]:
                self.result.add_error(
                    fact.row,
                    RELATION,
                    _(
                        "This household already has its head (户主) on row %(row)d; a "
                        "household has exactly one."
                    )
                    % {"row": state[4]},
                )
            else:
                state[4], state[5] = fact.row, fact.id_key
                if fact.household not in new:
                    new_head[fact.household] = state
        self.scratch.add_households(new.items())
        self.scratch.set_heads(new_head.items())
        return fresh

    def _load_existing_heads(self, fresh: list[tuple[bytes, _Doorplate]]) -> None:
        """Note who is registered as head of the households this batch brings up first, so
        that the end of checking can refuse a second head (two queries per batch)."""
        if not fresh:
            return
        keys = {doorplate: key for key, doorplate in fresh}
        # Two index lookups (doorplates, then heads by household) rather than one join: the
        # planner answers the join by scanning every head in the database, once per batch.
        keys_by_id: dict[int, bytes] = {}
        for pk, grid_id, address, building, entrance, room in Household.objects.filter(
            grid_id__in={d[0] for d in keys}, address__in={d[1] for d in keys}
        ).values_list("pk", "grid_id", "address", "building", "entrance", "room"):
            key = keys.get((grid_id, address, building, entrance, room))
            if key is not None:
                keys_by_id[pk] = key
        if not keys_by_id:
            return
        heads = Person.objects.filter(
            household_id__in=keys_by_id, relation=Relation.HEAD
        ).values_list("household_id", "id_number_digest", "pk")
        self.scratch.add_registered_heads(
            (keys_by_id[household_id], _digest_key(digest), pk)
            for household_id, digest, pk in heads
        )

    def _check_households(self) -> None:
        """At the end of the file: every household has a head, and only one."""
        for first_row in self.scratch.households_without_head():
            self.result.add_error(
                first_row,
                RELATION,
                _(
                    "The household starting on row %(row)d has no head (户主); a household "
                    "has exactly one."
                )
                % {"row": first_row},
            )
        for chunk in _chunks(self.scratch.second_heads(), 500):
            names = dict(
                Person.objects.filter(pk__in=[person for _, person in chunk]).values_list(
                    "pk", "name"
                )
            )
            for head_row, person in chunk:
                self.result.add_error(
                    head_row,
                    RELATION,
                    _(
                        "%(name)s is registered as this household's head and is not in the "
                        "file. Include them with their relation, or change it first: a "
                        "household has exactly one head."
                    )
                    % {"name": names.get(person, "")},
                )

    # -- writing ---------------------------------------------------------------------------
    def write(self, spool: _Spool) -> None:
        done = 0
        total = self.result.rows
        self._report("writing", 0, total)
        for rows in spool.read():
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    # Until autovacuum has analysed the tables that this import fills, the
                    # planner's costs for the per-batch statements are inflated past the JIT
                    # threshold: compiling then took 250 ms for a 3 ms statement. JIT never
                    # pays off on statements this short.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL jit = off")
                self._write_batch(rows)
            done += len(rows)
            self._report("writing", done, total)
        if self.result.persons_created + self.result.households_created >= BATCH_SIZE:
            self._analyze()

    def _analyze(self) -> None:
        """Refresh PostgreSQL's statistics of the tables a bulk import has just filled.

        The planner reads "how many heads, how many members per household" from them. Left
        stale (autovacuum runs a minute or more later, if at all), a later import of the same
        area found existing heads by scanning every person, 100 ms a batch. ANALYZE samples
        a fixed number of rows, so it stays cheap for a county; it needs the tables' owner,
        which the application's database user is (it ran the migrations).
        """
        if connection.vendor != "postgresql":
            return  # SQLite's planner trusts its indexes without statistics
        tables = [
            Household._meta.db_table,
            Person._meta.db_table,
            Person.tags.through._meta.db_table,
        ]
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
        except DatabaseError:
            logger.warning("could not ANALYZE %s after a roster import", ", ".join(tables))

    def _write_batch(self, rows: list[_Spooled]) -> None:
        now = timezone.now()
        household_ids = self._write_households(rows, now)
        self._refresh_summaries(self._write_persons(rows, household_ids, now))
        self.scratch.commit()

    def _write_households(self, rows: list[_Spooled], now: datetime.datetime) -> dict[bytes, int]:
        """Create or update the households this batch brings up first; return the row id of
        every household of the batch by its key."""
        ids = self.scratch.household_ids({row[20] for row in rows})
        firsts: dict[bytes, _Spooled] = {}
        for row in rows:
            if not ids.get(row[20]):
                firsts.setdefault(row[20], row)
        if not firsts:
            return ids
        existing = {
            (grid_id, address, building, entrance, room): (pk, unit_id, lon, lat, code)
            for pk, grid_id, address, building, entrance, room, unit_id, lon, lat, code in (
                Household.objects.filter(
                    grid_id__in={r[1] for r in firsts.values()},
                    address__in={r[4] for r in firsts.values()},
                ).values_list(
                    "pk",
                    "grid_id",
                    "address",
                    "building",
                    "entrance",
                    "room",
                    "unit_id",
                    "longitude",
                    "latitude",
                    "territory_code",
                )
            )
        }
        to_create: list[tuple[bytes, Household]] = []
        to_update: list[Household] = []
        moved: dict[str, list[int]] = {}
        for key, row in firsts.items():
            unit_id = row[2] or None
            lon = Decimal(row[8]) if row[8] is not None else None
            lat = Decimal(row[9]) if row[9] is not None else None
            found = existing.get((row[1], row[4], row[5], row[6], row[7]))
            if found is None:
                household = Household(
                    grid_id=row[1],
                    unit_id=unit_id,
                    territory_code=row[3],
                    address=row[4],
                    building=row[5],
                    entrance=row[6],
                    room=row[7],
                    longitude=lon,
                    latitude=lat,
                )
                to_create.append((key, household))
                continue
            pk, old_unit, old_lon, old_lat, old_code = found
            ids[key] = pk
            if (old_unit, old_lon, old_lat) == (unit_id, lon, lat):
                self.result.households_unchanged += 1
                continue
            to_update.append(
                Household(
                    pk=pk,
                    unit_id=unit_id,
                    territory_code=row[3],
                    longitude=lon,
                    latitude=lat,
                    updated_at=now,
                )
            )
            if old_code != row[3]:
                moved.setdefault(row[3], []).append(pk)
            self.result.households_updated += 1
        if to_create:
            try:
                Household.objects.bulk_create([household for _, household in to_create])
            except IntegrityError as error:
                raise _WriteConflict(
                    firsts[to_create[0][0]][0],
                    ADDRESS,
                    _("Another import added these households meanwhile."),
                ) from error
            for key, household in to_create:
                ids[key] = household.pk
            self.result.households_created += len(to_create)
        if to_update:
            Household.objects.bulk_update(
                to_update, ["unit", "territory_code", "longitude", "latitude", "updated_at"]
            )
        # A household that changed unit takes its members (also those not in the file) to
        # the unit's territory code.
        for code, pks in moved.items():
            Person.objects.filter(household_id__in=pks).update(territory_code=code)
        self.scratch.set_household_ids((key, ids[key]) for key in firsts)
        return ids

    def _write_persons(
        self, rows: list[_Spooled], household_ids: dict[bytes, int], now: datetime.datetime
    ) -> set[int]:
        """Create or update this batch's persons; return the ids of the households whose
        members changed (someone joined, left, or changed name or relation), whose summaries
        are then refreshed. An unchanged re-import writes nothing at all."""
        registered = {
            values[1]: values
            for values in Person.objects.filter(id_number_digest__in=[row[13] for row in rows])
            .exclude(id_number_digest="")  # see _check_registered
            .values_list(
                "pk",
                "id_number_digest",
                "household_id",
                "territory_code",
                "name",
                "phone_digest",
                "sex",
                "birth_date",
                "ethnicity",
                "relation",
            )
        }
        through = Person.tags.through
        current_tags: dict[int, set[int]] = {}
        if registered:
            for person_id, tag_id in through.objects.filter(
                person_id__in=[values[0] for values in registered.values()],
                persontag_id__in=self.visible_tag_ids,
            ).values_list("person_id", "persontag_id"):
                current_tags.setdefault(person_id, set()).add(tag_id)

        new: list[tuple[Person, tuple[int, ...]]] = []
        changed: list[Person] = []
        retag: dict[int, tuple[int, ...]] = {}
        changed_households: set[int] = set()
        for row in rows:
            household_id = household_ids[row[20]]
            birth = datetime.date.fromisoformat(row[15])
            phone_digest = row[19]
            tag_ids: tuple[int, ...] = row[18]
            found = registered.get(row[13])
            if found is None:
                person = Person(
                    household_id=household_id,
                    territory_code=row[3],
                    name=row[10],
                    sex=row[14],
                    birth_date=birth,
                    ethnicity=row[16],
                    relation=row[11],
                )
                # The digests come from checking, where lookup_digest computed them exactly
                # as set_id_number and set_phone would (saving 200,000 HMACs a county).
                person.id_number = row[12]
                person.id_number_digest = row[13]
                person.phone = row[17]
                person.phone_digest = phone_digest
                new.append((person, tag_ids))
                changed_households.add(household_id)
                continue
            pk, _digest, old_household, old_code, *old_values = found
            if not is_within(old_code, self.prefix):
                raise _WriteConflict(
                    row[0],
                    ID_NUMBER,
                    _("This person was registered outside your area while the file was imported."),
                )
            wanted = [row[10], phone_digest, row[14], birth, row[16], row[11]]
            same_tags = current_tags.get(pk, set()) == set(tag_ids)
            if (old_household, old_code) == (household_id, row[3]) and old_values == wanted:
                if same_tags:
                    self.result.persons_unchanged += 1
                    continue
            else:
                person = Person(
                    pk=pk,
                    household_id=household_id,
                    territory_code=row[3],
                    name=row[10],
                    sex=row[14],
                    birth_date=birth,
                    ethnicity=row[16],
                    relation=row[11],
                    updated_at=now,
                )
                person.phone = row[17]
                person.phone_digest = phone_digest
                changed.append(person)
                changed_households.update((old_household, household_id))
            if not same_tags:
                retag[pk] = tag_ids
            self.result.persons_updated += 1

        if new:
            try:
                Person.objects.bulk_create([person for person, _ in new])
            except IntegrityError as error:
                raise _WriteConflict(
                    rows[0][0],
                    ID_NUMBER,
                    _("Another import registered some of these persons meanwhile."),
                ) from error
            self.result.persons_created += len(new)
        if changed:
            Person.objects.bulk_update(
                changed,
                [
                    "household",
                    "territory_code",
                    "name",
                    "phone",
                    "phone_digest",
                    "sex",
                    "birth_date",
                    "ethnicity",
                    "relation",
                    "updated_at",
                ],
            )
        if retag:
            # Only the tags this user may see are replaced: special-population tags they
            # cannot see (so their exports leave out) stay as they are.
            through.objects.filter(
                person_id__in=retag, persontag_id__in=self.visible_tag_ids
            ).delete()
        wanted_tags = [(person.pk, tag_ids) for person, tag_ids in new] + list(retag.items())
        links = [
            through(person_id=pk, persontag_id=tag_id)
            for pk, tag_ids in wanted_tags
            for tag_id in tag_ids
        ]
        if links:
            through.objects.bulk_create(links)
        return changed_households

    def _refresh_summaries(self, household_ids: set[int]) -> None:
        """Member count and head name of the given households, in one set-based UPDATE."""
        if not household_ids:
            return
        members = Person.objects.filter(household_id=OuterRef("pk"))
        counted = members.order_by().values("household_id").annotate(n=Count("pk")).values("n")
        head = members.filter(relation=Relation.HEAD).order_by("pk").values("name")[:1]
        Household.objects.filter(pk__in=household_ids).update(
            member_count=Coalesce(Subquery(counted, output_field=IntegerField()), Value(0)),
            head_name=Coalesce(Subquery(head), Value("")),
        )

    def _report(self, stage: Literal["checking", "writing"], done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(RosterProgress(stage, done, total))


def _report_order(error: RosterError) -> tuple[int, int]:
    return (error.row, HEADERS.index(error.column) if error.column in HEADERS else -1)


def _source_name(source: str | Path | IO[bytes]) -> str:
    if isinstance(source, str | Path):
        return os.path.basename(source)
    return os.path.basename(str(getattr(source, "name", "") or ""))


def roster_import(
    *,
    source: str | Path | IO[bytes],
    actor: User,
    progress: ProgressCallback | None = None,
) -> RosterResult:
    """Import households and persons from an .xlsx roster (see the module docstring).

    A file with any error imports nothing and the result carries the report; re-importing
    finds households by their doorplate in the grid and persons by their ID number, and
    updates them. Sex and birth date come from the ID number. Audited either way.
    """
    if not actor.has_perm("org.import_roster"):
        raise PermissionDenied(_("You may not import household rosters."))
    importer = _Importer(actor, progress)
    result = importer.result
    spool = _Spool()
    try:
        try:
            stream = _SheetStream(source)
        except RosterFileError:
            result.add_error(
                0,
                "",
                _(
                    "This is not an Excel workbook in .xlsx format. Save it as .xlsx (Excel "
                    "workbook) and upload it again."
                ),
            )
        else:
            try:
                importer.check(stream, spool)
                if result.ok:
                    importer.write(spool)
            except RosterFileError:
                result.add_error(
                    0, "", _("The workbook is damaged and could not be read to the end.")
                )
            except _WriteConflict as conflict:
                result.partial = True
                result.add_error(
                    conflict.row,
                    conflict.column,
                    conflict.problem
                    + " "
                    + _(
                        "Importing stopped at this row; the rows before it were saved. "
                        "Import the same file again to finish."
                    ),
                )
            finally:
                stream.close()
    finally:
        spool.close()
        importer.close()
    result.errors.sort(key=_report_order)
    audit_record(
        action=AuditAction.IMPORT,
        actor=actor,
        detail={
            "kind": "household_roster",
            "file": _source_name(source),
            "outcome": "imported" if result.ok else ("partial" if result.partial else "rejected"),
            "errors": result.error_count,
            **result.counts(),
        },
    )
    return result


# --- Upload (the web path) ---------------------------------------------------------------------
def roster_upload(*, upload: UploadedFile, actor: User) -> RosterImport:
    """Accept an uploaded roster and queue its import; the page then follows its progress.

    The task runs after this transaction commits, in the uploader's language (the report's
    messages are written in it).
    """
    if not actor.has_perm("org.import_roster"):
        raise PermissionDenied(_("You may not import household rosters."))
    name = upload.name or ""
    if not name.lower().endswith(".xlsx"):
        raise ValidationError(
            _("Upload an Excel workbook in .xlsx format (save older .xls files as .xlsx)."),
            code="extension",
        )
    limit = settings.ROSTER_MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("The file is larger than %(mb)d MB; split the roster by township or village.")
            % {"mb": limit // (1024 * 1024)},
            code="size",
        )
    upload.seek(0)
    if upload.read(4) != b"PK\x03\x04":  # every .xlsx is a zip archive
        raise ValidationError(_("This is not an Excel workbook in .xlsx format."), code="not_xlsx")
    upload.seek(0)
    # Imported here: the task module imports this one.
    from fengqiao.territory.tasks import roster_import_run

    job = RosterImport(created_by=actor, original_name=os.path.basename(name)[:255])
    job.file.save(f"{uuid4().hex}.xlsx", upload, save=False)
    job.save()
    language = get_language()
    transaction.on_commit(lambda: roster_import_run.delay(job.pk, language))
    return job


# --- Export and template -------------------------------------------------------------------------
def territory_in_scope(*, actor: User, territory_code: str) -> bool:
    """Whether a territory code names an area, grid or unit the actor may see ('' = all)."""
    prefix = actor.territory_prefix()
    if prefix is None:
        return False
    if territory_code == "":
        return prefix == ""
    if not territory_code.isdigit() or not is_within(territory_code, prefix):
        return False
    if len(territory_code) == GRID_CODE_LENGTH:
        return Grid.objects.filter(code=territory_code).exists()
    if len(territory_code) == UNIT_CODE_LENGTH:
        return HouseholdUnit.objects.filter(code=territory_code).exists()
    return Area.objects.filter(territory_code=territory_code, valid_to__isnull=True).exists()


def _notes_rows(actor: User) -> Iterator[list[str]]:
    usable = PersonTag.objects.order_by("sensitive", "code")
    if not actor.has_perm("org.view_sensitive_tags"):
        usable = usable.filter(sensitive=False)
    tags = "、".join(usable.values_list("name", flat=True))
    yield [_("Column"), _("Required"), _("What to write"), _("Example")]
    for header, example in zip(HEADERS, EXAMPLE_ROW, strict=True):
        required, note = _NOTES[header]
        text = str(note) % {"tags": tags or "—"} if header == TAGS else str(note)
        yield [header, _("yes") if required else _("no"), text, example]
    yield []
    for line in (
        _("One row per person; repeat the household's columns on every member's row."),
        _(
            "A household is identified by grid code, address, building, unit and room: "
            "importing again updates it, and a person is identified by the ID number."
        ),
        _(
            "Importing never deletes anyone: remove people who moved away or died in the "
            "household's page."
        ),
        _("Delete the example row (row 2 of the roster sheet) before importing."),
        _(
            "A file with any error imports nothing; the report lists the row, the column "
            "and the problem."
        ),
    ):
        yield [line]


def _style_roster_sheet(sheet: Any) -> None:
    widths = (12, 12, 18, 21, 24, 6, 6, 8, 12, 12, 10, 10, 21, 6, 12, 8, 15, 20)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[_letter(index)].width = width
    sheet.freeze_panes = "A2"


def _letter(index: int) -> str:
    return get_column_letter(index)


def roster_template_write(*, actor: User, destination: str | Path | IO[bytes]) -> None:
    """The documented template: the header row, one synthetic example row, and the notes."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = ROSTER_SHEET
    sheet.append(list(HEADERS))
    sheet.append(list(EXAMPLE_ROW))
    header_font = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FDE8D7")
    for cell, header in zip(sheet[1], HEADERS, strict=True):
        cell.font = header_font
        if _NOTES[header][0]:
            cell.fill = required_fill
    # Codes, ID numbers and phones are text: Excel would round or reformat them as numbers.
    for header in (GRID, UNIT, ROOM, ID_NUMBER, PHONE):
        column = _letter(HEADERS.index(header) + 1)
        for row in range(2, 2001):
            sheet[f"{column}{row}"].number_format = "@"
    relation_list = DataValidation(
        type="list", formula1='"' + ",".join(_RELATION_SUGGESTIONS) + '"', allow_blank=True
    )
    sex_list = DataValidation(type="list", formula1='"男,女"', allow_blank=True)
    sheet.add_data_validation(relation_list)
    sheet.add_data_validation(sex_list)
    for validation, header in ((relation_list, RELATION), (sex_list, SEX)):
        column = _letter(HEADERS.index(header) + 1)
        validation.add(f"{column}2:{column}100000")
    _style_roster_sheet(sheet)
    notes = workbook.create_sheet(NOTES_SHEET)
    for line in _notes_rows(actor):
        notes.append(line)
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 8
    notes.column_dimensions["C"].width = 70
    notes.column_dimensions["D"].width = 22
    for cell in notes[1]:
        cell.font = header_font
    for row_cells in notes.iter_rows(min_row=2):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.save(destination)


def roster_export(
    *,
    actor: User,
    territory_code: str,
    destination: str | Path | IO[bytes],
    unmask: bool = False,
) -> int:
    """Write the roster of a territory (the template's layout) and return the persons written.

    Rows come through ``visible_to``; ID numbers and phones are masked unless ``unmask`` is
    asked for (never the default: the full values are for a roster to correct and import
    again) by an actor who may unmask, and special-population tags are left out unless the
    actor may see them. Every export is audited, saying whether it held full values.
    """
    if not actor.has_perm("org.export_roster"):
        raise PermissionDenied(_("You may not export household rosters."))
    if unmask and not actor.has_perm("org.unmask_personal"):
        raise PermissionDenied(_("You may not export full ID numbers and phone numbers."))
    if not territory_in_scope(actor=actor, territory_code=territory_code):
        raise TerritoryNotFound(territory_code)
    unmasked = unmask
    with_sensitive = actor.has_perm("org.view_sensitive_tags")
    tag_names = PersonTag.objects.order_by("name")
    if not with_sensitive:
        tag_names = tag_names.filter(sensitive=False)
    persons = (
        Person.objects.visible_to(actor)
        .filter(within("territory_code", territory_code))
        .select_related("household__grid__village__parent", "household__unit")
        .annotate(head_first=Case(When(relation=Relation.HEAD, then=Value(0)), default=Value(1)))
        .order_by("household__territory_code", "household_id", "head_first", "pk")
        .prefetch_related(Prefetch("tags", queryset=tag_names))
    )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(ROSTER_SHEET)
    _style_roster_sheet(sheet)
    sheet.append(list(HEADERS))
    count = 0
    for person in persons.iterator(chunk_size=2000):
        household = person.household
        grid = household.grid
        village = grid.village
        id_number = person.id_number.reveal() if unmasked else person.id_number.masked
        phone = person.phone.reveal() if unmasked else person.phone.masked
        sheet.append(
            [
                village.parent.name if village.parent else "",
                village.name,
                grid.code,
                household.unit.code if household.unit is not None else "",
                household.address,
                household.building,
                household.entrance,
                household.room,
                household.longitude,
                household.latitude,
                person.name,
                _relation_word(person.relation, person.sex),
                id_number,
                _SEX_WORD.get(Sex(person.sex), "") if person.sex else "",
                person.birth_date,
                person.ethnicity,
                phone,
                "、".join(tag.name for tag in person.tags.all()),
            ]
        )
        count += 1
    notes = workbook.create_sheet(NOTES_SHEET)
    for row in _notes_rows(actor):
        notes.append(row)
    workbook.save(destination)
    audit_record(
        action=AuditAction.EXPORT,
        actor=actor,
        detail={
            "kind": "household_roster",
            "territory": territory_code,
            "persons": count,
            "unmasked": unmasked,
            "sensitive_tags": with_sensitive,
        },
    )
    return count
