"""The dispute register's moves: 排查 (register) → 研判 (risk) → 上报 (escalate) → 调解
(assign, sessions) → outcome → agreement → 履行回访 / 司法确认.

Each move is one keyword-only function that locks the dispute, checks its state and the
actor's role and scope, changes it and appends one ``DisputeEvent``, all in one transaction.
Nothing else writes a dispute's status. Bad input is refused with a ``ValidationError`` that
says what to fix; a move the actor may never make raises ``PermissionDenied``.

Concurrency as in the case loop: the row lock (``select_for_update`` on PostgreSQL; SQLite
serialises write transactions) makes a second actor wait, the state guard then refuses them,
and forms carry the version they showed so a decision on a stale page is refused too.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.services import audit_record
from fengqiao.cases.attachments import prepare_file
from fengqiao.cases.choices import HOLDER_CODE_LENGTHS, CaseType
from fengqiao.cases.choices import EventKind as CaseEventKind
from fengqiao.cases.deadlines import level_of
from fengqiao.cases.models import Case, Notification
from fengqiao.core.codes import is_within
from fengqiao.core.idnumbers import birth_date_of, sex_of, validate_citizen_id
from fengqiao.core.privacy import Sensitive, lookup_digest
from fengqiao.disputes import deadlines
from fengqiao.disputes.choices import (
    DEADLINE_STATUSES,
    FOLLOW_UP_STATUSES,
    RISK_ORDER,
    AgreementForm,
    ConfirmationStatus,
    DisputeStatus,
    DisputeType,
    EventKind,
    IdType,
    Method,
    Outcome,
    PartyRole,
    PerformanceResult,
    ReferralRoute,
    RiskLevel,
    Scale,
    Source,
    SupervisionReason,
    VisitMethod,
)
from fengqiao.disputes.models import (
    AgreementSignedCopy,
    Dispute,
    DisputeEvent,
    DisputeParty,
    DisputeSupervision,
    FollowUpVisit,
    GridMeeting,
    JudicialConfirmation,
    MediationAgreement,
    MediationCommittee,
    MediationSession,
    Mediator,
    MeetingReview,
    NumberCounter,
)
from fengqiao.org.choices import TERRITORY_ROLES, Role
from fengqiao.org.models import Department, User
from fengqiao.territory.models import Household, Person

# Parties may ask a court to confirm their agreement within this many days (司法确认).
CONFIRMATION_WINDOW_DAYS = 30

# ---------------------------------------------------------------------------------------
# Errors


class TransitionError(ValidationError):
    """The move is not allowed in the dispute's current state; the message names the state."""


class StaleDisputeError(TransitionError):
    """Someone acted on the dispute after the page was shown."""


def _refuse(dispute: Dispute, move: str) -> TransitionError:
    return TransitionError(
        _("Cannot %(move)s dispute %(number)s: it is now “%(status)s”.")
        % {"move": move, "number": dispute.number, "status": dispute.get_status_display()}
    )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _require_text(value: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Please give %(what)s.") % {"what": what})
    return value


# ---------------------------------------------------------------------------------------
# Who may act


def is_administrator(user: Any) -> bool:
    return bool(user.is_superuser or user.role == Role.ADMINISTRATOR)


def covers(user: Any, dispute: Dispute) -> bool:
    """Territory staff whose subtree holds the dispute (they may register and report on it)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not (is_administrator(user) or user.role in TERRITORY_ROLES):
        return False
    return bool(user.covers(dispute.territory_code))


def is_holder(user: Any, dispute: Dispute) -> bool:
    """An operator of the center (or the grid worker of the grid) that handles it now; an
    administrator whose scope covers it."""
    if is_administrator(user):
        return bool(user.covers(dispute.territory_code))
    if user.role in (Role.CENTER_OPERATOR, Role.GRID_WORKER):
        return bool(user.scope_code == dispute.holder_code)
    return False


def is_center_holder(user: Any, dispute: Dispute) -> bool:
    """The holder, when it is a center: assigning to a committee is a center's work (a grid
    worker sends a dispute up to the village mediation committee)."""
    return is_holder(user, dispute) and user.role != Role.GRID_WORKER


def is_mediator(user: Any, dispute: Dispute) -> bool:
    """The lead mediator's own staff account."""
    mediator = dispute.lead_mediator
    return mediator is not None and mediator.user_id is not None and mediator.user_id == user.pk


def is_mediation_handler(user: Any, dispute: Dispute) -> bool:
    """Who records sessions, outcomes, agreements: the holder or the lead mediator."""
    return is_holder(user, dispute) or is_mediator(user, dispute)


def is_supervisor(user: Any, dispute: Dispute) -> bool:
    """A center operator at the handling level or above; an administrator covering it."""
    if is_administrator(user):
        return bool(user.covers(dispute.territory_code))
    return user.role == Role.CENTER_OPERATOR and is_within(dispute.holder_code, user.scope_code)


# ---------------------------------------------------------------------------------------
# Plumbing shared by every move


def _locked(dispute: Dispute, expected_version: int | None = None) -> Dispute:
    """The dispute row, locked for this transaction, checked against the page's version."""
    current = (
        Dispute.objects.select_for_update(of=("self",))
        .select_related("lead_mediator", "committee")
        .get(pk=dispute.pk)
    )
    if expected_version is not None and current.version != expected_version:
        raise StaleDisputeError(
            _(
                "Someone else acted on dispute %(number)s a moment ago; it is now “%(status)s”. "
                "Reload the page to see what changed."
            )
            % {"number": current.number, "status": current.get_status_display()}
        )
    return current


def _save(dispute: Dispute, *fields: str) -> None:
    dispute.version = F("version") + 1
    dispute.save(update_fields=[*fields, "version", "updated_at"])
    dispute.refresh_from_db(fields=["version"])


