"""Forms of the doorplate pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class IssueForm(forms.Form):
    """Issue a plate, or re-issue one (the working plate stops working at once)."""

    reason = forms.CharField(
        label=_("Why a new plate (when one exists)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. plate lost, household moved")}),
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revoking"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. plate lost, house demolished")}),
    )
