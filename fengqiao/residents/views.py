"""The residents' pages: phone-first, light, no account.

A doorplate token opens its household's page and the report form; a reporter's private link
(or the case number with the phone, proved by a code) opens the case. Every refusal is a page
of its own: a wrong link looks like nothing at all, a revoked plate says what to do, a limit
says when to try again. Responses are never cached and a Referer carries only the origin, so
a token does not travel anywhere beyond this site.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from fengqiao.cases.choices import CaseStatus, CaseType, Rating
from fengqiao.cases.models import Case, CaseReporter
from fengqiao.cases.services import TransitionError
from fengqiao.doorplates.models import Doorplate
from fengqiao.doorplates.services import doorplate_for_token
from fengqiao.residents import ratelimit, selectors
from fengqiao.residents.forms import LookupForm, RateForm, ReportForm, SendCodeForm
from fengqiao.residents.logging import redact
from fengqiao.residents.services import resident_rate, resident_report_submit
from fengqiao.residents.sms import SmsError
from fengqiao.residents.verification import (
    CodeError,
    Purpose,
    SentCode,
    code_check,
    code_forget,
    code_send,
)
from fengqiao.territory.models import Area

View = Callable[..., HttpResponse]
logger = logging.getLogger(__name__)


def resident_page(view: View) -> View:
    """Never cached, a Referer without the path, and a per-address ceiling on pages opened.
    A refusal (4xx) is logged here with the path redacted, and marked logged so that
    Django's request logging does not print the path with the token in it."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = ratelimit.hit("view:ip", ratelimit.client_ip(request))
        response = limited(request, wait) if wait else view(request, *args, **kwargs)
        response["Referrer-Policy"] = "strict-origin"
        if response.status_code >= 400:
            logger.info("%s %s: %s", request.method, redact(request.path), response.status_code)
            response._has_been_logged = True  # type: ignore[attr-defined]
        return response

    return never_cache(wrapped)


def limited(request: HttpRequest, seconds: int) -> HttpResponse:
    """请 N 分钟后再试."""
    response = render(
        request,
        "residents/limited.html",
        {"minutes": ratelimit.minutes(seconds)},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


def _not_found(request: HttpRequest) -> HttpResponse:
    """A wrong token or link: the same page whatever was wrong, and it counts against the
    address (guessing links is what this stops)."""
    ratelimit.hit("bad_link:ip", ratelimit.client_ip(request))
    return render(request, "residents/not_found.html", status=404)


def _plate(request: HttpRequest, token: str) -> Doorplate | HttpResponse:
    """The working plate of the token, or the page that says why not."""
    wait = ratelimit.blocked_for("bad_link:ip", ratelimit.client_ip(request))
    if wait:
        return limited(request, wait)
    plate = doorplate_for_token(token)
    if plate is None:
        return _not_found(request)
    if not plate.is_active:
        # Says nothing about the household: only what to do.
        return render(request, "residents/revoked.html", status=410)
    return plate


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


# ---------------------------------------------------------------------------------------
# The household page


@resident_page
@require_GET
def household(request: HttpRequest, token: str) -> HttpResponse:
    plate = _plate(request, token)
    if isinstance(plate, HttpResponse):
        return plate
    home = plate.household
    village = Area.objects.filter(pk=home.grid.village_id).values_list("name", flat=True).first()
    context = {
        "token": token,
        "household": home,
        "village": village or "",
        "grid": home.grid,
        "contacts": selectors.contacts_for(home),
        "guide": selectors.guide_for(home.territory_code),
        "bulletins": selectors.bulletins_for(home),
    }
    return render(request, "residents/household.html", context)


class TelRedirect(HttpResponseRedirect):
    allowed_schemes = ["tel"]


@resident_page
@require_GET
def call(request: HttpRequest, token: str, who: str) -> HttpResponse:
    """The call button: the full number only ever goes out as this redirect to the phone's
    dialler, never into the page (which shows it masked)."""
    plate = _plate(request, token)
    if isinstance(plate, HttpResponse):
        return plate
    for contact in selectors.contacts_for(plate.household):
        if contact.key == who and contact.phone:
            return TelRedirect(f"tel:{contact.phone}")
    return _not_found(request)


# ---------------------------------------------------------------------------------------
# Reporting


def _send_code(
    request: HttpRequest, *, purpose: Purpose, limits: list[tuple[str, str]]
) -> tuple[SentCode | None, str, int]:
    """Send a code to the posted phone: (what was sent, the message for the page, status)."""
    form = SendCodeForm(request.POST)
    if not form.is_valid():
        return None, " ".join(str(error) for error in form.errors["phone"]), 400
    phone = form.cleaned_data["phone"]
    wait = ratelimit.hit_all(
        *limits,
        ("code:phone_gap", phone),
        ("code:phone", phone),
        ("code:ip", ratelimit.client_ip(request)),
    )
    if wait:
        return (
            None,
            _("Too many codes asked for. Please try again in %(minutes)d minutes.")
            % {"minutes": ratelimit.minutes(wait)},
            429,
        )
    try:
        sent = code_send(phone=phone, purpose=purpose)
    except SmsError:
        return None, _("The text message could not be sent. Please try again later."), 503
    return sent, _("A code was sent to your phone. It is valid for 5 minutes."), 200


def _code_answer(
    request: HttpRequest,
    sent: SentCode | None,
    message: str,
    status: int,
    page: Callable[[dict[str, Any], int], HttpResponse],
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {
                "ok": sent is not None,
                "message": message,
                "demo_code": sent.demo_code if sent else None,
                "channel": sent.channel_label if sent else "",
            },
            status=status,
        )
    return page({"code_message": message, "code_sent": sent, "code_ok": sent is not None}, status)


def _initial(request: HttpRequest, names: list[str]) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in names if request.POST.get(name)}


