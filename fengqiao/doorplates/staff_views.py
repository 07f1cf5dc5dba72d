"""Staff pages of the doorplates, mounted at /doorplates/: coverage, printing, one household's
plate.

Areas and households are found through ``visible_to`` (out of scope answers 404, as for a
missing row); the services then check the role (center operators and administrators, see
``fengqiao.doorplates.services``), so a grid worker opening a household of their own grid is
refused (403), not shown a page they cannot use.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.core.links import public_base_url
from fengqiao.doorplates import selectors, services
from fengqiao.doorplates.forms import IssueForm, RevokeForm
from fengqiao.doorplates.models import Doorplate, PlateSheet
from fengqiao.doorplates.printing import plate_png, plate_svg, plate_text
from fengqiao.org.models import User
from fengqiao.territory.choices import AreaLevel
from fengqiao.territory.models import Area, Household

PAGE_SIZE = 50
RECENT_SHEETS = 5


class StaffRequest(HttpRequest):
    user: User
    htmx: Any


def _require_manager(user: User, code: str) -> None:
    if not services.can_manage_doorplates(user, code):
        raise PermissionDenied


def _area(request: StaffRequest, code: str) -> Area:
    area = get_object_or_404(selectors.printable_areas(user=request.user), territory_code=code)
    _require_manager(request.user, area.territory_code)
    return area


def _household(request: StaffRequest, pk: int) -> Household:
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("grid__village"), pk=pk
    )
    _require_manager(request.user, household.territory_code)
    return household


@never_cache
@login_required
@require_GET
def index(request: StaffRequest) -> HttpResponse:
    """The user's village or township, or the townships of a county-wide scope."""
    user = request.user
    prefix = user.territory_prefix()
    if prefix is None or not (user.is_superuser or user.role in services.MANAGER_ROLES):
        raise PermissionDenied
    if len(prefix) in (9, 12):
        return redirect("doorplates:area", prefix)
    if len(prefix) > 12:
        raise PermissionDenied  # scoped below a village: plates are a village's business
    return render(
        request,
        "doorplates/index.html",
        {"rows": selectors.child_coverage(user=user, area=None)},
    )


@never_cache
@login_required
@require_GET
def area(request: StaffRequest, code: str) -> HttpResponse:
    """A village or township: plate coverage, printing, and its households (or villages)."""
    found = _area(request, code)
    context: dict[str, Any] = {
        "area": found,
        "coverage": selectors.coverage(area=found),
        "sheets": services.plate_sheets_visible(request.user).filter(
            territory_code=found.territory_code
        )[:RECENT_SHEETS],
    }
    if found.level == AreaLevel.TOWNSHIP:
        context["rows"] = selectors.child_coverage(user=request.user, area=found)
    else:
        paginator = Paginator(selectors.area_households(area=found), PAGE_SIZE)
        context["page"] = paginator.get_page(request.GET.get("page"))
    return render(request, "doorplates/area.html", context)


@login_required
@require_POST
def area_print(request: StaffRequest, code: str) -> HttpResponse:
    """Start printing the area's plates; the status page shows the progress."""
    found = _area(request, code)
    sheet = services.plate_sheet_start(
        area=found, actor=request.user, base_url=public_base_url(request)
    )
    return redirect("doorplates:sheet", sheet.pk)


def _sheet(request: StaffRequest, pk: int) -> PlateSheet:
    sheet = get_object_or_404(services.plate_sheets_visible(request.user), pk=pk)
    _require_manager(request.user, sheet.territory_code)
    return sheet


@never_cache
@login_required
@require_GET
def sheet(request: StaffRequest, pk: int) -> HttpResponse:
    """A print job; htmx re-fetches the progress part every second while it runs."""
    found = _sheet(request, pk)
    polled = request.headers.get("HX-Request") == "true"
    template = "doorplates/_sheet_progress.html" if polled else "doorplates/sheet.html"
    return render(request, template, {"sheet": found})


@login_required
@require_GET
def sheet_download(request: StaffRequest, pk: int) -> FileResponse:
    found = _sheet(request, pk)
    try:
        services.plate_sheet_download(sheet=found, actor=request.user, request=request)
    except ValidationError as not_ready:
        raise Http404 from not_ready
    filename = f"门牌-{found.area_name}-{timezone.localtime(found.created_at):%Y%m%d-%H%M}.pdf"
    return FileResponse(
        found.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )


@never_cache
@login_required
@require_GET
def household(request: StaffRequest, pk: int) -> HttpResponse:
    found = _household(request, pk)
    return _household_page(request, found, IssueForm(), RevokeForm())


def _household_page(
    request: StaffRequest, found: Household, issue_form: IssueForm, revoke_form: RevokeForm
) -> HttpResponse:
    plates = list(selectors.household_plates(household=found))
    working = next((plate for plate in plates if plate.is_active), None)
    village = found.grid.village
    return render(
        request,
        "doorplates/household.html",
        {
            "household": found,
            "village": village,
            "plates": plates,
            "working": working,
            "issue_form": issue_form,
            "revoke_form": revoke_form,
        },
    )


@login_required
@require_POST
def household_issue(request: StaffRequest, pk: int) -> HttpResponse:
    found = _household(request, pk)
    form = IssueForm(request.POST)
    if not form.is_valid():
        return _household_page(request, found, form, RevokeForm())
    services.doorplate_issue(
        household=found, actor=request.user, reason=form.cleaned_data["reason"]
    )
    messages.success(request, _("A new plate was issued. Print it: the old one no longer works."))
    return redirect("doorplates:household", found.pk)


@login_required
@require_POST
def household_revoke(request: StaffRequest, pk: int) -> HttpResponse:
    found = _household(request, pk)
    form = RevokeForm(request.POST)
    working = Doorplate.objects.filter(household=found, revoked_at__isnull=True).first()
    if working is None:
        messages.info(request, _("This household has no working plate."))
        return redirect("doorplates:household", found.pk)
    if not form.is_valid():
        return _household_page(request, found, IssueForm(), form)
    try:
        services.doorplate_revoke(
            doorplate=working, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _household_page(request, found, IssueForm(), form)
    messages.success(request, _("The plate was revoked: scanning it no longer works."))
    return redirect("doorplates:household", found.pk)


@login_required
@require_http_methods(["GET"])
def household_plate(request: StaffRequest, pk: int, kind: str) -> HttpResponse:
    """The household's working plate as SVG or PNG (it carries the token: audited)."""
    found = _household(request, pk)
    plate = get_object_or_404(
        Doorplate.objects.select_related("household__grid"),
        household=found,
        revoked_at__isnull=True,
    )
    services.doorplate_export(doorplate=plate, actor=request.user, kind=kind, request=request)
    text = plate_text(plate, public_base_url(request))
    filename = f"门牌-{found.pk}.{kind}"
    if kind == "svg":
        response = HttpResponse(plate_svg(text), content_type="image/svg+xml; charset=utf-8")
    else:
        response = HttpResponse(plate_png(text), content_type="image/png")
    response["Content-Disposition"] = _attachment(filename)
    response["Cache-Control"] = "no-store"
    return response


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename*=UTF-8''{quote(filename)}"
