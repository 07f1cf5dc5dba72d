"""Printable doorplates: one plate as SVG or PNG, and A4 sheets of plates as a PDF.

A plate (95 × 64 mm) carries the QR code of ``<public base URL>/d/<token>/``, the doorplate
address, the village and township, the grid worker's name and the instruction 扫码办事. Its
layout is computed once (``plate_drawing``) and drawn by three back ends: the PDF sheet
(through the streaming writer of ``fengqiao.doorplates.pdf``, CJK font embedded), a PNG at
300 dpi (Pillow, the same font) and an SVG (text left as text, for a sign maker to edit; it
uses the fonts of the machine that opens it).

The words on a plate are Chinese whatever the staff member's language: like the roster's
column headers, they are the artefact residents read, not interface text.

Sheets hold 2 × 4 plates per A4 page with cut marks in the margins, ordered by village, then
address. They are written page by page straight to the output file, so memory stays flat
however many plates a township has (5,096 in Liutang).
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Substr
from django.utils import timezone, translation
from PIL import Image, ImageDraw, ImageFont

from fengqiao.core.codes import within
from fengqiao.core.privacy import decrypt
from fengqiao.doorplates.models import Doorplate
from fengqiao.doorplates.pdf import A4_HEIGHT, MM, PdfWriter, PlateFontMissing, TrueTypeFont
from fengqiao.doorplates.qr import plate_qr
from fengqiao.org.choices import Role
from fengqiao.org.models import User
from fengqiao.territory.choices import AreaLevel
from fengqiao.territory.models import Area, Household

if TYPE_CHECKING:
    from fengqiao.territory.models import Grid

# Debian's fonts-wqy-microhei: TrueType outlines (the PDF embeds TrueType), 5 MB, GB18030.
DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT_PACKAGE = "fonts-wqy-microhei"

PLATE_WIDTH = 95.0  # mm
PLATE_HEIGHT = 64.0
COLUMNS, ROWS = 2, 4
PLATES_PER_PAGE = COLUMNS * ROWS
SHEET_LEFT = (210 - COLUMNS * PLATE_WIDTH) / 2  # 10 mm
SHEET_TOP = (297 - ROWS * PLATE_HEIGHT) / 2  # 20.5 mm
CUT_MARK_GAP, CUT_MARK_LENGTH = 1.5, 6.0
PNG_DPI = 300
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules

TITLE = "码上办"
INSTRUCTION = "扫码办事"
INSTRUCTION_DETAIL = "反映问题 · 办理事项 · 查看进度"
WORKER_LABEL = "网格员："
SVG_FONTS = (
    "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
)


def font_path() -> Path:
    return Path(settings.PDF_FONT_PATH or DEFAULT_FONT_PATH)


def plate_font() -> TrueTypeFont:
    """The CJK font plates are printed in; refuses clearly when it is not installed."""
    path = font_path()
    if not path.is_file():
        raise PlateFontMissing(
            f"The CJK font for printing doorplates is missing: {path}. Install the Debian "
            f"package {FONT_PACKAGE} (apt-get install {FONT_PACKAGE}, done by `make "
            "print-deps`), or point FENGQIAO_PDF_FONT at another TrueType CJK font."
        )
    return TrueTypeFont(path)


@lru_cache(maxsize=1)
def _measuring_font(path: Path) -> TrueTypeFont:
    return TrueTypeFont(path)


def plate_url(base_url: str, token: str) -> str:
    """The address in a plate's QR code (fengqiao.urls mounts the residents' pages at /d/)."""
    return f"{base_url.rstrip('/')}/d/{token}/"


# --- What is on a plate -----------------------------------------------------------------------


@dataclass(frozen=True)
class PlateText:
    url: str
    address: str
    area: str
    workers: str


@dataclass
class PlateDrawing:
    """A plate's layout in millimetres, origin top left, y downwards."""

    lines: list[tuple[float, float, float, float, float]] = field(default_factory=list)
    # (x, y, width, height, line width in points)
    frames: list[tuple[float, float, float, float, float]] = field(default_factory=list)
    # (x, baseline y, size in points, text, anchor "start" or "end")
    texts: list[tuple[float, float, float, str, str]] = field(default_factory=list)
    qr_x: float = 0.0
    qr_y: float = 0.0
    qr_module: float = 0.0  # mm per module
    qr_size: int = 0  # modules, quiet zone included
    # Dark runs of the QR code: (row, first column, length), quiet zone included.
    qr_runs: list[tuple[int, int, int]] = field(default_factory=list)


