"""Staff pages of the case loop: the workbenches, the case page with its moves, the lists,
intake from the grid and at the center's window, and the inbox.

Every case is fetched through ``Case.objects.visible_to(user)``, so a case outside the
user's scope answers 404 exactly like a missing one. Every move is a small form posted to
``act``, which calls one service with the version the page showed and redirects back
(POST/redirect/GET). The services decide what is allowed: a refused move in the wrong
state, on a stale page or with bad input comes back as the service's message; a move the
user may never make answers 403. The case page offers only the moves the same guards allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.cases import selectors, services
from fengqiao.cases.attachments import attachments_add_many
from fengqiao.cases.choices import (
    CaseStatus,
    CaseType,
    Channel,
    EventKind,
    Level,
    Rating,
    RequestKind,
    RequestStatus,
    Urgency,
)
from fengqiao.cases.deadlines import policy_for
from fengqiao.cases.forms import (
    AcceptForm,
    ActionForm,
    CaseFilterForm,
    CenterIntakeForm,
    DecideForm,
    DispatchForm,
    EscalateForm,
    ExtensionForm,
    GridReportForm,
    HardForm,
    HouseholdPickForm,
    MergeForm,
    RejectForm,
    ReplyForm,
    ResolveForm,
    ReturnForm,
    ReturnVisitForm,
    ReviewForm,
    SignForm,
    SuperviseForm,
)
from fengqiao.cases.models import Case, CaseAttachment, Notification
from fengqiao.cases.services import (
    case_accept,
    case_decide_request,
    case_dispatch,
    case_escalate,
    case_merge,
    case_reject,
    case_reply,
    case_request_extension,
    case_request_hard,
    case_resolve_on_spot,
    case_return,
    case_return_visit,
    case_review_reply,
    case_sign,
    case_submit,
    case_supervise,
    is_administrator,
    is_holder,
    is_lead_department_leader,
    is_lead_department_staff,
    is_supervisor,
)
from fengqiao.core.codes import is_within
from fengqiao.org.choices import Role
from fengqiao.org.models import User
from fengqiao.territory import selectors as territory_selectors
from fengqiao.territory.models import Household

PAGE_SIZE = 50
WORKBENCH_ROWS = 20
RESULTS_TARGET = "case-results"


class StaffRequest(HttpRequest):
    """A request that passed ``login_required``: ``user`` is a staff account. ``htmx`` comes
    from django-htmx's middleware."""

    user: User
    htmx: Any


# --- The moves --------------------------------------------------------------------------------

Perform = Callable[[Case, User, dict[str, Any]], str]


@dataclass(frozen=True)
class Action:
    """One move of the case page: the form that parses it and the service call it makes
    (returning the message shown on success)."""

    form: type[ActionForm]
    perform: Perform


def _number(case: Case) -> dict[str, str]:
    return {"number": case.number}


def _accept(case: Case, user: User, data: dict[str, Any]) -> str:
    case_accept(case=case, actor=user, version=data["version"])
    return _("Case %(number)s accepted.") % _number(case)


def _reject(case: Case, user: User, data: dict[str, Any]) -> str:
    case_reject(case=case, actor=user, reason=data["reason"], version=data["version"])
    return _("Case %(number)s not accepted.") % _number(case)


def _escalate(case: Case, user: User, data: dict[str, Any]) -> str:
    case_escalate(case=case, actor=user, reason=data["reason"], version=data["version"])
    return _("Case %(number)s sent up a level.") % _number(case)


def _resolve(case: Case, user: User, data: dict[str, Any]) -> str:
    case_resolve_on_spot(
        case=case, actor=user, what_was_done=data["what_was_done"], version=data["version"]
    )
    return _("Case %(number)s resolved on the spot.") % _number(case)


