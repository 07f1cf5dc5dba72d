"""Pages of the roster import and export: form → service → response."""

from __future__ import annotations

import io
import tempfile
from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.territory.models import RosterImport
from fengqiao.territory.roster import (
    HEADERS,
    XLSX_CONTENT_TYPE,
    TerritoryNotFound,
    roster_export,
    roster_template_write,
    roster_upload,
)

if TYPE_CHECKING:
    from fengqiao.org.models import User

RECENT_IMPORTS = 10


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster file (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )


def _staff(request: HttpRequest) -> User:
    return cast("User", request.user)


@login_required
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if not user.has_perm("org.import_roster"):
        raise PermissionDenied
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = roster_upload(upload=form.cleaned_data["file"], actor=user)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("roster:import_status", pk=job.pk)
    return render(
        request,
        "territory/roster_import.html",
        {
            "form": form,
            "headers": HEADERS,
            "recent": RosterImport.objects.filter(created_by=user)[:RECENT_IMPORTS],
            "may_export": user.has_perm("org.export_roster"),
            "scope": user.territory_prefix() or "",
        },
    )


@login_required
@require_GET
@never_cache
def roster_import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of one's own import; htmx re-fetches the progress part while it runs."""
    job = get_object_or_404(RosterImport, pk=pk, created_by=request.user)
    polled = request.headers.get("HX-Request") == "true"
    template = (
        "territory/roster_import_progress.html" if polled else "territory/roster_import_status.html"
    )
    return render(request, template, {"job": job})


@login_required
@require_GET
def roster_template(request: HttpRequest) -> FileResponse:
    user = _staff(request)
    if not (user.has_perm("org.import_roster") or user.has_perm("org.export_roster")):
        raise PermissionDenied
    buffer = io.BytesIO()
    roster_template_write(actor=user, destination=buffer)
    buffer.seek(0)
    return FileResponse(
        buffer, as_attachment=True, filename="花名册模板.xlsx", content_type=XLSX_CONTENT_TYPE
    )


@login_required
@require_POST
def roster_export_download(request: HttpRequest) -> FileResponse:
    """The roster of the posted territory code (default: the user's whole scope) as .xlsx,
    with full ID numbers and phones only when the form's box asks for them. A form, not a
    link: an export is audited and may hold full values.

    The workbook is written to a temporary file and streamed from it in chunks, so a large
    export never sits in memory; the file disappears when the response is closed.
    """
    user = _staff(request)
    if not user.has_perm("org.export_roster"):
        raise PermissionDenied(_("You may not export household rosters."))
    code = request.POST.get("territory", "").strip()
    if not code:
        code = user.territory_prefix() or ""
    unmask = request.POST.get("unmask") == "1"
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    try:
        roster_export(actor=user, territory_code=code, destination=spool, unmask=unmask)
    except TerritoryNotFound as missing:
        spool.close()
        raise Http404 from missing
    spool.seek(0)
    filename = f"花名册-{code or '全部'}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
