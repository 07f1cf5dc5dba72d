"""Forms of the case pages.

An action form only parses what was typed: whether the move is allowed, and whether a reason
is given or an extension fits under the cap, is for the service to say, so the page shows
the service's own message (and the rule lives in one place). Every action form carries the
case version the page showed, so a decision taken on a stale page is refused.

Intake forms carry a key generated when the form is first shown: sending the same form twice
(a double tap, a resend on a poor signal) gives back the case the first send created.
"""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.cases import selectors
from fengqiao.cases.choices import (
    CaseStatus,
    CaseType,
    Channel,
    DeadlineState,
    Rating,
    ReporterKind,
    Urgency,
)
from fengqiao.cases.models import Case, Category
from fengqiao.cases.services import ReporterInput
from fengqiao.core.codes import within
from fengqiao.org.models import Department, User
from fengqiao.territory.models import Area, Grid, Household, HouseholdUnit

_CODE = re.compile(r"^(\d{6}|\d{9}|\d{12}|\d{15}|\d{18})$")
_PHONE = re.compile(r"^[\d\s+\-()]{5,20}$")
_FILTER_CODE = re.compile(r"^\d{2,18}$")


def _text(label: Any) -> forms.CharField:
    """A free-text reason or answer. Not required here: the service refuses an empty one with
    its own message (the page's field is marked required, so the browser asks first)."""
    return forms.CharField(label=label, required=False, max_length=4000)


class ActionForm(forms.Form):
    """The version of the case the page showed; subclasses add the move's inputs."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, user: User, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.case = case
        self.fields["version"].initial = case.version


class AcceptForm(ActionForm):
    pass


class SignForm(ActionForm):
    pass


class RejectForm(ActionForm):
    reason = _text(_("Why the case is not accepted"))


class EscalateForm(ActionForm):
    reason = _text(_("Why it goes up a level"))


class ResolveForm(ActionForm):
    what_was_done = _text(_("What was done"))


class ReturnForm(ActionForm):
    reason = _text(_("Why the case is not yours"))


class HardForm(ActionForm):
    reason = _text(_("Why the matter is hard"))


class ExtensionForm(ActionForm):
    days = forms.IntegerField(label=_("Days"))
    reason = _text(_("Reason for the extension"))


class ReplyForm(ActionForm):
    text = _text(_("Reply"))


class SuperviseForm(ActionForm):
    message = _text(_("Supervision message"))


class ReviewForm(ActionForm):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve the reply")), ("send_back", _("Send it back"))]
    )
    note = _text(_("Note (required when sending back)"))


class ReturnVisitForm(ActionForm):
    rating = forms.ChoiceField(label=_("The resident's rating"), choices=Rating.choices)
    note = _text(_("What the resident said"))


class DispatchForm(ActionForm):
    """派单 to a lead department and co-handlers, among the departments the user may send
    work to (the page preselects the routing suggestion)."""

    department = forms.ModelChoiceField(
        label=_("Lead department"), queryset=Department.objects.none(), empty_label=None
    )
    co_departments = forms.ModelMultipleChoiceField(
        label=_("Co-handling departments"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("Note to the department"), required=False, max_length=4000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = selectors.dispatch_departments(self.user)
        cast(forms.ModelChoiceField, self.fields["department"]).queryset = choices
        cast(forms.ModelMultipleChoiceField, self.fields["co_departments"]).queryset = choices


class MergeForm(ActionForm):
    """合并: this case duplicates another one, named by its number."""

    into = forms.CharField(label=_("Number of the case it duplicates"), max_length=24)

    def clean_into(self) -> Case:
        number = self.cleaned_data["into"].strip()
        found = Case.objects.visible_to(self.user).filter(number=number).first()
        if found is None:
            raise ValidationError(_("No case with number %(number)s.") % {"number": number})
        return found


class DecideForm(forms.Form):
    """A leader's decision on a hard-matter or extension request."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("deny", _("Deny"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=4000)


# --- Intake -----------------------------------------------------------------------------------


