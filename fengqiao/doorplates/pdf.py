"""A small PDF writer that streams pages to a file and embeds a subset of a CJK TrueType font.

Why not reportlab or fpdf2 (docs/dependencies.md): both keep the whole document in memory
until it is saved, and a township's sheet is 5,096 plates on 637 pages. Here every page is
compressed and written the moment it is finished; what stays in memory is the page numbers,
their file offsets and the set of glyphs used, so memory does not grow with the number of
plates. The font is subset once, at the end, when every glyph the document uses is known;
subsetting is fontTools' work (the library behind matplotlib's, fpdf2's and WeasyPrint's
font embedding).

The font is a CIDFontType2 (TrueType outlines, ``FontFile2``) under a Type0 font with
Identity-H encoding. Text is written as the *original* font's glyph ids, and a
``CIDToGIDMap`` maps them to the subset's glyph ids, so no page has to be rewritten after
subsetting. A ``ToUnicode`` map keeps the text searchable and copyable.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zlib
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import IO

from django.core.exceptions import ImproperlyConfigured
from fontTools import subset as ft_subset
from fontTools.ttLib import TTFont, TTLibError

# A4 in points (1/72 inch).
A4_WIDTH = 595.2756
A4_HEIGHT = 841.8898
MM = 72 / 25.4

_CATALOG, _PAGES, _FONT, _CID_FONT, _DESCRIPTOR, _FONT_FILE, _TO_UNICODE, _CID_MAP, _INFO = range(
    1, 10
)
_FIRST_FREE = 10
_COMPRESSION = 6


class PlateFontMissing(ImproperlyConfigured):
    """The configured CJK font file is not there (or is not a TrueType-outline font)."""


class TrueTypeFont:
    """One face of a TrueType(-collection) font: glyph lookup and advance widths.

    Loaded lazily by fontTools: reading the cmap and the metrics of a 5 MB CJK font takes
    about 0.1 s; the outlines are read only when the subset is made.
    """

    def __init__(self, path: str | Path, *, number: int = 0) -> None:
        self.path = Path(path)
        self.number = number
        try:
            font = TTFont(self.path, fontNumber=number, lazy=True)
        except (OSError, TTLibError) as error:
            raise PlateFontMissing(str(error)) from error
        if "glyf" not in font:
            raise PlateFontMissing(
                f"{self.path} has no TrueType outlines (glyf): a CFF/OpenType font such as "
                "Noto Sans CJK cannot be embedded by this writer."
            )
        self._font = font
        self.units_per_em: int = font["head"].unitsPerEm
        self._cmap: dict[int, str] = font.getBestCmap()
        self._hmtx = font["hmtx"]
        self._glyph_ids: dict[str, int] = {}
        self.postscript_name = (
            str(font["name"].getDebugName(6) or "CJKFont").replace(" ", "") or "CJKFont"
        )
        hhea = font["hhea"]
        scale = 1000 / self.units_per_em
        self.ascent = round(hhea.ascent * scale)
        self.descent = round(hhea.descent * scale)
        head = font["head"]
        self.bbox = [round(value * scale) for value in (head.xMin, head.yMin, head.xMax, head.yMax)]
        # Per character: (glyph id, advance in font units); filled as text is encoded.
        self._chars: dict[str, tuple[int, int]] = {}
        self.missing: set[str] = set()

    def glyph(self, char: str) -> tuple[int, int]:
        known = self._chars.get(char)
        if known is not None:
            return known
        name = self._cmap.get(ord(char))
        if name is None:
            # .notdef: a visible box (tofu) on the plate, so that a missing glyph is noticed.
            self.missing.add(char)
            name = self._font.getGlyphOrder()[0]
        gid = self._glyph_ids.get(name)
        if gid is None:
            gid = self._font.getGlyphID(name)
            self._glyph_ids[name] = gid
        found = (gid, self._hmtx[name][0])
        self._chars[char] = found
        return found

    def width(self, text: str, size: float) -> float:
        """The advance width of ``text`` at ``size`` points (no kerning: plates need none)."""
        return sum(self.glyph(char)[1] for char in text) * size / self.units_per_em

    def used(self) -> dict[int, str]:
        """Glyph ids used so far, each with the (first) character it stands for."""
        used: dict[int, str] = {}
        for char, (gid, _advance) in self._chars.items():
            used.setdefault(gid, char)
        return used

    def advance(self, gid: int) -> int:
        name = self._font.getGlyphOrder()[gid]
        return int(self._hmtx[name][0])

    def subset(self, gids: Iterable[int]) -> tuple[bytes, dict[int, int]]:
        """A TrueType font holding only ``gids`` (and .notdef), and old → new glyph ids."""
        order = self._font.getGlyphOrder()
        names = {order[gid] for gid in gids} | {order[0]}
        full = TTFont(self.path, fontNumber=self.number, lazy=True)
        for tag in ("GSUB", "GPOS", "GDEF", "vhea", "vmtx", "FFTM"):
            if tag in full:
                del full[tag]  # never read: dropping them first saves a second of parsing
        options = ft_subset.Options()
        options.layout_features = []  # no shaping: glyphs are chosen through the cmap
        options.hinting = False  # printed at 300-600 dpi; hinting only helps small screens
        options.notdef_outline = True
        options.drop_tables = [*options.drop_tables, "FFTM", "GSUB", "GPOS", "GDEF", "vhea", "vmtx"]
        subsetter = ft_subset.Subsetter(options)
        subsetter.populate(glyphs=sorted(names))
        quiet = logging.getLogger("fontTools.subset")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            subsetter.subset(full)
        finally:
            quiet.setLevel(level)
        buffer = io.BytesIO()
        full.save(buffer)
        mapping = {
            gid: full.getGlyphID(order[gid]) for gid in gids if order[gid] in full.getGlyphOrder()
        }
        return buffer.getvalue(), mapping


def _pdf_text_string(text: str) -> bytes:
    """A PDF text string in UTF-16BE (any script), as a hex string."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