@resident_page
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, token: str) -> HttpResponse:
    plate = _plate(request, token)
    if isinstance(plate, HttpResponse):
        return plate
    home = plate.household
    ip = ratelimit.client_ip(request)

    def page(form: ReportForm, extra: dict[str, Any] | None = None, status: int = 200) -> Any:
        context = {"token": token, "household": home, "form": form, **(extra or {})}
        context["photos_dropped"] = request.method == "POST" and bool(request.FILES)
        return render(request, "residents/report.html", context, status=status)

    if request.method == "POST" and "send_code" in request.POST:
        sent, message, status = _send_code(
            request, purpose=Purpose.REPORT, limits=[("code:token", token)]
        )
        kept = ReportForm(
            initial=_initial(
                request, ["idempotency_key", "case_type", "category", "description", "phone"]
            )
        )
        return _code_answer(
            request, sent, message, status, lambda extra, code: page(kept, extra, code)
        )

    if request.method == "GET":
        return page(ReportForm(initial=_guide_initial(request, home.territory_code)))

    wait = ratelimit.blocked_for("report:token", token) or ratelimit.hit("report:ip", ip)
    if wait:
        return limited(request, wait)
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return page(form, status=400)
    data = form.cleaned_data
    phone = data["phone"]
    wait = ratelimit.blocked_for("report:phone", phone)
    if wait:
        return limited(request, wait)
    key = str(data["idempotency_key"])
    already = Case.objects.filter(idempotency_key=f"qr:{plate.pk}:{key}").exists()
    if not already:
        try:
            code_check(phone=phone, purpose=Purpose.REPORT, code=data["code"], consume=False)
        except CodeError as error:
            form.add_error("code", str(error))
            return page(form, status=400)
    try:
        _case, reporter, created = resident_report_submit(
            doorplate=plate,
            case_type=CaseType(data["case_type"]),
            category=data["category"],
            description=data["description"],
            phone=phone,
            photos=data["photos"],
            idempotency_key=key,
        )
    except (ValidationError, PermissionDenied) as error:
        form.add_error(None, error.messages if isinstance(error, ValidationError) else [str(error)])
        return page(form, status=400)
    if created:
        code_forget(phone=phone, purpose=Purpose.REPORT)
        ratelimit.hit_all(("report:token", token), ("report:phone", phone))
    return redirect("residents:received", reporter.tracking_token)


def _guide_initial(request: HttpRequest, territory_code: str) -> dict[str, Any]:
    """掌上办: "do it online" from a guide entry preselects its type and category."""
    value = request.GET.get("guide", "")
    entry = selectors.guide_entry_for(territory_code, int(value)) if value.isdigit() else None
    if entry is None:
        return {}
    initial: dict[str, Any] = {"case_type": entry.case_type or CaseType.CONSULTATION}
    if entry.category_id:
        initial["category"] = entry.category_id
    initial["description"] = _("About “%(matter)s”: ") % {"matter": entry.title}
    return initial


