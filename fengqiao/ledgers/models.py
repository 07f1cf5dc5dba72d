"""Export jobs: one row per ledger asked for, whether written in the request or in the
background, so that "my exports" lists them and a background one can be polled and fetched.

The file of a background export lies under ``MEDIA_ROOT/ledgers/`` under a random name;
``MEDIA_ROOT`` is never served directly (attachments go through views too), so the file is
reached only through the download view, which checks the owner and writes the audit log.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.ledgers.choices import JobStatus, LedgerKind
from fengqiao.org.choices import Role


def _ledger_path(job: ExportJob, filename: str) -> str:
    """A random name: the file holds personal data and its name must not be guessable."""
    return f"ledgers/{job.created_at:%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ExportJobQuerySet(models.QuerySet["ExportJob"]):
    def visible_to(self, user: Any) -> ExportJobQuerySet:
        """One's own exports; an administrator of the whole installation (a superuser, or an
        administrator with no scope) sees everyone's, to help and to audit. A scoped
        administrator sees only their own: another's file may hold places outside their scope."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_superuser or (user.role == Role.ADMINISTRATOR and not user.scope_code):
            return self.all()
        return self.filter(created_by=user)


class ExportJob(models.Model):
    """One export of a ledger: who asked, which ledger, the filters as they were on the page
    (the query string's fields), its progress, and, when written in the background, the
    file. The status is moved only by ``services`` and ``tasks``."""

    Status = JobStatus

    kind = models.CharField(_("ledger"), max_length=20, choices=LedgerKind.choices)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING
    )
    # Written in a Celery task (more rows than LEDGERS_SYNC_MAX_ROWS) or in the request.
    background = models.BooleanField(_("in the background"), default=False)
    unmasked = models.BooleanField(_("full personal values"), default=False)
    rows_total = models.PositiveIntegerField(_("rows to write"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file = models.FileField(_("file"), upload_to=_ledger_path, blank=True, max_length=200)
    error = models.CharField(_("error"), max_length=300, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # When the retention sweep deleted the file (LEDGERS_RETENTION_DAYS after it was written).
    expired_at = models.DateTimeField(_("file deleted at"), null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="exportjob_owner"),
            models.Index(fields=["status", "finished_at"], name="exportjob_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in {JobStatus.DONE, JobStatus.FAILED}

    @property
    def can_download(self) -> bool:
        return self.status == JobStatus.DONE and bool(self.file)

    @property
    def percent(self) -> int | None:
        if not self.rows_total:
            return None
        return min(100, round(100 * self.rows_done / self.rows_total))
