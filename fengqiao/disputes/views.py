"""Staff pages of the dispute register: the register with its 化解率, registering a dispute,
the dispute page with its timeline and moves, the centers' supervision list and the weekly
grid meetings.

Every dispute is fetched through ``Dispute.objects.visible_to(user)``, so one outside the
user's scope answers 404 exactly like a missing one. Every move is a small form posted to
``act``, which calls one service with the version the page showed and redirects back
(POST/redirect/GET); a refusal comes back as the service's own message, a move the user may
never make answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.cases.models import Case
from fengqiao.disputes import selectors, services
from fengqiao.disputes.choices import (
    DEADLINE_STATUSES,
    FOLLOW_UP_STATUSES,
    AgreementForm,
    ConfirmationStatus,
    DisputeStatus,
    DisputeType,
    RiskLevel,
    Source,
)
from fengqiao.disputes.deadlines import deadline_state
from fengqiao.disputes.forms import (
    ActionForm,
    AddPartyForm,
    AgreementDraftForm,
    AssignForm,
    ConfirmationApplyForm,
    ConfirmationDecideForm,
    ConfirmSessionForm,
    DisputeRegisterForm,
    EscalateForm,
    EvaluateForm,
    FollowUpForm,
    MeetingForm,
    OutcomeForm,
    PartyFormSet,
    RegisterFilterForm,
    ReviewForm,
    RiskForm,
    SessionForm,
    SignedCopyForm,
    SuperviseForm,
)
from fengqiao.disputes.metrics import resolution_figures
from fengqiao.disputes.models import (
    AgreementSignedCopy,
    Dispute,
    DisputeParty,
    GridMeeting,
    JudicialConfirmation,
    MediationAgreement,
    MediationSession,
)
from fengqiao.disputes.services import (
    AgreementInput,
    DisputeInput,
    PartyInput,
    is_center_holder,
    is_holder,
    is_mediation_handler,
    is_supervisor,
)
from fengqiao.org.models import User

PAGE_SIZE = 50
RESULTS_TARGET = "dispute-results"
UNMASKABLE_FIELDS = frozenset({"id_number", "phone"})


class StaffRequest(HttpRequest):
    user: User
    htmx: Any


# --- The moves --------------------------------------------------------------------------------

Perform = Callable[[Dispute, User, dict[str, Any], StaffRequest], str]


@dataclass(frozen=True)
class Action:
    form: type[ActionForm]
    perform: Perform


def _n(dispute: Dispute) -> dict[str, str]:
    return {"number": dispute.number}


def _party_input(data: dict[str, Any]) -> PartyInput:
    return PartyInput(
        name=data.get("name", ""),
        role=data["role"],
        id_type=data["id_type"],
        id_number=data.get("id_number", ""),
        sex=data.get("sex", ""),
        ethnicity=data.get("ethnicity", ""),
        education=data["education"],
        category=data["category"],
        address=data.get("address", ""),
        phone=data.get("phone", ""),
    )


def _escalate(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    services.dispute_escalate(dispute=d, actor=user, reason=data["reason"], version=data["version"])
    return _("Dispute %(number)s sent up a level.") % _n(d)


def _risk(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    services.dispute_assess_risk(
        dispute=d,
        actor=user,
        risk_level=data["risk_level"],
        violent_risk=data["violent_risk"],
        note=data["note"],
        version=data["version"],
    )
    return _("Risk of dispute %(number)s recorded.") % _n(d)


def _assign(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    mediator = data["mediator"]
    services.dispute_assign(
        dispute=d,
        actor=user,
        committee=mediator.committee,
        mediator=mediator,
        method=data["method"],
        version=data["version"],
    )
    return _("Dispute %(number)s assigned to %(mediator)s.") % {
        "number": d.number,
        "mediator": mediator.name,
    }


def _session(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    services.session_record(
        dispute=d,
        actor=user,
        held_on=data["held_on"],
        place=data["place"],
        remote=data["remote"],
        participants=data["participants"],
        record=data["record"],
        parties_confirmed=data["parties_confirmed"],
        version=data["version"],
    )
    return _("Mediation session recorded.")


def _confirm_session(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    session = get_object_or_404(MediationSession, pk=data["session"], dispute=d)
    services.session_confirm(session=session, actor=user)
    return _("The parties' confirmation of the record is noted.")


def _outcome(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    services.dispute_record_outcome(
        dispute=d,
        actor=user,
        outcome=data["outcome"],
        note=data["note"],
        agreement_form=data["agreement_form"],
        oral_agreement=data["oral_agreement"],
        referral_route=data["referral_route"],
        version=data["version"],
    )
    return _("Outcome of dispute %(number)s recorded.") % _n(d)


def _agreement(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    agreement = services.agreement_create(
        dispute=d,
        actor=user,
        data=AgreementInput(
            facts=data["facts"],
            matters=data["matters"],
            responsibilities=data["responsibilities"],
            rights_obligations=data["rights_obligations"],
            performance_method=data["performance_method"],
            performance_place=data["performance_place"],
            performance_deadline=data["performance_deadline"],
            signed_on=data["signed_on"],
            mediator=data["mediator"],
        ),
        version=data["version"],
    )
    return _("Agreement %(number)s drawn up.") % {"number": agreement.number}


def _signed_copy(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    agreement = MediationAgreement.objects.filter(dispute=d).first()
    if agreement is None:
        raise ValidationError(_("Draw up the agreement first."))
    copy = data["copy"]
    party = None
    if copy != "archive":
        try:
            party_id = int(copy.removeprefix("party-"))
        except ValueError as error:
            raise ValidationError(_("Choose whose copy this is.")) from error
        party = DisputeParty.objects.filter(pk=party_id, dispute=d).first()
        if party is None:
            raise ValidationError(_("Choose whose copy this is."))
    services.agreement_upload_signed_copy(
        agreement=agreement, uploaded_file=data["file"], actor=user, party=party
    )
    return _("Signed copy uploaded.")


def _follow_up(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    services.follow_up_record(
        dispute=d,
        actor=user,
        visited_on=data["visited_on"],
        method=data["method"],
        result=data["result"],
        note=data["note"],
        version=data["version"],
    )
    return _("Performance visit recorded.")


def _confirmation_apply(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    services.confirmation_apply(
        dispute=d,
        actor=user,
        applied_on=data["applied_on"],
        court=data["court"],
        note=data["note"],
        version=data["version"],
    )
    return _("Application for judicial confirmation recorded.")


def _confirmation_decide(
    d: Dispute, user: User, data: dict[str, Any], request: StaffRequest
) -> str:
    confirmation = get_object_or_404(JudicialConfirmation, pk=data["confirmation"], dispute=d)
    services.confirmation_decide(
        confirmation=confirmation,
        actor=user,
        confirmed=data["decision"] == "confirmed",
        decided_on=data["decided_on"],
        ruling_number=data["ruling_number"],
        note=data["note"],
    )
    return _("The court's ruling is recorded.")


def _supervise(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    services.dispute_supervise(
        dispute=d, actor=user, message=data["message"], version=data["version"]
    )
    return _("Supervision notice on dispute %(number)s sent.") % _n(d)


def _evaluate(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    services.dispute_evaluate(
        dispute=d,
        actor=user,
        evaluated_on=data["evaluated_on"],
        evaluation=data["evaluation"],
        version=data["version"],
    )
    return _("Evaluation recorded.")


def _add_party(d: Dispute, user: User, data: dict[str, Any], request: StaffRequest) -> str:
    party = services.dispute_add_party(
        dispute=d, party=_party_input(data), actor=user, version=data["version"]
    )
    return _("Party %(name)s added.") % {"name": party.name}


ACTIONS: dict[str, Action] = {
    "escalate": Action(EscalateForm, _escalate),
    "risk": Action(RiskForm, _risk),
    "assign": Action(AssignForm, _assign),
    "session": Action(SessionForm, _session),
    "confirm_session": Action(ConfirmSessionForm, _confirm_session),
    "outcome": Action(OutcomeForm, _outcome),
    "agreement": Action(AgreementDraftForm, _agreement),
    "signed_copy": Action(SignedCopyForm, _signed_copy),
    "follow_up": Action(FollowUpForm, _follow_up),
    "confirmation_apply": Action(ConfirmationApplyForm, _confirmation_apply),
    "confirmation_decide": Action(ConfirmationDecideForm, _confirmation_decide),
    "supervise": Action(SuperviseForm, _supervise),
    "evaluate": Action(EvaluateForm, _evaluate),
    "party": Action(AddPartyForm, _add_party),
}


def allowed_actions(
    user: User, dispute: Dispute, agreement: MediationAgreement | None, live_confirmation: bool
) -> set[str]:
    """The moves this user may make now, by the services' own guards (which still check)."""
    status = dispute.status
    allowed: set[str] = set()
    holder = is_holder(user, dispute)
    handler = is_mediation_handler(user, dispute)
    covering = services.covers(user, dispute)
    supervisor = is_supervisor(user, dispute)
    open_ = status in DEADLINE_STATUSES
    if open_ and (covering or handler):
        allowed |= {"risk", "party"}
    if open_ and holder and len(dispute.holder_code) > 6:
        allowed.add("escalate")
    if open_ and is_center_holder(user, dispute):
        allowed.add("assign")
    if status == DisputeStatus.MEDIATING and handler:
        allowed |= {"session", "confirm_session", "outcome"}
    if status == DisputeStatus.REGISTERED and handler:
        allowed.add("outcome")  # the parties may withdraw before mediation starts
    if (
        status in FOLLOW_UP_STATUSES
        and handler
        and dispute.agreement_form == AgreementForm.WRITTEN
        and agreement is None
    ):
        allowed.add("agreement")
    if agreement is not None and handler:
        allowed.add("signed_copy")
    if status in FOLLOW_UP_STATUSES and (covering or handler):
        allowed.add("follow_up")
    if status in FOLLOW_UP_STATUSES and agreement is not None and (handler or supervisor):
        allowed.add("confirmation_decide" if live_confirmation else "confirmation_apply")
    if open_ and supervisor:
        allowed.add("supervise")
    if not open_ and supervisor:
        allowed.add("evaluate")
    return allowed


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
    """One move on a dispute: parse the small form, call the one service, redirect back.
    Refused (the form's or the service's words, shown as messages), a move whose form the
    page renders from a Django form shows the page again with what was typed still in it."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    dispute = get_object_or_404(Dispute.objects.visible_to(request.user), number=number)
    form = spec.form(request.POST, request.FILES, user=request.user, dispute=dispute)
    if form.is_valid():
        try:
            message = spec.perform(dispute, request.user, form.cleaned_data, request)
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, message)
            return redirect(reverse("disputes:detail", args=[dispute.number]) + f"#{action}")
    else:
        _form_errors(request, form)
    if action in KEPT_FORMS:
        return _dispute_page(request, number, kept=(action, form), status=400)
    return redirect(reverse("disputes:detail", args=[dispute.number]) + f"#{action}")


# The moves whose forms the page renders from a Django form (its context name): refused,
# the bound form takes its place, so a long record or agreement text is not lost.
KEPT_FORMS = {
    "assign": "assign_form",
    "session": "session_form",
    "outcome": "outcome_form",
    "agreement": "agreement_form",
    "follow_up": "follow_up_form",
    "confirmation_apply": "apply_form",
    "confirmation_decide": "decide_form",
    "risk": "risk_form",
    "party": "party_form",
}


# --- The register -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterRow:
    """A line of the register with its labels: ``get_FOO_display`` rebuilds a field's whole
    choice table per call, which for 50 rows of four choice fields was most of the page."""

    dispute: Dispute
    state: str
    type_label: str
    source_label: str
    status_label: str
    risk_label: str


def _register_labels() -> dict[str, dict[str, str]]:
    """The choice labels in the active language, once per request."""
    return {
        name: {value: str(label) for value, label in choices}
        for name, choices in (
            ("type", DisputeType.choices),
            ("source", Source.choices),
            ("status", DisputeStatus.choices),
            ("risk", RiskLevel.choices),
        )
    }


@never_cache
@login_required
def register(request: StaffRequest) -> HttpResponse:
    """The register (台账) of disputes in scope, filtered, with the 化解率 of what is listed.
    A constant number of queries: the figures (one aggregate), the count, one page of rows
    and the place names (two)."""
    user = request.user
    params = request.GET.copy()
    if "year" not in params and not any(params.get(k) for k in ("date_from", "date_to")):
        params["year"] = str(timezone.localdate().year)
    form = RegisterFilterForm(params)
    disputes = selectors.register_filter(Dispute.objects.visible_to(user), params)
    figures = resolution_figures(disputes)
    paginator = Paginator(selectors.register_rows(disputes), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    now = timezone.now()
    labels = _register_labels()
    context = {
        "form": form,
        "page": page,
        "rows": [
            RegisterRow(
                dispute=d,
                state=deadline_state(status=d.status, due=d.due_at, warn_at=d.warn_at, now=now),
                type_label=labels["type"].get(d.dispute_type, d.dispute_type),
                source_label=labels["source"].get(d.source, d.source),
                status_label=labels["status"].get(d.status, d.status),
                risk_label=labels["risk"].get(d.risk_level, d.risk_level),
            )
            for d in rows
        ],
        "page_numbers": list(paginator.get_elided_page_range(page.number, on_each_side=2)),
        "figures": figures,
        "places": selectors.place_names({d.territory_code for d in rows}),
        "list_url": reverse("disputes:list"),
        "query": params.urlencode(),
        "can_register": user.role in ("grid_worker", "center_operator", "admin", "unit_head")
        or user.is_superuser
        or bool(user.department_id),
    }
    template = "disputes/_results.html" if getattr(request, "htmx", False) else "disputes/list.html"
    return render(request, template, context)


def _dispute_input(data: dict[str, Any], parties: list[PartyInput], **extra: Any) -> DisputeInput:
    return DisputeInput(
        name=data["name"],
        occurred_on=data["occurred_on"],
        screened_on=data["screened_on"],
        place=data["place"],
        territory_code=data["territory_code"],
        dispute_type=data["dispute_type"],
        summary=data["summary"],
        source=extra.pop("source", data["source"] or Source.GRID_VISIT),
        scale=data["scale"],
        people_involved=data["people_involved"],
        units_involved=data["units_involved"],
        risk_level=data["risk_level"],
        violent_risk=data["violent_risk"],
        risk_note=data["risk_note"],
        latitude=data["latitude"],
        longitude=data["longitude"],
        referring_department=data["referring_department"],
        parties=parties,
        **extra,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def register_new(request: StaffRequest) -> HttpResponse:
    """Register a dispute found on a visit, walked in or referred (or, with ``?meeting=``,
    raised at a weekly grid meeting) with its main parties."""
    user = request.user
    meeting = None
    meeting_id = request.GET.get("meeting") or request.POST.get("meeting")
    if meeting_id:
        try:
            meeting = get_object_or_404(selectors.meetings_visible(user), pk=int(meeting_id))
        except ValueError as error:
            raise Http404 from error
    if request.method == "POST":
        form = DisputeRegisterForm(request.POST, user=user)
        formset = PartyFormSet(request.POST, prefix="party")
        if form.is_valid() and formset.is_valid():
            parties = [_party_input(f.cleaned_data) for f in formset.forms if f.has_content()]
            extra: dict[str, Any] = {}
            if meeting is not None:
                extra["source"] = Source.GRID_MEETING
            try:
                dispute = services.dispute_register(
                    data=_dispute_input(form.cleaned_data, parties, **extra),
                    actor=user,
                    meeting=meeting,
                )
            except ValidationError as error:
                for text in error.messages:
                    form.add_error(None, text)
            else:
                messages.success(
                    request, _("Dispute %(number)s registered.") % {"number": dispute.number}
                )
                return redirect("disputes:detail", dispute.number)
    else:
        initial: dict[str, Any] = {
            "occurred_on": timezone.localdate(),
            "screened_on": timezone.localdate(),
        }
        if meeting is not None:
            initial["territory_code"] = meeting.territory_code
        form = DisputeRegisterForm(initial=initial, user=user)
        formset = PartyFormSet(
            prefix="party", initial=[{"role": "applicant"}, {"role": "respondent"}]
        )
    return render(
        request,
        "disputes/register.html",
        {"form": form, "formset": formset, "meeting": meeting},
    )


@login_required
@require_POST
def from_case(request: StaffRequest, number: str) -> HttpResponse:
    """Put a dispute case on the register (linked both ways)."""
    case = get_object_or_404(Case.objects.visible_to(request.user), number=number)
    dispute_type: str | None = request.POST.get("dispute_type") or None
    if dispute_type not in DisputeType.values:
        dispute_type = None
    try:
        dispute = services.dispute_from_case(
            case=case, actor=request.user, dispute_type=dispute_type
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        existing = Dispute.objects.visible_to(request.user).filter(case=case).first()
        if existing is not None:
            return redirect("disputes:detail", existing.number)
        return redirect("cases:detail", case.number)
    messages.success(request, _("Dispute %(number)s registered.") % {"number": dispute.number})
    return redirect("disputes:detail", dispute.number)


# --- The dispute page -------------------------------------------------------------------------


@never_cache
@login_required
def detail(request: StaffRequest, number: str) -> HttpResponse:
    """Everything about one dispute — the record, parties (identities masked), risk,
    deadline, sessions, outcome, agreement with its copies, visits, confirmation — the
    timeline, and the forms of the moves this user may make now."""
    return _dispute_page(request, number)


def _dispute_page(
    request: StaffRequest,
    number: str,
    *,
    kept: tuple[str, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The dispute page; ``kept``: a refused move and its bound form, shown again in place
    of the empty one (opened, and with the version the page now shows)."""
    user = request.user
    dispute = get_object_or_404(selectors.dispute_for_page(user), number=number)
    agreement = selectors.agreement_of(dispute)
    confirmations = list(dispute.confirmations.order_by("applied_on", "id"))
    live = next((c for c in confirmations if c.status == ConfirmationStatus.APPLIED), None)
    allowed = allowed_actions(user, dispute, agreement, live is not None)
    party_rows = selectors.parties(dispute)
    events = list(selectors.timeline(dispute))
    codes = {dispute.territory_code, dispute.holder_code}
    codes.update(str(e.data["to"]) for e in events if e.kind == "escalate" and e.data.get("to"))
    sessions = list(dispute.sessions.select_related("mediator").order_by("held_on", "id"))
    supervisions = list(dispute.supervisions.order_by("-created_at")[:20])
    codes.update(s.center_code for s in supervisions)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "dispute": dispute,
        "deadline": deadline_state(
            status=dispute.status, due=dispute.due_at, warn_at=dispute.warn_at
        ),
        "parties": party_rows,
        "sessions": sessions,
        "agreement": agreement,
        "copies": selectors.agreement_copies(agreement, party_rows) if agreement else [],
        "signed_copies": list(agreement.signed_copies.all()) if agreement else [],
        "follow_ups": list(dispute.follow_ups.order_by("visited_on", "id")),
        "confirmations": confirmations,
        "live_confirmation": live,
        "supervisions": supervisions,
        "events": events,
        "places": selectors.place_names(codes),
        "allowed": allowed,
        "can_unmask": user.has_perm("org.unmask_personal"),
        "today": today.isoformat(),
        "risk_levels": RiskLevel.choices,
    }
    if "assign" in allowed:
        context["assign_form"] = AssignForm(user=user, dispute=dispute)
    if "agreement" in allowed:
        last_record = sessions[-1].record if sessions else ""
        context["agreement_form"] = AgreementDraftForm(
            user=user,
            dispute=dispute,
            initial={
                "facts": dispute.summary,
                "matters": dispute.name,
                "rights_obligations": last_record,
                "performance_place": dispute.place,
                "signed_on": today,
                "mediator": dispute.lead_mediator_id,
            },
        )
    for name, form_class in (
        ("session_form", SessionForm),
        ("outcome_form", OutcomeForm),
        ("follow_up_form", FollowUpForm),
        ("apply_form", ConfirmationApplyForm),
        ("decide_form", ConfirmationDecideForm),
        ("party_form", AddPartyForm),
        ("risk_form", RiskForm),
    ):
        context[name] = form_class(
            user=user,
            dispute=dispute,
            initial={
                "risk_level": dispute.risk_level,
                "violent_risk": dispute.violent_risk,
                "held_on": today,
                "visited_on": today,
                "applied_on": today,
                "decided_on": today,
            },
        )
    if kept is not None:
        action, form = kept
        if "version" in form.data:
            # Sent again, the form must carry the version the page now shows.
            posted = cast(QueryDict, form.data).copy()
            posted["version"] = str(dispute.version)
            form.data = posted
        context[KEPT_FORMS[action]] = form
        context["open_move"] = action
    return render(request, "disputes/detail.html", context, status=status)