def qr_runs(url: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The QR code of ``url`` as horizontal runs of dark modules, and its size in modules.

    The mask is chosen by the standard's penalty rules (see ``fengqiao.doorplates.qr``).
    """
    code = plate_qr(url)
    runs = []
    for row, modules in enumerate(code.matrix):
        column, width = 0, len(modules)
        while column < width:
            if modules[column] & 1:
                start = column
                while column < width and modules[column] & 1:
                    column += 1
                runs.append((row + QR_BORDER, start + QR_BORDER, column - start))
            else:
                column += 1
    return len(code.matrix) + 2 * QR_BORDER, runs


def _wrap(
    text: str, width: float, size: float, measure: Callable[[str, float], float]
) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` mm (Chinese breaks between any two
    characters; a space is preferred when there is one)."""
    lines: list[str] = []
    current = ""
    for char in text:
        trial = current + char
        if current and measure(trial, size) > width:
            cut = current.rfind(" ")
            if _is_word(current[-1]) and (_is_word(char) or char in _NUMBER_SUFFIXES):
                # Never split a number (with its 号/栋/室) or a Latin word: carry it over.
                start = len(current)
                while start > 0 and _is_word(current[start - 1]):
                    start -= 1
                cut = start - 1 if start > 0 else -1
            if cut >= 0 and char != " ":
                lines.append(current[: cut + 1].rstrip())
                current = current[cut + 1 :].lstrip() + char
            else:
                lines.append(current.rstrip())
                current = char.lstrip()
        else:
            current = trial
    if current.strip():
        lines.append(current.strip())
    return lines


_NUMBER_SUFFIXES = "号栋幢室楼层户组"


def _is_word(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _fit(text: str, width: float, size: float, measure: Callable[[str, float], float]) -> str:
    """``text`` shortened with … so that it fits ``width`` mm."""
    if measure(text, size) <= width:
        return text
    while text and measure(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def plate_drawing(text: PlateText, measure: Callable[[str, float], float]) -> PlateDrawing:
    """Lay out one plate. ``measure(text, points)`` is the text's width in millimetres."""
    drawing = PlateDrawing()
    drawing.frames.append((2.0, 2.0, PLATE_WIDTH - 4, PLATE_HEIGHT - 4, 0.8))
    # Header: village and township, and the service's name.
    drawing.texts.append((PLATE_WIDTH - 5, 8.6, 11, TITLE, "end"))
    title_width = measure(TITLE, 11)
    drawing.texts.append(
        (5, 8.4, 9, _fit(text.area, PLATE_WIDTH - 13 - title_width, 9, measure), "start")
    )
    drawing.lines.append((4, 10.8, PLATE_WIDTH - 4, 10.8, 0.5))
    # The QR code, quiet zone included, on the left.
    size, runs = qr_runs(text.url)
    side = PLATE_HEIGHT - 2 - 11.6 - 1.2
    drawing.qr_x, drawing.qr_y = 3.2, 11.6
    drawing.qr_size, drawing.qr_runs = size, runs
    drawing.qr_module = side / size
    # The address, as large as fits in three lines, on the right.
    left = drawing.qr_x + side + 1.0
    column = PLATE_WIDTH - 5 - left
    for points in (16, 14, 12, 10.5, 9):
        lines = _wrap(text.address, column, points, measure)
        if len(lines) <= 3:
            break
    lines = lines[:3]
    leading = points / MM * 1.3
    baseline = 13.5 + points / MM
    for line in lines:
        drawing.texts.append((left, baseline, points, line, "start"))
        baseline += leading
    if text.workers:
        drawing.texts.append(
            (left, 44.0, 9, _fit(WORKER_LABEL + text.workers, column, 9, measure), "start")
        )
    drawing.lines.append((left, 46.5, PLATE_WIDTH - 5, 46.5, 0.4))
    drawing.texts.append((left, 53.5, 17, INSTRUCTION, "start"))
    drawing.texts.append((left, 58.3, 6.5, _fit(INSTRUCTION_DETAIL, column, 6.5, measure), "start"))
    return drawing


def _measure_with(font: TrueTypeFont) -> Callable[[str, float], float]:
    def measure(text: str, points: float) -> float:
        return font.width(text, points) / MM

    return measure


# --- Finding what goes on the plates --------------------------------------------------------


def _doorplate_text(address: str, building: str, entrance: str, room: str) -> str:
    # The same wording as everywhere else (Household.doorplate), always in Chinese.
    with translation.override(settings.LANGUAGE_CODE):
        return Household(address=address, building=building, entrance=entrance, room=room).doorplate


def _area_names(code: str) -> dict[str, str]:
    """Names of the current township over ``code`` and of the villages at or under it."""
    villages = within("territory_code", code[:12]) & Q(level=AreaLevel.VILLAGE)
    areas = Area.objects.filter(valid_to__isnull=True).filter(Q(territory_code=code[:9]) | villages)
    return dict(areas.values_list("territory_code", "name"))


def _area_label(names: dict[str, str], territory_code: str) -> str:
    township = names.get(territory_code[:9], "")
    village = names.get(territory_code[:12], "")
    return " · ".join(part for part in (township, village) if part)


def _grid_workers(code: str) -> dict[str, str]:
    """Grid code → its grid workers' names (as on the grid's notice board)."""
    workers: dict[str, list[str]] = {}
    rows = (
        User.objects.filter(role=Role.GRID_WORKER, is_active=True)
        .filter(within("scope_code", code))
        .order_by("full_name", "username")
        .values_list("scope_code", "full_name", "username")
    )
    for scope, full_name, username in rows:
        workers.setdefault(scope[:15], []).append(full_name or username)
    return {grid: "、".join(names) for grid, names in workers.items()}


def working_plates(territory_code: str) -> Any:
    """The working plates of the households under ``territory_code``, in print order: by
    village, then address (building, entrance, room)."""
    return (
        Doorplate.objects.filter(within("household__territory_code", territory_code))
        .filter(revoked_at__isnull=True)
        .order_by(
            Substr("household__territory_code", 1, 12),
            "household__address",
            "household__building",
            "household__entrance",
            "household__room",
            "household_id",
        )
    )


def _plate_texts(territory_code: str, base_url: str) -> Iterator[PlateText]:
    names = _area_names(territory_code)
    workers = _grid_workers(territory_code)
    rows = working_plates(territory_code).values_list(
        "token_sealed",
        "household__address",
        "household__building",
        "household__entrance",
        "household__room",
        "household__territory_code",
    )
    for sealed, address, building, entrance, room, code in rows.iterator(chunk_size=1000):
        yield PlateText(
            url=plate_url(base_url, decrypt(sealed)),
            address=_doorplate_text(address, building, entrance, room),
            area=_area_label(names, code),
            workers=workers.get(code[:15], ""),
        )


def plate_text(plate: Doorplate, base_url: str) -> PlateText:
    """What one plate shows (the household, its grid and areas loaded here)."""
    household = plate.household
    grid: Grid = household.grid
    code = household.territory_code
    names = _area_names(code[:12])
    return PlateText(
        url=plate_url(base_url, plate.token()),
        address=_doorplate_text(
            household.address, household.building, household.entrance, household.room
        ),
        area=_area_label(names, code),
        workers=_grid_workers(grid.code).get(grid.code, ""),
    )


# --- Back ends ------------------------------------------------------------------------------


def _pdf_plate(writer: PdfWriter, drawing: PlateDrawing, left: float, top: float) -> str:
    """PDF operators drawing ``drawing`` with its top-left corner at (left, top) points."""
    parts = ["0 g 0 G\n"]

    def x(mm: float) -> float:
        return left + mm * MM

    def y(mm: float) -> float:
        return top - mm * MM

    for fx, fy, fw, fh, lw in drawing.frames:
        parts.append(f"{lw:.2f} w {x(fx):.2f} {y(fy + fh):.2f} {fw * MM:.2f} {fh * MM:.2f} re S\n")
    for x1, y1, x2, y2, lw in drawing.lines:
        parts.append(f"{lw:.2f} w {x(x1):.2f} {y(y1):.2f} m {x(x2):.2f} {y(y2):.2f} l S\n")
    for tx, ty, points, content, anchor in drawing.texts:
        start = tx * MM
        if anchor == "end":
            start -= writer.font.width(content, points)
        parts.append(writer.text(left + start, y(ty), points, content))
    module = drawing.qr_module * MM
    parts.append(
        f"q {module:.5f} 0 0 {-module:.5f} {x(drawing.qr_x):.3f} {y(drawing.qr_y):.3f} cm\n"
    )
    parts.append("".join(f"{c} {r} {n} 1 re\n" for r, c, n in drawing.qr_runs))
    parts.append("f Q\n")
    return "".join(parts)


def _cut_marks(writer: PdfWriter) -> str:
    parts = ["0.3 w 0 G\n"]
    top = A4_HEIGHT - SHEET_TOP * MM
    bottom = A4_HEIGHT - (SHEET_TOP + ROWS * PLATE_HEIGHT) * MM
    left = SHEET_LEFT * MM
    right = (SHEET_LEFT + COLUMNS * PLATE_WIDTH) * MM
    gap, length = CUT_MARK_GAP * MM, CUT_MARK_LENGTH * MM
    for column in range(COLUMNS + 1):
        cx = (SHEET_LEFT + column * PLATE_WIDTH) * MM
        parts.append(f"{cx:.2f} {top + gap:.2f} m {cx:.2f} {top + gap + length:.2f} l S\n")
        parts.append(f"{cx:.2f} {bottom - gap:.2f} m {cx:.2f} {bottom - gap - length:.2f} l S\n")
    for row in range(ROWS + 1):
        cy = A4_HEIGHT - (SHEET_TOP + row * PLATE_HEIGHT) * MM
        parts.append(f"{left - gap:.2f} {cy:.2f} m {left - gap - length:.2f} {cy:.2f} l S\n")
        parts.append(f"{right + gap:.2f} {cy:.2f} m {right + gap + length:.2f} {cy:.2f} l S\n")
    return "".join(parts)


def plate_sheet_write(
    *,
    territory_code: str,
    title: str,
    base_url: str,
    out: IO[bytes],
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the A4 PDF sheet of every working plate under ``territory_code`` to ``out``;
    returns the number of plates. ``progress(done, total)`` is called after every page.

    No permission check here: the caller (the print job's service and task) has done it.
    """
    font = plate_font()
    measure = _measure_with(font)
    total = working_plates(territory_code).count()
    pages = max(1, -(-total // PLATES_PER_PAGE))
    writer = PdfWriter(out, font, title=f"{title} 门牌")
    marks = _cut_marks(writer)
    printed = timezone.localdate().isoformat()
    done = 0
    content: list[str] = []

    def finish_page() -> None:
        footer = f"{title} · 码上办门牌 · 第 {writer.page_count + 1} / {pages} 页 · {printed}"
        content.append(writer.text(SHEET_LEFT * MM, 8 * MM, 8, footer))
        writer.page(marks + "".join(content))
        content.clear()
        if progress is not None:
            progress(done, total)

    for text in _plate_texts(territory_code, base_url):
        slot = done % PLATES_PER_PAGE
        column, row = slot % COLUMNS, slot // COLUMNS
        left = (SHEET_LEFT + column * PLATE_WIDTH) * MM
        top = A4_HEIGHT - (SHEET_TOP + row * PLATE_HEIGHT) * MM
        content.append(_pdf_plate(writer, plate_drawing(text, measure), left, top))
        done += 1
        if done % PLATES_PER_PAGE == 0:
            finish_page()
    if content or writer.page_count == 0:
        finish_page()
    writer.close()
    return done


def plate_svg(text: PlateText) -> str:
    """One plate as SVG, 95 × 64 mm, text kept as text."""
    measure = _measure_with(_measuring_font(font_path())) if font_path().is_file() else _approx
    drawing = plate_drawing(text, measure)
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{PLATE_WIDTH}mm" height="{PLATE_HEIGHT}mm" '
        f'viewBox="0 0 {PLATE_WIDTH} {PLATE_HEIGHT}">',
        f'<rect width="{PLATE_WIDTH}" height="{PLATE_HEIGHT}" fill="#fff"/>',
    ]
    for fx, fy, fw, fh, lw in drawing.frames:
        out.append(
            f'<rect x="{fx}" y="{fy}" width="{fw}" height="{fh}" fill="none" stroke="#000" '
            f'stroke-width="{lw / MM:.3f}"/>'
        )
    for x1, y1, x2, y2, lw in drawing.lines:
        out.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#000" '
            f'stroke-width="{lw / MM:.3f}"/>'
        )
    for tx, ty, points, content, anchor in drawing.texts:
        out.append(
            f'<text x="{tx:.2f}" y="{ty:.2f}" font-size="{points / MM:.3f}" '
            f'text-anchor="{anchor}" font-family="{html.escape(SVG_FONTS)}">'
            f"{html.escape(content)}</text>"
        )
    path = "".join(f"M{c} {r}h{n}v1h-{n}z" for r, c, n in drawing.qr_runs)
    out.append(
        f'<path transform="translate({drawing.qr_x:.3f} {drawing.qr_y:.3f}) '
        f'scale({drawing.qr_module:.5f})" d="{path}" fill="#000"/>'
    )
    out.append("</svg>\n")
    return "\n".join(out)


def _approx(text: str, points: float) -> float:
    # Without the font file: CJK characters are square, the rest about half as wide.
    return sum(1.0 if ord(char) > 0x2E80 else 0.55 for char in text) * points / MM


def plate_png(text: PlateText, *, dpi: int = PNG_DPI) -> bytes:
    """One plate as a PNG at ``dpi`` (300: print quality), drawn in the embedded font."""
    font = plate_font()
    drawing = plate_drawing(text, _measure_with(font))
    scale = dpi / 25.4  # pixels per mm
    image = Image.new("L", (round(PLATE_WIDTH * scale), round(PLATE_HEIGHT * scale)), 255)
    draw = ImageDraw.Draw(image)
    for fx, fy, fw, fh, lw in drawing.frames:
        draw.rectangle(
            (fx * scale, fy * scale, (fx + fw) * scale, (fy + fh) * scale),
            outline=0,
            width=max(1, round(lw / 72 * dpi)),
        )
    for x1, y1, x2, y2, lw in drawing.lines:
        draw.line(
            (x1 * scale, y1 * scale, x2 * scale, y2 * scale),
            fill=0,
            width=max(1, round(lw / 72 * dpi)),
        )
    for tx, ty, points, content, anchor in drawing.texts:
        face = ImageFont.truetype(str(font.path), size=round(points / 72 * dpi), index=font.number)
        draw.text(
            (tx * scale, ty * scale),
            content,
            fill=0,
            font=face,
            anchor="rs" if anchor == "end" else "ls",
        )
    module = drawing.qr_module * scale
    for row, column, length in drawing.qr_runs:
        x0 = drawing.qr_x * scale + column * module
        y0 = drawing.qr_y * scale + row * module
        draw.rectangle(
            (round(x0), round(y0), round(x0 + length * module) - 1, round(y0 + module) - 1), fill=0
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi), optimize=True)
    return buffer.getvalue()