class CategoryChoiceField(forms.TypedChoiceField):
    """Active categories, grouped under their parent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(coerce=int, empty_value=None, **kwargs)

    def refresh(self, empty_label: Any = "—", *, whole_groups: bool = False) -> None:
        self.choices = [("", empty_label), *selectors.category_choices(whole_groups=whole_groups)]


class IntakeForm(forms.Form):
    """What every new case needs, whoever enters it."""

    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    case_type = forms.ChoiceField(label=_("Type"), choices=CaseType.choices)
    category = CategoryChoiceField(label=_("Category"))
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    title = forms.CharField(
        label=_("Short title"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Noise at night downstairs")}),
    )
    description = forms.CharField(
        label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    address = forms.CharField(
        label=_("Place (optional)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. by the bridge at the east gate")}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        # A fresh key each time the empty form is shown; a re-shown form keeps the posted one.
        self.fields["idempotency_key"].initial = uuid.uuid4()
        cast(CategoryChoiceField, self.fields["category"]).refresh()

    def clean_category(self) -> Category:
        pk = self.cleaned_data["category"]
        category = Category.objects.filter(pk=pk, is_active=True).first() if pk else None
        if category is None:
            raise ValidationError(_("Choose a category."))
        return category

    def service_key(self) -> str:
        """The key as the service stores it, bound to the account: another account's key
        can never find this one's case."""
        return f"web:{self.user.pk}:{self.cleaned_data['idempotency_key']}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to six photos or documents; their content is checked by the attachment service."""

    widget = MultipleFileInput(attrs={"accept": "image/*,.pdf,.docx,.xlsx"})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(PhotosField, self).clean(item, initial) for item in files]


class GridReportForm(IntakeForm):
    """A grid worker's report from the field: the place defaults to their grid; photos
    taken on the spot go with it."""

    photos = PhotosField(
        label=_("Photos (up to 6)"),
        required=False,
        help_text=_("Taken with the phone's camera or chosen from its gallery."),
    )
    field_order = ["case_type", "category", "title", "description", "photos", "address", "urgency"]


