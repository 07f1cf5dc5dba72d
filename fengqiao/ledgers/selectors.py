"""Reads of export jobs, always through ``ExportJob.objects.visible_to``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from fengqiao.ledgers.models import ExportJob

MY_EXPORTS_LIMIT = 100


def export_jobs_visible(user: Any) -> QuerySet[ExportJob]:
    return ExportJob.objects.visible_to(user).select_related("created_by")


def my_exports(user: Any) -> QuerySet[ExportJob]:
    """The user's own latest exports (an administrator's page too shows only their own:
    others' are reached through the admin)."""
    return export_jobs_visible(user).filter(created_by=user)[:MY_EXPORTS_LIMIT]
