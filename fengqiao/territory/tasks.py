"""Background work of the territory app: importing uploaded rosters."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.territory.models import RosterImport
from fengqiao.territory.roster import RosterProgress, roster_import

logger = logging.getLogger(__name__)


@shared_task
def roster_import_run(import_id: int, language: str = "") -> None:
    """Import an uploaded roster, committing progress to its RosterImport row every batch.

    Progress is visible to the status page in any process because the import never holds a
    long transaction (see fengqiao.territory.roster): each update below is its own small
    committed write, on SQLite and PostgreSQL alike. The report's messages are written in the
    uploader's language.
    """
    # Claim the job: a redelivered message (acks_late) finds it no longer pending.
    if not RosterImport.objects.filter(pk=import_id, status=RosterImport.Status.PENDING).update(
        status=RosterImport.Status.RUNNING
    ):
        return
    job = RosterImport.objects.select_related("created_by").get(pk=import_id)
    language = language or settings.LANGUAGE_CODE
    jobs = RosterImport.objects.filter(pk=import_id)

    def report(progress: RosterProgress) -> None:
        jobs.update(stage=progress.stage, rows_done=progress.done, rows_total=progress.total or 0)

    def fail(problem: str) -> None:
        jobs.update(
            status=RosterImport.Status.FAILED,
            errors=[{"row": 0, "column": "", "problem": problem}],
            error_count=1,
            finished_at=timezone.now(),
        )

    try:
        with translation.override(language), job.file.open("rb") as handle:
            result = roster_import(source=handle, actor=job.created_by, progress=report)
    except PermissionDenied as denied:  # the uploader lost the permission meanwhile
        fail(str(denied))
    except Exception:
        logger.exception("roster import %s failed", import_id)
        with translation.override(language):
            fail(
                _(
                    "The import stopped because of an internal error. Tell your "
                    "administrator; importing the same file again is safe."
                )
            )
    else:
        outcome = {key: value for key, value in result.counts().items() if key != "rows"}
        if result.ok:
            outcome.update(rows_total=result.rows, rows_done=result.rows)
        jobs.update(
            status=RosterImport.Status.DONE if result.ok else RosterImport.Status.FAILED,
            errors=[error.as_dict() for error in result.errors],
            error_count=result.error_count,
            finished_at=timezone.now(),
            **outcome,
        )
    finally:
        # The upload holds full ID numbers in plain text: keep it no longer than needed.
        job.file.delete(save=False)
        jobs.update(file="")
