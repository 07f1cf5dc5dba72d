"""Background work of the ledgers: writing a big export, deleting old export files."""

from __future__ import annotations

import logging
import tempfile
import time

from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.ledgers.choices import JobStatus
from fengqiao.ledgers.models import ExportJob
from fengqiao.ledgers.services import export_failed, export_write, exports_expire, job_source

logger = logging.getLogger(__name__)

# Progress is written at most this often (seconds): each write is a small committed UPDATE
# that the progress bar, polled from another process, reads.
PROGRESS_INTERVAL = 0.5


@shared_task(name="ledgers.export_job_run")
def export_job_run(job_id: int, language: str = "") -> None:
    """Write a queued export to a file under MEDIA_ROOT/ledgers/, reporting progress.

    The rows are read with plain cursors and no long transaction, so the pages keep working
    while a county's year is exported. Log lines name the job, never a filter value."""
    if not ExportJob.objects.filter(pk=job_id, status=JobStatus.PENDING).update(
        status=JobStatus.RUNNING
    ):
        return  # redelivered (acks_late) or already done
    job = ExportJob.objects.select_related("created_by").get(pk=job_id)
    jobs = ExportJob.objects.filter(pk=job_id)
    last = 0.0

    def report(done: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_INTERVAL:
            jobs.update(rows_done=done)
            last = now

    try:
        with (
            translation.override(language or settings.LANGUAGE_CODE),
            tempfile.TemporaryFile() as spool,
        ):
            written = export_write(
                job=job, source=job_source(job), destination=spool, progress=report
            )
            spool.seek(0)
            job.file.save("ledger.xlsx", File(spool), save=False)
    except ValidationError as invalid:  # a filter no longer reads (a category was removed)
        export_failed(job=job, problem=" ".join(invalid.messages))
    except (PermissionDenied, Http404):  # the exporter's role or scope changed meanwhile
        with translation.override(language or settings.LANGUAGE_CODE):
            export_failed(job=job, problem=_("You may no longer export this ledger."))
    except Exception:
        logger.exception("export %s failed", job_id)
        with translation.override(language or settings.LANGUAGE_CODE):
            export_failed(
                job=job,
                problem=_(
                    "The export stopped because of an internal error. Tell your administrator."
                ),
            )
    else:
        jobs.update(
            status=JobStatus.DONE,
            file=job.file.name,
            rows_done=written.rows,
            rows_total=written.rows,
            finished_at=timezone.now(),
        )


@shared_task(name="ledgers.expire_exports")
def expire_exports() -> int:
    """Delete export files older than LEDGERS_RETENTION_DAYS (run hourly by beat)."""
    return exports_expire()
