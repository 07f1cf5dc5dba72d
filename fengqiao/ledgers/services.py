"""The only writers of export jobs (besides the task that moves a background job along).

An export is asked for with a POST to the page's query string: a link could be followed by
anything that fetches it, and full personal values are a box to tick, never the default.
Its filters are read first: a value that cannot be read is refused with what to fix, and no
job is made. Up to ``LEDGERS_SYNC_MAX_ROWS`` rows are written in the request (the view
streams the file and keeps nothing); more go to a Celery task that writes the file under
``MEDIA_ROOT/ledgers/`` with its progress on the job, for the owner to download. Every
export is written to the security audit log when its rows are written (an unmasked one also
as unmasking), and every download of a stored file again.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.services import audit_record
from fengqiao.ledgers.choices import JobStatus, LedgerKind
from fengqiao.ledgers.models import ExportJob
from fengqiao.ledgers.registry import ledger_open
from fengqiao.ledgers.workbook import Destination, LedgerSource, Progress, Written


def sync_max_rows() -> int:
    return int(settings.LEDGERS_SYNC_MAX_ROWS)


def export_start(
    *, kind: str, params: Any, actor: Any, unmask: bool = False
) -> tuple[ExportJob, LedgerSource]:
    """Read the filters, count the rows and make the job. A big export is queued to run
    after this transaction commits (in the asker's language); a small one is the caller's
    to write at once with ``export_write``. Full ID numbers and phones only when ``unmask``
    is asked for, by a user who may unmask (``PermissionDenied`` otherwise). Raises
    ``ValidationError`` for a filter that cannot be read (no job is made)."""
    if kind not in LedgerKind.values:
        raise ValidationError(_("There is no such ledger."))
    if unmask and not actor.has_perm("org.unmask_personal"):
        raise PermissionDenied(_("You may not export full ID numbers and phone numbers."))
    now = timezone.now()
    source = ledger_open(kind, params=params, actor=actor, now=now, unmask=unmask)
    total = source.count()
    job = ExportJob(
        kind=kind,
        filters=source.filters,
        created_by=actor,
        rows_total=total,
        unmasked=source.unmasked,
        background=total > sync_max_rows(),
        status=JobStatus.PENDING if total > sync_max_rows() else JobStatus.RUNNING,
    )
    job.full_clean()
    job.save()
    if job.background:
        from fengqiao.ledgers.tasks import export_job_run

        language = get_language() or settings.LANGUAGE_CODE
        transaction.on_commit(lambda: export_job_run.delay(job.pk, language))
    return job, source


def job_source(job: ExportJob) -> LedgerSource:
    """The job's ledger again, from its stored filters, as it was when it was asked for
    (the deadline columns and filter are read at the time of asking)."""
    params = QueryDict(mutable=True)
    params.update(job.filters)
    return ledger_open(
        job.kind, params=params, actor=job.created_by, now=job.created_at, unmask=job.unmasked
    )


def export_write(
    *,
    job: ExportJob,
    source: LedgerSource,
    destination: Destination,
    progress: Progress | None = None,
    request: HttpRequest | None = None,
) -> Written:
    """Write the ledger's rows to ``destination`` and record the export in the audit log
    (one entry; an unmasked export also as unmasking)."""
    if source.unmasked != job.unmasked:
        # The exporter's permission changed while the job waited: the file shows what they
        # may see when it is written, and the job says so.
        job.unmasked = source.unmasked
        ExportJob.objects.filter(pk=job.pk).update(unmasked=job.unmasked)
    written = source.write(destination, progress=progress)
    detail = {
        **written.detail,
        "job": job.pk,
        "filters": job.filters,
        "rows": written.rows,
        "unmasked": job.unmasked,
        "background": job.background,
    }
    actor = job.created_by
    audit_record(action=AuditAction.EXPORT, actor=actor, target=job, request=request, detail=detail)
    if job.unmasked:
        audit_record(
            action=AuditAction.UNMASK, actor=actor, target=job, request=request, detail=detail
        )
    return written


def export_delivered(*, job: ExportJob, rows: int) -> None:
    """A small export went out in the response: nothing is kept but the job row."""
    ExportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, rows_done=rows, rows_total=rows, finished_at=timezone.now()
    )


def export_failed(*, job: ExportJob, problem: str) -> None:
    ExportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, error=problem[:300], finished_at=timezone.now()
    )


def export_download(*, job: ExportJob, actor: Any, request: HttpRequest | None = None) -> None:
    """Allow the download of a finished export's file, writing it to the audit log.

    The caller found ``job`` through ``ExportJob.objects.visible_to(actor)`` (the owner, or an
    administrator). Someone other than the owner who may not unmask never gets a file with
    full personal values: for them it does not exist."""
    if not job.can_download:
        raise ValidationError(_("This export has no file to download."))
    if job.created_by_id != actor.pk and job.unmasked and not actor.has_perm("org.unmask_personal"):
        raise ExportJob.DoesNotExist
    audit_record(
        action=AuditAction.EXPORT,
        actor=actor,
        target=job,
        request=request,
        detail={
            "kind": job.kind,
            "job": job.pk,
            "download": True,
            "rows": job.rows_done,
            "unmasked": job.unmasked,
            "owner": job.created_by.get_username(),
        },
    )


def exports_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of exports finished more than ``LEDGERS_RETENTION_DAYS`` ago (the job
    rows stay, as the list of what was exported), and mark jobs that never finished as
    failed; returns how many files went. Idempotent."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=int(settings.LEDGERS_RETENTION_DAYS))
    # A job still waiting or writing after that long lost its worker: say so on its page.
    ExportJob.objects.filter(
        status__in=(JobStatus.PENDING, JobStatus.RUNNING), created_at__lt=cutoff
    ).update(
        status=JobStatus.FAILED,
        error=_("The export was interrupted. Export again from the list."),
        finished_at=now,
    )
    expired = 0
    old = ExportJob.objects.filter(finished_at__lt=cutoff, expired_at=None).exclude(file="")
    for job in old.iterator():
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="", expired_at=now)
        expired += 1
    return expired
