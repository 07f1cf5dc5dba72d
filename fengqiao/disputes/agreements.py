"""The mediation agreement (调解协议书) as a PDF, one copy per party plus the committee's.

Generated from the ``MediationAgreement`` record with every element the People's Mediation
Law (art. 29) and the Ministry of Justice's model ask for: the parties' basic information;
the main facts, the matters in dispute and each party's responsibility; the rights and
obligations agreed; how, where and by when it is performed; a signature line for each party,
the mediator's signature, the place of the committee's seal and the date; the agreement's
number (per committee and year); and "本协议书一式N份，当事人各执一份，调解委员会留存一份".

Copies: ``copy`` is ``"party-<id>"`` (that party's copy), ``"archive"`` (the committee's) or
``"all"`` (every copy in one PDF, parties first, for printing at once). The copies differ
only in the line at the top right saying whose copy it is.

Like the doorplates, the document's words are Chinese whatever the staff member's language:
it is the legal artefact the parties sign. ID numbers and phones appear masked unless the
user may unmask them; the view audits every rendering (and an unmasked one as unmasking).

The PDF is written by the doorplates' streaming writer (``fengqiao.doorplates.pdf``) with
its embedded TrueType CJK font. Two things are added here: a font subset that keeps glyph
ids (``AgreementFont``: fontTools' subsetter takes about a second on the 49,531-glyph face,
which would be the whole budget of one agreement), and paragraph layout with Chinese line
breaking (``wrap``, ``PageFlow``).
"""

from __future__ import annotations

import datetime
import io
import re
import struct
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from fontTools.ttLib import TTFont
from fontTools.ttLib.sfnt import SFNTWriter

from fengqiao.core.privacy import Sensitive, SensitiveKind, mask
from fengqiao.disputes.models import DisputeParty, MediationAgreement
from fengqiao.doorplates.pdf import MM, PdfWriter, PlateFontMissing, TrueTypeFont
from fengqiao.doorplates.printing import FONT_PACKAGE, font_path

# --- The font: a subset that keeps the glyph ids -----------------------------------------------


class _RawFace:
    """The raw tables of one face of a TrueType(-collection) file, read once per process.

    Nothing is decompiled: the subset below copies glyph programs byte for byte, which is
    what makes an agreement render in a fraction of a second (fontTools' subsetter decompiles
    the 540 kB ``post`` table, the cmap and every metric of the 49,531-glyph face first).
    """

    def __init__(self, path: Path, number: int) -> None:
        reader = TTFont(path, fontNumber=number, lazy=True).reader
        self.tables = {tag: reader[tag] for tag in _KEPT_TABLES if tag in reader}
        for tag in ("head", "hhea", "maxp", "hmtx", "loca", "glyf"):
            if tag not in reader:
                raise PlateFontMissing(f"{path} has no '{tag}' table: not a TrueType font")
        head = reader["head"]
        self.long_loca = struct.unpack(">h", head[50:52])[0] == 1
        self.glyph_count = struct.unpack(">H", reader["maxp"][4:6])[0]
        self.h_metrics = struct.unpack(">H", reader["hhea"][34:36])[0]
        loca = array("I" if self.long_loca else "H", reader["loca"])
        if sys.byteorder == "little":
            loca.byteswap()
        scale = 1 if self.long_loca else 2
        self.offsets = [value * scale for value in loca[: self.glyph_count + 1]]
        self.glyf = reader["glyf"]
        self.hmtx = reader["hmtx"]
        self.head = head

    def glyph(self, gid: int) -> bytes:
        return self.glyf[self.offsets[gid] : self.offsets[gid + 1]]

    def with_components(self, gids: Iterable[int]) -> set[int]:
        """``gids`` and every glyph their composite glyphs are built from."""
        wanted = {0, *gids}
        pending = list(wanted)
        while pending:
            data = self.glyph(pending.pop())
            if len(data) < 10 or struct.unpack(">h", data[:2])[0] >= 0:
                continue  # empty or a simple glyph
            position = 10
            while True:
                flags, component = struct.unpack(">HH", data[position : position + 4])
                if component not in wanted:
                    wanted.add(component)
                    pending.append(component)
                position += 4 + (4 if flags & 0x0001 else 2)
                if flags & 0x0008:
                    position += 2
                elif flags & 0x0040:
                    position += 4
                elif flags & 0x0080:
                    position += 8
                if not flags & 0x0020:
                    break
        return wanted


