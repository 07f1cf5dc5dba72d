"""Exports: asked for with a page's query string, answered with the file (small) or the
job's progress page (big); the job page, the download and "my exports". Thin: the services
check, write and audit."""

from __future__ import annotations

import tempfile
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from fengqiao.ledgers import selectors, services
from fengqiao.ledgers.choices import LedgerKind
from fengqiao.ledgers.models import ExportJob
from fengqiao.ledgers.registry import ledger_filename
from fengqiao.ledgers.workbook import XLSX_CONTENT_TYPE
from fengqiao.org.models import User

# The export form's box for full personal values (``templates/ledgers/_export_form.html``).
UNMASK_FIELD = "unmask"


def _staff(request: HttpRequest) -> User:
    return cast("User", request.user)


def _limits() -> dict[str, int]:
    return {
        "retention_days": int(settings.LEDGERS_RETENTION_DAYS),
        "sync_max_rows": services.sync_max_rows(),
    }


def _filename(job: ExportJob) -> str:
    return f"{ledger_filename(job.kind)}-{timezone.localtime(job.created_at):%Y%m%d-%H%M}.xlsx"


def export_response(request: HttpRequest, kind: str) -> HttpResponseBase:
    """Answer an export form: POSTed to the page's address with its filters as the query
    string (``request.GET``), the box for full ID numbers and phones in the body. The file
    itself when it is small, else the progress page of the background job; a filter that
    cannot be read gets a page saying what to fix (400) and no job."""
    user = _staff(request)
    unmask = request.POST.get(UNMASK_FIELD) == "1"
    try:
        job, source = services.export_start(
            kind=kind, params=request.GET, actor=user, unmask=unmask
        )
    except ValidationError as invalid:
        context = {"problems": invalid.messages, "back": request.headers.get("Referer", "")}
        return render(request, "ledgers/invalid.html", context, status=400)
    if job.background:
        return redirect("ledgers:job", job.pk)
    # Written to a temporary file (``ledgers.xlsx`` streams rows: constant memory) and streamed
    # from it; the file disappears when the response is closed, nothing stays on disk.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    try:
        written = services.export_write(job=job, source=source, destination=spool, request=request)
    except BaseException:
        spool.close()
        services.export_failed(job=job, problem=_("The export stopped because of an error."))
        raise
    services.export_delivered(job=job, rows=written.rows)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=_filename(job), content_type=XLSX_CONTENT_TYPE
    )


# Where each ledger is asked for: a GET of an export address (a login that expired while the
# page was open sends the user back to it by GET) goes there, with the same filters.
LEDGER_PAGES: dict[str, str] = {
    LedgerKind.CASES: "cases:list",
    LedgerKind.DISPUTES: "disputes:list",
    LedgerKind.PERFORMANCE: "stats:dashboard",
}


def back_to_the_page(request: HttpRequest, kind: str) -> HttpResponse:
    """An export address opened by GET: nothing is exported; the ledger's page with the same
    filters, and a word on how to export from it."""
    messages.info(request, _("Nothing was exported yet: press the export button to export."))
    query = request.GET.urlencode()
    return redirect(reverse(LEDGER_PAGES[kind]) + (f"?{query}" if query else ""))


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def export(request: HttpRequest, kind: str) -> HttpResponseBase:
    if kind not in LedgerKind.values:
        raise Http404
    if request.method == "GET":
        return back_to_the_page(request, kind)
    return export_response(request, kind)


def _job(request: HttpRequest, pk: int) -> ExportJob:
    return get_object_or_404(selectors.export_jobs_visible(_staff(request)), pk=pk)


@login_required
@require_GET
@never_cache
def job(request: HttpRequest, pk: int) -> HttpResponse:
    """A background export; htmx re-fetches the progress part every second while it runs."""
    found = _job(request, pk)
    polled = request.headers.get("HX-Request") == "true"
    template = "ledgers/_job_progress.html" if polled else "ledgers/job.html"
    return render(request, template, {"job": found, **_limits()})


@login_required
@require_GET
@never_cache
def download(request: HttpRequest, pk: int) -> FileResponse:
    """A background export's file: for its owner (or an administrator), audited."""
    found = _job(request, pk)
    try:
        services.export_download(job=found, actor=_staff(request), request=request)
    except (ValidationError, ExportJob.DoesNotExist) as absent:
        raise Http404 from absent
    return FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=_filename(found),
        content_type=XLSX_CONTENT_TYPE,
    )


@login_required
@require_GET
@never_cache
def jobs(request: HttpRequest) -> HttpResponse:
    """My exports: the latest ones, their state, the files still kept."""
    context: dict[str, Any] = {"jobs": selectors.my_exports(_staff(request)), **_limits()}
    return render(request, "ledgers/jobs.html", context)
