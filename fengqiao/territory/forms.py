"""Forms of the territory pages: the household list filter and the search box."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.territory.models import Grid


class HouseholdFilterForm(forms.Form):
    """Narrows a household list to one grid and/or doorplates containing some text."""

    q = forms.CharField(
        label=_("Doorplate contains"),
        required=False,
        max_length=60,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("e.g. Main Street 12"), "autocomplete": "off"}
        ),
    )
    grid = forms.ChoiceField(label=_("Grid"), required=False)

    def __init__(self, *args: Any, grids: Iterable[Grid] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Grouped by village: a township can have a few hundred grids.
        by_village: dict[int, tuple[str, list[tuple[str, str]]]] = {}
        for grid in grids:
            group = by_village.setdefault(grid.village_id, (grid.village.name, []))
            group[1].append((grid.code, grid.name))
        if by_village:
            grid_field = cast(forms.ChoiceField, self.fields["grid"])
            grid_field.choices = [("", _("All grids")), *by_village.values()]
        else:
            # No grid choice to offer (the list is a grid's or a unit's, or an area above a
            # township): drop the field rather than show an empty menu.
            del self.fields["grid"]

    def text(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_valid() else ""

    def grid_code(self) -> str:
        return self.cleaned_data.get("grid", "") if self.is_valid() else ""


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, doorplate, ID number or mobile number"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "autofocus": True}),
    )