# Tables an embedded CIDFontType2 needs (ISO 32000 9.9), plus hinting and OS/2; no cmap:
# text is shown by glyph id and the ToUnicode map carries the characters.
_KEPT_TABLES = ("head", "hhea", "maxp", "hmtx", "loca", "glyf", "cvt ", "fpgm", "prep", "OS/2")


@lru_cache(maxsize=2)
def _raw_face(path: Path, number: int) -> _RawFace:
    return _RawFace(path, number)


class AgreementFont(TrueTypeFont):
    """The doorplates' TrueType font, subset the way PDF libraries keep documents small *and*
    fast: every glyph keeps its id (the ``CIDToGIDMap`` is the identity), unused glyphs are
    empty, and used ones are copied as they are (with hinting; no cmap needed)."""

    def subset(self, gids: Iterable[int]) -> tuple[bytes, dict[int, int]]:
        face = _raw_face(self.path, self.number)
        wanted = face.with_components(gids)
        glyf = bytearray()
        loca = array("I", [0]) * (face.glyph_count + 1)
        for gid in range(face.glyph_count):
            if gid in wanted:
                glyf += face.glyph(gid)
                glyf += b"\0" * (-len(glyf) % 4)
            loca[gid + 1] = len(glyf)
        if sys.byteorder == "little":
            loca.byteswap()
        hmtx = bytearray(len(face.hmtx))
        for gid in wanted:
            if gid < face.h_metrics:
                hmtx[4 * gid : 4 * gid + 4] = face.hmtx[4 * gid : 4 * gid + 4]
            else:
                at = 4 * face.h_metrics + 2 * (gid - face.h_metrics)
                hmtx[at : at + 2] = face.hmtx[at : at + 2]
        tables = dict(face.tables)
        tables["head"] = face.head[:50] + struct.pack(">h", 1) + face.head[52:]
        tables["loca"] = loca.tobytes()
        tables["glyf"] = bytes(glyf)
        tables["hmtx"] = bytes(hmtx)
        out = io.BytesIO()
        writer = SFNTWriter(out, len(tables))
        for tag, data in sorted(tables.items()):
            writer[tag] = data
        writer.close()
        return out.getvalue(), {gid: gid for gid in gids}


# --- Line breaking and page flow -----------------------------------------------------------

# Never at the start of a line (行首禁则), never at the end of one (行尾禁则).
NO_LINE_START = frozenset("，。；：、）」』》〉】〕”’！？…—·%‰,.;:!?)]}")
NO_LINE_END = frozenset("（「『《〈【〔“‘([{")
_WORD_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz.-_/@+*")


def _units(text: str) -> list[str]:
    """Breakable units: one character, except that a run of Latin letters and digits (a
    number, an ID, a date like 2026-11-28) stays together."""
    units: list[str] = []
    run = ""
    for char in text:
        if char in _WORD_CHARS:
            run += char
            continue
        if run:
            units.append(run)
            run = ""
        units.append(char)
    if run:
        units.append(run)
    return units


def wrap(
    text: str, *, width: float, size: float, font: TrueTypeFont, indent: float = 0
) -> list[str]:
    """``text`` broken into lines no wider than ``width`` points (the first ``indent`` narrower).

    Chinese breaks between any two characters; a Latin word or a number is carried over
    whole unless it is longer than a line. A closing mark (，。；：、）」 …) that would begin a
    line takes the previous character with it to the next line (推出); an opening mark at the
    end of a line moves down too. A single character that cannot fit anyway is hung.
    """
    lines: list[str] = []
    current: list[str] = []
    used = 0.0
    limit = width - indent
    for unit in _units(text):
        advance = font.width(unit, size)
        if len(unit) > 1 and advance > width and used + advance > limit + 0.01:
            # A run longer than a whole line: break it by characters.
            for char in unit:
                char_advance = font.width(char, size)
                if current and used + char_advance > limit + 0.01:
                    lines.append("".join(current))
                    current, used, limit = [], 0.0, width
                current.append(char)
                used += char_advance
            continue
        if current and used + advance > limit + 0.01:
            carried: list[str] = []
            if unit in NO_LINE_START:
                # Take units back until the new line starts with one that may start a line.
                while len(current) > 1:
                    carried.insert(0, current.pop())
                    if carried[0] not in NO_LINE_START:
                        break
                if carried and carried[0] in NO_LINE_START:
                    current += carried
                    carried = []
            while len(current) > 1 and current[-1] in NO_LINE_END:
                carried.insert(0, current.pop())
            if unit in NO_LINE_START and not carried:
                current.append(unit)  # hang it: nothing could be carried with it
                lines.append("".join(current))
                current, used, limit = [], 0.0, width
                continue
            lines.append("".join(current))
            current = carried
            used = sum(font.width(piece, size) for piece in current)
            limit = width
        current.append(unit)
        used += advance
    if current:
        lines.append("".join(current))
    return lines