def _dispatch(case: Case, user: User, data: dict[str, Any]) -> str:
    version = data["version"]
    with transaction.atomic():
        if case.status == CaseStatus.SUBMITTED:
            # One click from the intake queue: accepting and dispatching happen together or
            # not at all. The version check of the accept catches a page that went stale.
            case = case_accept(case=case, actor=user, version=version)
            version = case.version
        case_dispatch(
            case=case,
            actor=user,
            department=data["department"],
            co_departments=list(data["co_departments"]),
            note=data["note"],
            version=version,
        )
    return _("Case %(number)s dispatched to %(department)s.") % {
        "number": case.number,
        "department": data["department"],
    }


def _sign(case: Case, user: User, data: dict[str, Any]) -> str:
    case_sign(case=case, actor=user, version=data["version"])
    return _("Case %(number)s signed for: it is now in progress.") % _number(case)


def _return(case: Case, user: User, data: dict[str, Any]) -> str:
    case_return(case=case, actor=user, reason=data["reason"], version=data["version"])
    return _("Case %(number)s returned to the center.") % _number(case)


def _hard(case: Case, user: User, data: dict[str, Any]) -> str:
    case_request_hard(case=case, actor=user, reason=data["reason"], version=data["version"])
    return _("Hard-matter status requested for case %(number)s.") % _number(case)


def _extension(case: Case, user: User, data: dict[str, Any]) -> str:
    case_request_extension(
        case=case, actor=user, days=data["days"], reason=data["reason"], version=data["version"]
    )
    return _("Extension requested for case %(number)s.") % _number(case)


def _reply(case: Case, user: User, data: dict[str, Any]) -> str:
    case_reply(case=case, actor=user, text=data["text"], version=data["version"])
    return _("Reply to case %(number)s sent to the center for review.") % _number(case)


def _review(case: Case, user: User, data: dict[str, Any]) -> str:
    approve = data["decision"] == "approve"
    case_review_reply(
        case=case, actor=user, approve=approve, note=data["note"], version=data["version"]
    )
    if approve:
        return _("Reply to case %(number)s approved.") % _number(case)
    return _("Reply to case %(number)s sent back.") % _number(case)


def _supervise(case: Case, user: User, data: dict[str, Any]) -> str:
    case_supervise(case=case, actor=user, message=data["message"], version=data["version"])
    return _("Supervision notice on case %(number)s sent.") % _number(case)


def _return_visit(case: Case, user: User, data: dict[str, Any]) -> str:
    case_return_visit(
        case=case,
        actor=user,
        rating=Rating(data["rating"]),
        note=data["note"],
        version=data["version"],
    )
    return _("Return visit on case %(number)s recorded.") % _number(case)


def _merge(case: Case, user: User, data: dict[str, Any]) -> str:
    into: Case = data["into"]
    # The merge service takes no version (it locks two cases); compare the page's here.
    if data["version"] != case.version:
        raise ValidationError(
            _("Someone else acted on case %(number)s a moment ago. Reload the page.")
            % _number(case)
        )
    case_merge(duplicate=case, into=into, actor=user)
    return _("Case %(number)s merged into %(into)s.") % {
        "number": case.number,
        "into": into.number,
    }


ACTIONS: dict[str, Action] = {
    "accept": Action(AcceptForm, _accept),
    "reject": Action(RejectForm, _reject),
    "escalate": Action(EscalateForm, _escalate),
    "resolve": Action(ResolveForm, _resolve),
    "dispatch": Action(DispatchForm, _dispatch),
    "sign": Action(SignForm, _sign),
    "return": Action(ReturnForm, _return),
    "hard": Action(HardForm, _hard),
    "extension": Action(ExtensionForm, _extension),
    "reply": Action(ReplyForm, _reply),
    "review": Action(ReviewForm, _review),
    "supervise": Action(SuperviseForm, _supervise),
    "return_visit": Action(ReturnVisitForm, _return_visit),
    "merge": Action(MergeForm, _merge),
}


