"""Background work of the doorplates app: printing a village's or township's plate sheet."""

from __future__ import annotations

import logging
import tempfile
import time

from celery import shared_task
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.files import File
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.doorplates.models import PlateSheet
from fengqiao.doorplates.printing import plate_sheet_write, working_plates
from fengqiao.doorplates.services import doorplate_issue_missing_under

logger = logging.getLogger(__name__)

# Progress is written at most this often (seconds): each write is a small committed UPDATE,
# so that the status page in another process sees it, on SQLite and PostgreSQL alike.
PROGRESS_INTERVAL = 0.5


@shared_task
def plate_sheet_print(sheet_id: int, language: str = "") -> None:
    """Issue the missing plates, then write the sheet's PDF to MEDIA_ROOT, page by page.

    Nothing here holds a long transaction: issuing commits in batches (see
    ``doorplate_issue_missing_under``) and the PDF is read from the database with a plain
    cursor, so the status page keeps loading while a township prints. Log lines name the
    sheet, never a token or an address.
    """
    if not PlateSheet.objects.filter(pk=sheet_id, status=PlateSheet.Status.PENDING).update(
        status=PlateSheet.Status.RUNNING
    ):
        return  # redelivered (acks_late) or already done
    sheet = PlateSheet.objects.select_related("created_by").get(pk=sheet_id)
    sheets = PlateSheet.objects.filter(pk=sheet_id)
    language = language or settings.LANGUAGE_CODE
    last = 0.0

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done >= total or now - last >= PROGRESS_INTERVAL:
            sheets.update(plates_done=done, plates_total=total)
            last = now

    def fail(problem: str) -> None:
        sheets.update(
            status=PlateSheet.Status.FAILED, error=problem[:300], finished_at=timezone.now()
        )

    try:
        with translation.override(language):
            issued = doorplate_issue_missing_under(
                territory_code=sheet.territory_code, actor=sheet.created_by
            )
            sheets.update(
                plates_issued=issued,
                plates_total=working_plates(sheet.territory_code).count(),
            )
            with tempfile.TemporaryFile() as spool:
                printed = plate_sheet_write(
                    territory_code=sheet.territory_code,
                    title=sheet.area_name,
                    base_url=sheet.base_url,
                    out=spool,
                    progress=report,
                )
                spool.seek(0)
                stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
                sheet.file.save(
                    f"{sheet.territory_code}-{stamp}-{sheet.pk}.pdf", File(spool), save=False
                )
    except PermissionDenied as denied:  # the starter lost the permission meanwhile
        fail(str(denied))
    except ImproperlyConfigured as missing:  # the font is not installed: say which package
        logger.error("plate sheet %s: %s", sheet_id, missing)
        fail(str(missing))
    except Exception:
        logger.exception("plate sheet %s failed", sheet_id)
        with translation.override(language):
            fail(_("Printing stopped because of an internal error. Tell your administrator."))
    else:
        sheets.update(
            status=PlateSheet.Status.DONE,
            file=sheet.file.name,
            plates_done=printed,
            plates_total=printed,
            finished_at=timezone.now(),
        )
        _forget_older(sheet)


def _forget_older(sheet: PlateSheet) -> None:
    """Delete the files of earlier sheets of the same territory: they hold tokens that may
    have been revoked since, and the new sheet replaces them."""
    older = PlateSheet.objects.filter(
        territory_code=sheet.territory_code, created_at__lt=sheet.created_at
    ).exclude(file="")
    for old in older:
        old.file.delete(save=False)
        PlateSheet.objects.filter(pk=old.pk).update(file="")
