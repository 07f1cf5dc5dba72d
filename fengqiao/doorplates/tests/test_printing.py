"""Printing: the PDF sheet embeds its CJK font and renders real glyphs; single plates."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont

from fengqiao.conftest import World
from fengqiao.doorplates import printing
from fengqiao.doorplates.pdf import MM, PdfWriter, PlateFontMissing
from fengqiao.doorplates.services import doorplate_issue, doorplate_issue_missing_under
from fengqiao.org.choices import Role
from fengqiao.org.services import staff_create

BASE = "https://fq.example.gov.cn"
DPI = 100


def _poppler(tool: str) -> str:
    found = shutil.which(tool)
    assert found, f"{tool} is missing: install the Debian package poppler-utils (make browser-deps)"
    return found


def _raster(pdf: Path, page: int = 1, dpi: int = DPI) -> Image.Image:
    out = subprocess.run(
        [_poppler("pdftoppm"), "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page), str(pdf)],
        check=True,
        capture_output=True,
    ).stdout
    return Image.open(io.BytesIO(out)).convert("L")


def _ink(image: Image.Image) -> float:
    """Share of dark pixels."""
    histogram = image.point(lambda v: 255 if v < 128 else 0).histogram()
    return histogram[255] / (image.width * image.height)


def _trimmed(image: Image.Image) -> Image.Image:
    box = ImageChops.invert(image).getbbox()
    assert box is not None, "nothing drawn"
    return image.crop(box).resize((240, 60))


def _difference(a: Image.Image, b: Image.Image) -> float:
    diff = ImageChops.difference(_trimmed(a), _trimmed(b))
    return sum(i * n for i, n in enumerate(diff.histogram())) / (240 * 60 * 255)


@pytest.fixture
def sheet(world: World, tmp_path: Path) -> Path:
    worker = world.a.users["grid_worker"]
    assert worker.full_name == "双堰街道网格员"
    doorplate_issue_missing_under(
        territory_code=world.a.area.territory_code, actor=world.a.users["township_operator"]
    )
    path = tmp_path / "sheet.pdf"
    progress: list[tuple[int, int]] = []
    with path.open("wb") as out:
        printed = printing.plate_sheet_write(
            territory_code=world.a.area.territory_code,
            title=world.a.area.name,
            base_url=BASE,
            out=out,
            progress=lambda done, total: progress.append((done, total)),
        )
    assert printed == 2 and progress[-1] == (2, 2)
    return path


@pytest.mark.django_db
def test_the_sheet_embeds_every_font_it_uses(sheet: Path) -> None:
    data = sheet.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in data or b"/FontFile3" in data
    report = subprocess.run(
        [_poppler("pdffonts"), str(sheet)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert report, "no font at all"
    for line in report:
        emb, sub = line.split()[-5:-3]
        assert (emb, sub) == ("yes", "yes"), line
    text = subprocess.run(
        [_poppler("pdftotext"), "-layout", str(sheet), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # (The addresses wrap at this size: 双堰街道中街 / 1号.)
    for words in (
        "扫码办事",
        "双堰街道中街",
        "双堰街道北街",
        "网格员：双堰街道网格员",
        "双堰街道一村",
    ):
        assert words in text


@pytest.mark.django_db
def test_the_sheet_renders_its_plates_in_real_glyphs(sheet: Path, tmp_path: Path) -> None:
    page = _raster(sheet)
    assert abs(page.width - 210 / 25.4 * DPI) < 2 and abs(page.height - 297 / 25.4 * DPI) < 2

    def cell(column: int, row: int) -> Image.Image:
        left = (printing.SHEET_LEFT + column * printing.PLATE_WIDTH) / 25.4 * DPI
        top = (printing.SHEET_TOP + row * printing.PLATE_HEIGHT) / 25.4 * DPI
        return page.crop(
            (
                round(left),
                round(top),
                round(left + printing.PLATE_WIDTH / 25.4 * DPI),
                round(top + printing.PLATE_HEIGHT / 25.4 * DPI),
            )
        )

    assert _ink(cell(0, 0)) > 0.15 and _ink(cell(1, 0)) > 0.15  # two plates, QR codes and text
    assert _ink(cell(0, 1)) < 0.001  # the rest of the page is empty

    # The instruction 扫码办事 as poppler draws it from the embedded subset, against the
    # same words drawn by FreeType from the font file, and against tofu (.notdef boxes).
    x0, y0 = printing.SHEET_LEFT + 50.5, printing.SHEET_TOP + 47.5
    instruction = page.crop(tuple(round(v / 25.4 * DPI) for v in (x0, y0, x0 + 38, y0 + 7.5)))
    size = round(17 / 72 * DPI)
    face = ImageFont.truetype(str(printing.font_path()), size=size)

    def drawn(text: str) -> Image.Image:
        image = Image.new("L", (size * 6, size * 2), 255)
        ImageDraw.Draw(image).text((4, 4), text, fill=0, font=face)
        return image

    assert _difference(instruction, drawn("扫码办事")) < 0.12
    assert _difference(instruction, drawn("\ue000\ue001\ue002\ue003")) > 0.2
    assert _difference(instruction, drawn("办事扫码")) > 0.15  # the comparison sees glyphs


@pytest.mark.django_db
def test_sheet_pages_hold_eight_plates_in_address_order(world: World, tmp_path: Path) -> None:
    from fengqiao.territory.services import household_create

    for number in range(9, 0, -1):
        household_create(grid=world.a.grid, address=f"双堰街道南街{number}号")
    doorplate_issue_missing_under(territory_code=world.a.village.territory_code, actor=world.admin)
    path = tmp_path / "village.pdf"
    with path.open("wb") as out:
        assert (
            printing.plate_sheet_write(
                territory_code=world.a.village.territory_code, title="一村", base_url=BASE, out=out
            )
            == 11
        )
    info = subprocess.run(
        [_poppler("pdfinfo"), str(path)], check=True, capture_output=True, text=True
    ).stdout
    assert re.search(r"Pages:\s+2\b", info)
    # Ordered by village, then address: 中街1号 (in the world already) sorts after 北街/南街.
    from fengqiao.doorplates.printing import working_plates

    addresses = list(
        working_plates(world.a.village.territory_code).values_list("household__address", flat=True)
    )
    assert addresses == sorted(addresses) and len(addresses) == 11
    second = subprocess.run(
        [_poppler("pdftotext"), "-f", "2", "-l", "2", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "第 2 / 2 页" in second and "扫码办事" in second


def test_a_missing_font_is_refused_naming_the_package(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings.PDF_FONT_PATH = str(tmp_path / "nope.ttc")
    with pytest.raises(PlateFontMissing, match="fonts-wqy-microhei"):
        printing.plate_font()


@pytest.mark.django_db
def test_one_plate_as_svg_and_png(world: World) -> None:
    staff_create(
        username="grid1b",
        password="Test-pass-2026",
        full_name="第二网格员",
        role=Role.GRID_WORKER,
        scope_code=world.a.grid.code,
    )
    plate = doorplate_issue(household=world.a.household, actor=world.admin)
    text = printing.plate_text(plate, BASE)
    assert text.url == f"{BASE}/d/{plate.token()}/"
    assert text.workers == "双堰街道网格员、第二网格员"

    svg = printing.plate_svg(text)
    assert svg.startswith("<svg") and 'width="95.0mm"' in svg
    for words in ("扫码办事", "双堰街道中街", "双堰街道 · 双堰街道一村", "网格员：双堰街道"):
        assert words in svg
    assert re.search(r'<path [^>]*d="M\d', svg)

    png = Image.open(io.BytesIO(printing.plate_png(text)))
    assert png.format == "PNG" and png.size == (round(95 / 25.4 * 300), round(64 / 25.4 * 300))
    assert 0.1 < _ink(png.convert("L")) < 0.6


def test_the_writer_needs_at_least_a_page(tmp_path: Path) -> None:
    out = io.BytesIO()
    writer = PdfWriter(out, printing.plate_font(), title="空")
    writer.close()
    path = tmp_path / "empty.pdf"
    path.write_bytes(out.getvalue())
    assert (
        "Pages:           1"
        in subprocess.run(
            [_poppler("pdfinfo"), str(path)], check=True, capture_output=True, text=True
        ).stdout
    )
    assert MM == 72 / 25.4