class PageFlow:
    """Text and rules laid out down the pages of one document (one copy of an agreement).

    Coordinates are PDF points from the bottom left; ``y`` is the top of the free space. A
    block that does not fit starts a new page. Pages are kept until ``finish()`` (an
    agreement is a few pages), so that every footer can say "第 i 页 共 n 页".
    """

    def __init__(
        self,
        writer: PdfWriter,
        *,
        margin: float = 25 * MM,
        top: float = 25 * MM,
        bottom: float = 25 * MM,
        footer: Callable[[int, int], str] | None = None,
    ) -> None:
        self.writer = writer
        self.font = writer.font
        self.left = margin
        self.right = writer.width - margin
        self.width = self.right - self.left
        self.top = writer.height - top
        self.bottom = bottom
        self.footer = footer
        self.y = self.top
        self._content: list[str] = []
        self._pages: list[list[str]] = []

    def ensure(self, height: float) -> None:
        """Start a new page unless ``height`` points still fit on this one."""
        if self.y - height < self.bottom and self.y < self.top:
            self.new_page()

    def new_page(self) -> None:
        self._pages.append(self._content)
        self._content = []
        self.y = self.top

    def finish(self) -> int:
        """Write the pages (with their footers) to the writer; the number of pages."""
        if self._content or not self._pages:
            self._pages.append(self._content)
        total = len(self._pages)
        for number, content in enumerate(self._pages, start=1):
            if self.footer is not None:
                text = self.footer(number, total)
                size = 9.0
                x = (self.writer.width - self.font.width(text, size)) / 2
                content.append(self.writer.text(x, self.bottom - 14, size, text))
            self.writer.page("".join(content))
        self._pages = []
        return total

    def show(self, x: float, baseline: float, size: float, text: str, spacing: float = 0) -> None:
        """One run of text; ``spacing`` is extra room after every character (justification)."""
        if spacing:
            encoded = self.writer.encode(text)
            self._content.append(
                f"BT /F1 {size:.2f} Tf {spacing:.3f} Tc {x:.2f} {baseline:.2f} Td "
                f"<{encoded}> Tj ET\n"
            )
        else:
            self._content.append(self.writer.text(x, baseline, size, text))

    def paragraph(
        self,
        text: str,
        *,
        size: float = 12,
        leading: float = 1.75,
        indent_chars: float = 0,
        hanging: float = 0,
        align: str = "justify",
        after: float = 0,
    ) -> None:
        """A paragraph: lines of ``size`` points, ``leading`` × size apart; ``indent_chars``
        em of first-line indent (两字缩进 is 2), ``hanging`` points for the following lines."""
        indent = indent_chars * size
        line_height = size * leading
        for line_text in text.split("\n"):
            lines = wrap(
                line_text,
                width=self.width - hanging,
                size=size,
                font=self.font,
                indent=indent - hanging,
            ) or [""]
            for number, line in enumerate(lines):
                self.ensure(line_height)
                baseline = self.y - size * 1.1
                x = self.left + (indent if number == 0 else hanging)
                available = self.right - x
                natural = self.font.width(line, size)
                spacing = 0.0
                if align == "center":
                    x = self.left + (self.width - natural) / 2
                elif align == "right":
                    x = self.right - natural
                elif align == "justify" and number < len(lines) - 1 and len(line) > 1:
                    extra = (available - natural) / (len(line) - 1)
                    if 0 < extra < size * 0.5:
                        spacing = extra
                if line:
                    self.show(x, baseline, size, line, spacing)
                self.y -= line_height
        self.y -= after

    def space(self, points: float) -> None:
        self.y -= points

    def rule(self, x0: float, x1: float, y: float, width: float = 0.6) -> None:
        self._content.append(f"{width:.2f} w {x0:.2f} {y:.2f} m {x1:.2f} {y:.2f} l S\n")

    def circle(self, cx: float, cy: float, r: float, width: float = 0.6, dash: bool = True) -> None:
        """A circle (four Bézier arcs), dashed: where a seal goes."""
        k = 0.5523 * r
        self._content.append(
            ("q [3 3] 0 d " if dash else "q ") + f"{width:.2f} w {cx + r:.2f} {cy:.2f} m "
            f"{cx + r:.2f} {cy + k:.2f} {cx + k:.2f} {cy + r:.2f} {cx:.2f} {cy + r:.2f} c "
            f"{cx - k:.2f} {cy + r:.2f} {cx - r:.2f} {cy + k:.2f} {cx - r:.2f} {cy:.2f} c "
            f"{cx - r:.2f} {cy - k:.2f} {cx - k:.2f} {cy - r:.2f} {cx:.2f} {cy - r:.2f} c "
            f"{cx + k:.2f} {cy - r:.2f} {cx + r:.2f} {cy - k:.2f} {cx + r:.2f} {cy:.2f} c S Q\n"
        )