class PdfWriter:
    """Writes pages to ``out`` as they come; ``close()`` adds the font, page tree and index.

    Content streams are PDF operators. Text is shown with ``text(...)``, which returns the
    operators for one run of text in the embedded font (resource name ``/F1``).
    """

    def __init__(
        self,
        out: IO[bytes],
        font: TrueTypeFont,
        *,
        width: float = A4_WIDTH,
        height: float = A4_HEIGHT,
        title: str = "",
    ) -> None:
        self.out = out
        self.font = font
        self.width = width
        self.height = height
        self.title = title
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._next = _FIRST_FREE
        self._position = 0
        self._hex: dict[str, str] = {}
        self._write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

    # -- low level ---------------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self._position += len(data)

    def _object(self, number: int, body: bytes) -> None:
        self._offsets[number] = self._position
        self._write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    def _stream(self, number: int, data: bytes, extra: bytes = b"", compress: bool = True) -> None:
        if compress:
            data = zlib.compress(data, _COMPRESSION)
            extra += b" /Filter /FlateDecode"
        self._object(
            number,
            b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream",
        )

    def _allocate(self) -> int:
        number = self._next
        self._next += 1
        return number

    # -- content -----------------------------------------------------------------------------
    def encode(self, text: str) -> str:
        """``text`` as a hex string of 2-byte glyph ids (Identity-H)."""
        parts = []
        cache = self._hex
        for char in text:
            code = cache.get(char)
            if code is None:
                code = f"{self.font.glyph(char)[0]:04X}"
                cache[char] = code
            parts.append(code)
        return "".join(parts)

    def text(self, x: float, y: float, size: float, text: str) -> str:
        """Operators showing ``text`` with its baseline starting at (x, y)."""
        return f"BT /F1 {size:.2f} Tf {x:.2f} {y:.2f} Td <{self.encode(text)}> Tj ET\n"

    def page(self, content: str) -> None:
        """Write one page now (its content compressed); nothing of it is kept."""
        contents = self._allocate()
        self._stream(contents, content.encode("ascii"))
        page = self._allocate()
        self._object(
            page,
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.4f %.4f] "
            b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
            % (_PAGES, self.width, self.height, _FONT, contents),
        )
        self._pages.append(page)

    @property
    def page_count(self) -> int:
        return len(self._pages)

    # -- the end -----------------------------------------------------------------------------
    def close(self) -> None:
        if not self._pages:
            self.page("")  # a PDF needs at least one page
        used = self.font.used() or {0: " "}
        font_bytes, mapping = self.font.subset(used)
        self._write_font(used, font_bytes, mapping)
        kids = b" ".join(b"%d 0 R" % page for page in self._pages)
        self._object(_PAGES, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self._pages)))
        self._object(_CATALOG, b"<< /Type /Catalog /Pages %d 0 R >>" % _PAGES)
        created = datetime.now().astimezone()
        offset = created.strftime("%z")
        stamp = created.strftime("D:%Y%m%d%H%M%S") + f"{offset[:3]}'{offset[3:]}'"
        self._object(
            _INFO,
            b"<< /Producer %s /Title %s /CreationDate (%s) >>"
            % (_pdf_text_string("Fengqiao"), _pdf_text_string(self.title), stamp.encode()),
        )
        size = self._next
        xref = self._position
        lines = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
        for number in range(1, size):
            offset_of = self._offsets.get(number)
            if offset_of is None:
                lines.append(b"0000000000 65535 f \n")
            else:
                lines.append(b"%010d 00000 n \n" % offset_of)
        self._write(b"".join(lines))
        self._write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (size, _CATALOG, _INFO, xref)
        )

    def _write_font(self, used: dict[int, str], font_bytes: bytes, mapping: dict[int, int]) -> None:
        font = self.font
        digest = hashlib.sha256(repr(sorted(used)).encode()).digest()
        tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
        name = f"{tag}+{font.postscript_name}".encode("ascii", "replace")
        self._object(
            _FONT,
            b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H "
            b"/DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>" % (name, _CID_FONT, _TO_UNICODE),
        )
        scale = 1000 / font.units_per_em
        widths = b" ".join(
            b"%d [%d]" % (gid, round(font.advance(gid) * scale)) for gid in sorted(used)
        )
        self._object(
            _CID_FONT,
            b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s "
            b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            b"/FontDescriptor %d 0 R /DW 1000 /W [%s] /CIDToGIDMap %d 0 R >>"
            % (name, _DESCRIPTOR, widths, _CID_MAP),
        )
        bbox = b" ".join(b"%d" % value for value in font.bbox)
        self._object(
            _DESCRIPTOR,
            b"<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%s] /ItalicAngle 0 "
            b"/Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R >>"
            % (name, bbox, font.ascent, font.descent, font.ascent, _FONT_FILE),
        )
        self._stream(_FONT_FILE, font_bytes, b" /Length1 %d" % len(font_bytes))
        cid_map = bytearray(2 * (max(used) + 1))
        for old, new in mapping.items():
            cid_map[2 * old : 2 * old + 2] = new.to_bytes(2, "big")
        self._stream(_CID_MAP, bytes(cid_map))
        self._stream(_TO_UNICODE, _to_unicode_cmap(used))


def _to_unicode_cmap(used: dict[int, str]) -> bytes:
    entries = sorted(used.items())
    blocks = []
    for start in range(0, len(entries), 100):  # at most 100 entries per bfchar block
        chunk = entries[start : start + 100]
        lines = "\n".join(
            f"<{gid:04X}> <{char.encode('utf-16-be').hex().upper()}>" for gid, char in chunk
        )
        blocks.append(f"{len(chunk)} beginbfchar\n{lines}\nendbfchar")
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
        + "\n".join(blocks)
        + "\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"
    ).encode("ascii")