def allowed_actions(user: User, case: Case, pending_kinds: set[str]) -> set[str]:
    """The moves this user may make on this case now, by the services' own guards, so the
    page offers nothing the service would refuse (the service still checks)."""
    status = case.status
    allowed: set[str] = set()
    holder = is_holder(user, case)
    grid_worker = user.role == Role.GRID_WORKER
    # A grid worker's own report is resolved on the spot or sent up, not "accepted".
    if holder and not grid_worker and status == CaseStatus.SUBMITTED:
        allowed |= {"accept", "reject"}
    if holder and status in (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED):
        if len(case.holder_code) > 6:
            allowed.add("escalate")
        if not grid_worker:
            allowed.add("dispatch")
    if (
        grid_worker
        and is_within(case.territory_code, user.scope_code)
        and status in (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED)
        and case.level in (Level.GRID, Level.VILLAGE)
    ):
        allowed.add("resolve")
    if is_lead_department_staff(user, case):
        if status == CaseStatus.DISPATCHED:
            allowed.add("sign")
        if status in (CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS):
            allowed.add("return")
        if status == CaseStatus.IN_PROGRESS:
            allowed.add("reply")
            if not case.is_hard and RequestKind.HARD not in pending_kinds:
                allowed.add("hard")
            if RequestKind.EXTENSION not in pending_kinds:
                allowed.add("extension")
    supervisor = is_supervisor(user, case)
    if supervisor and status in (CaseStatus.DISPATCHED, CaseStatus.IN_PROGRESS):
        allowed.add("supervise")
    if holder and status == CaseStatus.REPLIED and not case.reply_approved:
        allowed.add("review")
    if supervisor and status == CaseStatus.REPLIED and case.reply_approved:
        allowed.add("return_visit")
    if supervisor and case.is_open:
        allowed.add("merge")
    if (
        (is_lead_department_leader(user, case) or is_administrator(user))
        and status == CaseStatus.IN_PROGRESS
        and pending_kinds
    ):
        allowed.add("decide")
    return allowed


def _next_url(request: StaffRequest, fallback: str) -> str:
    """Back where the form was (a workbench), if that is a page of this site."""
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


def _form_errors(request: StaffRequest, form: Any) -> None:
    for name, errors in form.errors.items():
        if name == "version":
            messages.error(request, _("The page was out of date. Reload it and try again."))
            continue
        field = form.fields.get(name)
        for error in errors:
            label = f"{field.label}: " if field is not None and field.label else ""
            messages.error(request, f"{label}{error}")