# --- The agreement ---------------------------------------------------------------------------

TITLE = "人民调解协议书"
ARCHIVE = "archive"
ALL_COPIES = "all"
_PARTY_COPY = re.compile(r"^party-(\d+)$")

_ROLE_WORDS = {"applicant": "甲方", "respondent": "乙方", "third": "丙方"}
_SEX_WORDS = {"M": "男", "F": "女"}
_ID_TYPE_WORDS = {
    "resident_id": "居民身份证",
    "passport": "护照",
    "hk_macao": "港澳居民来往内地通行证",
    "taiwan": "台湾居民来往大陆通行证",
    "uscc": "统一社会信用代码",
}
_DIGITS = "〇一二三四五六七八九"

BODY_SIZE = 12.0
HEADING_SIZE = 12.5


class AgreementIncomplete(ValidationError):
    """The agreement record lacks an element the document must state."""


@dataclass(frozen=True)
class PartyLine:
    """One party as the document names it: 甲方 (or 甲方一, 甲方二 … when several)."""

    party: DisputeParty
    label: str


def _chinese_number(number: int) -> str:
    if number < 10:
        return _DIGITS[number]
    if number < 20:
        return "十" + (_DIGITS[number % 10] if number % 10 else "")
    return str(number)


def _date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def party_lines(parties: Sequence[DisputeParty]) -> list[PartyLine]:
    """Label the parties by role; several of one role are numbered (甲方一, 甲方二)."""
    counts: dict[str, int] = {}
    for party in parties:
        counts[party.role] = counts.get(party.role, 0) + 1
    seen: dict[str, int] = {}
    lines = []
    for party in parties:
        word = _ROLE_WORDS.get(party.role, "当事人")
        seen[party.role] = seen.get(party.role, 0) + 1
        if counts[party.role] > 1:
            word += _chinese_number(seen[party.role])
        lines.append(PartyLine(party=party, label=word))
    return lines


def agreement_check(agreement: MediationAgreement, parties: Sequence[DisputeParty]) -> None:
    """Refuse, naming every missing element, an agreement the document cannot be made from.

    The services refuse to create such a record; the renderer checks again, because a record
    corrected in the admin or imported from elsewhere must not print a half-empty document.
    """
    missing: list[str] = []
    for name in (*MediationAgreement.REQUIRED_FIELDS, "number"):
        field = MediationAgreement._meta.get_field(name)
        assert isinstance(field, models.Field)
        if field.is_relation:
            present = getattr(agreement, field.attname) is not None
        else:
            value = getattr(agreement, name)
            present = value is not None and (not isinstance(value, str) or bool(value.strip()))
        if not present:
            missing.append(str(getattr(field, "verbose_name", name)))
    if len(parties) < 2:
        missing.append(_("at least two parties"))
    for party in parties:
        if not party.name.strip():
            missing.append(_("a party's name"))
        if not party.address.strip():
            missing.append(_("the address of party “%(who)s”") % {"who": party.name})
    if missing:
        raise AgreementIncomplete(
            _("Agreement %(number)s cannot be printed; it is missing: %(fields)s.")
            % {"number": agreement.number or agreement.pk, "fields": "、".join(missing)},
            code="agreement_incomplete",
        )


