"""The register as an Excel ledger (台账) and the mediation agreement as a PDF: thin views.

Both read through ``Dispute.objects.visible_to(user)`` (out of scope answers 404), show
identities masked unless the user holds ``org.unmask_personal``, and write the security
audit log (an export; an unmasked one also as unmasking). The ledger is exported through
``fengqiao.ledgers`` (written in the request when small, else in the background).
"""

from __future__ import annotations

import io
from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.services import audit_record
from fengqiao.disputes.agreements import AgreementIncomplete, agreement_pdf_write
from fengqiao.disputes.models import Dispute, MediationAgreement
from fengqiao.ledgers.choices import LedgerKind
from fengqiao.ledgers.views import back_to_the_page, export_response
from fengqiao.org.models import User


def _staff(request: HttpRequest) -> User:
    return cast("User", request.user)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def register_export(request: HttpRequest) -> HttpResponseBase:
    """The register as .xlsx, with the register page's filters (its query string; the form
    is POSTed, see ``ledgers.views.export_response``): the file
    itself when it is small, else the progress page of a background export
    (``fengqiao.ledgers``, which also writes the audit log)."""
    if request.method == "GET":
        return back_to_the_page(request, LedgerKind.DISPUTES)
    return export_response(request, LedgerKind.DISPUTES)


@login_required
@require_GET
@never_cache
def agreement_pdf(request: HttpRequest, pk: int, copy: str) -> HttpResponseBase:
    """One copy of a mediation agreement as a PDF: ``party-<id>``, ``archive`` or ``all``."""
    user = _staff(request)
    agreement = get_object_or_404(
        MediationAgreement.objects.select_related("committee", "mediator", "dispute").filter(
            dispute__in=Dispute.objects.visible_to(user).values("pk")
        ),
        pk=pk,
    )
    unmasked = user.has_perm("org.unmask_personal")
    buffer = io.BytesIO()
    try:
        pages = agreement_pdf_write(
            agreement=agreement, copy=copy, destination=buffer, unmasked=unmasked
        )
    except ValueError as unknown:
        raise Http404 from unknown
    except AgreementIncomplete as incomplete:
        return HttpResponse(
            " ".join(incomplete.messages), status=409, content_type="text/plain; charset=utf-8"
        )
    detail = {
        "kind": "mediation_agreement",
        "agreement": agreement.number,
        "dispute": agreement.dispute.number,
        "copy": copy,
        "pages": pages,
        "unmasked": unmasked,
    }
    audit_record(
        action=AuditAction.EXPORT, actor=user, target=agreement, request=request, detail=detail
    )
    if unmasked:
        audit_record(
            action=AuditAction.UNMASK, actor=user, target=agreement, request=request, detail=detail
        )
    buffer.seek(0)
    return FileResponse(
        buffer,
        filename=f"调解协议书-{agreement.number}-{copy}.pdf",
        content_type="application/pdf",
    )