@login_required
@require_POST
def act(request: StaffRequest, number: str, action: str) -> HttpResponse:
    """One move on a case: parse the small form, call the one service, redirect back.
    A refusal (the form's or the service's words) is shown as a message, on the case page
    again with what was typed still in the move's form; PermissionDenied is a 403."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    case = get_object_or_404(Case.objects.visible_to(request.user), number=number)
    form = spec.form(request.POST, user=request.user, case=case)
    if form.is_valid():
        try:
            message = spec.perform(case, request.user, form.cleaned_data)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, message)
            if not Case.objects.visible_to(request.user).filter(pk=case.pk).exists():
                # The move handed the case on out of the actor's sight (a department returning
                # it to the center): its page would now answer 404, their workbench goes on.
                return redirect("cases:workbench")
            return redirect(_next_url(request, reverse("cases:detail", args=[case.number])))
    else:
        _form_errors(request, form)
    if request.POST.get("next"):
        return redirect(_next_url(request, reverse("cases:detail", args=[case.number])))
    # Refused on the case page: show it again with the input kept (a redirect would lose
    # the reason someone just wrote).
    return _case_page(request, number, kept={action: request.POST}, status=400)


@login_required
@require_POST
def decide(request: StaffRequest, pk: int) -> HttpResponse:
    """A leader approves or denies a hard-matter or extension request."""
    found = get_object_or_404(
        selectors.requests_visible_to(request.user).select_related("case"), pk=pk
    )
    form = DecideForm(request.POST)
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            case_decide_request(
                request=found, actor=request.user, approve=approve, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            what = {"what": found.get_kind_display(), "number": found.case.number}
            messages.success(
                request,
                (
                    _("Approved: %(what)s for case %(number)s.")
                    if approve
                    else _("Denied: %(what)s for case %(number)s.")
                )
                % what,
            )
    else:
        _form_errors(request, form)
    return redirect(_next_url(request, reverse("cases:detail", args=[found.case.number])))


# --- The case page ----------------------------------------------------------------------------


@never_cache
@login_required
def detail(request: StaffRequest, number: str) -> HttpResponse:
    """Everything about one case — facts, reporters (phones masked), deadlines with their
    state, the timeline (who, what, when, why) — and the forms of the moves this user may
    make now."""
    return _case_page(request, number)


def _case_page(
    request: StaffRequest,
    number: str,
    *,
    kept: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The case page; ``kept``: a refused move's form data by move, shown again in its form."""
    user = request.user
    case = get_object_or_404(selectors.cases_for_page(user), number=number)
    requests = list(selectors.case_requests(case))
    pending = [r for r in requests if r.status == RequestStatus.PENDING]
    allowed = allowed_actions(user, case, {r.kind for r in pending})
    cap = policy_for(case.case_type, case.level).extension_cap_days
    events = list(selectors.case_timeline(case))
    # The timeline names the center each escalation went to.
    codes = {case.territory_code, case.holder_code}
    codes.update(
        str(e.data["to"]) for e in events if e.kind == EventKind.ESCALATE and e.data.get("to")
    )
    # ... and the co-handlers each dispatch named.
    dispatches = [e for e in events if e.kind == EventKind.DISPATCH]
    co_handlers = {pk for e in dispatches for pk in e.data.get("co", [])}
    context = {
        "case": case,
        "events": events,
        "reporters": selectors.case_reporters(case),
        "attachments": list(case.attachments.order_by("id")),
        "requests": requests,
        "pending_requests": pending,
        "co_departments": list(selectors.case_co_departments(case)),
        "places": selectors.place_names(codes),
        "departments_by_id": selectors.department_names(co_handlers),
        "household_linked": case.household is not None
        and user.covers(case.household.territory_code),
        "allowed": allowed,
        "departments": list(selectors.dispatch_departments(user)) if "dispatch" in allowed else [],
        "extension_cap": cap,
        "extension_left": max(cap - case.extension_days, 0),
        "ratings": Rating.choices,
        "ratings_by_value": dict(Rating.choices),
        "show_names": True,  # every viewer here is staff: the timeline names the person too
        "kept": kept or {},
    }
    return render(request, "cases/detail.html", context, status=status)


# --- Workbenches ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    """A worklist as a workbench shows it: the first rows and how many there are."""

    key: str
    title: Any
    rows: list[Case]
    total: int


def _queues(worklists: list[selectors.Worklist]) -> list[Queue]:
    return [
        Queue(w.key, w.title, list(w.cases[:WORKBENCH_ROWS]), w.cases.count()) for w in worklists
    ]


