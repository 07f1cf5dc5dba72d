"""Reads for the residents' pages.

Residents have no account: a doorplate token (the household page, the report form) or a
reporter's tracking link (the case pages) is the key, found by the caller first. Everything
here reads only what that key opens: the household's own page, its area's guide and
bulletins, and the one case of the link. Nothing returns staff names or personal details:
staff appear as their department or center.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fengqiao.bulletins.models import Bulletin
from fengqiao.bulletins.selectors import bulletins_for_territory
from fengqiao.cases.choices import CaseStatus, EventKind, Rating
from fengqiao.cases.deadlines import due_after, policy_for
from fengqiao.cases.models import Case, CaseEvent, CaseReporter
from fengqiao.core.codes import ancestors
from fengqiao.core.privacy import lookup_digest
from fengqiao.org.choices import Role
from fengqiao.org.models import User
from fengqiao.residents.models import RatingReminder, ServiceGuideEntry
from fengqiao.territory.models import Household

# ---------------------------------------------------------------------------------------
# The household page


@dataclass(frozen=True)
class Contact:
    """Someone the household may call: the grid worker or the unit head. ``key`` names the
    contact in the call link; the full number is only ever sent as the call's redirect."""

    key: str
    role: str
    name: str
    masked_phone: str
    phone: str


def guide_for(territory_code: str) -> list[ServiceGuideEntry]:
    """The active guide entries for a place: those of its own area and every area above it
    (and those for everywhere). One query."""
    codes = [*ancestors(territory_code), territory_code, ""]
    return list(
        ServiceGuideEntry.objects.filter(is_active=True, territory_code__in=codes)
        .select_related("category")
        .order_by("sort_order", "id")
    )


def guide_entry_for(territory_code: str, pk: int) -> ServiceGuideEntry | None:
    """One entry, only if it applies to the place (a guessed id of another area is None)."""
    codes = [*ancestors(territory_code), territory_code, ""]
    return (
        ServiceGuideEntry.objects.filter(is_active=True, territory_code__in=codes, pk=pk)
        .select_related("category")
        .first()
    )


def contacts_for(household: Household) -> list[Contact]:
    """The grid worker(s) of the household's grid and its ten-household unit head."""
    contacts: list[Contact] = []
    workers = User.objects.filter(
        role=Role.GRID_WORKER, scope_code=household.grid.code, is_active=True
    ).order_by("id")
    for number, worker in enumerate(workers):
        contacts.append(
            Contact(
                key=f"grid{number}",
                role=_("Grid worker"),
                name=worker.full_name or _("Grid worker"),
                masked_phone=worker.phone.masked if worker.phone else "",
                phone=worker.phone.reveal() if worker.phone else "",
            )
        )
    unit = household.unit
    if unit is not None:
        head_name, phone = "", None
        if unit.head is not None:
            head_name, phone = unit.head.name, unit.head.phone
        else:
            head = (
                User.objects.filter(role=Role.UNIT_HEAD, scope_code=unit.code, is_active=True)
                .order_by("id")
                .first()
            )
            if head is not None:
                head_name, phone = head.full_name, head.phone
        if head_name:
            contacts.append(
                Contact(
                    key="unit",
                    role=_("Ten-household unit head"),
                    name=head_name,
                    masked_phone=phone.masked if phone else "",
                    phone=phone.reveal() if phone else "",
                )
            )
    return contacts


def bulletins_for(household: Household) -> list[Bulletin]:
    """The bulletins in force for the household's place (urgent first)."""
    return bulletins_for_territory(household.territory_code)


# ---------------------------------------------------------------------------------------
# The case pages


def reporter_for_link(tracking: uuid.UUID) -> CaseReporter | None:
    """The reporter whose private link this is, with the case. A merged duplicate's link
    shows the surviving case (its reporters moved there)."""
    return (
        CaseReporter.objects.select_related("case", "case__category")
        .filter(tracking_token=tracking)
        .first()
    )


def reporter_by_number_and_phone(number: str, phone: str) -> CaseReporter | None:
    """The reporter of case ``number`` whose phone is ``phone`` (compared by keyed hash)."""
    digest = lookup_digest(phone, "phone")
    if not digest or not number:
        return None
    return (
        CaseReporter.objects.filter(case__number=number.strip(), phone_digest=digest)
        .order_by("id")
        .first()
    )


def expected_reply_by(case: Case) -> datetime.datetime:
    """When the resident will have an answer: the running reply deadline, or, while the case
    waits at the center, the policy's reply time counted from its receipt (the seed's rule:
    at once or within one working day)."""
    if case.reply_due_at is not None:
        return case.reply_due_at
    return due_after(case.created_at, policy_for(case.case_type, case.level).reply_days)


@dataclass(frozen=True)
class PublicStep:
    """One line of the resident's timeline, in plain words."""

    when: datetime.datetime
    text: str
    detail: str = ""
    is_reply: bool = False


def _department(event: CaseEvent) -> str:
    if event.department is not None:
        return event.department.name
    return event.actor_body or _("The department")


