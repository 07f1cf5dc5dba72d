from django.contrib import admin

from fengqiao.core.admin import ReadOnlyScopedAdmin
from fengqiao.ledgers.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyScopedAdmin):
    """Read-only, for administrators: jobs are made by exporting and moved by the task; the
    audit log is the record of who exported what, this shows what is running. The file is
    not offered here: it is fetched through the audited download view only."""

    list_display = ("id", "kind", "created_by", "created_at", "status", "rows_done", "rows_total")
    list_filter = ("kind", "status", "background", "unmasked")
    list_select_related = ("created_by",)
    exclude = ("file",)