@never_cache
@login_required
def workbench(request: StaffRequest) -> HttpResponse:
    """The user's workbench: a center's queues (accept, dispatch with one click, review,
    supervise), a department's (sign for, handle, approvals for a leader), or a grid
    worker's phone page. Roles without a workbench get the case list."""
    user = request.user
    kind = selectors.workbench_kind(user)
    if kind is None:
        return redirect("cases:list")
    now = timezone.now()
    queues = _queues(selectors.worklists_for(user, now))
    context: dict[str, Any] = {"queues": queues, "kind": kind}
    rows: list[Case] = [case for queue in queues for case in queue.rows]
    if kind == "center":
        late = selectors.overdue_to_supervise(user, now)
        context["supervise"] = Queue(
            "supervise", _("Overdue in your area"), list(late[:WORKBENCH_ROWS]), late.count()
        )
        context["requests"] = list(selectors.center_requests(user)[:WORKBENCH_ROWS])
        rows += context["supervise"].rows
        dispatchable = any(
            q.rows for q in queues if q.key in {"to_accept", "to_dispatch", "returned"}
        )
        context["departments"] = list(selectors.dispatch_departments(user)) if dispatchable else []
    elif kind == "department":
        context["approvals"] = list(selectors.pending_requests(user))
        context["supervisions"] = list(selectors.department_supervisions(user)[:WORKBENCH_ROWS])
    codes = {case.territory_code for case in rows}
    if user.scope_code:
        codes.add(user.scope_code)  # the workbench names the user's center or grid
    context["places"] = selectors.place_names(codes)
    context["scope_name"] = context["places"].get(user.scope_code, "")
    return render(request, f"cases/workbench_{kind}.html", context)


# --- Lists ------------------------------------------------------------------------------------


