"""What the REST API shows and takes. Output serializers are read-only views of rows that
were read through ``visible_to``; input serializers only parse (types, lengths, choices) —
whether a move is allowed is for the service to say, in its own words.

Personal information is always masked here (``5205**********1234``, ``138****0000``):
unmasking is an audited act of a person on a page, never of a system.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils.serializer_helpers import BindingDict

from fengqiao.bulletins.models import Bulletin
from fengqiao.cases.choices import (
    CaseType,
    Channel,
    DeadlineState,
    Rating,
    ReporterKind,
    Urgency,
)
from fengqiao.cases.deadlines import deadline_state
from fengqiao.cases.models import Case, CaseEvent, CaseReporter, CaseRequest, Category
from fengqiao.disputes.models import Dispute
from fengqiao.org.models import Department, User
from fengqiao.territory.models import Area, Grid, Household, HouseholdUnit, Person

TERRITORY_CODE = re.compile(r"^(\d{6}|\d{9}|\d{12}|\d{15}|\d{18})$")
PHONE = re.compile(r"^[\d\s+\-()]{5,20}$")


class MaskedField(serializers.Field):
    """A ``privacy.Sensitive`` value, always shown masked (blank when there is none)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return str(value) if value else ""


extend_schema_field({"type": "string", "example": "5205**********1234"})(MaskedField)


# --- Reference data -------------------------------------------------------------------------


class CategorySerializer(serializers.ModelSerializer[Category]):
    # A declared field named like a ``Field`` attribute: DRF's serializer metaclass moves it
    # into ``_declared_fields``, so it shadows nothing at runtime, but the stubs cannot tell a
    # declared field from the attribute (typeddjango/djangorestframework-stubs#158).
    parent: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Category
        fields = ["code", "name", "parent", "path", "is_active"]


class DepartmentSerializer(serializers.ModelSerializer[Department]):
    class Meta:
        model = Department
        fields = ["id", "name", "kind", "territory_code", "phone", "is_active"]


class AreaSerializer(serializers.ModelSerializer[Area]):
    # Named like ``Field.parent``: see ``CategorySerializer.parent``.
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]

    class Meta:
        model = Area
        fields = ["code", "territory_code", "name", "level", "kind", "parent", "valid_from"]

    def get_parent(self, area: Area) -> str | None:
        return area.parent.code if area.parent_id and area.parent else None


class GridSerializer(serializers.ModelSerializer[Grid]):
    village: serializers.SlugRelatedField[Area] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Grid
        fields = ["code", "name", "village", "territory_code"]


class HouseholdSerializer(serializers.ModelSerializer[Household]):
    grid: serializers.SlugRelatedField[Grid] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    unit: serializers.SlugRelatedField[HouseholdUnit] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Household
        fields = [
            "id",
            "territory_code",
            "grid",
            "unit",
            "doorplate",
            "address",
            "building",
            "entrance",
            "room",
            "head_name",
            "member_count",
            "created_at",
            "updated_at",
        ]


class PersonSerializer(serializers.ModelSerializer[Person]):
    """A household member; ID number and phone masked, special-population tags left out."""

    id_number = MaskedField()
    phone = MaskedField()

    class Meta:
        model = Person
        fields = [
            "id",
            "household",
            "territory_code",
            "name",
            "id_number",
            "phone",
            "sex",
            "relation",
            "created_at",
            "updated_at",
        ]


# --- Cases ----------------------------------------------------------------------------------


class CaseSerializer(serializers.ModelSerializer[Case]):
    """A case in a list: what a workbench row shows, plus the version a move must name."""

    category: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    lead_department: serializers.PrimaryKeyRelatedField[Department] = (
        serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    )
    deadline_state = serializers.SerializerMethodField()
    url = serializers.HyperlinkedIdentityField(
        view_name="api:case-detail", lookup_field="number", lookup_url_kwarg="number"
    )

    class Meta:
        model = Case
        fields = [
            "number",
            "url",
            "uuid",
            "title",
            "case_type",
            "category",
            "channel",
            "urgency",
            "status",
            "territory_code",
            "holder_code",
            "level",
            "lead_department",
            "reply_due_at",
            "sign_due_at",
            "deadline_state",
            "is_hard",
            "return_count",
            "reopen_count",
            "version",
            "created_at",
            "updated_at",
        ]

    def get_deadline_state(self, case: Case) -> DeadlineState:
        return deadline_state(status=case.status, due=case.reply_due_at, warn_at=case.warn_at)


_DATETIME = serializers.DateTimeField()


def _when(value: Any) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


