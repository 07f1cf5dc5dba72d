"""Forms of the dispute pages.

A form only parses what was typed. Whether a move is allowed, whether an ID number is valid,
whether a date lies before the dispute, whether an agreement lacks an element: the service
says so, in one place, and the page shows its message. Move forms carry the version of the
dispute the page showed, so a decision on a stale page is refused.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core.codes import within
from fengqiao.disputes.choices import (
    AgreementForm,
    DisputeStatus,
    DisputeType,
    Education,
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
    VisitMethod,
)
from fengqiao.disputes.models import Dispute, Mediator
from fengqiao.org.models import Department, User
from fengqiao.territory.models import Area, Grid

_CODE = re.compile(r"^\d{2,18}$")
# An <input type=date> takes ISO dates only, whatever the language's display format.
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _blank(choices: Any, label: Any = "—") -> list[tuple[str, Any]]:
    return [("", label), *choices]


def _text(label: Any, *, rows: int = 3, required: bool = False) -> forms.CharField:
    """Free text. Not required here when the service refuses an empty one with its own words."""
    return forms.CharField(
        label=label,
        required=required,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class RegisterFilterForm(forms.Form):
    territory = forms.CharField(label=_("Territory code"), required=False, max_length=18)
    year = forms.IntegerField(
        label=_("Year screened"), required=False, min_value=2000, max_value=2100
    )
    date_from = forms.DateField(label=_("Screened from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Screened to"), required=False, widget=DATE)
    type = forms.ChoiceField(label=_("Type"), required=False, choices=_blank(DisputeType.choices))
    risk = forms.ChoiceField(label=_("Risk"), required=False, choices=_blank(RiskLevel.choices))
    violent = forms.BooleanField(label=_("民转刑 only"), required=False)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank(DisputeStatus.choices)
    )
    source = forms.ChoiceField(label=_("Source"), required=False, choices=_blank(Source.choices))
    q = forms.CharField(label=_("Name or number"), required=False, max_length=100)

    def clean_territory(self) -> str:
        value: str = self.cleaned_data.get("territory", "").strip()
        if value and not _CODE.match(value):
            raise forms.ValidationError(_("A territory code is digits only."))
        return value


def place_choices(user: User) -> list[tuple[str, str]]:
    """The places a user registers disputes in: the villages and grids of their scope (a
    grid worker: their grid). Two queries."""
    prefix = user.territory_prefix()
    if prefix is None and user.department is not None:
        prefix = user.department.territory_code  # a department refers within what it serves
    if prefix is None:
        return []
    if len(prefix) >= 15:
        grid = Grid.objects.filter(code=prefix[:15]).select_related("village").first()
        return [(prefix[:15], f"{grid.village.name} · {grid.name}" if grid else prefix)]
    villages = Area.objects.filter(valid_to__isnull=True, level="village")
    grids = Grid.objects.select_related("village")
    if prefix:
        villages = villages.filter(within("territory_code", prefix))
        grids = grids.filter(within("code", prefix))
    choices = [(v.territory_code, v.name) for v in villages.order_by("territory_code")[:2000]]
    choices += [(g.code, f"{g.village.name} · {g.name}") for g in grids.order_by("code")[:2000]]
    return sorted(choices)


class DisputeRegisterForm(forms.Form):
    """The register's record (GB/T 31000 module 7)."""

    name = forms.CharField(label=_("Name of the dispute"), max_length=100)
    dispute_type = forms.ChoiceField(label=_("Type"), choices=DisputeType.choices)
    occurred_on = forms.DateField(label=_("Date of occurrence"), widget=DATE)
    screened_on = forms.DateField(label=_("Date screened"), widget=DATE, required=False)
    territory_code = forms.ChoiceField(label=_("Grid or village"))
    place = forms.CharField(label=_("Place"), max_length=200)
    scale = forms.ChoiceField(label=_("Scale"), choices=Scale.choices, initial=Scale.INDIVIDUAL)
    people_involved = forms.IntegerField(label=_("People involved"), min_value=1, initial=2)
    summary = _text(_("Summary"), rows=4, required=True)
    units_involved = forms.CharField(label=_("Units involved"), max_length=300, required=False)
    source = forms.ChoiceField(
        label=_("Source"),
        choices=[
            (value, label)
            for value, label in Source.choices
            if value not in (Source.CASE, Source.GRID_MEETING)
        ],
        initial=Source.GRID_VISIT,
        required=False,
    )
    referring_department = forms.ModelChoiceField(
        label=_("Referred by (department)"), queryset=Department.objects.none(), required=False
    )
    risk_level = forms.ChoiceField(
        label=_("Risk level"), choices=RiskLevel.choices, initial=RiskLevel.LOW
    )
    violent_risk = forms.BooleanField(
        label=_("May turn violent or criminal (民转刑)"), required=False
    )
    risk_note = forms.CharField(label=_("Risk assessment"), max_length=2000, required=False)
    latitude = forms.DecimalField(
        label=_("latitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
    )
    longitude = forms.DecimalField(
        label=_("longitude"),
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["territory_code"].choices = place_choices(user)  # type: ignore[attr-defined]
        self.fields["referring_department"].queryset = Department.objects.visible_to(user)  # type: ignore[attr-defined]
        if user.department_id:
            self.fields["source"].initial = Source.REFERRAL
            self.fields["referring_department"].initial = user.department_id


class PartyForm(forms.Form):
    """A main party (主要当事人). An empty block is skipped."""

    role = forms.ChoiceField(label=pgettext_lazy("party", "Role"), choices=PartyRole.choices)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    id_type = forms.ChoiceField(
        label=_("Document type"), choices=IdType.choices, initial=IdType.RESIDENT_ID
    )
    id_number = forms.CharField(label=_("Document number"), max_length=40, required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=_blank(Sex.choices), required=False)
    ethnicity = forms.CharField(label=_("Ethnicity"), max_length=10, required=False)
    education = forms.ChoiceField(
        label=_("Education"), choices=Education.choices, initial=Education.UNKNOWN
    )
    category = forms.ChoiceField(
        label=_("Person category"), choices=PersonCategory.choices, initial=PersonCategory.OTHER
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)

    def has_content(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return bool(data.get("name") or data.get("id_number") or data.get("address"))


PartyFormSet = formset_factory(PartyForm, extra=2, max_num=20)


class ActionForm(forms.Form):
    """The version of the dispute the page showed; subclasses add the move's inputs."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, user: User, dispute: Dispute, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.dispute = dispute
        self.fields["version"].initial = dispute.version


class EscalateForm(ActionForm):
    reason = _text(_("Why it goes up a level"))


class RiskForm(ActionForm):
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)
    violent_risk = forms.BooleanField(
        label=_("May turn violent or criminal (民转刑)"), required=False
    )
    note = _text(_("Reason for the assessment"), rows=2)


class AssignForm(ActionForm):
    mediator = forms.ModelChoiceField(label=_("Lead mediator"), queryset=Mediator.objects.none())
    method = forms.ChoiceField(
        label=_("Method"), choices=Method.choices, initial=Method.PEOPLES_MEDIATION
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from fengqiao.disputes.services import committees_for

        self.fields["mediator"].queryset = Mediator.objects.filter(  # type: ignore[attr-defined]
            committee__in=committees_for(self.dispute), is_active=True
        ).select_related("committee")
        self.fields["mediator"].label_from_instance = (  # type: ignore[attr-defined]
            lambda m: f"{m.committee.name} · {m.name}"
        )


class SessionForm(ActionForm):
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    remote = forms.BooleanField(label=_("Held remotely"), required=False)
    participants = _text(_("Participants"), rows=2)
    record = _text(_("Written record (调解笔录)"), rows=6)
    parties_confirmed = forms.BooleanField(
        label=_("The parties have read and confirmed the record"), required=False
    )


class ConfirmSessionForm(ActionForm):
    session = forms.IntegerField(widget=forms.HiddenInput)


class OutcomeForm(ActionForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    agreement_form = forms.ChoiceField(
        label=_("Form of agreement"), choices=_blank(AgreementForm.choices), required=False
    )
    oral_agreement = _text(_("Content of the oral agreement"), rows=3)
    referral_route = forms.ChoiceField(
        label=_("Guided to"), choices=_blank(ReferralRoute.choices), required=False
    )
    note = _text(_("How it was resolved / why not"), rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.dispute.status == DisputeStatus.REGISTERED:
            # Before mediation the only outcome is the parties' withdrawal.
            self.fields["outcome"].choices = [  # type: ignore[attr-defined]
                (Outcome.WITHDRAWN.value, Outcome.WITHDRAWN.label)
            ]


class AgreementDraftForm(ActionForm):
    """The written agreement; prefilled from the record. Not required here: the service names
    every missing element in one message."""

    facts = _text(_("Main facts of the dispute"), rows=4)
    matters = _text(_("Matters in dispute"), rows=3)
    responsibilities = _text(_("Each party's responsibility"), rows=3)
    rights_obligations = _text(_("Rights and obligations agreed"), rows=4)
    performance_method = forms.CharField(
        label=_("How it is performed"), max_length=300, required=False
    )
    performance_place = forms.CharField(
        label=_("Where it is performed"), max_length=200, required=False
    )
    performance_deadline = forms.DateField(label=_("Performed by"), widget=DATE, required=False)
    signed_on = forms.DateField(label=_("Date of the agreement"), widget=DATE, required=False)
    mediator = forms.ModelChoiceField(
        label=_("Mediator"), queryset=Mediator.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        committee_id = self.dispute.committee_id
        self.fields["mediator"].queryset = Mediator.objects.filter(  # type: ignore[attr-defined]
            committee_id=committee_id, is_active=True
        )


class SignedCopyForm(ActionForm):
    copy = forms.CharField(label=_("Whose copy"), max_length=20)
    file = forms.FileField(label=_("Scan or photo of the signed copy"))


class FollowUpForm(ActionForm):
    visited_on = forms.DateField(label=_("Date"), widget=DATE)
    method = forms.ChoiceField(label=_("How"), choices=VisitMethod.choices)
    result = forms.ChoiceField(label=_("Result"), choices=PerformanceResult.choices)
    note = _text(_("Notes"), rows=2)


class ConfirmationApplyForm(ActionForm):
    applied_on = forms.DateField(label=_("Applied on"), widget=DATE)
    court = forms.CharField(label=_("Court"), max_length=100, required=False)
    note = _text(_("Notes"), rows=2)


class ConfirmationDecideForm(ActionForm):
    confirmation = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Ruling"),
        choices=[
            ("confirmed", _("Confirmed valid")),
            ("rejected", pgettext_lazy("court ruling", "Rejected")),
        ],
    )
    decided_on = forms.DateField(label=_("Ruling date"), widget=DATE)
    ruling_number = forms.CharField(label=_("Ruling number"), max_length=60, required=False)
    note = _text(_("Notes"), rows=2)


class SuperviseForm(ActionForm):
    message = _text(_("Supervision message"), rows=2)


class EvaluateForm(ActionForm):
    evaluated_on = forms.DateField(label=_("Evaluation date"), widget=DATE)
    evaluation = _text(_("Evaluation"), rows=3)


class AddPartyForm(ActionForm, PartyForm):
    pass


class MeetingForm(forms.Form):
    territory_code = forms.ChoiceField(label=_("Grid or community"))
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    host = forms.CharField(label=_("Chaired by"), max_length=50, required=False)
    attendees = _text(_("Attendees"), rows=2)
    notes = _text(_("Minutes"), rows=4)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["territory_code"].choices = place_choices(user)  # type: ignore[attr-defined]


class ReviewForm(forms.Form):
    dispute = forms.ModelChoiceField(label=_("Dispute"), queryset=Dispute.objects.none())
    risk_after = forms.ChoiceField(label=_("Risk level now"), choices=RiskLevel.choices)
    violent_after = forms.BooleanField(
        label=_("May turn violent or criminal (民转刑)"), required=False
    )
    decision = _text(pgettext_lazy("meeting", "Decision"), rows=2)

    def __init__(self, *args: Any, disputes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dispute"].queryset = disputes  # type: ignore[attr-defined]