@never_cache
@login_required
def case_list(request: StaffRequest) -> HttpResponse:
    """Every case the user may see (or one queue of their workbench), filtered by status,
    type, category, channel, territory, department, deadline state, date and text; 50 a
    page. An htmx request from the filter or a page link gets the results alone."""
    user = request.user
    now = timezone.now()
    form = CaseFilterForm(request.GET, user=user)
    filters, where, text, queue = form.search_arguments(now)
    cases = selectors.search_cases(user, text=text, where=where, queue=queue, now=now, **filters)
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    queue_title = (
        next((w.title for w in selectors.worklists_for(user, now) if w.key == queue), None)
        if queue
        else None
    )
    context = {
        "form": form,
        "page": page,
        "page_numbers": list(page.paginator.get_elided_page_range(page.number, on_each_side=2)),
        "places": selectors.place_names(case.territory_code for case in page),
        "list_url": request.path,
        "queue_title": queue_title,
    }
    htmx = request.htmx
    wants_fragment = htmx and htmx.target == RESULTS_TARGET and not htmx.history_restore_request
    response = render(
        request, "cases/_results.html" if wants_fragment else "cases/list.html", context
    )
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- Intake -----------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def report(request: StaffRequest) -> HttpResponse:
    """A grid worker reports a case from the field (a phone page): type, category, a short
    title and what happened; the place is their grid. Sending twice gives one case."""
    user = request.user
    if user.role != Role.GRID_WORKER:
        raise PermissionDenied(_("Reporting from the field is for grid workers."))
    form = GridReportForm(request.POST or None, request.FILES or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            # The case and its photos together, or neither: a refused photo leaves no case.
            with transaction.atomic():
                case, created = case_submit(
                    case_type=CaseType(data["case_type"]),
                    category=data["category"],
                    channel=Channel.GRID_WORKER,
                    title=data["title"],
                    description=data["description"],
                    territory_code=user.scope_code,
                    address=data["address"],
                    urgency=Urgency(data["urgency"]),
                    idempotency_key=form.service_key(),
                    actor=user,
                )
                if created and data["photos"]:
                    attachments_add_many(
                        case=case,
                        uploaded_files=data["photos"],
                        actor=user,
                        event=case.events.order_by("id").first(),
                    )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            _received(request, case, created)
            return redirect("cases:detail", case.number)
    return render(request, "cases/report.html", {"form": form})


@login_required
@require_GET
def attachment(request: StaffRequest, number: str, pk: int) -> FileResponse:
    """An attachment of a case the user may see (never a public media URL: photos can show
    people and homes)."""
    case = get_object_or_404(Case.objects.visible_to(request.user), number=number)
    item = get_object_or_404(CaseAttachment.objects.filter(case=case), pk=pk)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = (
        content_disposition_header(
            as_attachment=not item.content_type.startswith("image/"), filename=item.original_name
        )
        or ""
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _received(request: StaffRequest, case: Case, created: bool) -> None:
    if created:
        messages.success(request, _("Case %(number)s received.") % _number(case))
    else:
        messages.info(request, _("This case was already received as %(number)s.") % _number(case))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def intake(request: StaffRequest) -> HttpResponse:
    """A center operator enters a case received at the window or by phone: the place is a
    household found by search or a territory code within their scope."""
    user = request.user
    if selectors.workbench_kind(user) != "center":
        raise PermissionDenied(_("Cases are entered by the operators of a center."))
    form = CenterIntakeForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        territory_code, household_id = form.location()
        try:
            case, created = case_submit(
                case_type=CaseType(data["case_type"]),
                category=data["category"],
                channel=Channel(data["channel"]),
                title=data["title"],
                description=data["description"],
                territory_code=territory_code,
                household_id=household_id,
                address=data["address"],
                urgency=Urgency(data["urgency"]),
                reporter=form.reporter(),
                idempotency_key=form.service_key(),
                actor=user,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            _received(request, case, created)
            return redirect("cases:detail", case.number)
    # A form shown again keeps the household picked before (only ever one in scope).
    value = str(form.data.get("household", "")) if form.is_bound else ""
    picked = (
        list(Household.objects.visible_to(user).filter(pk=int(value)).select_related("grid"))
        if value.isdigit()
        else []
    )
    context = {"form": form, "households": picked, "picked": picked[0].pk if picked else None}
    return render(request, "cases/intake.html", context)


@never_cache
@login_required
@require_POST
def household_options(request: StaffRequest) -> HttpResponse:
    """The intake form's household search: households in scope matching a doorplate, a
    head's or member's name, or exactly an ID number or mobile number (posted, so those
    stay out of URLs)."""
    form = HouseholdPickForm(request.POST)
    query = form.cleaned_data["household_q"].strip() if form.is_valid() else ""
    households: list[Household] = []
    shown = query
    if query:
        found = territory_selectors.search(user=request.user, query=query, limit=10)
        shown = found.shown_query  # an ID number or phone is echoed masked only
        seen: set[int] = set()
        for household in [*found.households, *(p.household for p in found.persons)]:
            if household.pk not in seen:
                seen.add(household.pk)
                households.append(household)
    return render(
        request,
        "cases/_household_options.html",
        {"households": households, "query": shown, "picked": None},
    )


# --- Notifications ----------------------------------------------------------------------------


@never_cache
@login_required
def inbox(request: StaffRequest) -> HttpResponse:
    """The user's notifications, newest first, 50 a page; unread ones stand out."""
    page = Paginator(selectors.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "page_numbers": list(page.paginator.get_elided_page_range(page.number, on_each_side=2)),
        "list_url": request.path,
    }
    return render(request, "cases/inbox.html", context)


# Marking read is one conditional UPDATE on the user's own rows; cases/services.py has no
# notification service yet (see the report: notification_mark_read belongs there).


@login_required
@require_POST
def notification_read(request: StaffRequest, pk: int) -> HttpResponse:
    """Mark one notification read; with ``open`` set, go on to its case."""
    notification = get_object_or_404(
        Notification.objects.select_related("case").only("id", "case__number"),
        pk=pk,
        user_id=request.user.pk,
    )
    services.notification_mark_read(notification=notification, user=request.user)
    if request.POST.get("open") and notification.case is not None:
        return redirect("cases:detail", notification.case.number)
    return redirect(_next_url(request, reverse("cases:inbox")))


@login_required
@require_POST
def notifications_read_all(request: StaffRequest) -> HttpResponse:
    """Mark every unread notification of the user read."""
    if services.notifications_mark_all_read(user=request.user):
        messages.success(request, _("All notifications marked read."))
    return redirect(_next_url(request, reverse("cases:inbox")))