def case_summary(case: Case, url: str) -> dict[str, Any]:
    """``CaseSerializer(case).data``, written out: the answer of every intake, where building
    the serializer's fields cost more than the intake itself (a test keeps the two equal)."""
    return {
        "number": case.number,
        "url": url,
        "uuid": str(case.uuid),
        "title": case.title,
        "case_type": case.case_type,
        "category": case.category.code,
        "channel": case.channel,
        "urgency": case.urgency,
        "status": case.status,
        "territory_code": case.territory_code,
        "holder_code": case.holder_code,
        "level": case.level,
        "lead_department": case.lead_department_id,
        "reply_due_at": _when(case.reply_due_at),
        "sign_due_at": _when(case.sign_due_at),
        "deadline_state": deadline_state(
            status=case.status, due=case.reply_due_at, warn_at=case.warn_at
        ).value,
        "is_hard": case.is_hard,
        "return_count": case.return_count,
        "reopen_count": case.reopen_count,
        "version": case.version,
        "created_at": _when(case.created_at),
        "updated_at": _when(case.updated_at),
    }


class ReporterSerializer(serializers.ModelSerializer[CaseReporter]):
    phone = MaskedField()

    class Meta:
        model = CaseReporter
        fields = ["kind", "name", "phone", "household"]


class EventSerializer(serializers.ModelSerializer[CaseEvent]):
    """One step of the timeline: who (the body, and the staff member), what, when, why."""

    actor: serializers.StringRelatedField[User] = serializers.StringRelatedField(allow_null=True)
    department: serializers.PrimaryKeyRelatedField[Department] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "kind",
            "from_status",
            "to_status",
            "actor_body",
            "actor",
            "department",
            "note",
            "data",
            "created_at",
        ]


class RequestSerializer(serializers.ModelSerializer[CaseRequest]):
    class Meta:
        model = CaseRequest
        fields = ["id", "kind", "status", "days", "reason", "department", "created_at"]


class CaseDetailSerializer(CaseSerializer):
    """A case with its timeline, reporters (phones masked), requests and the moves the
    caller may make now (by the services' own guards)."""

    suggested_department: serializers.PrimaryKeyRelatedField[Department] = (
        serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    )
    # What ``PrimaryKeyRelatedField(many=True, read_only=True)`` builds, written out: the
    # stubs type that call as a single PrimaryKeyRelatedField.
    co_departments = serializers.ManyRelatedField(
        child_relation=serializers.PrimaryKeyRelatedField[Department](read_only=True),
        read_only=True,
    )
    merged_into: serializers.SlugRelatedField[Case] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )
    timeline = EventSerializer(many=True, read_only=True, source="api_timeline")
    reporters = ReporterSerializer(many=True, read_only=True, source="api_reporters")
    requests = RequestSerializer(many=True, read_only=True, source="api_requests")
    actions = serializers.ListField(
        child=serializers.CharField(), read_only=True, source="api_actions"
    )

    class Meta(CaseSerializer.Meta):
        fields = [
            *CaseSerializer.Meta.fields,
            "description",
            "household",
            "address",
            "latitude",
            "longitude",
            "suggested_department",
            "co_departments",
            "reply_text",
            "reply_approved",
            "resolved_on_spot",
            "rating",
            "merged_into",
            "accepted_at",
            "dispatched_at",
            "signed_at",
            "replied_at",
            "closed_at",
            "timeline",
            "reporters",
            "requests",
            "actions",
        ]


class ReporterInputSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=ReporterKind.choices, default=ReporterKind.ANONYMOUS)
    name = serializers.CharField(max_length=50, required=False, default="", allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)

    def validate_phone(self, value: str) -> str:
        value = value.strip()
        if value and not PHONE.match(value):
            raise serializers.ValidationError(_("Enter a phone number (digits only)."))
        return value


# Channels a system or an operator may report through the API (a grid worker's report and
# the doorplate have their own pages).
API_CHANNELS = [
    (c.value, c.label)
    for c in (Channel.API, Channel.PROVINCIAL, Channel.WINDOW, Channel.PHONE, Channel.MOBILE_APP)
]


class PrebuiltFieldsSerializer(serializers.Serializer[Any]):
    """An input serializer whose bound fields are built once per class, not per request.

    DRF deep-copies and binds every declared field for each serializer instance, which cost
    more than validating the data. Parsing only reads the fields (their validators, choices
    and lazily translated messages), so instances can share them; the state of one
    validation (``initial_data``, ``validated_data``, ``errors``) stays on the instance. Only
    for serializers whose fields use no ``context`` and that no code alters per instance."""

    @cached_property
    def fields(self) -> BindingDict:
        cls = type(self)
        shared: BindingDict | None = cls.__dict__.get("_prebuilt_fields")
        if shared is None:
            shared = serializers.Serializer.fields.func(cls())  # type: ignore[attr-defined]
            for field in shared.values():
                if isinstance(field, serializers.Serializer):
                    field.fields  # noqa: B018 - a nested serializer's, built now as well
            cls._prebuilt_fields = shared  # type: ignore[attr-defined]
        return shared


