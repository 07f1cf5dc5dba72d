"""Scoped reads of the dispute register. Every list starts from
``Dispute.objects.visible_to(user)``; each is a fixed number of indexed queries whatever the
size of the register."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from fengqiao.cases.selectors import place_names
from fengqiao.core.codes import within
from fengqiao.disputes.choices import DEADLINE_STATUSES, RiskLevel
from fengqiao.disputes.models import (
    Dispute,
    DisputeEvent,
    DisputeParty,
    DisputeSupervision,
    GridMeeting,
    MediationAgreement,
    MediationCommittee,
    Mediator,
)

__all__ = ["place_names"]

# What a register row shows (a narrow SELECT: the summary and the record stay behind).
LIST_FIELDS = (
    "id",
    "number",
    "name",
    "dispute_type",
    "source",
    "status",
    "risk_level",
    "violent_risk",
    "territory_code",
    "holder_code",
    "screened_on",
    "occurred_on",
    "due_at",
    "warn_at",
    "outcome",
    "performed_on",
    "confirmed_on",
    "committee__name",
    "lead_mediator__name",
)


def register_filter(disputes: QuerySet[Dispute], params: Mapping[str, Any]) -> QuerySet[Dispute]:
    """Apply the register's GET filters (territory, year, date_from, date_to, type, risk,
    status, source, q). A wrong value in one filter is dropped; the others still apply.
    The export uses this too, so the spreadsheet holds exactly what the page lists."""
    from fengqiao.disputes.forms import RegisterFilterForm

    form = RegisterFilterForm(params)
    form.is_valid()
    data = form.cleaned_data
    if data.get("territory"):
        disputes = disputes.filter(within("territory_code", data["territory"]))
    if data.get("year"):
        year = data["year"]
        disputes = disputes.filter(
            screened_on__gte=datetime.date(year, 1, 1), screened_on__lte=datetime.date(year, 12, 31)
        )
    if data.get("date_from"):
        disputes = disputes.filter(screened_on__gte=data["date_from"])
    if data.get("date_to"):
        disputes = disputes.filter(screened_on__lte=data["date_to"])
    for name, column in (
        ("type", "dispute_type"),
        ("risk", "risk_level"),
        ("status", "status"),
        ("source", "source"),
    ):
        if data.get(name):
            disputes = disputes.filter(**{column: data[name]})
    if data.get("violent"):
        disputes = disputes.filter(violent_risk=True)
    if data.get("q"):
        text = data["q"]
        disputes = disputes.filter(Q(number=text) | Q(name__contains=text))
    return disputes


def register_rows(disputes: QuerySet[Dispute]) -> QuerySet[Dispute]:
    """The columns of a register row, in register order (one query per page)."""
    return (
        disputes.select_related("committee", "lead_mediator")
        .only(*LIST_FIELDS)
        .order_by("-screened_on", "-id")
    )


def dispute_for_page(user: Any) -> QuerySet[Dispute]:
    return Dispute.objects.visible_to(user).select_related(
        "committee",
        "lead_mediator__user",
        "case",
        "meeting",
        "referring_department",
        "household",
        "created_by",
    )


def timeline(dispute: Dispute) -> QuerySet[DisputeEvent]:
    return dispute.events.select_related("actor").order_by("created_at", "id")


def parties(dispute: Dispute) -> list[DisputeParty]:
    return list(dispute.parties.order_by("id"))


def agreement_of(dispute: Dispute) -> MediationAgreement | None:
    return (
        MediationAgreement.objects.filter(dispute=dispute)
        .select_related("committee", "mediator")
        .prefetch_related("signed_copies__party", "confirmations")
        .first()
    )


def agreement_copies(
    agreement: MediationAgreement, party_rows: Iterable[DisputeParty]
) -> list[tuple[str, str]]:
    """(copy key, label) of every copy the agreement is printed in: one per party plus the
    archive copy kept by the committee. The PDF view takes the same keys."""
    from django.utils.translation import gettext as _

    copies = [(f"party-{party.pk}", party.name) for party in party_rows]
    copies.append(("archive", _("Archive copy")))
    return copies


def committees_visible(user: Any) -> QuerySet[MediationCommittee]:
    """Committees in the user's subtree and those above it that serve it (a county's industry
    committee mediates in every township)."""
    prefix = user.territory_prefix() if getattr(user, "is_authenticated", False) else None
    if prefix is None:
        return MediationCommittee.objects.none()
    if not prefix:
        return MediationCommittee.objects.all()
    above = [prefix[:n] for n in (6, 9, 12, 15) if n < len(prefix)]
    return MediationCommittee.objects.filter(
        within("territory_code", prefix) | Q(territory_code__in=above)
    )


def mediators_for(committees: Iterable[MediationCommittee]) -> QuerySet[Mediator]:
    return Mediator.objects.filter(committee__in=list(committees), is_active=True).select_related(
        "committee"
    )


def supervision_list(user: Any, now: datetime.datetime | None = None) -> QuerySet[Dispute]:
    """The centers' supervision list: open disputes in scope that are high risk, may turn
    violent or criminal (民转刑), or are overdue."""
    now = now or timezone.now()
    return (
        Dispute.objects.visible_to(user)
        .filter(status__in=DEADLINE_STATUSES)
        .filter(Q(risk_level=RiskLevel.HIGH) | Q(violent_risk=True) | Q(due_at__lt=now))
        .select_related("committee", "lead_mediator")
        .order_by("due_at", "id")
    )


def recent_supervisions(disputes: Iterable[Dispute]) -> dict[int, list[DisputeSupervision]]:
    """The supervision entries of these disputes, newest first (one query)."""
    ids = [d.pk for d in disputes]
    entries: dict[int, list[DisputeSupervision]] = {pk: [] for pk in ids}
    for row in DisputeSupervision.objects.filter(dispute_id__in=ids).order_by("-created_at"):
        entries[row.dispute_id].append(row)
    return entries


def meetings_visible(user: Any) -> QuerySet[GridMeeting]:
    return GridMeeting.objects.visible_to(user).order_by("-held_on", "-id")


def meeting_disputes(meeting: GridMeeting, user: Any) -> QuerySet[Dispute]:
    """The open disputes of the meeting's grid or community, to review."""
    return (
        Dispute.objects.visible_to(user)
        .filter(within("territory_code", meeting.territory_code))
        .filter(status__in=DEADLINE_STATUSES)
        .order_by("-screened_on", "-id")
    )