def _step(event: CaseEvent, replies: dict[int, str]) -> PublicStep | None:
    """The resident's view of one event, or None for internal steps (who returned it, the
    reasons between staff, warnings, replies still under review)."""
    kind, body, when = event.kind, event.actor_body or _("The governance center"), event.created_at
    if kind == EventKind.SUBMIT:
        return PublicStep(when, _("You reported the matter."))
    if kind == EventKind.ACCEPT:
        return PublicStep(when, _("%(body)s accepted it.") % {"body": body})
    if kind == EventKind.REJECT:
        return PublicStep(
            when, _("%(body)s did not accept it.") % {"body": body}, detail=event.note
        )
    if kind == EventKind.RESOLVE_ON_SPOT:
        return PublicStep(
            when, _("The grid worker settled it on the spot."), detail=event.note, is_reply=True
        )
    if kind == EventKind.ESCALATE:
        return PublicStep(when, _("Passed up to the governance center above."))
    if kind == EventKind.DISPATCH:
        return PublicStep(
            when, _("Sent to %(department)s to handle.") % {"department": _department(event)}
        )
    if kind == EventKind.SIGN:
        return PublicStep(
            when, _("%(department)s took it on.") % {"department": _department(event)}
        )
    if kind in (EventKind.HARD_DECISION, EventKind.EXTENSION_DECISION):
        if event.data.get("approved"):
            return PublicStep(when, _("The time to answer was extended with approval."))
        return None
    if kind == EventKind.SUPERVISE:
        return PublicStep(when, _("The governance center is supervising the handling."))
    if kind == EventKind.REVIEW_APPROVE:
        return PublicStep(
            when,
            _("The department answered:"),
            detail=replies.get(event.pk, ""),
            is_reply=True,
        )
    if kind in (EventKind.RATE, EventKind.RETURN_VISIT):
        rating = Rating(event.data.get("rating", Rating.SATISFIED)).label
        text = (
            _("You rated it: %(rating)s.")
            if kind == EventKind.RATE
            else _("Return visit by the governance center; your rating: %(rating)s.")
        )
        return PublicStep(when, text % {"rating": rating}, detail=event.note)
    if kind == EventKind.REOPEN:
        return PublicStep(when, _("Reopened: it is being handled again."))
    if kind == EventKind.MERGED_INTO:
        return PublicStep(when, _("Handled together with the same matter reported by others."))
    if kind == EventKind.CLOSE:
        return PublicStep(when, pgettext("resident timeline", "Completed."))
    # RETURN, HARD_REQUEST, EXTENSION_REQUEST, WARN, REPLY (until released), REVIEW_SEND_BACK
    # and MERGE are between staff.
    return None


def public_timeline(case: Case) -> list[PublicStep]:
    """The case's timeline as the resident sees it. A reply shows once the center released
    it, with the text of the reply it released. Two queries."""
    events = list(
        CaseEvent.objects.filter(case=case)
        .select_related("department")
        .order_by("created_at", "id")
    )
    replies: dict[int, str] = {}
    last_reply = ""
    for event in events:
        if event.kind == EventKind.REPLY:
            last_reply = event.note
        elif event.kind == EventKind.REVIEW_APPROVE:
            replies[event.pk] = last_reply
    return [step for event in events if (step := _step(event, replies)) is not None]


def released_reply(case: Case) -> str:
    """The answer the resident may read now (empty while none is released)."""
    if case.reply_approved and case.status in (CaseStatus.REPLIED, CaseStatus.CLOSED):
        return case.reply_text
    if case.status == CaseStatus.CLOSED and case.resolved_on_spot:
        return case.reply_text
    return ""


def can_rate(case: Case) -> bool:
    """The resident may rate once the center has released the reply (评单)."""
    return case.status == CaseStatus.REPLIED and case.reply_approved


def photo_count(case: Case) -> int:
    return case.attachments.filter(content_type__startswith="image/").count()


# ---------------------------------------------------------------------------------------
# The rating reminder

REMINDER_ATTEMPTS = 3


def cases_waiting_for_rating(
    *, released_before: datetime.datetime, statuses: Sequence[str] = (CaseStatus.REPLIED,)
) -> list[tuple[CaseReporter, int]]:
    """(reporter, reply round) for each reporter with a verified phone of a case whose reply
    was released before ``released_before`` and is still waiting for a rating, without a
    reminder for that round yet."""
    released = Max(
        "events__created_at",
        filter=Q(events__kind__in=[EventKind.REVIEW_APPROVE, EventKind.RESOLVE_ON_SPOT]),
    )
    waiting = (
        Case.objects.filter(status__in=statuses, reply_approved=True)
        .filter(reporters__resident_report__isnull=False)
        .annotate(released_at=released)
        .filter(released_at__lte=released_before)
        .values_list("id", "reopen_count")
        .distinct()
    )
    rounds = dict(waiting)
    if not rounds:
        return []
    reporters = list(
        CaseReporter.objects.filter(case_id__in=rounds, resident_report__isnull=False)
        .exclude(phone_digest="")
        .select_related("case")
    )
    # Done: sent, or given up after the last attempt (a failed send is tried again).
    reminded = set(
        RatingReminder.objects.filter(reporter__in=reporters)
        .filter(Q(sent_at__isnull=False) | Q(attempts__gte=REMINDER_ATTEMPTS))
        .values_list("reporter_id", "round")
    )
    return [
        (reporter, rounds[reporter.case_id])
        for reporter in reporters
        if (reporter.pk, rounds[reporter.case_id]) not in reminded
    ]