def shown(value: Sensitive | str, kind: SensitiveKind, *, unmasked: bool) -> str:
    """A personal value as printed: full for a user who may unmask, else masked."""
    if isinstance(value, Sensitive):
        return value.reveal() if unmasked else value.masked
    return str(value) if unmasked else mask(str(value), kind)


def _party_text(line: PartyLine, *, unmasked: bool) -> str:
    """当事人的基本情况: name, sex, ethnicity, birth date, document, address, phone."""
    party = line.party
    bits = [party.name]
    if party.sex:
        bits.append(_SEX_WORDS.get(party.sex, ""))
    if party.ethnicity:
        bits.append(party.ethnicity)
    if party.birth_date:
        bits.append(f"{_date(party.birth_date)}出生")
    document = _ID_TYPE_WORDS.get(party.id_type, "")
    number = shown(party.id_number, "id_number", unmasked=unmasked)
    if document and number:
        bits.append(f"{document}号码{number}")
    bits.append(f"住址：{party.address}")
    phone = shown(party.phone, "phone", unmasked=unmasked)
    if phone:
        bits.append(f"联系电话：{phone}")
    return f"当事人（{line.label}）：" + "，".join(bit for bit in bits if bit) + "。"


def copy_keys(parties: Sequence[DisputeParty]) -> list[str]:
    """Every copy of the agreement: one per party, then the committee's."""
    return [f"party-{party.pk}" for party in parties] + [ARCHIVE]


def _copy_label(copy: str, lines: Sequence[PartyLine]) -> str:
    if copy == ARCHIVE:
        return "调解委员会存档"
    match = _PARTY_COPY.match(copy)
    for line in lines:
        if match and line.party.pk == int(match.group(1)):
            return f"当事人（{line.label}）{line.party.name} 收执"
    raise ValueError(f"not a copy of this agreement: {copy!r}")