@never_cache
@login_required
@require_POST
def party_unmask(request: StaffRequest, pk: int, field: str) -> HttpResponse:
    """A party's full document number or phone, as a fragment replacing the masked value
    (in scope, else 404; with the permission, else 403; audited)."""
    if field not in UNMASKABLE_FIELDS:
        raise Http404
    party = get_object_or_404(
        DisputeParty.objects.filter(dispute__in=Dispute.objects.visible_to(request.user)), pk=pk
    )
    value = services.party_unmask(party=party, field=field, actor=request.user, request=request)
    return render(request, "disputes/_unmasked.html", {"value": value})


@never_cache
@login_required
def signed_copy(request: StaffRequest, pk: int) -> FileResponse:
    """A signed agreement copy, for staff who can see the dispute."""
    copy = get_object_or_404(
        AgreementSignedCopy.objects.filter(
            agreement__dispute__in=Dispute.objects.visible_to(request.user)
        ),
        pk=pk,
    )
    response = FileResponse(copy.file.open("rb"), content_type=copy.content_type)
    response["Content-Disposition"] = content_disposition_header(False, copy.original_name) or ""
    return response


# --- Supervision ------------------------------------------------------------------------------


@never_cache
@login_required
def supervision(request: StaffRequest) -> HttpResponse:
    """The centers' supervision list: high risk, 民转刑 and overdue disputes in scope."""
    user = request.user
    if not (user.role == "center_operator" or services.is_administrator(user)):
        raise PermissionDenied(_("The supervision list is for the centers."))
    now = timezone.now()
    disputes = selectors.supervision_list(user, now)
    paginator = Paginator(disputes, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    entries = selectors.recent_supervisions(rows)
    context = {
        "page": page,
        "rows": [
            (
                d,
                deadline_state(status=d.status, due=d.due_at, warn_at=d.warn_at, now=now),
                entries.get(d.pk, [])[:3],
            )
            for d in rows
        ],
        "page_numbers": list(paginator.get_elided_page_range(page.number, on_each_side=2)),
        "places": selectors.place_names({d.territory_code for d in rows}),
        "list_url": reverse("disputes:supervision"),
    }
    return render(request, "disputes/supervision.html", context)


# --- Weekly grid meetings ---------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def meetings(request: StaffRequest) -> HttpResponse:
    """The weekly grid and community meetings in scope, and a form to record one."""
    user = request.user
    form = MeetingForm(request.POST or None, user=user, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_record(actor=user, **form.cleaned_data)
        except ValidationError as error:
            for text in error.messages:
                form.add_error(None, text)
        else:
            messages.success(request, _("Meeting recorded."))
            return redirect("disputes:meeting", meeting.pk)
    paginator = Paginator(selectors.meetings_visible(user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    context = {
        "form": form,
        "page": page,
        "meetings": rows,
        "page_numbers": list(paginator.get_elided_page_range(page.number, on_each_side=2)),
        "places": selectors.place_names({m.territory_code for m in rows}),
        "list_url": reverse("disputes:meetings"),
    }
    return render(request, "disputes/meetings.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def meeting(request: StaffRequest, pk: int) -> HttpResponse:
    """One meeting: the disputes reviewed (risk before/after, decision), the disputes newly
    registered from it, and the review form."""
    user = request.user
    found: GridMeeting = get_object_or_404(selectors.meetings_visible(user), pk=pk)
    open_disputes = selectors.meeting_disputes(found, user)
    form = ReviewForm(request.POST or None, disputes=open_disputes)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_review(meeting=found, actor=user, **form.cleaned_data)
        except ValidationError as error:
            for text in error.messages:
                form.add_error(None, text)
        except PermissionDenied:
            raise
        else:
            messages.success(request, _("Review recorded."))
            return redirect("disputes:meeting", found.pk)
    context = {
        "meeting": found,
        "form": form,
        "reviews": list(found.reviews.select_related("dispute").order_by("id")),
        "new_disputes": list(found.new_disputes.order_by("id")),
        "places": selectors.place_names({found.territory_code}),
    }
    return render(request, "disputes/meeting.html", context)