# ---------------------------------------------------------------------------------------
# The case: confirmation, tracking, rating, lookup


def _reporter(request: HttpRequest, tracking: uuid.UUID) -> CaseReporter | HttpResponse:
    wait = ratelimit.blocked_for("bad_link:ip", ratelimit.client_ip(request))
    if wait:
        return limited(request, wait)
    reporter = selectors.reporter_for_link(tracking)
    if reporter is None:
        return _not_found(request)
    return reporter


@resident_page
@require_GET
def received(request: HttpRequest, tracking: uuid.UUID) -> HttpResponse:
    """The confirmation: the case number and when the answer will come."""
    reporter = _reporter(request, tracking)
    if isinstance(reporter, HttpResponse):
        return reporter
    case = reporter.case
    context = {
        "case": case,
        "reporter": reporter,
        "reply_by": selectors.expected_reply_by(case),
        "photos": selectors.photo_count(case),
    }
    return render(request, "residents/received.html", context)


def _status_text(case: Case) -> str:
    if case.status == CaseStatus.REPLIED:
        return _("Answered: please rate") if case.reply_approved else _("Being handled")
    return {
        CaseStatus.SUBMITTED: _("Received, waiting to be accepted"),
        CaseStatus.ACCEPTED: _("Accepted"),
        CaseStatus.DISPATCHED: _("Sent to the department"),
        CaseStatus.IN_PROGRESS: _("Being handled"),
        CaseStatus.CLOSED: _("Completed"),
        CaseStatus.REJECTED: _("Not accepted"),
    }.get(CaseStatus(case.status), case.get_status_display())


@resident_page
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest, tracking: uuid.UUID) -> HttpResponse:
    reporter = _reporter(request, tracking)
    if isinstance(reporter, HttpResponse):
        return reporter
    case = reporter.case
    form = RateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        wait = ratelimit.hit("rate:link", str(tracking))
        if wait:
            return limited(request, wait)
        if form.is_valid():
            try:
                resident_rate(
                    reporter=reporter,
                    rating=Rating(form.cleaned_data["rating"]),
                    comment=form.cleaned_data["comment"],
                )
            except TransitionError:
                messages.info(request, _("This answer has already been rated. Thank you."))
                return redirect("residents:track", tracking)
            except ValidationError as error:
                form.add_error("comment", error.messages)
            else:
                messages.success(request, _("Thank you for your rating."))
                return redirect("residents:track", tracking)
        status = 400
        case.refresh_from_db()
    context = {
        "case": case,
        "status_text": _status_text(case),
        "timeline": selectors.public_timeline(case),
        "reply": selectors.released_reply(case),
        "can_rate": selectors.can_rate(case),
        "reply_by": selectors.expected_reply_by(case) if case.is_open else None,
        "form": form,
        "ratings": Rating.choices,
    }
    return render(request, "residents/track.html", context, status=status)


@resident_page
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """查询: the case number and the phone it was reported with, proved by a code."""
    ip = ratelimit.client_ip(request)

    def page(form: LookupForm, extra: dict[str, Any] | None = None, status: int = 200) -> Any:
        return render(
            request, "residents/lookup.html", {"form": form, **(extra or {})}, status=status
        )

    if request.method == "POST" and "send_code" in request.POST:
        sent, message, status = _send_code(request, purpose=Purpose.LOOKUP, limits=[])
        kept = LookupForm(initial=_initial(request, ["number", "phone"]))
        return _code_answer(
            request, sent, message, status, lambda extra, code: page(kept, extra, code)
        )
    if request.method == "GET":
        return page(LookupForm())
    wait = ratelimit.hit("lookup:ip", ip)
    if wait:
        return limited(request, wait)
    form = LookupForm(request.POST)
    if not form.is_valid():
        return page(form, status=400)
    phone = form.cleaned_data["phone"]
    try:
        code_check(phone=phone, purpose=Purpose.LOOKUP, code=form.cleaned_data["code"])
    except CodeError as error:
        form.add_error("code", str(error))
        return page(form, status=400)
    reporter = selectors.reporter_by_number_and_phone(form.cleaned_data["number"], phone)
    if reporter is None:
        form.add_error(None, _("No matter with this number was reported with this phone number."))
        return page(form, status=404)
    return redirect("residents:track", reporter.tracking_token)