def _event(
    dispute: Dispute,
    kind: EventKind,
    *,
    actor: Any,
    from_status: str,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> DisputeEvent:
    return DisputeEvent.objects.create(
        dispute=dispute,
        kind=kind,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        from_status=from_status,
        to_status=dispute.status,
        note=note,
        data=data or {},
    )


def _operators(codes: Iterable[str]) -> list[User]:
    """The staff of the centers (grid workers for a grid) at these codes."""
    users: list[User] = []
    for code in dict.fromkeys(codes):
        role = Role.GRID_WORKER if len(code) == 15 else Role.CENTER_OPERATOR
        users.extend(User.objects.filter(role=role, scope_code=code, is_active=True))
    return users


def _notify(users: Iterable[User], kind: str, message: str) -> None:
    # The staff inbox is the cases app's; a dispute's message there carries its number.
    Notification.objects.bulk_create(
        [Notification(user=u, case=None, kind=kind, message=message[:300]) for u in users]
    )


def _alert_centers(
    dispute: Dispute, *, reason: SupervisionReason, message: str, actor: Any, automatic: bool
) -> list[DisputeSupervision]:
    """Put the dispute on the supervision list of its township and county centers at once,
    and tell their operators."""
    centers = [c for c in (dispute.territory_code[:9], dispute.territory_code[:6]) if c]
    rows = [
        DisputeSupervision.objects.create(
            dispute=dispute,
            center_code=code,
            reason=reason,
            automatic=automatic,
            message=message,
            issued_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        for code in dict.fromkeys(centers)
    ]
    _notify(_operators([*centers, dispute.holder_code]), CaseEventKind.SUPERVISE, message)
    return rows


def _take_number(scope: str, year: int) -> int:
    """The next sequence number of a scope's year, race-free: the UPDATE holds the counter
    row's lock until the transaction ends (SQLite runs one write transaction at a time), so
    no number is given twice; a rolled-back move leaves a gap, as a torn-off ticket does."""
    for _attempt in range(3):
        moved = NumberCounter.objects.filter(scope=scope, year=year).update(last=F("last") + 1)
        if not moved:
            try:
                with transaction.atomic():
                    NumberCounter.objects.create(scope=scope, year=year, last=1)
            except IntegrityError:
                continue  # another move created the counter first: take from theirs
            return 1
        return int(NumberCounter.objects.get(scope=scope, year=year).last)
    raise RuntimeError("could not allocate a number")


def _start_clock(dispute: Dispute, now: datetime.datetime) -> None:
    policy = deadlines.policy_for(dispute.level)
    dispute.due_at = deadlines.settle_due(now, policy)
    dispute.warn_at = deadlines.warn_time(dispute.due_at, policy)
    dispute.yellow_raised_at = None
    dispute.red_raised_at = None


def _holder_for(code: str) -> str:
    """The longest holder code (grid, village, township, county) that ``code`` starts with."""
    for length in HOLDER_CODE_LENGTHS:
        if len(code) >= length:
            return code[:length]
    raise ValidationError(_("A dispute must lie in a county or below."))


def _parent_holder(code: str) -> str | None:
    lengths = list(HOLDER_CODE_LENGTHS)
    index = lengths.index(len(code))
    return code[: lengths[index + 1]] if index + 1 < len(lengths) else None


# ---------------------------------------------------------------------------------------
# Register (排查)


@dataclass(frozen=True)
class PartyInput:
    """A main party as typed in. ``id_number`` is checked (GB 11643) for resident ID cards."""

    name: str
    role: str = PartyRole.APPLICANT
    id_type: str = IdType.RESIDENT_ID
    id_number: str = ""
    sex: str = ""
    ethnicity: str = ""
    birth_date: datetime.date | None = None
    education: str = "unknown"
    category: str = "other"
    address: str = ""
    phone: str = ""
    person: Person | None = None


@dataclass(frozen=True)
class DisputeInput:
    """The register's record (GB/T 31000 module 7) as typed in."""

    name: str
    occurred_on: datetime.date
    place: str
    territory_code: str
    dispute_type: str
    summary: str
    source: str
    scale: str = Scale.INDIVIDUAL
    people_involved: int = 2
    units_involved: str = ""
    screened_on: datetime.date | None = None
    risk_level: str = RiskLevel.LOW
    violent_risk: bool = False
    risk_note: str = ""
    method: str = Method.PEOPLES_MEDIATION
    household: Household | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    referring_department: Department | None = None
    parties: Sequence[PartyInput] = field(default_factory=tuple)


def _party(dispute: Dispute, item: PartyInput, position: int) -> DisputeParty:
    """A checked party row (not saved). Errors name the party, so the form can say which."""
    who = item.name.strip() or _("party %(n)d") % {"n": position}
    name = item.name.strip()
    if not name:
        raise ValidationError(
            _("Party %(n)d: please give the name.") % {"n": position}, code="party_name"
        )
    number = item.id_number.strip()
    sex, birth = item.sex, item.birth_date
    if item.id_type == IdType.RESIDENT_ID and number:
        try:
            number = validate_citizen_id(number)
        except ValidationError as error:
            raise ValidationError(
                _("Party “%(who)s”: %(problem)s") % {"who": who, "problem": error.messages[0]},
                code="party_id_number",
            ) from error
        sex = sex or sex_of(number)
        birth = birth or birth_date_of(number)
    elif item.id_type not in (IdType.NONE, IdType.RESIDENT_ID) and not number:
        raise ValidationError(
            _("Party “%(who)s”: give the document number, or choose “No document”.") % {"who": who},
            code="party_id_missing",
        )
    party = DisputeParty(
        dispute=dispute,
        role=item.role,
        name=name,
        id_type=item.id_type,
        sex=sex,
        ethnicity=item.ethnicity.strip(),
        birth_date=birth,
        education=item.education,
        category=item.category,
        address=item.address.strip(),
        person=item.person,
    )
    party.id_number = number
    party.id_number_digest = lookup_digest(number, "id_number")
    party.phone = item.phone
    party.phone_digest = lookup_digest(item.phone, "phone")
    try:
        party.full_clean(exclude=["dispute"])
    except ValidationError as error:
        raise ValidationError(
            [
                _("Party “%(who)s”: %(problem)s") % {"who": who, "problem": message}
                for message in error.messages
            ]
        ) from error
    return party


def _check_dates(*, occurred_on: datetime.date, screened_on: datetime.date) -> None:
    today = timezone.localdate()
    if occurred_on > today:
        raise ValidationError(
            _("The date of occurrence %(day)s is in the future: correct the date.")
            % {"day": occurred_on.isoformat()},
            code="occurred_future",
        )
    if screened_on < occurred_on:
        raise ValidationError(
            _("The dispute cannot be screened (%(screened)s) before it occurred (%(occurred)s).")
            % {"screened": screened_on.isoformat(), "occurred": occurred_on.isoformat()},
            code="screened_before_occurred",
        )


def _may_register(actor: Any, item: DisputeInput) -> None:
    if getattr(actor, "department_id", None):
        # A department refers a dispute, or registers a dispute case it handles (the case's
        # own scoping was checked by the caller), always in its own name.
        _require(
            item.source in (Source.REFERRAL, Source.CASE)
            and item.referring_department is not None
            and item.referring_department.pk == actor.department_id,
            _("A department refers a dispute in its own name."),
        )
        _require(
            is_within(item.territory_code, actor.department.territory_code),
            _("The dispute lies outside the territory your department serves."),
        )
        return
    _require(
        is_administrator(actor) or actor.role in TERRITORY_ROLES,
        _("Only territory staff and departments can register disputes."),
    )
    _require(
        bool(actor.covers(item.territory_code)),
        _("The place of the dispute lies outside your territory."),
    )


def _initial_holder(actor: Any, territory_code: str) -> str:
    """Who handles a new entry: the registering grid or center; a department's referral or
    an administrator's entry goes to the township center (or the county's)."""
    scope = getattr(actor, "scope_code", "") or ""
    if (
        not getattr(actor, "department_id", None)
        and not is_administrator(actor)
        and scope
        and is_within(territory_code, scope)
    ):
        return _holder_for(scope[:15])
    return _holder_for(territory_code[:9])


@transaction.atomic
def dispute_register(
    *,
    data: DisputeInput,
    actor: Any,
    case: Case | None = None,
    meeting: GridMeeting | None = None,
) -> Dispute:
    """排查: put a dispute on the register with its main parties. High risk or 民转刑 at
    registration alerts the township and county centers at once."""
    _may_register(actor, data)
    now = timezone.now()
    screened_on = data.screened_on or timezone.localdate()
    _check_dates(occurred_on=data.occurred_on, screened_on=screened_on)
    if data.source == Source.GRID_MEETING and meeting is None:
        raise ValidationError(_("A dispute from a grid meeting is registered from the meeting."))
    if data.source == Source.REFERRAL and data.referring_department is None:
        raise ValidationError(_("Name the department that referred the dispute."))
    if data.household is not None and not is_within(
        data.household.territory_code, data.territory_code[:12]
    ):
        raise ValidationError(_("The household is not in the place given for the dispute."))
    holder = _initial_holder(actor, data.territory_code)
    dispute = Dispute(
        name=data.name.strip(),
        occurred_on=data.occurred_on,
        screened_on=screened_on,
        place=data.place.strip(),
        territory_code=data.territory_code,
        household=data.household,
        latitude=data.latitude,
        longitude=data.longitude,
        dispute_type=data.dispute_type,
        scale=data.scale,
        people_involved=data.people_involved,
        summary=data.summary.strip(),
        units_involved=data.units_involved.strip(),
        source=data.source,
        case=case,
        meeting=meeting,
        referring_department=data.referring_department,
        risk_level=data.risk_level,
        violent_risk=data.violent_risk,
        risk_note=data.risk_note.strip(),
        method=data.method,
        holder_code=holder,
        level=level_of(holder),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _start_clock(dispute, now)
    dispute.number = "pending"
    dispute.full_clean(exclude=["number", "case", "meeting"])
    parties = [_party(dispute, item, n) for n, item in enumerate(data.parties, start=1)]
    year = screened_on.year
    county = data.territory_code[:6]
    dispute.number = f"D{county}-{year}-{_take_number(f'register:{county}', year):05d}"
    dispute.save()
    for party in parties:
        party.dispute = dispute
        party.save()
    _event(
        dispute,
        EventKind.REGISTER,
        actor=actor,
        from_status="",
        note=dispute.summary[:500],
        data={"source": dispute.source, "holder": holder, "parties": len(parties)},
    )
    _alert_if_risky(dispute, actor=actor, was_high=False, was_violent=False)
    return dispute


def _alert_if_risky(dispute: Dispute, *, actor: Any, was_high: bool, was_violent: bool) -> None:
    if dispute.violent_risk and not was_violent:
        _alert_centers(
            dispute,
            reason=SupervisionReason.VIOLENT,
            actor=actor,
            automatic=True,
            message=_("Dispute %(number)s may turn violent or criminal (民转刑): %(name)s")
            % {"number": dispute.number, "name": dispute.name},
        )
    if dispute.risk_level == RiskLevel.HIGH and not was_high:
        _alert_centers(
            dispute,
            reason=SupervisionReason.HIGH_RISK,
            actor=actor,
            automatic=True,
            message=_("Dispute %(number)s is high risk: %(name)s")
            % {"number": dispute.number, "name": dispute.name},
        )


# The case categories under 矛盾纠纷 and the register's type each one is.
CATEGORY_TYPES = {
    "dispute_family": DisputeType.MARRIAGE_FAMILY,
    "dispute_neighbour": DisputeType.NEIGHBOUR,
    "dispute_homestead": DisputeType.HOUSING_HOMESTEAD,
    "dispute_forest_land": DisputeType.LAND_FOREST,
    "dispute_wages": DisputeType.UNPAID_WAGES,
    "dispute_labour": DisputeType.LABOUR,
    "dispute_property": DisputeType.PROPERTY_MANAGEMENT,
}


@transaction.atomic
def dispute_from_case(
    *,
    case: Case,
    actor: Any,
    dispute_type: str | None = None,
    risk_level: str = RiskLevel.LOW,
) -> Dispute:
    """A case of type dispute becomes a register entry, linked both ways (``dispute.case``
    and ``case.dispute``). The type follows the case's category unless given; the reporters
    named in the case become its first parties."""
    case = Case.objects.select_for_update(of=("self",)).select_related("category").get(pk=case.pk)
    if dispute_type is None:
        dispute_type = CATEGORY_TYPES.get(case.category.code, DisputeType.OTHER)
    _require(
        Case.objects.visible_to(actor).filter(pk=case.pk).exists(),
        _("The case is outside your scope."),
    )
    if case.case_type != CaseType.DISPUTE:
        raise ValidationError(
            _(
                "Case %(number)s is a “%(type)s”, not a dispute: only dispute cases go on "
                "the register."
            )
            % {"number": case.number, "type": case.get_case_type_display()}
        )
    if Dispute.objects.filter(case=case).exists():
        raise ValidationError(
            _("Case %(number)s is already on the register.") % {"number": case.number}
        )
    received = timezone.localtime(case.created_at).date()
    parties = [
        PartyInput(name=reporter.name, person=reporter.person, id_type=IdType.NONE)
        for reporter in case.reporters.all()
        if reporter.name
    ]
    return dispute_register(
        data=DisputeInput(
            name=case.title,
            occurred_on=received,
            screened_on=max(received, timezone.localdate()),
            place=case.address or case.title,
            territory_code=case.territory_code,
            dispute_type=dispute_type,
            summary=case.description,
            source=Source.CASE,
            risk_level=risk_level,
            household=case.household,
            latitude=case.latitude,
            longitude=case.longitude,
            referring_department=getattr(actor, "department", None),
            parties=parties,
        ),
        actor=actor,
        case=case,
    )


@transaction.atomic
def dispute_add_party(
    *, dispute: Dispute, party: PartyInput, actor: Any, version: int | None = None
) -> DisputeParty:
    dispute = _locked(dispute, version)
    _require(
        covers(actor, dispute) or is_mediation_handler(actor, dispute),
        _("Only staff handling the dispute can add a party."),
    )
    if dispute.status not in DEADLINE_STATUSES:
        raise _refuse(dispute, _("add a party to"))
    row = _party(dispute, party, dispute.parties.count() + 1)
    row.save()
    _save(dispute)
    _event(dispute, EventKind.PARTY, actor=actor, from_status=dispute.status, note=row.name)
    return row


@transaction.atomic
def dispute_assess_risk(
    *,
    dispute: Dispute,
    actor: Any,
    risk_level: str,
    violent_risk: bool,
    note: str,
    version: int | None = None,
    meeting: GridMeeting | None = None,
) -> Dispute:
    """研判: set the risk level and the 民转刑 flag. Raising it to high, or flagging it,
    alerts the township and county centers at once and puts it on their supervision list."""
    dispute = _locked(dispute, version)
    _require(
        covers(actor, dispute) or is_mediation_handler(actor, dispute),
        _("Only staff responsible for the dispute's territory can assess its risk."),
    )
    if dispute.status not in DEADLINE_STATUSES:
        raise _refuse(dispute, _("assess the risk of"))
    if risk_level not in RiskLevel.values:
        raise ValidationError(_("Choose a risk level: low, medium or high."))
    note = _require_text(note, _("the reason for the assessment"))
    was_high = dispute.risk_level == RiskLevel.HIGH
    was_violent = dispute.violent_risk
    before = dispute.risk_level
    dispute.risk_level = risk_level
    dispute.violent_risk = violent_risk
    dispute.risk_note = note
    _save(dispute, "risk_level", "violent_risk", "risk_note")
    _event(
        dispute,
        EventKind.RISK,
        actor=actor,
        from_status=dispute.status,
        note=note,
        data={
            "from": before,
            "to": risk_level,
            "violent_from": was_violent,
            "violent_to": violent_risk,
            "raised": RISK_ORDER[RiskLevel(risk_level)] > RISK_ORDER[RiskLevel(before)],
            "meeting": meeting.pk if meeting else None,
        },
    )
    _alert_if_risky(dispute, actor=actor, was_high=was_high, was_violent=was_violent)
    return dispute


@transaction.atomic
def dispute_escalate(
    *, dispute: Dispute, actor: Any, reason: str, version: int | None = None
) -> Dispute:
    """上报: one level up (grid → village mediation committee → township → county). A
    dispute being mediated below goes back to awaiting assignment at the new level."""
    dispute = _locked(dispute, version)
    _require(is_holder(actor, dispute), _("Only the level handling the dispute can send it up."))
    if dispute.status not in DEADLINE_STATUSES:
        raise _refuse(dispute, _("escalate"))
    parent = _parent_holder(dispute.holder_code)
    if parent is None:
        raise TransitionError(_("The county center is the top level: there is no one above."))
    reason = _require_text(reason, _("the reason for sending it up"))
    before = dispute.holder_code
    from_status = dispute.status
    dispute.holder_code = parent
    dispute.level = level_of(parent)
    dispute.status = DisputeStatus.REGISTERED
    dispute.committee = None
    dispute.lead_mediator = None
    dispute.assigned_at = None
    _save(dispute, "holder_code", "level", "status", "committee", "lead_mediator", "assigned_at")
    _event(
        dispute,
        EventKind.ESCALATE,
        actor=actor,
        from_status=from_status,
        note=reason,
        data={"from": before, "to": parent},
    )
    _notify(
        _operators([parent]),
        CaseEventKind.ESCALATE,
        _("Dispute %(number)s sent up to you: %(reason)s")
        % {"number": dispute.number, "reason": reason},
    )
    return dispute


def committees_for(dispute: Dispute) -> list[MediationCommittee]:
    """Active committees that may mediate it: those whose territory holds the dispute."""
    code = dispute.territory_code
    prefixes = [code[:n] for n in (6, 9, 12, 15, 18) if n <= len(code)]
    return list(
        MediationCommittee.objects.filter(territory_code__in=prefixes, is_active=True).order_by(
            "-territory_code", "name"
        )
    )


@transaction.atomic
def dispute_assign(
    *,
    dispute: Dispute,
    actor: Any,
    committee: MediationCommittee,
    mediator: Mediator,
    method: str = Method.PEOPLES_MEDIATION,
    version: int | None = None,
) -> Dispute:
    """Assign the dispute to a mediation committee and its lead mediator (or reassign)."""
    dispute = _locked(dispute, version)
    _require(
        is_center_holder(actor, dispute),
        _("Only the center handling the dispute can assign it for mediation."),
    )
    if dispute.status not in DEADLINE_STATUSES:
        raise _refuse(dispute, _("assign"))
    if not committee.is_active or committee not in committees_for(dispute):
        raise ValidationError(
            _("%(committee)s does not mediate disputes in this place.")
            % {"committee": committee.name}
        )
    if mediator.committee_id != committee.pk or not mediator.is_active:
        raise ValidationError(
            _("%(mediator)s is not an active mediator of %(committee)s.")
            % {"mediator": mediator.name, "committee": committee.name}
        )
    if method not in Method.values:
        raise ValidationError(_("Choose how the dispute is resolved."))
    from_status = dispute.status
    dispute.committee = committee
    dispute.lead_mediator = mediator
    dispute.method = method
    dispute.assigned_at = timezone.now()
    dispute.status = DisputeStatus.MEDIATING
    _save(dispute, "committee", "lead_mediator", "method", "assigned_at", "status")
    _event(
        dispute,
        EventKind.ASSIGN,
        actor=actor,
        from_status=from_status,
        note=f"{committee.name} · {mediator.name}",
        data={"committee": committee.pk, "mediator": mediator.pk},
    )
    if mediator.user_id is not None:
        _notify(
            User.objects.filter(pk=mediator.user_id, is_active=True),
            CaseEventKind.DISPATCH,
            _("Dispute %(number)s assigned to you for mediation: %(name)s")
            % {"number": dispute.number, "name": dispute.name},
        )
    return dispute


# ---------------------------------------------------------------------------------------
# Mediation (调解)


def _refuse_if_withdrawn(dispute: Dispute, what: str) -> None:
    if dispute.status == DisputeStatus.WITHDRAWN:
        raise TransitionError(
            _(
                "Dispute %(number)s was withdrawn by the parties: no %(what)s can be recorded. "
                "Register it again if the dispute comes back."
            )
            % {"number": dispute.number, "what": what}
        )


@transaction.atomic
def session_record(
    *,
    dispute: Dispute,
    actor: Any,
    held_on: datetime.date,
    participants: str,
    record: str,
    place: str = "",
    remote: bool = False,
    mediator: Mediator | None = None,
    parties_confirmed: bool = False,
    version: int | None = None,
) -> MediationSession:
    """A mediation session and its written record (调解笔录)."""
    dispute = _locked(dispute, version)
    _require(
        is_mediation_handler(actor, dispute),
        _("Only the mediator or the center handling the dispute can record a session."),
    )
    _refuse_if_withdrawn(dispute, _("mediation session"))
    if dispute.status != DisputeStatus.MEDIATING:
        raise _refuse(dispute, _("record a session on"))
    if held_on < dispute.occurred_on:
        raise ValidationError(
            _(
                "The session is dated %(held)s, before the dispute occurred (%(occurred)s): "
                "correct the session date."
            )
            % {"held": held_on.isoformat(), "occurred": dispute.occurred_on.isoformat()},
            code="session_before_dispute",
        )
    if held_on > timezone.localdate():
        raise ValidationError(
            _("The session date %(held)s is in the future: record a session after it is held.")
            % {"held": held_on.isoformat()},
            code="session_future",
        )
    if not remote and not place.strip():
        raise ValidationError(_("Give the place of the session, or tick “held remotely”."))
    participants = _require_text(participants, _("who took part"))
    record = _require_text(record, _("the written record of the session"))
    mediator = mediator or dispute.lead_mediator
    if mediator is not None and mediator.committee_id != dispute.committee_id:
        raise ValidationError(
            _("%(mediator)s is not a mediator of the committee handling the dispute.")
            % {"mediator": mediator.name}
        )
    session = MediationSession(
        dispute=dispute,
        held_on=held_on,
        place=place.strip(),
        remote=remote,
        mediator=mediator,
        participants=participants,
        record=record,
        parties_confirmed=parties_confirmed,
        confirmed_at=timezone.now() if parties_confirmed else None,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    session.full_clean()
    session.save()
    _save(dispute)
    _event(
        dispute,
        EventKind.SESSION,
        actor=actor,
        from_status=dispute.status,
        note=record[:500],
        data={"session": session.pk, "held_on": held_on.isoformat(), "remote": remote},
    )
    return session


@transaction.atomic
def session_confirm(*, session: MediationSession, actor: Any) -> MediationSession:
    """The parties have read and confirmed (signed) the written record."""
    dispute = _locked(session.dispute)
    _require(
        is_mediation_handler(actor, dispute),
        _("Only the mediator or the center handling the dispute can confirm a record."),
    )
    session = MediationSession.objects.select_for_update().get(pk=session.pk)
    if session.parties_confirmed:
        raise ValidationError(_("The parties have already confirmed this record."))
    session.parties_confirmed = True
    session.confirmed_at = timezone.now()
    session.save(update_fields=["parties_confirmed", "confirmed_at"])
    _save(dispute)
    _event(
        dispute,
        EventKind.SESSION_CONFIRM,
        actor=actor,
        from_status=dispute.status,
        data={"session": session.pk},
    )
    return session


@transaction.atomic
def dispute_record_outcome(
    *,
    dispute: Dispute,
    actor: Any,
    outcome: str,
    note: str = "",
    agreement_form: str = "",
    oral_agreement: str = "",
    referral_route: str = "",
    version: int | None = None,
) -> Dispute:
    """The result of mediation: an agreement (written or oral; an oral one's content is
    recorded), no agreement and a referral, or withdrawal by the parties."""
    dispute = _locked(dispute, version)
    _require(
        is_mediation_handler(actor, dispute),
        _("Only the mediator or the center handling the dispute can record its outcome."),
    )
    _refuse_if_withdrawn(dispute, _("outcome"))
    if outcome == Outcome.WITHDRAWN:
        if dispute.status not in DEADLINE_STATUSES:
            raise _refuse(dispute, _("withdraw"))
    elif dispute.status != DisputeStatus.MEDIATING:
        raise _refuse(dispute, _("record the outcome of"))
    from_status = dispute.status
    fields = ["outcome", "outcome_note", "outcome_at", "status"]
    if outcome == Outcome.AGREEMENT:
        if not dispute.sessions.exists():
            raise ValidationError(
                _("Record the mediation session in which the agreement was reached first.")
            )
        if agreement_form not in AgreementForm.values:
            raise ValidationError(_("Say whether the agreement is written or oral."))
        if agreement_form == AgreementForm.ORAL:
            dispute.oral_agreement = _require_text(
                oral_agreement, _("the content of the oral agreement")
            )
        dispute.agreement_form = agreement_form
        dispute.status = DisputeStatus.AGREED
        fields += ["agreement_form", "oral_agreement"]
    elif outcome == Outcome.NO_AGREEMENT:
        if referral_route not in ReferralRoute.values:
            raise ValidationError(
                _(
                    "Without an agreement, say where the parties are guided: litigation, "
                    "arbitration, the administrative route or letters and visits."
                )
            )
        note = _require_text(note, _("why no agreement was reached"))
        dispute.referral_route = referral_route
        dispute.status = DisputeStatus.REFERRED
        fields.append("referral_route")
    elif outcome == Outcome.WITHDRAWN:
        note = _require_text(note, _("why the parties withdrew"))
        dispute.status = DisputeStatus.WITHDRAWN
    else:
        raise ValidationError(_("Choose the outcome."))
    dispute.outcome = outcome
    dispute.outcome_note = note.strip()
    dispute.outcome_at = timezone.now()
    _save(dispute, *fields)
    _event(
        dispute,
        EventKind.OUTCOME,
        actor=actor,
        from_status=from_status,
        note=dispute.oral_agreement or note,
        data={
            "outcome": outcome,
            "form": dispute.agreement_form,
            "route": dispute.referral_route,
        },
    )
    return dispute


@dataclass(frozen=True)
class AgreementInput:
    """The elements of a written mediation agreement (People's Mediation Law art. 29)."""

    facts: str = ""
    matters: str = ""
    responsibilities: str = ""
    rights_obligations: str = ""
    performance_method: str = ""
    performance_place: str = ""
    performance_deadline: datetime.date | None = None
    signed_on: datetime.date | None = None
    mediator: Mediator | None = None


def _missing_agreement_fields(data: AgreementInput) -> list[str]:
    labels = {
        "facts": _("main facts of the dispute"),
        "matters": _("matters in dispute"),
        "responsibilities": _("each party's responsibility"),
        "rights_obligations": _("rights and obligations agreed"),
        "performance_method": _("how it is performed"),
        "performance_place": _("where it is performed"),
        "performance_deadline": _("performed by"),
        "signed_on": _("date of the agreement"),
        "mediator": _("mediator"),
    }
    missing = []
    for name, label in labels.items():
        value = getattr(data, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(str(label))
    return missing


def _check_agreement_parties(dispute: Dispute) -> None:
    parties = list(dispute.parties.all())
    if len(parties) < 2:
        raise ValidationError(
            _("An agreement is made between at least two parties: add the parties first."),
            code="agreement_parties",
        )
    for party in parties:
        if not party.address:
            raise ValidationError(
                _("Party “%(who)s” has no address: the agreement must state it.")
                % {"who": party.name},
                code="agreement_party_address",
            )


@transaction.atomic
def agreement_create(
    *, dispute: Dispute, actor: Any, data: AgreementInput, version: int | None = None
) -> MediationAgreement:
    """Draw up the written agreement (调解协议书) from the record, numbered per committee
    and year. Refused, naming what is missing, unless every required element is there."""
    dispute = _locked(dispute, version)
    _require(
        is_mediation_handler(actor, dispute),
        _("Only the mediator or the center handling the dispute can draw up the agreement."),
    )
    _refuse_if_withdrawn(dispute, _("agreement"))
    if dispute.status not in FOLLOW_UP_STATUSES or dispute.outcome != Outcome.AGREEMENT:
        raise _refuse(dispute, _("draw up an agreement for"))
    if dispute.agreement_form != AgreementForm.WRITTEN:
        raise TransitionError(
            _("The parties reached an oral agreement: its content is on the record instead.")
        )
    if MediationAgreement.objects.filter(dispute=dispute).exists():
        raise ValidationError(
            _("Dispute %(number)s already has its agreement.") % {"number": dispute.number}
        )
    missing = _missing_agreement_fields(data)
    if missing:
        raise ValidationError(
            _("The agreement is missing: %(fields)s. Fill them in and try again.")
            % {"fields": "、".join(missing)},
            code="agreement_missing",
        )
    committee = dispute.committee
    if committee is None:
        raise ValidationError(_("Assign the dispute to a mediation committee first."))
    assert data.mediator is not None and data.signed_on is not None
    assert data.performance_deadline is not None
    if data.mediator.committee_id != committee.pk:
        raise ValidationError(
            _("%(mediator)s is not a mediator of %(committee)s.")
            % {"mediator": data.mediator.name, "committee": committee.name}
        )
    first_session = dispute.sessions.order_by("held_on").values_list("held_on", flat=True).first()
    earliest = first_session or dispute.occurred_on
    if data.signed_on < earliest or data.signed_on > timezone.localdate():
        raise ValidationError(
            _(
                "The agreement date %(day)s must lie between the first mediation session "
                "(%(first)s) and today."
            )
            % {"day": data.signed_on.isoformat(), "first": earliest.isoformat()},
            code="agreement_date",
        )
    if data.performance_deadline < data.signed_on:
        raise ValidationError(
            _("The performance deadline %(due)s is before the agreement date %(day)s.")
            % {"due": data.performance_deadline.isoformat(), "day": data.signed_on.isoformat()},
            code="agreement_deadline",
        )
    _check_agreement_parties(dispute)
    year = data.signed_on.year
    sequence = _take_number(f"committee:{committee.pk}", year)
    agreement = MediationAgreement(
        dispute=dispute,
        committee=committee,
        year=year,
        sequence=sequence,
        number=f"{committee.number_prefix}〔{year}〕{sequence}号",
        facts=data.facts.strip(),
        matters=data.matters.strip(),
        responsibilities=data.responsibilities.strip(),
        rights_obligations=data.rights_obligations.strip(),
        performance_method=data.performance_method.strip(),
        performance_place=data.performance_place.strip(),
        performance_deadline=data.performance_deadline,
        mediator=data.mediator,
        signed_on=data.signed_on,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    agreement.full_clean()
    agreement.save()
    _save(dispute)
    _event(
        dispute,
        EventKind.AGREEMENT,
        actor=actor,
        from_status=dispute.status,
        note=agreement.number,
        data={"agreement": agreement.pk, "number": agreement.number},
    )
    return agreement


@transaction.atomic
def agreement_upload_signed_copy(
    *,
    agreement: MediationAgreement,
    uploaded_file: File[Any],
    actor: Any,
    party: DisputeParty | None = None,
) -> AgreementSignedCopy:
    """A scan or photo of a signed copy (a party's, or the archive copy when ``party`` is
    None). The file is checked by its content (PDF or photo), photos lose their metadata."""
    dispute = _locked(agreement.dispute)
    _require(
        is_mediation_handler(actor, dispute),
        _("Only the mediator or the center handling the dispute can upload signed copies."),
    )
    if party is not None and party.dispute_id != dispute.pk:
        raise ValidationError(_("That party is not a party to this agreement."))
    prepared = prepare_file(uploaded_file)
    if prepared.content_type not in ("application/pdf", "image/jpeg", "image/png", "image/webp"):
        raise ValidationError(_("A signed copy is a PDF scan or a photo (JPEG, PNG or WebP)."))
    copy = AgreementSignedCopy(
        agreement=agreement,
        party=party,
        original_name=prepared.original_name,
        content_type=prepared.content_type,
        size=prepared.size,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    name = f"{uuid.uuid4().hex}.{prepared.extension}"
    if prepared.content is not None:
        copy.file.save(name, ContentFile(prepared.content), save=False)
    else:
        assert prepared.source is not None
        prepared.source.seek(0)
        copy.file.save(name, File(prepared.source), save=False)
    try:
        copy.full_clean()
        copy.save()
        _save(dispute)
        _event(
            dispute,
            EventKind.SIGNED_COPY,
            actor=actor,
            from_status=dispute.status,
            note=party.name if party else _("archive copy"),
            data={"copy": copy.pk, "party": party.pk if party else None},
        )
    except Exception:
        copy.file.delete(save=False)
        raise
    return copy


def _settle_if_resolved(dispute: Dispute, now: datetime.datetime) -> list[str]:
    """化解: an agreement reached and then performed or confirmed. Returns changed fields."""
    if (
        dispute.resolved_at is None
        and dispute.outcome == Outcome.AGREEMENT
        and (dispute.performed_on is not None or dispute.confirmed_on is not None)
    ):
        dispute.resolved_at = now
        dispute.status = DisputeStatus.RESOLVED
        return ["resolved_at", "status"]
    return []


def _agreement_day(dispute: Dispute) -> datetime.date:
    agreement = MediationAgreement.objects.filter(dispute=dispute).first()
    if agreement is not None:
        return agreement.signed_on
    assert dispute.outcome_at is not None
    return timezone.localtime(dispute.outcome_at).date()


@transaction.atomic
def follow_up_record(
    *,
    dispute: Dispute,
    actor: Any,
    visited_on: datetime.date,
    result: str,
    note: str = "",
    method: str = VisitMethod.ON_SITE,
    version: int | None = None,
) -> FollowUpVisit:
    """履行回访: a visit on performance. Fully performed resolves the dispute."""
    dispute = _locked(dispute, version)
    _require(
        covers(actor, dispute) or is_mediation_handler(actor, dispute),
        _("Only staff responsible for the dispute can record a performance visit."),
    )
    _refuse_if_withdrawn(dispute, _("performance visit"))
    if dispute.status not in FOLLOW_UP_STATUSES:
        raise _refuse(dispute, _("record a performance visit on"))
    if result not in PerformanceResult.values:
        raise ValidationError(_("Choose the result of the visit."))
    if method not in VisitMethod.values:
        raise ValidationError(_("Choose how the visit was made."))
    agreed_on = _agreement_day(dispute)
    if visited_on < agreed_on or visited_on > timezone.localdate():
        raise ValidationError(
            _("The visit date %(day)s must lie between the agreement (%(agreed)s) and today.")
            % {"day": visited_on.isoformat(), "agreed": agreed_on.isoformat()},
            code="visit_date",
        )
    if result != PerformanceResult.PERFORMED:
        note = _require_text(note, _("what has not been performed yet"))
    visit = FollowUpVisit(
        dispute=dispute,
        visited_on=visited_on,
        method=method,
        result=result,
        note=note.strip(),
        visitor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    visit.full_clean()
    visit.save()
    from_status = dispute.status
    fields: list[str] = []
    if result == PerformanceResult.PERFORMED and dispute.performed_on is None:
        dispute.performed_on = visited_on
        fields.append("performed_on")
    fields += _settle_if_resolved(dispute, timezone.now())
    _save(dispute, *fields)
    _event(
        dispute,
        EventKind.FOLLOW_UP,
        actor=actor,
        from_status=from_status,
        note=note.strip() or visit.get_result_display(),
        data={"visit": visit.pk, "result": result, "resolved": "resolved_at" in fields},
    )
    return visit


@transaction.atomic
def confirmation_apply(
    *,
    dispute: Dispute,
    actor: Any,
    applied_on: datetime.date,
    court: str,
    note: str = "",
    version: int | None = None,
) -> JudicialConfirmation:
    """司法确认: the parties' joint application to a court, within 30 days of the agreement."""
    dispute = _locked(dispute, version)
    _require(
        is_mediation_handler(actor, dispute) or is_supervisor(actor, dispute),
        _("Only the mediator or a center can record a judicial confirmation."),
    )
    _refuse_if_withdrawn(dispute, _("judicial confirmation"))
    if dispute.status not in FOLLOW_UP_STATUSES:
        raise _refuse(dispute, _("apply for judicial confirmation of"))
    agreement = MediationAgreement.objects.filter(dispute=dispute).first()
    if agreement is None:
        raise ValidationError(
            _("Judicial confirmation needs the written agreement: draw it up first.")
        )
    court = _require_text(court, _("the court applied to"))
    last_day = agreement.signed_on + datetime.timedelta(days=CONFIRMATION_WINDOW_DAYS)
    if applied_on < agreement.signed_on or applied_on > last_day:
        raise ValidationError(
            _(
                "The application date %(day)s must lie within 30 days of the agreement "
                "(%(start)s to %(end)s)."
            )
            % {
                "day": applied_on.isoformat(),
                "start": agreement.signed_on.isoformat(),
                "end": last_day.isoformat(),
            },
            code="confirmation_window",
        )
    if applied_on > timezone.localdate():
        raise ValidationError(_("The application date is in the future."))
    if agreement.confirmations.filter(
        status__in=[ConfirmationStatus.APPLIED, ConfirmationStatus.CONFIRMED]
    ).exists():
        raise ValidationError(_("An application for this agreement is already recorded."))
    confirmation = JudicialConfirmation(
        dispute=dispute,
        agreement=agreement,
        applied_on=applied_on,
        court=court,
        note=note.strip(),
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    confirmation.full_clean()
    confirmation.save()
    _save(dispute)
    _event(
        dispute,
        EventKind.CONFIRMATION,
        actor=actor,
        from_status=dispute.status,
        note=court,
        data={"confirmation": confirmation.pk, "status": confirmation.status},
    )
    return confirmation


@transaction.atomic
def confirmation_decide(
    *,
    confirmation: JudicialConfirmation,
    actor: Any,
    confirmed: bool,
    decided_on: datetime.date,
    ruling_number: str = "",
    note: str = "",
) -> JudicialConfirmation:
    """The court's ruling: confirmed valid (the dispute counts as resolved) or rejected."""
    dispute = _locked(confirmation.dispute)
    _require(
        is_mediation_handler(actor, dispute) or is_supervisor(actor, dispute),
        _("Only the mediator or a center can record a judicial confirmation."),
    )
    confirmation = JudicialConfirmation.objects.select_for_update().get(pk=confirmation.pk)
    if confirmation.status != ConfirmationStatus.APPLIED:
        raise TransitionError(
            _("The court has already ruled on this application (%(status)s).")
            % {"status": confirmation.get_status_display()}
        )
    if decided_on < confirmation.applied_on or decided_on > timezone.localdate():
        raise ValidationError(
            _("The ruling date %(day)s must lie between the application (%(applied)s) and today.")
            % {"day": decided_on.isoformat(), "applied": confirmation.applied_on.isoformat()},
            code="ruling_date",
        )
    if confirmed:
        ruling_number = _require_text(ruling_number, _("the number of the court's ruling"))
    else:
        note = _require_text(note, _("the court's reason for rejecting"))
    confirmation.status = ConfirmationStatus.CONFIRMED if confirmed else ConfirmationStatus.REJECTED
    confirmation.decided_on = decided_on
    confirmation.ruling_number = ruling_number.strip()
    confirmation.note = (note or confirmation.note).strip()
    confirmation.save(update_fields=["status", "decided_on", "ruling_number", "note", "updated_at"])
    from_status = dispute.status
    fields: list[str] = []
    if confirmed and dispute.confirmed_on is None:
        dispute.confirmed_on = decided_on
        fields.append("confirmed_on")
    fields += _settle_if_resolved(dispute, timezone.now())
    _save(dispute, *fields)
    _event(
        dispute,
        EventKind.CONFIRMATION,
        actor=actor,
        from_status=from_status,
        note=ruling_number or note,
        data={
            "confirmation": confirmation.pk,
            "status": confirmation.status,
            "resolved": "resolved_at" in fields,
        },
    )
    return confirmation


# ---------------------------------------------------------------------------------------
# Supervision and evaluation


@transaction.atomic
def dispute_supervise(
    *, dispute: Dispute, actor: Any, message: str, version: int | None = None
) -> DisputeSupervision:
    """督办 by a center at or above the handling level."""
    dispute = _locked(dispute, version)
    _require(is_supervisor(actor, dispute), _("Only a center above the dispute can supervise it."))
    if dispute.status not in DEADLINE_STATUSES:
        raise _refuse(dispute, _("supervise"))
    message = _require_text(message, _("the supervision message"))
    notice = DisputeSupervision.objects.create(
        dispute=dispute,
        center_code=actor.scope_code or dispute.territory_code[:6],
        reason=SupervisionReason.MANUAL,
        message=message,
        issued_by=actor,
    )
    _save(dispute)
    _event(
        dispute,
        EventKind.SUPERVISE,
        actor=actor,
        from_status=dispute.status,
        note=message,
        data={"notice": notice.pk, "automatic": False},
    )
    users = _operators([dispute.holder_code])
    if dispute.lead_mediator is not None and dispute.lead_mediator.user_id:
        users += list(User.objects.filter(pk=dispute.lead_mediator.user_id))
    _notify(
        users,
        CaseEventKind.SUPERVISE,
        _("Supervision notice on dispute %(number)s: %(message)s")
        % {"number": dispute.number, "message": message},
    )
    return notice


@transaction.atomic
def dispute_evaluate(
    *,
    dispute: Dispute,
    actor: Any,
    evaluated_on: datetime.date,
    evaluation: str,
    version: int | None = None,
) -> Dispute:
    """考评: a center's evaluation of how a settled dispute was handled."""
    dispute = _locked(dispute, version)
    _require(is_supervisor(actor, dispute), _("Only a center above the dispute can evaluate it."))
    if dispute.status in DEADLINE_STATUSES:
        raise _refuse(dispute, _("evaluate"))
    evaluation = _require_text(evaluation, _("the evaluation"))
    if evaluated_on > timezone.localdate() or evaluated_on < dispute.occurred_on:
        raise ValidationError(_("The evaluation date must lie between the dispute and today."))
    dispute.evaluated_on = evaluated_on
    dispute.evaluation = evaluation
    _save(dispute, "evaluated_on", "evaluation")
    _event(dispute, EventKind.EVALUATE, actor=actor, from_status=dispute.status, note=evaluation)
    return dispute


def dispute_raise_yellow(*, dispute_id: int, now: datetime.datetime) -> bool:
    """Raise the due-soon warning once; False if already raised or no longer due."""
    with transaction.atomic():
        claimed = Dispute.objects.filter(
            pk=dispute_id,
            yellow_raised_at__isnull=True,
            status__in=DEADLINE_STATUSES,
            warn_at__lte=now,
        ).update(yellow_raised_at=now, version=F("version") + 1)
        if not claimed:
            return False
        dispute = Dispute.objects.select_related("lead_mediator").get(pk=dispute_id)
        _event(
            dispute,
            EventKind.WARN,
            actor=None,
            from_status=dispute.status,
            data={
                "level": "yellow",
                "due_at": dispute.due_at.isoformat() if dispute.due_at else None,
            },
        )
        users = _operators([dispute.holder_code])
        if dispute.lead_mediator is not None and dispute.lead_mediator.user_id:
            users += list(User.objects.filter(pk=dispute.lead_mediator.user_id))
        _notify(
            users,
            CaseEventKind.WARN,
            _("Dispute %(number)s is due soon") % {"number": dispute.number},
        )
        return True


def dispute_raise_red(*, dispute_id: int, now: datetime.datetime) -> bool:
    """Overdue: an automatic supervision notice to the township and county centers, once."""
    with transaction.atomic():
        claimed = Dispute.objects.filter(
            pk=dispute_id,
            red_raised_at__isnull=True,
            status__in=DEADLINE_STATUSES,
            due_at__lte=now,
        ).update(red_raised_at=now, version=F("version") + 1)
        if not claimed:
            return False
        # Past due, a due-soon warning would only be noise: mark it as done too.
        Dispute.objects.filter(pk=dispute_id, yellow_raised_at__isnull=True).update(
            yellow_raised_at=now
        )
        dispute = Dispute.objects.get(pk=dispute_id)
        due = timezone.localtime(dispute.due_at).strftime("%Y-%m-%d") if dispute.due_at else "—"
        message = _("Dispute %(number)s is overdue: it was to be settled by %(due)s.") % {
            "number": dispute.number,
            "due": due,
        }
        rows = _alert_centers(
            dispute, reason=SupervisionReason.OVERDUE, message=message, actor=None, automatic=True
        )
        _event(
            dispute,
            EventKind.SUPERVISE,
            actor=None,
            from_status=dispute.status,
            note=message,
            data={"automatic": True, "notices": [row.pk for row in rows]},
        )
        return True


# ---------------------------------------------------------------------------------------
# Weekly grid meetings (周工作例会研判)


def _may_hold_meeting(actor: Any, territory_code: str) -> None:
    _require(
        (is_administrator(actor) or actor.role in (Role.CENTER_OPERATOR, Role.GRID_WORKER))
        and bool(actor.covers(territory_code)),
        _("Only the grid's or community's own staff can record its meetings."),
    )


@transaction.atomic
def meeting_record(
    *,
    territory_code: str,
    held_on: datetime.date,
    attendees: str,
    actor: Any,
    place: str = "",
    host: str = "",
    notes: str = "",
) -> GridMeeting:
    """A weekly grid or community meeting (周工作例会)."""
    if len(territory_code) not in (12, 15):
        raise ValidationError(_("A weekly meeting is held by a grid or a village/community."))
    _may_hold_meeting(actor, territory_code)
    if held_on > timezone.localdate():
        raise ValidationError(_("The meeting date is in the future: record it once held."))
    meeting = GridMeeting(
        territory_code=territory_code,
        held_on=held_on,
        place=place.strip(),
        host=host.strip(),
        attendees=_require_text(attendees, _("who attended")),
        notes=notes.strip(),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    meeting.full_clean()
    meeting.save()
    return meeting


@transaction.atomic
def meeting_review(
    *,
    meeting: GridMeeting,
    dispute: Dispute,
    actor: Any,
    risk_after: str,
    violent_after: bool,
    decision: str,
) -> MeetingReview:
    """研判 of one dispute at a meeting: the decision and any change of risk (which alerts the
    centers as any risk change does)."""
    _may_hold_meeting(actor, meeting.territory_code)
    if not is_within(dispute.territory_code, meeting.territory_code):
        raise ValidationError(_("The dispute is not in the meeting's grid or community."))
    if MeetingReview.objects.filter(meeting=meeting, dispute=dispute).exists():
        raise ValidationError(_("This dispute was already reviewed at this meeting."))
    decision = _require_text(decision, _("the meeting's decision"))
    current = Dispute.objects.get(pk=dispute.pk)
    review = MeetingReview.objects.create(
        meeting=meeting,
        dispute=current,
        risk_before=current.risk_level,
        risk_after=risk_after,
        violent_before=current.violent_risk,
        violent_after=violent_after,
        decision=decision,
    )
    if current.risk_level != risk_after or current.violent_risk != violent_after:
        dispute_assess_risk(
            dispute=current,
            actor=actor,
            risk_level=risk_after,
            violent_risk=violent_after,
            note=decision,
            meeting=meeting,
        )
    else:
        current = _locked(current)
        _save(current)
        _event(
            current,
            EventKind.REVIEW,
            actor=actor,
            from_status=current.status,
            note=decision,
            data={"meeting": meeting.pk},
        )
    return review


# ---------------------------------------------------------------------------------------
# Personal information


def party_unmask(
    *, party: DisputeParty, field: str, actor: Any, request: HttpRequest | None
) -> str:
    """The full document number or phone of a party, for a user allowed to see it; audited.
    The caller must have found the party through a dispute visible to ``actor``."""
    if field not in {"id_number", "phone"}:
        raise ValueError(f"not a personal field: {field}")
    if not actor.has_perm("org.unmask_personal"):
        raise PermissionDenied(_("You may not see full ID numbers or phone numbers."))
    audit_record(
        action=AuditAction.UNMASK,
        actor=actor,
        target=party,
        request=request,
        detail={"field": field},
    )
    value: Sensitive = getattr(party, field)
    return value.reveal()
