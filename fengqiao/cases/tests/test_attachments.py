"""Attachments are checked by content and size, photos lose their metadata, and a set with
one bad file stores nothing."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from PIL import Image

from fengqiao.cases.attachments import (
    MAX_PHOTOS_PER_SET,
    attachment_add,
    attachments_add_many,
)
from fengqiao.cases.choices import CaseType, Channel
from fengqiao.cases.models import Case, CaseAttachment, Category
from fengqiao.cases.services import case_submit
from fengqiao.conftest import World

pytestmark = pytest.mark.django_db

ORIENTATION = 0x0112
GPS_IFD = 0x8825
ROTATE_90_CW = 6
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    # Messages are asserted in English, whatever the catalogue of the default language says.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def case(world: World, clock: Any) -> Case:
    created, _ = case_submit(
        case_type=CaseType.HAZARD,
        category=Category.objects.get(code="fire"),
        channel=Channel.GRID_WORKER,
        title="楼道堆放杂物",
        description="三楼楼道堆满纸箱，堵住了消防通道。",
        territory_code=world.a.household.territory_code,
        actor=world.a.users["grid_worker"],
    )
    return created


def stored_files(root: Path) -> list[Path]:
    return [Path(dirpath) / name for dirpath, _, names in os.walk(root) for name in names]


def gps_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = ROTATE_90_CW
    exif[0x010F] = "PhoneMaker"  # camera make
    exif[GPS_IFD] = {1: "N", 2: (26.0, 34.0, 42.0), 3: "E", 4: (106.0, 42.0, 48.0)}
    return exif


def image_bytes(fmt: str, size: tuple[int, int] = (400, 300), **save: Any) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(output, fmt, **save)
    return output.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    # The browser's claimed type is deliberately wrong in some tests: it must not matter.
    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_jpeg_loses_its_gps_and_exif_but_keeps_its_orientation(
    case: Case, world: World, media_root: Path
) -> None:
    original = image_bytes("JPEG", (400, 300), exif=gps_exif())
    with Image.open(io.BytesIO(original)) as check:
        assert check.getexif().get_ifd(GPS_IFD)  # the test photo does carry a location

    attachment = attachment_add(
        case=case, uploaded_file=upload("IMG_0001.JPG", original), actor=world.admin
    )

    assert attachment.content_type == "image/jpeg"
    assert attachment.original_name == "IMG_0001.JPG"
    assert attachment.uploaded_by == world.admin
    assert attachment.file.name.startswith("cases/2026/06/")
    assert attachment.file.name.endswith(".jpg") and "IMG_0001" not in attachment.file.name
    stored = (media_root / attachment.file.name).read_bytes()
    assert attachment.size == len(stored)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert not image.getexif().get_ifd(GPS_IFD)
        assert "exif" not in image.info and "xmp" not in image.info
        assert image.size == (300, 400)  # turned upright from the orientation tag
    assert b"Exif" not in stored and b"PhoneMaker" not in stored


def test_a_big_photo_is_scaled_to_2560_on_its_long_side(case: Case) -> None:
    attachment = attachment_add(
        case=case, uploaded_file=upload("big.jpg", image_bytes("JPEG", (5200, 2600))), actor=None
    )
    with attachment.file.open("rb") as stored, Image.open(stored) as image:
        assert image.size == (2560, 1280)


def test_png_and_webp_pass_without_metadata(case: Case) -> None:
    png = image_bytes("PNG", exif=gps_exif())
    webp = image_bytes("WEBP", exif=gps_exif())
    saved = attachments_add_many(
        case=case,
        uploaded_files=[upload("plan.png", png), upload("photo.webp", webp)],
        actor=None,
    )
    assert [a.content_type for a in saved] == ["image/png", "image/webp"]
    for attachment in saved:
        with attachment.file.open("rb") as stored, Image.open(stored) as image:
            assert dict(image.getexif()) == {}
            assert "exif" not in image.info


def test_a_renamed_program_is_refused_with_the_allowed_types(case: Case, media_root: Path) -> None:
    fake = b"MZ\x90\x00" + os.urandom(4096)  # an .exe's header, then noise
    with pytest.raises(ValidationError) as caught:
        attachment_add(case=case, uploaded_file=upload("photo.jpg", fake), actor=None)
    message = " ".join(caught.value.messages)
    assert "photo.jpg" in message
    for allowed in ("JPEG", "PNG", "WebP", "PDF", ".docx", ".xlsx"):
        assert allowed in message
    assert not CaseAttachment.objects.exists() and not stored_files(media_root)


@pytest.mark.parametrize(
    "content",
    [
        os.urandom(2048),  # random bytes
        image_bytes("GIF"),  # a real image, of a type not allowed
        image_bytes("BMP"),
        b"GIF89a" + os.urandom(100),
    ],
)
def test_other_content_is_refused(case: Case, content: bytes) -> None:
    with pytest.raises(ValidationError, match="not a file type"):
        attachment_add(case=case, uploaded_file=upload("x.jpg", content), actor=None)


def test_oversized_files_are_refused_with_the_limit(case: Case, media_root: Path) -> None:
    # A valid JPEG followed by padding: decoders ignore it, the size check must not.
    padded = image_bytes("JPEG") + b"\0" * (10 * MB)
    with pytest.raises(ValidationError, match="larger than 10 MB"):
        attachment_add(case=case, uploaded_file=upload("huge.jpg", padded), actor=None)
    pdf = b"%PDF-1.7\n" + b"\0" * (20 * MB)
    with pytest.raises(ValidationError, match="larger than 20 MB"):
        attachment_add(case=case, uploaded_file=upload("huge.pdf", pdf), actor=None)
    assert not CaseAttachment.objects.exists() and not stored_files(media_root)


def test_an_image_with_too_many_pixels_is_refused(case: Case) -> None:
    output = io.BytesIO()
    Image.new("1", (9000, 9000)).save(output, "PNG")  # a small file, 81 million pixels
    with pytest.raises(ValidationError, match="too many pixels"):
        attachment_add(case=case, uploaded_file=upload("bomb.png", output.getvalue()), actor=None)


def test_pdf_and_office_documents_are_accepted(case: Case, media_root: Path) -> None:
    pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
    workbook = io.BytesIO()
    Workbook().save(workbook)
    saved = attachments_add_many(
        case=case,
        uploaded_files=[
            upload("协议.pdf", pdf, "application/octet-stream"),
            upload("台账.xlsx", workbook.getvalue(), "application/octet-stream"),
            upload("说明.docx", docx_bytes(), "application/octet-stream"),
        ],
        actor=None,
    )
    assert [(a.original_name, a.file.name.rsplit(".", 1)[1]) for a in saved] == [
        ("协议.pdf", "pdf"),
        ("台账.xlsx", "xlsx"),
        ("说明.docx", "docx"),
    ]
    assert saved[0].content_type == "application/pdf"
    assert saved[0].size == len(pdf)
    assert (media_root / saved[0].file.name).read_bytes() == pdf  # documents are kept as sent


DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def docx_bytes(main_type: str = DOCX_MAIN) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            f'content-types"><Override PartName="/word/document.xml" ContentType="{main_type}"/>'
            "</Types>",
        )
        package.writestr("word/document.xml", "<w:document/>")
    return output.getvalue()


def test_other_zip_files_and_macro_documents_are_refused(case: Case) -> None:
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as package:
        package.writestr("setup.exe", b"MZ")
    macro = docx_bytes("application/vnd.ms-word.document.macroEnabled.main+xml")
    broken = docx_bytes()[:-30]  # cut off: the zip directory is damaged
    for name, content in [
        ("a.docx", plain_zip.getvalue()),
        ("b.docx", macro),
        ("c.docx", broken),
    ]:
        with pytest.raises(ValidationError, match="not a file type"):
            attachment_add(case=case, uploaded_file=upload(name, content), actor=None)


def test_seven_photos_are_refused_and_nothing_is_written(case: Case, media_root: Path) -> None:
    photos = [upload(f"p{n}.jpg", image_bytes("JPEG")) for n in range(MAX_PHOTOS_PER_SET + 1)]
    with pytest.raises(ValidationError, match="At most 6 photos"):
        attachments_add_many(case=case, uploaded_files=photos, actor=None)
    assert not CaseAttachment.objects.exists() and not stored_files(media_root)
    saved = attachments_add_many(case=case, uploaded_files=photos[:6], actor=None)
    assert len(saved) == 6 and len(stored_files(media_root)) == 6


def test_one_bad_file_in_a_set_stores_none(case: Case, media_root: Path) -> None:
    files = [
        upload("good.jpg", image_bytes("JPEG")),
        upload("bad.jpg", os.urandom(1000)),
        upload("good.pdf", b"%PDF-1.4\n"),
    ]
    with pytest.raises(ValidationError) as caught:
        attachments_add_many(case=case, uploaded_files=files, actor=None)
    assert any("bad.jpg" in message for message in caught.value.messages)
    assert not CaseAttachment.objects.exists() and not stored_files(media_root)


def test_a_step_holds_at_most_six_photos_over_several_uploads(case: Case) -> None:
    event = case.events.get()
    attachments_add_many(
        case=case,
        uploaded_files=[upload(f"a{n}.jpg", image_bytes("JPEG")) for n in range(4)],
        actor=None,
        event=event,
    )
    with pytest.raises(ValidationError, match="this would make 7"):
        attachments_add_many(
            case=case,
            uploaded_files=[upload(f"b{n}.jpg", image_bytes("JPEG")) for n in range(3)],
            actor=None,
            event=event,
        )
    assert case.attachments.filter(event=event).count() == 4


def test_staff_must_see_the_case_and_the_step_must_be_its_own(case: Case, world: World) -> None:
    photo = upload("x.jpg", image_bytes("JPEG"))
    with pytest.raises(PermissionDenied):
        attachment_add(case=case, uploaded_file=photo, actor=world.b.users["township_operator"])
    other, _ = case_submit(
        case_type=CaseType.HELP,
        category=Category.objects.get(code="other"),
        channel=Channel.PHONE,
        title="另一件",
        description="另一件事",
        territory_code=world.a.area.territory_code,
    )
    with pytest.raises(ValidationError, match="another case"):
        attachment_add(case=case, uploaded_file=photo, actor=None, event=other.events.get())
    attachment_add(case=case, uploaded_file=photo, actor=world.a.users["township_operator"])


def test_a_damaged_photo_is_refused(case: Case) -> None:
    truncated = image_bytes("JPEG", (800, 600))[:2000]  # the header, half the pixels missing
    with pytest.raises(ValidationError, match="could not be read"):
        attachment_add(case=case, uploaded_file=upload("cut.jpg", truncated), actor=None)