class CenterIntakeForm(IntakeForm):
    """A case received at the center's window or by phone."""

    channel = forms.ChoiceField(
        label=_("How it came in"),
        choices=[(Channel.WINDOW, Channel.WINDOW.label), (Channel.PHONE, Channel.PHONE.label)],
        initial=Channel.WINDOW,
        widget=forms.RadioSelect,
    )
    household = forms.ModelChoiceField(
        label=_("Household"),
        queryset=Household.objects.none(),
        required=False,
        widget=forms.RadioSelect,
    )
    territory_code = forms.CharField(
        label=_("Or the territory code of the place"),
        required=False,
        max_length=18,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    reporter_kind = forms.ChoiceField(
        label=_("Reporter"), choices=ReporterKind.choices, initial=ReporterKind.PERSON
    )
    reporter_name = forms.CharField(label=_("Reporter's name"), required=False, max_length=50)
    reporter_phone = forms.CharField(
        label=_("Reporter's phone"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    field_order = [
        "channel",
        "case_type",
        "category",
        "urgency",
        "title",
        "description",
        "household",
        "territory_code",
        "address",
        "reporter_kind",
        "reporter_name",
        "reporter_phone",
    ]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        household = cast(forms.ModelChoiceField, self.fields["household"])
        household.queryset = Household.objects.visible_to(user)
        self.fields["territory_code"].initial = user.scope_code

    def clean_territory_code(self) -> str:
        code = self.cleaned_data["territory_code"].strip()
        if not code:
            return ""
        if not _CODE.match(code):
            raise ValidationError(
                _("A territory code has 6, 9, 12, 15 or 18 digits (county to unit).")
            )
        if not self.user.covers(code) or not _place_exists(code):
            raise ValidationError(_("No place with this code in your territory."))
        return code

    def clean_reporter_phone(self) -> str:
        phone = self.cleaned_data["reporter_phone"].strip()
        if phone and not _PHONE.match(phone):
            raise ValidationError(_("Enter a phone number (digits only)."))
        return phone

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        place_missing = not data.get("household") and not data.get("territory_code")
        if place_missing and "territory_code" not in self.errors:
            self.add_error("territory_code", _("Pick a household or give the code of the place."))
        if data.get("reporter_kind") == ReporterKind.HOUSEHOLD and not data.get("household"):
            self.add_error("reporter_kind", _("Pick the household that reports the case."))
        return data

    def location(self) -> tuple[str, int | None]:
        """(territory code, household id): a picked household wins over a typed code."""
        household: Household | None = self.cleaned_data.get("household")
        if household is not None:
            return household.territory_code, household.pk
        return self.cleaned_data["territory_code"], None

    def reporter(self) -> ReporterInput:
        household: Household | None = self.cleaned_data.get("household")
        return ReporterInput(
            kind=ReporterKind(self.cleaned_data["reporter_kind"]),
            name=self.cleaned_data["reporter_name"].strip(),
            phone=self.cleaned_data["reporter_phone"],
            household_id=household.pk if household is not None else None,
        )


def _place_exists(code: str) -> bool:
    if len(code) <= 12:
        return Area.objects.filter(territory_code=code, valid_to__isnull=True).exists()
    if len(code) == 15:
        return Grid.objects.filter(code=code).exists()
    return HouseholdUnit.objects.filter(code=code).exists()


class HouseholdPickForm(forms.Form):
    """The household search of the intake form (posted: a phone or ID number typed here must
    not end up in a URL)."""

    household_q = forms.CharField(required=False, max_length=60)


# --- The list filter --------------------------------------------------------------------------


class CaseFilterForm(forms.Form):
    """Narrows the case list; every field is optional and a wrong value is ignored."""

    q = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, title or text")}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *CaseStatus.choices]
    )
    case_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any")), *CaseType.choices]
    )
    category = CategoryChoiceField(label=_("Category"), required=False)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any")), *Channel.choices]
    )
    territory = forms.CharField(
        label=_("Territory code starts with"),
        required=False,
        max_length=18,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    department = forms.ModelChoiceField(
        label=_("Lead department"), required=False, queryset=Department.objects.none()
    )
    deadline = forms.ChoiceField(
        label=_("Deadline"),
        required=False,
        choices=[
            ("", _("Any")),
            (DeadlineState.OK, DeadlineState.OK.label),
            (DeadlineState.YELLOW, DeadlineState.YELLOW.label),
            (DeadlineState.RED, DeadlineState.RED.label),
        ],
    )
    date_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    queue = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(CategoryChoiceField, self.fields["category"]).refresh(
            empty_label=_("Any"), whole_groups=True
        )
        department = cast(forms.ModelChoiceField, self.fields["department"])
        department.queryset = selectors.dispatch_departments(user)
        department.empty_label = _("Any")

    def clean_territory(self) -> str:
        code = self.cleaned_data["territory"].strip()
        if code and not _FILTER_CODE.match(code):
            raise ValidationError(_("Digits only."))
        return code

    def search_arguments(self, now: datetime.datetime) -> tuple[dict[str, Any], Q | None, str, str]:
        """(field lookups, extra condition, text, queue) for ``selectors.search_cases`` from
        the valid fields: the one reading of the filter that the list, its Excel ledger and
        the API share."""
        self.is_valid()  # a wrong value in one field is dropped; the others still apply
        data = self.cleaned_data
        filters: dict[str, Any] = {}
        for name in ("status", "case_type", "channel"):
            if data.get(name):
                filters[name] = data[name]
        if data.get("category"):
            filters["category_id__in"] = selectors.category_and_below(data["category"])
        if data.get("department"):
            filters["lead_department"] = data["department"]
        zone = timezone.get_current_timezone()
        if data.get("date_from"):
            filters["created_at__gte"] = datetime.datetime.combine(
                data["date_from"], datetime.time.min, tzinfo=zone
            )
        if data.get("date_to"):
            filters["created_at__lt"] = datetime.datetime.combine(
                data["date_to"] + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
            )
        where: Q | None = None
        if data.get("territory"):
            where = within("territory_code", data["territory"])
        if data.get("deadline"):
            condition = selectors.deadline_q(data["deadline"], now)
            where = condition if where is None else where & condition
        return filters, where, data.get("q", ""), data.get("queue", "")