class CaseCreateSerializer(PrebuiltFieldsSerializer):
    """A new case. ``external_id`` is the sending platform's own id: sending it again gives
    back the case the first send created (200 instead of 201)."""

    external_id = serializers.RegexField(
        r"^[A-Za-z0-9._:\-]{1,64}$",
        required=False,
        help_text=_("Your own id of the case (1-64 letters, digits, . _ : -); makes retries safe."),
        error_messages={"invalid": _("Use 1 to 64 letters, digits, “.”, “_”, “:” or “-”.")},
    )
    case_type = serializers.ChoiceField(choices=CaseType.choices)
    category = serializers.SlugField(max_length=40, help_text=_("A category code."))
    channel = serializers.ChoiceField(choices=API_CHANNELS, default=Channel.API)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=4000)
    territory_code = serializers.CharField(
        max_length=18,
        required=False,
        help_text=_("Where: a county, township, village, grid or unit code; or give household."),
    )
    household = serializers.IntegerField(required=False, min_value=1)
    address = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, min_value=-90, max_value=90
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, min_value=-180, max_value=180
    )
    reporter = ReporterInputSerializer(required=False)

    def validate_territory_code(self, value: str) -> str:
        value = value.strip()
        if not TERRITORY_CODE.match(value):
            raise serializers.ValidationError(
                _("A territory code has 6, 9, 12, 15 or 18 digits (county to unit).")
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("territory_code") and not attrs.get("household"):
            raise serializers.ValidationError(
                {"territory_code": [_("Give the territory code of the place, or a household.")]}
            )
        if (attrs.get("latitude") is None) != (attrs.get("longitude") is None):
            raise serializers.ValidationError(
                {"longitude": [_("Give both latitude and longitude, or neither.")]}
            )
        return attrs


# --- Moves ----------------------------------------------------------------------------------


class MoveSerializer(serializers.Serializer[Any]):
    """Every move names the version of the case it was decided on: a stale one is refused
    with 409, as a stale page is."""

    version = serializers.IntegerField(min_value=1, max_value=2_147_483_647)


class ReasonMoveSerializer(MoveSerializer):
    reason = serializers.CharField(max_length=4000)


class ResolveMoveSerializer(MoveSerializer):
    what_was_done = serializers.CharField(max_length=4000)


class DispatchMoveSerializer(MoveSerializer):
    department = serializers.IntegerField(min_value=1, max_value=2**62)
    co_departments = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        default=list,
        max_length=20,
    )
    note = serializers.CharField(max_length=4000, required=False, default="", allow_blank=True)


class ExtensionMoveSerializer(ReasonMoveSerializer):
    days = serializers.IntegerField(min_value=1, max_value=365)


class ReplyMoveSerializer(MoveSerializer):
    text = serializers.CharField(max_length=4000)


class SuperviseMoveSerializer(MoveSerializer):
    message = serializers.CharField(max_length=4000)


class ReviewMoveSerializer(MoveSerializer):
    decision = serializers.ChoiceField(choices=[("approve", "approve"), ("send_back", "send_back")])
    note = serializers.CharField(max_length=4000, required=False, default="", allow_blank=True)


class ReturnVisitMoveSerializer(MoveSerializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    note = serializers.CharField(max_length=4000)


class MergeMoveSerializer(MoveSerializer):
    into = serializers.CharField(max_length=24, help_text=_("Number of the case it duplicates."))


class DecideMoveSerializer(serializers.Serializer[Any]):
    request = serializers.IntegerField(min_value=1, max_value=2**62)
    decision = serializers.ChoiceField(choices=[("approve", "approve"), ("deny", "deny")])
    note = serializers.CharField(max_length=4000, required=False, default="", allow_blank=True)


# --- Disputes and bulletins -----------------------------------------------------------------


class DisputeSerializer(serializers.ModelSerializer[Dispute]):
    case: serializers.SlugRelatedField[Case] = serializers.SlugRelatedField(
        slug_field="number", read_only=True, allow_null=True
    )

    class Meta:
        model = Dispute
        fields = [
            "number",
            "uuid",
            "name",
            "dispute_type",
            "scale",
            "people_involved",
            "source",
            "case",
            "territory_code",
            "holder_code",
            "level",
            "status",
            "risk_level",
            "violent_risk",
            "method",
            "occurred_on",
            "screened_on",
            "due_at",
            "outcome",
            "performed_on",
            "confirmed_on",
            "resolved_at",
            "version",
            "created_at",
            "updated_at",
        ]


class DisputeDetailSerializer(DisputeSerializer):
    class Meta(DisputeSerializer.Meta):
        fields = [
            *DisputeSerializer.Meta.fields,
            "summary",
            "place",
            "units_involved",
            "outcome_note",
        ]


class BulletinSerializer(serializers.ModelSerializer[Bulletin]):
    state = serializers.CharField(read_only=True)

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "uuid",
            "kind",
            "urgency",
            "title",
            "body",
            "territory_code",
            "valid_from",
            "valid_until",
            "state",
            "withdrawn_at",
            "created_at",
            "updated_at",
        ]
