"""Photos and documents attached to a case.

What a file is is decided by its content, never by its name or the browser's claimed type:
an ``.exe`` renamed ``.jpg`` is refused. Photos are decoded and encoded again by Pillow,
which drops everything but the pixels: EXIF (with its GPS location, DESIGN.md "Photos lose
their EXIF location before storage"), XMP and comments. The orientation EXIF carried is
applied to the pixels first, so a phone photo still stands the right way up. Stored names are
random: the resident's file name is kept only as data.

A set of files is checked completely before anything is written, so a bad file in a set
leaves no half of the set behind.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from fengqiao.cases.models import Case, CaseAttachment, CaseEvent

MB: Final = 1024 * 1024
MAX_IMAGE_BYTES: Final = 10 * MB
MAX_DOCUMENT_BYTES: Final = 20 * MB
MAX_PHOTOS_PER_SET: Final = 6
# Photos are stored at most this long on their long side: enough to read a doorplate or a
# crack in a wall, a fraction of a 50-megapixel original's size.
MAX_IMAGE_SIDE: Final = 2560
# Refused before decoding: a small file can declare an enormous canvas ("decompression
# bomb"). 64 million pixels still admits a 50-megapixel phone photo.
MAX_IMAGE_PIXELS: Final = 64_000_000
JPEG_QUALITY: Final = 85

# Pillow format → (content type, extension)
IMAGE_FORMATS: Final = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
PDF_TYPE: Final = ("application/pdf", "pdf")
# The main part's content type in an Office Open XML package's [Content_Types].xml. The
# macro-enabled variants (.docm, .xlsm) declare other types and are therefore refused.
OOXML_TYPES: Final = {
    b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
}
# [Content_Types].xml is a few kilobytes; a bigger one is not a real Office file.
MAX_CONTENT_TYPES_BYTES: Final = 256 * 1024


def _not_allowed(name: str) -> ValidationError:
    return ValidationError(
        _(
            "“%(name)s” is not a file type that can be attached. Allowed: photos in JPEG, PNG "
            "or WebP; documents in PDF, Word (.docx) or Excel (.xlsx)."
        )
        % {"name": name},
        code="file_type",
    )


def _too_big(name: str, limit: int, *, photo: bool) -> ValidationError:
    message = (
        _("The photo “%(name)s” is larger than %(limit)d MB.")
        if photo
        else _("The document “%(name)s” is larger than %(limit)d MB.")
    )
    return ValidationError(message % {"name": name, "limit": limit // MB}, code="file_size")


@dataclass(frozen=True)
class PreparedFile:
    """A checked file, ready to store: photos already re-encoded without metadata."""

    original_name: str
    content_type: str
    extension: str
    is_photo: bool
    content: bytes | None  # re-encoded photo
    source: IO[Any] | None  # a document, stored as uploaded

    @property
    def size(self) -> int:
        if self.content is not None:
            return len(self.content)
        assert self.source is not None
        self.source.seek(0, io.SEEK_END)
        return self.source.tell()


def _original_name(uploaded_file: File[Any]) -> str:
    # Only the last part: browsers on some systems send a whole client path.
    name = (uploaded_file.name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or _("unnamed file")


def _file_size(uploaded_file: File[Any]) -> int:
    size = getattr(uploaded_file, "size", None)
    if size is None:
        uploaded_file.seek(0, io.SEEK_END)
        size = uploaded_file.tell()
    return int(size)


def prepare_file(uploaded_file: File[Any]) -> PreparedFile:
    """Check one file by its content and size; photos come back re-encoded. Raises
    ``ValidationError`` with a message that names the file and what is allowed."""
    name = _original_name(uploaded_file)
    size = _file_size(uploaded_file)
    uploaded_file.seek(0)
    head = uploaded_file.read(8)
    uploaded_file.seek(0)
    if head.startswith(b"%PDF-"):
        if size > MAX_DOCUMENT_BYTES:
            raise _too_big(name, MAX_DOCUMENT_BYTES, photo=False)
        return PreparedFile(name, *PDF_TYPE, False, None, uploaded_file)
    if head.startswith(b"PK\x03\x04"):
        content_type, extension = _office_type(uploaded_file, name)
        if size > MAX_DOCUMENT_BYTES:
            raise _too_big(name, MAX_DOCUMENT_BYTES, photo=False)
        uploaded_file.seek(0)
        return PreparedFile(name, content_type, extension, False, None, uploaded_file)
    return _prepare_photo(uploaded_file, name, size)


def _office_type(uploaded_file: IO[Any], name: str) -> tuple[str, str]:
    try:
        with zipfile.ZipFile(uploaded_file) as package:
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > MAX_CONTENT_TYPES_BYTES:
                raise _not_allowed(name)
            declared = package.read(info)
    except (
        zipfile.BadZipFile,
        KeyError,  # no [Content_Types].xml
        OSError,
        EOFError,
        ValueError,  # offsets pointing outside the file
        RuntimeError,  # an encrypted entry
        NotImplementedError,  # a compression method Office never uses
    ) as error:
        raise _not_allowed(name) from error
    for main_type, result in OOXML_TYPES.items():
        if main_type in declared:
            return result
    raise _not_allowed(name)


def _prepare_photo(uploaded_file: IO[Any], name: str, size: int) -> PreparedFile:
    try:
        image = Image.open(uploaded_file, formats=list(IMAGE_FORMATS))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise _not_allowed(name) from error
    with image:
        if size > MAX_IMAGE_BYTES:
            raise _too_big(name, MAX_IMAGE_BYTES, photo=True)
        width, height = image.size
        if width * height > MAX_IMAGE_PIXELS:
            raise ValidationError(
                _("The photo “%(name)s” has too many pixels (%(width)d × %(height)d).")
                % {"name": name, "width": width, "height": height},
                code="file_size",
            )
        image_format = str(image.format)
        try:
            cleaned = _reencode(image, image_format)
        except (OSError, ValueError, SyntaxError) as error:
            # A truncated or corrupt image: Pillow read the header but not the pixels.
            raise ValidationError(
                _("The photo “%(name)s” could not be read; it may be damaged.") % {"name": name},
                code="file_damaged",
            ) from error
    content_type, extension = IMAGE_FORMATS[image_format]
    return PreparedFile(name, content_type, extension, True, cleaned, None)


def _reencode(image: Image.Image, image_format: str) -> bytes:
    """The pixels only, upright and at most ``MAX_IMAGE_SIDE`` long, in the same format."""
    if image_format == "JPEG":
        # Let the JPEG decoder scale down by 1/2, 1/4 or 1/8 while decoding (never below
        # the wanted size): a 50-megapixel photo then never sits in memory at full size.
        image.draft(None, (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "RGBA", "L", "LA", "CMYK"):
        # Palette and other modes: resample in full colour (a palette resizes poorly).
        has_alpha = upright.has_transparency_data
        upright = upright.convert("RGBA" if has_alpha else "RGB")
    if image_format == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    upright.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE), Image.Resampling.LANCZOS)
    # A new image gets the pixels and nothing else: no EXIF, XMP, comments or text chunks
    # can travel with ``info`` into the encoder.
    clean = Image.new(upright.mode, upright.size)
    clean.paste(upright)
    output = io.BytesIO()
    if image_format == "JPEG":
        clean.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif image_format == "WEBP":
        clean.save(output, "WEBP", quality=JPEG_QUALITY)
    else:
        clean.save(output, "PNG", optimize=True)
    return output.getvalue()


# ---------------------------------------------------------------------------------------
# The services


def _check_access(case: Case, actor: Any, event: CaseEvent | None) -> None:
    # A resident has no account (``actor`` None): the page that received the upload has
    # already checked the reporter's tracking link. Staff must be able to see the case.
    if getattr(actor, "is_authenticated", False) and (
        not Case.objects.visible_to(actor).filter(pk=case.pk).exists()
    ):
        raise PermissionDenied(_("You cannot add files to this case."))
    if event is not None and event.case_id != case.pk:
        raise ValidationError(_("That step of the timeline belongs to another case."))


def _check_photo_count(new_photos: int, event: CaseEvent | None) -> None:
    already = (
        CaseAttachment.objects.filter(event=event, content_type__startswith="image/").count()
        if event is not None
        else 0
    )
    if new_photos + already > MAX_PHOTOS_PER_SET:
        raise ValidationError(
            _(
                "At most %(limit)d photos can go with one upload or one step of the case; "
                "this would make %(count)d."
            )
            % {"limit": MAX_PHOTOS_PER_SET, "count": new_photos + already},
            code="too_many_photos",
        )


def _store(
    case: Case, prepared: PreparedFile, actor: Any, event: CaseEvent | None
) -> CaseAttachment:
    """Write the file under the field's ``upload_to``, then its row."""
    attachment = CaseAttachment(
        case=case,
        event=event,
        original_name=prepared.original_name,
        content_type=prepared.content_type,
        size=prepared.size,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    name = f"{uuid.uuid4().hex}.{prepared.extension}"
    if prepared.content is not None:
        attachment.file.save(name, ContentFile(prepared.content), save=False)
    else:
        assert prepared.source is not None
        prepared.source.seek(0)
        attachment.file.save(name, File(prepared.source), save=False)
    try:
        attachment.full_clean()
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


@transaction.atomic
def attachments_add_many(
    *,
    case: Case,
    uploaded_files: Sequence[File[Any]],
    actor: Any,
    event: CaseEvent | None = None,
) -> list[CaseAttachment]:
    """Attach a set of files (one upload, or one step of the timeline). Every file is
    checked before the first is written: one bad file and none is stored."""
    _check_access(case, actor, event)
    errors: list[ValidationError] = []
    prepared: list[PreparedFile] = []
    for uploaded_file in uploaded_files:
        try:
            prepared.append(prepare_file(uploaded_file))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    _check_photo_count(sum(1 for item in prepared if item.is_photo), event)
    stored: list[CaseAttachment] = []
    try:
        for item in prepared:
            stored.append(_store(case, item, actor, event))
    except Exception:
        # Files are not part of the transaction: take back what this call wrote.
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return stored


def attachment_add(
    *, case: Case, uploaded_file: File[Any], actor: Any, event: CaseEvent | None = None
) -> CaseAttachment:
    """Attach one file (see ``attachments_add_many``)."""
    (attachment,) = attachments_add_many(
        case=case, uploaded_files=[uploaded_file], actor=actor, event=event
    )
    return attachment
