"""Forms of the bulletin pages. They parse what was typed; whether the actor may publish
there, whether the period makes sense and whether the bulletin can still change is for the
services to say, so the page shows the service's own message (the rule lives in one place)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.bulletins import selectors
from fengqiao.bulletins.choices import BulletinKind, BulletinState, BulletinUrgency
from fengqiao.bulletins.models import Bulletin
from fengqiao.bulletins.scoping import publisher_prefix

_FILTER_CODE = re.compile(r"^\d{2,15}$")
DEFAULT_PERIOD = datetime.timedelta(days=7)
_MINUTE_FORMAT = "%Y-%m-%dT%H:%M"


def _moment(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        input_formats=[_MINUTE_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_MINUTE_FORMAT),
    )


class BulletinForm(forms.Form):
    """Publish a bulletin, or edit one (then it carries the version the page showed)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=BulletinKind.choices)
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=BulletinUrgency.choices,
        initial=BulletinUrgency.NORMAL,
        widget=forms.RadioSelect,
        help_text=_("Urgent bulletins are pinned at the top of residents' pages."),
    )
    title = forms.CharField(label=_("Title"), max_length=80)
    body = forms.CharField(
        label=_("Text"), max_length=2000, widget=forms.Textarea(attrs={"rows": 6})
    )
    territory_code = forms.CharField(
        label=_("Target territory code"),
        max_length=15,
        help_text=_(
            "County (6 digits), township (9), village (12) or grid (15): every household under "
            "it sees the bulletin."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "list": "target-options"}),
    )
    valid_from = _moment(_("In force from"))
    valid_until = _moment(_("In force until"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args: Any, user: Any, bulletin: Bulletin | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.target_options = selectors.target_options(user)
        if bulletin is not None:
            for name in ("kind", "urgency", "title", "body", "territory_code"):
                self.fields[name].initial = getattr(bulletin, name)
            self.fields["valid_from"].initial = bulletin.valid_from
            self.fields["valid_until"].initial = bulletin.valid_until
            self.fields["version"].initial = bulletin.version
        else:
            now = timezone.now().replace(second=0, microsecond=0)
            self.fields["valid_from"].initial = now
            self.fields["valid_until"].initial = now + DEFAULT_PERIOD
            self.fields["territory_code"].initial = publisher_prefix(user) or ""

    def clean_territory_code(self) -> str:
        return str(self.cleaned_data["territory_code"]).strip()


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is withdrawn"),
        required=False,  # the service refuses an empty reason with its own message
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "required": True}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class BulletinFilterForm(forms.Form):
    """Narrows the bulletin list; every field is optional and a wrong value is ignored."""

    q = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title or text")}),
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any")), *BulletinState.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *BulletinKind.choices]
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), required=False, choices=[("", _("Any")), *BulletinUrgency.choices]
    )
    territory = forms.CharField(
        label=_("Target code starts with"),
        required=False,
        max_length=15,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def clean_territory(self) -> str:
        code = str(self.cleaned_data["territory"]).strip()
        if code and not _FILTER_CODE.match(code):
            raise ValidationError(_("Digits only."))
        return code

    def filters(self) -> dict[str, str]:
        """The valid filters (an invalid one is dropped, not an error page)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "state": data.get("state", ""),
            "kind": data.get("kind", ""),
            "urgency": data.get("urgency", ""),
            "territory": data.get("territory", ""),
            "text": data.get("q", "").strip(),
        }
