"""“Which department would get this?”: the routing preview of the admin.

An administrator picks a category and a place (a territory code, or a household by its number
or doorplate address) and sees the department that ``routing.route`` chooses, with every rule
that applied there and why each lost to the winner; or that no rule applies and the case
would wait in the center's triage queue. It answers with the very function intake uses, so
what the page shows is what a new case gets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.categories import SEPARATOR, categories_in_tree_order
from fengqiao.cases.models import Category, RoutingRule
from fengqiao.cases.routing import Route, invalidate_routing, route
from fengqiao.core.codes import is_within
from fengqiao.org.models import territory_code_validator
from fengqiao.territory.models import Household

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin


def tree_label(category: Category) -> str:
    """A category's name indented by its depth, for lists and choices shown in path order."""
    depth = category.depth
    return "\u3000\u3000" * (depth - 1) + ("└ " if depth > 1 else "") + category.name


class CategoryChoiceField(forms.ModelChoiceField[Category]):
    """Categories as an indented tree (the queryset comes ordered by path)."""

    def label_from_instance(self, obj: Category) -> str:
        label = tree_label(obj)
        return label if obj.is_active else f"{label} ({_('not in use')})"


def scope_prefix_of(user: Any) -> str:
    """The administrator's territory ('' for the whole system)."""
    return user.territory_prefix() or ""


class RoutingPreviewForm(forms.Form):
    category = CategoryChoiceField(label=_("category"), queryset=Category.objects.none())
    territory_code = forms.CharField(
        label=_("territory code"),
        required=False,
        max_length=18,
        validators=[territory_code_validator],
        help_text=_("A township, village, grid or ten-household unit code."),
    )
    household = forms.CharField(
        label=_("or a household"),
        required=False,
        max_length=120,
        help_text=_("Its number, or its doorplate address exactly as registered."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        assert isinstance(category, CategoryChoiceField)
        category.queryset = categories_in_tree_order().filter(is_active=True)
        self.user = user
        self.scope_prefix = scope_prefix_of(user)
        self.household_found: Household | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        code: str = (cleaned.get("territory_code") or "").strip()
        wanted: str = (cleaned.get("household") or "").strip()
        if bool(code) == bool(wanted):
            if "territory_code" not in self.errors:
                raise ValidationError(_("Give a territory code or a household: one of the two."))
            return cleaned
        if wanted:
            self.household_found = self._find_household(wanted)
            code = self.household_found.territory_code
        if not is_within(code, self.scope_prefix):
            self.add_error(
                "territory_code",
                _("This territory lies outside your scope (%(scope)s).")
                % {"scope": self.scope_prefix},
            )
        cleaned["place"] = code
        return cleaned

    def _find_household(self, wanted: str) -> Household:
        # Through the scoping method: a household outside the scope is "not found".
        households = Household.objects.visible_to(self.user)
        if wanted.isdigit():
            matches = list(households.filter(pk=int(wanted))[:1]) or list(
                households.filter(address=wanted)[:2]
            )
        else:
            matches = list(households.filter(address=wanted)[:2])
        if not matches:
            raise ValidationError(
                {"household": _("No household with this number or address in your area.")}
            )
        if len(matches) > 1:
            raise ValidationError(
                {"household": _("Several households have this address: give its number.")}
            )
        return matches[0]


@dataclass(frozen=True)
class Candidate:
    """A rule that covers the chosen category and place, and what became of it."""

    rule: RoutingRule
    depth: int
    wins: bool
    why: str | Promise


@dataclass(frozen=True)
class RoutePreview:
    category: Category
    chain: list[Category]
    territory_code: str
    household: Household | None
    winner: RoutingRule | None
    candidates: list[Candidate]
    reloaded: bool


def _chain(category: Category) -> list[Category]:
    """The category and its ancestors, root first (from the path: one query)."""
    codes = category.path.split(SEPARATOR)
    found = {c.code: c for c in Category.objects.filter(code__in=codes)}
    return [found[code] for code in codes if code in found]


def _applies(rule: RoutingRule) -> bool:
    return rule.is_active and rule.department.is_active


def preview_route(
    *, category: Category, territory_code: str, household: Household | None = None
) -> RoutePreview:
    """What ``route`` answers for the category at the place, and the rules behind it."""
    chain = _chain(category)
    depth_of = {c.pk: depth for depth, c in enumerate(chain, start=1)}
    rules: QuerySet[RoutingRule] = RoutingRule.objects.filter(
        category__in=list(depth_of)
    ).select_related("category", "department")
    covering = [rule for rule in rules if territory_code.startswith(rule.territory_code)]
    # routing.py's order: the longest territory first, then the deepest category.
    covering.sort(key=lambda r: (len(r.territory_code), depth_of[r.category_id]), reverse=True)
    expected = next((rule for rule in covering if _applies(rule)), None)

    chosen: Route | None = route(category_id=category.pk, territory_code=territory_code)
    reloaded = False
    if (chosen.rule_id if chosen else None) != (expected.pk if expected else None):
        # This process's routing table predates a change saved elsewhere: reload it, so the
        # answer below (and the next case received here) follows the saved rules.
        invalidate_routing()
        chosen = route(category_id=category.pk, territory_code=territory_code)
        reloaded = True
    winner = next((r for r in covering if chosen and r.pk == chosen.rule_id), None)
    return RoutePreview(
        category=category,
        chain=chain,
        territory_code=territory_code,
        household=household,
        winner=winner,
        candidates=[_candidate(rule, depth_of[rule.category_id], winner) for rule in covering],
        reloaded=reloaded,
    )


def _candidate(rule: RoutingRule, depth: int, winner: RoutingRule | None) -> Candidate:
    if winner is not None and rule.pk == winner.pk:
        return Candidate(rule, depth, True, _("The most specific rule that applies: it wins."))
    if not rule.is_active:
        return Candidate(rule, depth, False, _("Not used: the rule is switched off."))
    if not rule.department.is_active:
        return Candidate(rule, depth, False, _("Not used: the department is no longer active."))
    if winner is not None and len(rule.territory_code) < len(winner.territory_code):
        return Candidate(rule, depth, False, _("Covers a larger territory than the winner."))
    return Candidate(rule, depth, False, _("Covers a broader category than the winner."))


def routing_preview(request: HttpRequest, model_admin: ModelAdmin[RoutingRule]) -> HttpResponse:
    """The preview page; served by the routing-rule admin (``get_urls``)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    result: RoutePreview | None = None
    if request.GET.get("category"):
        form = RoutingPreviewForm(request.GET, user=request.user)
        if form.is_valid():
            result = preview_route(
                category=form.cleaned_data["category"],
                territory_code=form.cleaned_data["place"],
                household=form.household_found,
            )
    else:
        form = RoutingPreviewForm(user=request.user)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Which department would get this?"),
        "form": form,
        "result": result,
    }
    return TemplateResponse(request, "admin/cases/routingrule/preview.html", context)