def _write_copy(
    writer: PdfWriter,
    agreement: MediationAgreement,
    lines: Sequence[PartyLine],
    copy: str,
    *,
    unmasked: bool,
) -> int:
    committee = agreement.committee
    flow = PageFlow(
        writer,
        footer=lambda page, total: f"{agreement.number}　第 {page} 页 共 {total} 页",
    )
    label = _copy_label(copy, lines)
    flow.show(flow.right - flow.font.width(label, 9), flow.top + 18, 9, label)
    flow.paragraph(committee.name, size=14, align="center", leading=1.6)
    flow.paragraph(TITLE, size=22, align="center", leading=1.5, after=4)
    flow.paragraph(f"编号：{agreement.number}", size=11, align="right", after=10)

    for line in lines:
        flow.paragraph(_party_text(line, unmasked=unmasked), size=BODY_SIZE, after=4)
    flow.space(8)

    def section(heading: str, text: str) -> None:
        flow.ensure(HEADING_SIZE * 1.75 + BODY_SIZE * 1.75 * 2)
        flow.paragraph(heading, size=HEADING_SIZE)
        flow.paragraph(text, size=BODY_SIZE, indent_chars=2, after=8)

    section("一、纠纷的主要事实", agreement.facts)
    section("二、争议事项", agreement.matters)
    section("三、各方当事人的责任", agreement.responsibilities)
    section("四、经调解，各方当事人自愿达成如下协议", agreement.rights_obligations)
    deadline = agreement.performance_deadline
    assert deadline is not None  # agreement_check
    section(
        "五、履行方式、地点和期限",
        f"履行方式：{agreement.performance_method}\n"
        f"履行地点：{agreement.performance_place}\n"
        f"履行期限：{_date(deadline)}前履行完毕。",
    )
    copies = len(lines) + 1
    flow.paragraph(
        f"本协议书一式{_chinese_number(copies)}份，当事人各执一份，调解委员会留存一份。"
        "本协议自各方当事人签名（盖章或按指印）、人民调解员签名并加盖人民调解委员会印章之日起"
        "生效，具有法律约束力，当事人应当按照约定履行。当事人可以自本协议生效之日起三十日内共同"
        "向人民法院申请司法确认。",
        size=BODY_SIZE,
        indent_chars=2,
        after=14,
    )

    # Signatures: one line per party, the mediator, the committee's seal and the date.
    row = BODY_SIZE * 2.6
    flow.ensure(row * (len(lines) + 1) + 70 * MM / 2 + 30)
    flow.paragraph("当事人（签名、盖章或按指印）：", size=BODY_SIZE, after=4)
    column = flow.width / 2
    for index, line in enumerate(lines):
        x = flow.left + (index % 2) * column
        if index % 2 == 0:
            flow.ensure(row)
            baseline = flow.y - row + 6
        caption = f"{line.label}："
        flow.show(x, baseline, BODY_SIZE, caption)
        start = x + flow.font.width(caption, BODY_SIZE) + 2
        flow.rule(start, x + column - 18, baseline - 3)
        if index % 2 == 1 or index == len(lines) - 1:
            flow.y -= row
    flow.space(10)
    flow.ensure(row + 40 * MM)
    baseline = flow.y - row + 6
    caption = "人民调解员（签名）："
    flow.show(flow.left, baseline, BODY_SIZE, caption)
    start = flow.left + flow.font.width(caption, BODY_SIZE) + 2
    flow.rule(start, flow.left + column - 18, baseline - 3)
    mediator = agreement.mediator
    flow.show(start + 2, baseline - 16, 9, f"（{mediator.name}）")
    seal_x = flow.left + column * 1.5
    seal_y = baseline - 12 * MM
    flow.circle(seal_x, seal_y, 20 * MM)
    for offset, text in ((-4, committee.name), (-18, "（印章）")):
        # The committee's name stays inside the circle, however long it is.
        size = min(10.0, 32 * MM / max(flow.font.width(text, 1), 1))
        flow.show(seal_x - flow.font.width(text, size) / 2, seal_y + offset, size, text)
    signed_on = agreement.signed_on
    assert signed_on is not None  # agreement_check
    day = _date(signed_on)
    flow.show(seal_x - flow.font.width(day, BODY_SIZE) / 2, seal_y - 20 * MM - 18, BODY_SIZE, day)
    flow.y = seal_y - 20 * MM - 24
    return flow.finish()


def agreement_font() -> AgreementFont:
    """The CJK font the agreement is set in (the doorplates' font, configured the same way)."""
    path = font_path()
    if not path.is_file():
        raise PlateFontMissing(
            f"The CJK font for printing agreements is missing: {path}. Install the Debian "
            f"package {FONT_PACKAGE} (`make print-deps`), or point FENGQIAO_PDF_FONT at "
            "another TrueType CJK font."
        )
    return AgreementFont(path)


def agreement_pdf_write(
    *,
    agreement: MediationAgreement,
    copy: str,
    destination: IO[bytes],
    unmasked: bool = False,
) -> int:
    """Write copy ``copy`` (``party-<id>``, ``archive`` or ``all``) of ``agreement`` as a PDF
    to ``destination``; returns the number of pages. Refuses an incomplete record
    (``AgreementIncomplete``, naming what is missing) and a copy that is not the
    agreement's (``ValueError``). The caller has found ``agreement`` through the user's scope
    and decides ``unmasked`` (and audits it)."""
    parties = list(agreement.dispute.parties.order_by("id"))
    agreement_check(agreement, parties)
    lines = party_lines(parties)
    keys = copy_keys(parties)
    if copy == ALL_COPIES:
        wanted = keys
    elif copy in keys:
        wanted = [copy]
    else:
        raise ValueError(f"not a copy of this agreement: {copy!r}")
    writer = PdfWriter(destination, agreement_font(), title=f"{TITLE} {agreement.number}")
    pages = 0
    for key in wanted:
        pages += _write_copy(writer, agreement, lines, key, unmasked=unmasked)
    writer.close()
    return pages


def agreement_pdf_bytes(
    *, agreement: MediationAgreement, copy: str, unmasked: bool = False
) -> bytes:
    buffer = io.BytesIO()
    agreement_pdf_write(agreement=agreement, copy=copy, destination=buffer, unmasked=unmasked)
    return buffer.getvalue()
