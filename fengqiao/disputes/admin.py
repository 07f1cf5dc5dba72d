"""Admin of the dispute register: its reference data, and a read-only window on the register.

Administrators manage the mediation committees and their mediators, and the deadline
policies. Disputes, meetings and their records are read-only here: every move of a dispute
goes through ``services.py``, which checks the state and the actor and writes the timeline.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fengqiao.core.admin import AdministratorOnlyAdmin, ReadOnlyScopedAdmin, ScopedModelAdmin
from fengqiao.core.codes import is_within
from fengqiao.core.privacy import lookup_digest
from fengqiao.disputes.models import (
    DeadlinePolicy,
    Dispute,
    DisputeEvent,
    GridMeeting,
    MediationCommittee,
    Mediator,
)
from fengqiao.disputes.selectors import committees_visible
from fengqiao.org.models import User


def _scope(request: HttpRequest) -> str:
    return request.user.territory_prefix() or ""  # type: ignore[union-attr]


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(AdministratorOnlyAdmin):
    """How long a dispute may take per level (default: one month in calendar days). A change
    applies to disputes registered after it; stored deadlines stay as they are."""

    list_display = ["__str__", "settle_days", "working_days", "yellow_days"]
    list_editable = ["settle_days", "working_days", "yellow_days"]


class CommitteeForm(forms.ModelForm[MediationCommittee]):
    scope_prefix = ""

    class Meta:
        model = MediationCommittee
        fields = [
            "name",
            "kind",
            "territory_code",
            "number_prefix",
            "address",
            "phone",
            "is_active",
        ]

    def clean_territory_code(self) -> str:
        code: str = self.cleaned_data["territory_code"]
        if not is_within(code, self.scope_prefix):
            raise ValidationError(_("The committee must lie within your territory."))
        return code


@admin.register(MediationCommittee)
class MediationCommitteeAdmin(ScopedModelAdmin):
    """People's mediation committees (village or community, township, industry). The number
    prefix names their agreements (e.g. 织双调〔2026〕12号)."""

    form = CommitteeForm
    list_display = ["name", "kind", "territory_code", "number_prefix", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "territory_code"]

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"scope_prefix": _scope(request)})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # committees are made inactive, never deleted: agreements name them


class MediatorForm(forms.ModelForm[Mediator]):
    """The phone is typed in plain and stored encrypted with its lookup digest; left empty,
    the stored number stays (the form never shows it in full)."""

    phone_number = forms.CharField(
        label=_("phone"), max_length=20, required=False, help_text=_("Leave empty to keep it.")
    )

    class Meta:
        model = Mediator
        fields = ["committee", "name", "title", "user", "is_active"]

    def save(self, commit: bool = True) -> Mediator:
        mediator = super().save(commit=False)
        number = self.cleaned_data.get("phone_number", "").strip()
        if number:
            mediator.phone = number
            mediator.phone_digest = lookup_digest(number, "phone")
        if commit:
            mediator.save()
        return mediator


@admin.register(Mediator)
class MediatorAdmin(ScopedModelAdmin):
    """People's mediators; a mediator with a staff account records sessions and agreements
    of the disputes they lead."""

    form = MediatorForm
    list_display = ["name", "title", "committee", "masked_phone", "user", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "committee__name"]
    list_select_related = ["committee", "user"]

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Mediator) -> str:
        return str(obj.phone)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "committee":
            kwargs["queryset"] = committees_visible(request.user)
        elif db_field.name == "user":
            kwargs["queryset"] = User.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class EventInline(admin.TabularInline[DisputeEvent, Dispute]):
    model = DisputeEvent
    fields = ("created_at", "kind", "actor", "from_status", "to_status", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyScopedAdmin):
    """The register, read-only: changes go through the dispute pages and their services."""

    list_display = ["number", "name", "dispute_type", "status", "risk_level", "screened_on"]
    list_filter = ["status", "risk_level", "violent_risk", "dispute_type", "source"]
    search_fields = ["number", "name"]
    date_hierarchy = "screened_on"
    exclude = ["version"]
    inlines = [EventInline]

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return Dispute.objects.visible_to(request.user)


@admin.register(GridMeeting)
class GridMeetingAdmin(ReadOnlyScopedAdmin):
    list_display = ["held_on", "territory_code", "host"]
    date_hierarchy = "held_on"
