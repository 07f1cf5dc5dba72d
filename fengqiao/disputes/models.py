"""The dispute register (矛盾纠纷排查化解): screening, mediation, agreements and follow-up.

A ``Dispute`` is one register entry with the data elements of GB/T 31000 module 7. Its
status changes only through ``services.py``; every change appends a ``DisputeEvent`` in the
same transaction. The mediation deadline is stored as a due time; whether a dispute is
overdue is derived from it, never from a flag (as for cases).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.choices import Level
from fengqiao.core.geo import latitude_field, longitude_field
from fengqiao.core.privacy import EncryptedSensitiveField
from fengqiao.core.scoping import TerritoryScopedQuerySet
from fengqiao.disputes.choices import (
    DEADLINE_STATUSES,
    AgreementForm,
    CommitteeKind,
    ConfirmationStatus,
    DisputeStatus,
    DisputeType,
    Education,
    EventKind,
    IdType,
    Method,
    Outcome,
    PartyRole,
    PerformanceResult,
    PersonCategory,
    ReferralRoute,
    RiskLevel,
    Scale,
    Sex,
    Source,
    SupervisionReason,
    VisitMethod,
)
from fengqiao.disputes.scoping import DisputeQuerySet
from fengqiao.org.models import Department, territory_code_validator


class DeadlinePolicy(models.Model):
    """How long a dispute may take to settle at a level (data, not code; default one month)."""

    level = models.CharField(_("level"), max_length=10, choices=Level.choices, unique=True)
    settle_days = models.PositiveSmallIntegerField(
        _("settle within (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    working_days = models.BooleanField(
        _("count working days"),
        default=False,
        help_text=_("Unticked: calendar days (the usual “within one month”)."),
    )
    yellow_days = models.PositiveSmallIntegerField(
        _("yellow warning (days before the deadline)"), default=5
    )

    class Meta:
        ordering = ["level"]
        verbose_name = _("dispute deadline policy")
        verbose_name_plural = _("dispute deadline policies")

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.settle_days}"


class NumberCounter(models.Model):
    """The last sequence number given out in a scope and year (register and agreement
    numbers). ``scope`` is ``register:<county code>`` or ``committee:<committee id>``."""

    scope = models.CharField(max_length=40)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "year"], name="dispute_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.year} #{self.last}"


class MediationCommittee(models.Model):
    """A people's mediation committee (人民调解委员会) of a village or community, a township
    or street, or an industry. Its agreements are numbered per year under ``number_prefix``."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=CommitteeKind.choices)
    territory_code = models.CharField(
        _("territory"), max_length=18, validators=[territory_code_validator]
    )
    number_prefix = models.CharField(
        _("agreement number prefix"),
        max_length=20,
        help_text=_("E.g. 织双调: agreements are numbered 织双调〔2026〕12号."),
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("office phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TerritoryScopedQuerySet.as_manager()

    class Meta:
        ordering = ["territory_code", "name"]
        verbose_name = _("mediation committee")
        verbose_name_plural = _("mediation committees")
        constraints = [
            models.UniqueConstraint(fields=["territory_code", "name"], name="committee_unique"),
        ]
        indexes = [models.Index(fields=["territory_code"], name="committee_territory")]

    def __str__(self) -> str:
        return self.name


class Mediator(models.Model):
    """A people's mediator (人民调解员) of a committee; ``user`` when they work in the system."""

    committee = models.ForeignKey(
        MediationCommittee,
        verbose_name=_("committee"),
        on_delete=models.PROTECT,
        related_name="mediators",
    )
    territory_code = models.CharField(_("territory"), max_length=18, editable=False)
    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("position"), max_length=30, blank=True)
    phone = EncryptedSensitiveField(_("phone"), kind="phone")
    phone_digest = models.CharField(max_length=64, blank=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mediator_roles",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TerritoryScopedQuerySet.as_manager()

    class Meta:
        ordering = ["committee_id", "name"]
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")
        indexes = [models.Index(fields=["territory_code"], name="mediator_territory")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The mediator is seen where their committee is: the code follows the committee.
        self.territory_code = self.committee.territory_code
        super().save(*args, **kwargs)


class GridMeeting(models.Model):
    """A weekly grid or community work meeting (周工作例会) that reviews risks (研判)."""

    territory_code = models.CharField(
        _("grid or community"), max_length=18, validators=[territory_code_validator]
    )
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    host = models.CharField(_("chaired by"), max_length=50, blank=True)
    attendees = models.TextField(_("attendees"), max_length=2000)
    notes = models.TextField(_("minutes"), max_length=8000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TerritoryScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("grid meeting")
        verbose_name_plural = _("grid meetings")
        indexes = [models.Index(fields=["territory_code", "held_on"], name="meeting_territory")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.territory_code}"


class Dispute(models.Model):
    """One register entry. ``territory_code`` is where the dispute is; ``holder_code`` the
    level that handles it now (grid → village → township → county, 逐级上报)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(_("register number"), max_length=24, unique=True, editable=False)
    # --- the record (GB/T 31000 module 7) ---
    name = models.CharField(_("name"), max_length=100)
    occurred_on = models.DateField(_("date of occurrence"))
    screened_on = models.DateField(_("date screened"))
    place = models.CharField(_("place"), max_length=200)
    territory_code = models.CharField(
        _("territory"), max_length=18, validators=[territory_code_validator]
    )
    household = models.ForeignKey(
        "territory.Household",
        verbose_name=_("household"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="disputes",
    )
    latitude = latitude_field()
    longitude = longitude_field()
    dispute_type = models.CharField(_("type"), max_length=20, choices=DisputeType.choices)
    scale = models.CharField(
        _("scale"), max_length=12, choices=Scale.choices, default=Scale.INDIVIDUAL
    )
    people_involved = models.PositiveIntegerField(
        _("people involved"), default=2, validators=[MinValueValidator(1)]
    )
    summary = models.TextField(_("summary"), max_length=4000)
    units_involved = models.CharField(_("units involved"), max_length=300, blank=True)
    # --- where it came from ---
    source = models.CharField(_("source"), max_length=14, choices=Source.choices)
    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dispute",
    )
    meeting = models.ForeignKey(
        GridMeeting,
        verbose_name=_("registered at meeting"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="new_disputes",
    )
    referring_department = models.ForeignKey(
        Department,
        verbose_name=_("referred by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # --- risk ---
    risk_level = models.CharField(
        _("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    violent_risk = models.BooleanField(_("may turn violent or criminal (民转刑)"), default=False)
    risk_note = models.TextField(_("risk assessment"), max_length=2000, blank=True)
    # --- handling ---
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=DisputeStatus.choices,
        default=DisputeStatus.REGISTERED,
    )
    holder_code = models.CharField(_("handled at"), max_length=15)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    method = models.CharField(
        _("method"), max_length=14, choices=Method.choices, default=Method.PEOPLES_MEDIATION
    )
    committee = models.ForeignKey(
        MediationCommittee,
        verbose_name=_("mediation committee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes",
    )
    lead_mediator = models.ForeignKey(
        Mediator,
        verbose_name=_("lead mediator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes",
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    # --- deadline (化解时限); overdue is derived, the sweep only raises warnings ---
    due_at = models.DateTimeField(_("settle by"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    yellow_raised_at = models.DateTimeField(null=True, blank=True, editable=False)
    red_raised_at = models.DateTimeField(null=True, blank=True, editable=False)
    # --- outcome (化解是否成功, 化解情况) ---
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices, blank=True)
    agreement_form = models.CharField(
        _("form of agreement"), max_length=8, choices=AgreementForm.choices, blank=True
    )
    oral_agreement = models.TextField(
        _("content of the oral agreement"), max_length=4000, blank=True
    )
    referral_route = models.CharField(
        _("referred to"), max_length=14, choices=ReferralRoute.choices, blank=True
    )
    outcome_note = models.TextField(_("how it was resolved"), max_length=4000, blank=True)
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)
    # Resolved (化解) = agreement reached and then performed or judicially confirmed: the
    # service sets ``resolved_at`` the moment the second condition first holds.
    performed_on = models.DateField(_("performed on"), null=True, blank=True)
    confirmed_on = models.DateField(_("judicially confirmed on"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # --- evaluation (考评) ---
    evaluated_on = models.DateField(_("evaluation date"), null=True, blank=True)
    evaluation = models.TextField(_("evaluation"), max_length=2000, blank=True)
    # Optimistic concurrency: a form carries the version it showed; a stale one is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-screened_on", "-id"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        indexes = [
            # The register list and the 化解率: a territory subtree over a period.
            models.Index(fields=["territory_code", "screened_on"], name="dispute_territory_time"),
            models.Index(fields=["screened_on", "id"], name="dispute_time"),
            models.Index(fields=["holder_code", "status"], name="dispute_holder"),
            models.Index(fields=["status", "screened_on"], name="dispute_status_time"),
            # The centers' supervision list reads open high-risk or 民转刑 disputes only.
            models.Index(
                fields=["territory_code"],
                name="dispute_watch",
                condition=Q(status__in=DEADLINE_STATUSES)
                & (Q(risk_level="high") | Q(violent_risk=True)),
            ),
            # The sweep reads only what is newly due (partial indexes, both databases).
            models.Index(
                fields=["warn_at"],
                name="dispute_warn_pending",
                condition=Q(yellow_raised_at__isnull=True, status__in=DEADLINE_STATUSES),
            ),
            models.Index(
                fields=["due_at"],
                name="dispute_red_pending",
                condition=Q(red_raised_at__isnull=True, status__in=DEADLINE_STATUSES),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(outcome="withdrawn"),
                name="dispute_withdrawn_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(outcome="agreement"),
                name="dispute_resolved_needs_agreement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def is_open(self) -> bool:
        return self.status in DEADLINE_STATUSES

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


class DisputeParty(models.Model):
    """A main party (主要当事人). The ID number is encrypted and shown masked."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(
        _("role"), max_length=10, choices=PartyRole.choices, default=PartyRole.APPLICANT
    )
    name = models.CharField(_("name"), max_length=100)
    id_type = models.CharField(
        _("document type"), max_length=12, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    id_number = EncryptedSensitiveField(_("document number"), kind="id_number")
    id_number_digest = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=10, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    education = models.CharField(
        _("education"), max_length=10, choices=Education.choices, default=Education.UNKNOWN
    )
    category = models.CharField(
        _("person category"),
        max_length=16,
        choices=PersonCategory.choices,
        default=PersonCategory.OTHER,
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = EncryptedSensitiveField(_("phone"), kind="phone")
    phone_digest = models.CharField(max_length=64, blank=True, editable=False)
    person = models.ForeignKey(
        "territory.Person",
        verbose_name=_("resident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dispute_id", "id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return self.name


class MediationSession(models.Model):
    """One mediation session and its written record (调解笔录), which the parties confirm."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    held_on = models.DateField(_("date"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    remote = models.BooleanField(_("held remotely"), default=False)
    mediator = models.ForeignKey(
        Mediator,
        verbose_name=_("mediator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
    )
    participants = models.TextField(_("participants"), max_length=2000)
    record = models.TextField(_("written record (调解笔录)"), max_length=20000)
    parties_confirmed = models.BooleanField(_("confirmed by the parties"), default=False)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_on", "id"]
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        constraints = [
            models.CheckConstraint(
                condition=~Q(remote=False, place=""), name="session_place_or_remote"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.held_on}"


class MediationAgreement(models.Model):
    """The written mediation agreement (调解协议书), with every element the People's Mediation
    Law requires; numbered per committee and year. The parties are the dispute's parties."""

    REQUIRED_FIELDS = (
        "facts",
        "matters",
        "responsibilities",
        "rights_obligations",
        "performance_method",
        "performance_place",
        "performance_deadline",
        "mediator",
        "committee",
        "signed_on",
    )

    dispute = models.OneToOneField(Dispute, on_delete=models.CASCADE, related_name="agreement")
    committee = models.ForeignKey(
        MediationCommittee,
        verbose_name=_("mediation committee"),
        on_delete=models.PROTECT,
        related_name="agreements",
    )
    year = models.PositiveSmallIntegerField(_("year"), editable=False)
    sequence = models.PositiveIntegerField(_("sequence"), editable=False)
    number = models.CharField(_("agreement number"), max_length=40, editable=False)
    facts = models.TextField(_("main facts of the dispute"), max_length=8000)
    matters = models.TextField(_("matters in dispute"), max_length=4000)
    responsibilities = models.TextField(_("each party's responsibility"), max_length=4000)
    rights_obligations = models.TextField(_("rights and obligations agreed"), max_length=8000)
    performance_method = models.CharField(_("how it is performed"), max_length=300)
    performance_place = models.CharField(_("where it is performed"), max_length=200)
    performance_deadline = models.DateField(_("performed by"))
    mediator = models.ForeignKey(
        Mediator, verbose_name=_("mediator"), on_delete=models.PROTECT, related_name="+"
    )
    signed_on = models.DateField(_("date of the agreement"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-signed_on", "-id"]
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "year", "sequence"], name="agreement_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class AgreementSignedCopy(models.Model):
    """A scan of a signed agreement copy, uploaded back (``party`` empty: the archive copy)."""

    agreement = models.ForeignKey(
        MediationAgreement, on_delete=models.CASCADE, related_name="signed_copies"
    )
    party = models.ForeignKey(
        DisputeParty,
        verbose_name=_("party's copy"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to="disputes/agreements/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("signed agreement copy")
        verbose_name_plural = _("signed agreement copies")

    def __str__(self) -> str:
        return self.original_name


class FollowUpVisit(models.Model):
    """履行回访: a visit to see whether the agreement is performed."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="follow_ups")
    visited_on = models.DateField(_("date"))
    method = models.CharField(
        _("how"), max_length=8, choices=VisitMethod.choices, default=VisitMethod.ON_SITE
    )
    result = models.CharField(_("result"), max_length=14, choices=PerformanceResult.choices)
    note = models.TextField(_("notes"), max_length=4000, blank=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visited_on", "id"]
        verbose_name = _("performance visit")
        verbose_name_plural = _("performance visits")

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.visited_on} {self.result}"


class JudicialConfirmation(models.Model):
    """司法确认: the parties' joint application to a court (within 30 days) and its ruling."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="confirmations")
    agreement = models.ForeignKey(
        MediationAgreement, on_delete=models.CASCADE, related_name="confirmations"
    )
    applied_on = models.DateField(_("applied on"))
    court = models.CharField(_("court"), max_length=100)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ConfirmationStatus.choices,
        default=ConfirmationStatus.APPLIED,
    )
    decided_on = models.DateField(_("ruling date"), null=True, blank=True)
    ruling_number = models.CharField(_("ruling number"), max_length=60, blank=True)
    note = models.TextField(_("notes"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["applied_on", "id"]
        verbose_name = _("judicial confirmation")
        verbose_name_plural = _("judicial confirmations")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(status__in=["applied", "confirmed"]),
                name="one_live_confirmation_per_agreement",
            )
        ]

    def __str__(self) -> str:
        return f"{self.court} {self.get_status_display()}"


class MeetingReview(models.Model):
    """A dispute reviewed at a grid meeting (研判): its risk before and after, the decision."""

    meeting = models.ForeignKey(GridMeeting, on_delete=models.CASCADE, related_name="reviews")
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="reviews")
    risk_before = models.CharField(_("risk before"), max_length=8, choices=RiskLevel.choices)
    risk_after = models.CharField(_("risk after"), max_length=8, choices=RiskLevel.choices)
    violent_before = models.BooleanField(_("民转刑 before"), default=False)
    violent_after = models.BooleanField(_("民转刑 after"), default=False)
    decision = models.TextField(_("decision"), max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting_id", "id"]
        verbose_name = _("meeting review")
        verbose_name_plural = _("meeting reviews")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "dispute"], name="review_once_per_meeting")
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} {self.dispute_id}"


class DisputeEvent(models.Model):
    """One move on the timeline. Append-only."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("what"), max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(max_length=12, choices=DisputeStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=DisputeStatus.choices, blank=True)
    note = models.TextField(_("why / what"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("dispute event")
        verbose_name_plural = _("dispute events")
        indexes = [
            models.Index(fields=["dispute", "created_at"], name="dispute_event_timeline"),
            models.Index(fields=["kind", "created_at"], name="dispute_event_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.kind}"


class DisputeSupervision(models.Model):
    """An entry on a center's supervision list: raised at once for high risk or 民转刑,
    automatically when overdue, or by hand (督办). ``center_code`` is the center alerted."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="supervisions")
    center_code = models.CharField(_("center"), max_length=15)
    reason = models.CharField(_("reason"), max_length=10, choices=SupervisionReason.choices)
    automatic = models.BooleanField(_("automatic"), default=False)
    message = models.TextField(_("message"), max_length=2000)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("dispute supervision")
        verbose_name_plural = _("dispute supervisions")
        indexes = [
            models.Index(fields=["center_code", "created_at"], name="dispute_supervision_center")
        ]

    def __str__(self) -> str:
        return self.message[:50]
