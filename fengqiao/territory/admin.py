"""Admin of the territory: areas, grids, units, households and persons are read-only here
(scoped, searchable); person tags are reference data and editable."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fengqiao.core.admin import AdministratorOnlyAdmin, ReadOnlyScopedAdmin
from fengqiao.core.codes import within
from fengqiao.core.privacy import lookup_digest, normalize
from fengqiao.territory.choices import AreaLevel
from fengqiao.territory.models import (
    Area,
    Grid,
    GridPartyGroup,
    Household,
    HouseholdUnit,
    Person,
    PersonTag,
)
from fengqiao.territory.selectors import search_kind, upgrade_id_number

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class TownshipFilter(admin.SimpleListFilter):
    """Narrow a list to one township or street of the administrator's scope. Built from the
    scoped areas, unlike Django's related-field filters, which would list every grid of the
    country (out-of-scope names included) in the sidebar."""

    title = _("township or street")
    parameter_name = "township"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        townships = Area.objects.visible_to(request.user).filter(
            level=AreaLevel.TOWNSHIP, valid_to__isnull=True
        )
        return [(area.territory_code, area.name) for area in townships]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            # The list is already scoped: a range outside the scope simply finds nothing.
            return queryset.filter(within("territory_code", value))
        return queryset


class CurrentFilter(admin.SimpleListFilter):
    """Today's division codes or the retired ones (codes change from year to year)."""

    title = _("validity")
    parameter_name = "current"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("Current")), ("no", _("Retired"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(valid_to__isnull=True)
        if self.value() == "no":
            return queryset.filter(valid_to__isnull=False)
        return queryset


class TagFilter(admin.SimpleListFilter):
    """Filter by tag; sensitive tags are offered only to those allowed to see them."""

    title = _("tag")
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        tags = PersonTag.objects.all()
        if not request.user.has_perm("org.view_sensitive_tags"):
            tags = tags.filter(sensitive=False)
        return [(tag.code, tag.name) for tag in tags]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        code = self.value()
        if code and code in {choice for choice, _name in self.lookup_choices}:
            return queryset.filter(tags__code=code)
        return queryset


@admin.register(Area)
class AreaAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "code", "level", "kind", "valid_from", "valid_to"]
    list_filter = ["level", "kind", CurrentFilter]
    search_fields = ["name", "=code"]
    fields = ["name", "code", "territory_code", "level", "kind", "parent", "valid_from", "valid_to"]
    readonly_fields = ["territory_code"]
    list_select_related = ["parent"]


@admin.register(GridPartyGroup)
class GridPartyGroupAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "area", "leader_name", "member_count"]
    list_select_related = ["area"]
    list_filter = [TownshipFilter]
    search_fields = ["name", "leader_name"]


@admin.register(Grid)
class GridAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "code", "village", "party_group"]
    list_select_related = ["village", "party_group"]
    list_filter = [TownshipFilter]
    search_fields = ["name", "^code"]


@admin.register(HouseholdUnit)
class HouseholdUnitAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "code", "grid", "head"]
    list_select_related = ["grid", "head"]
    list_filter = [TownshipFilter]
    search_fields = ["name", "^code"]


@admin.register(Household)
class HouseholdAdmin(ReadOnlyScopedAdmin):
    list_display = ["doorplate_display", "head_name", "member_count", "grid", "unit"]
    list_select_related = ["grid", "unit"]
    list_filter = [TownshipFilter]
    search_fields = ["address", "head_name"]
    fields = [
        "address",
        "building",
        "entrance",
        "room",
        "grid",
        "unit",
        "territory_code",
        "latitude",
        "longitude",
        "head_name",
        "member_count",
        "created_at",
        "updated_at",
    ]
    readonly_fields = ["territory_code", "created_at", "updated_at"]

    @admin.display(description=_("doorplate"), ordering="address")
    def doorplate_display(self, household: Household) -> str:
        return household.doorplate


PERSON_FIELDS = (
    "name",
    "household",
    "masked_id_number",
    "masked_phone",
    "sex",
    "birth_date",
    "ethnicity",
    "relation",
    "tags",
    "territory_code",
    "created_at",
    "updated_at",
)


@admin.register(Person)
class PersonAdmin(ReadOnlyScopedAdmin):
    """Persons with their ID number and phone masked; the full values are shown only on the
    household page, one at a time, audited."""

    list_display = ["name", "masked_id_number", "masked_phone", "sex", "relation", "household"]
    list_select_related = ["household"]
    list_filter = ["sex", "relation", TagFilter, TownshipFilter]
    search_fields = ["name"]
    search_help_text = _("A name (contains), or a full ID number or mobile number (exact match).")
    fields = PERSON_FIELDS
    readonly_fields = [
        "masked_id_number",
        "masked_phone",
        "public_tags",
        "all_tags",
        "territory_code",
        "created_at",
        "updated_at",
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """An ID number or mobile number is matched through its keyed hash: the stored value
        is encrypted, so "contains" on it would find nothing."""
        term = search_term.strip()
        kind = search_kind(term) if term else "text"
        if kind == "id_number":
            number = normalize(term, "id_number")
            values = [number, upgrade_id_number(number)] if len(number) == 15 else [number]
            digests = [lookup_digest(value, "id_number") for value in values]
            return queryset.filter(id_number_digest__in=digests), False
        if kind == "phone":
            return queryset.filter(phone_digest=lookup_digest(term, "phone")), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("citizen ID number"))
    def masked_id_number(self, person: Person) -> str:
        return str(person.id_number)  # Sensitive prints masked

    @admin.display(description=_("phone"))
    def masked_phone(self, person: Person) -> str:
        return str(person.phone)

    @admin.display(description=_("tags"))
    def public_tags(self, person: Person) -> str:
        return ", ".join(tag.name for tag in person.tags.filter(sensitive=False)) or "—"

    @admin.display(description=_("tags"))
    def all_tags(self, person: Person) -> str:
        return ", ".join(tag.name for tag in person.tags.all()) or "—"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Sensitive tags only for those allowed to see them (display methods get no request).
        tags = "all_tags" if request.user.has_perm("org.view_sensitive_tags") else "public_tags"
        return tuple(tags if name == "tags" else name for name in PERSON_FIELDS)


@admin.register(PersonTag)
class PersonTagAdmin(AdministratorOnlyAdmin):
    list_display = ["name", "code", "sensitive"]
    list_filter = ["sensitive"]
    search_fields = ["name", "code"]
