"""Admin of the case loop: its tunable data, and a read-only window on the cases.

Administrators edit the category tree (through ``categories.py``, which keeps the paths and
reloads routing), the routing rules (with the routing preview) and the deadline policies
(reloaded on commit). Cases, their timeline, supervision notices and requests are read-only
here: every move of a case goes through ``services.py``, which checks the state and the actor
and writes the timeline; the admin must not become a second way around that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.cases.admin_views import (
    CategoryChoiceField,
    routing_preview,
    scope_prefix_of,
    tree_label,
)
from fengqiao.cases.categories import (
    categories_in_tree_order,
    category_create,
    category_update,
    check_placement,
    routing_rule_delete,
    routing_rule_save,
    tree_order,
)
from fengqiao.cases.deadlines import deadline_state, invalidate_policies
from fengqiao.cases.models import (
    Case,
    CaseAttachment,
    CaseEvent,
    CaseRequest,
    Category,
    DeadlinePolicy,
    RoutingRule,
    SupervisionNotice,
)
from fengqiao.cases.selectors import due_soon, overdue
from fengqiao.core.admin import (
    AdministratorOnlyAdmin,
    ReadOnlyScopedAdmin,
    ScopedModelAdmin,
    is_administrator,
)
from fengqiao.core.codes import GRID_CODE_LENGTH, UNIT_CODE_LENGTH, ancestors, is_within, within
from fengqiao.org.models import Department, territory_code_validator
from fengqiao.territory.admin import TownshipFilter
from fengqiao.territory.models import Area, Grid, HouseholdUnit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _with_scope_prefix(form: type[forms.ModelForm[Any]], request: HttpRequest) -> Any:
    """The form class for this request, knowing the administrator's territory (a form has
    no request; the admin builds a form class per request anyway)."""
    return type(form.__name__, (form,), {"scope_prefix": scope_prefix_of(request.user)})


# ---------------------------------------------------------------------------------------
# The category tree


class CategoryForm(forms.ModelForm[Category]):
    class Meta:
        model = Category
        fields = ["code", "name", "parent", "matter", "is_active", "is_public", "sort_order"]
        field_classes = {"parent": CategoryChoiceField}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The service's own check, as a form error instead of a failure at save time.
        try:
            check_placement(
                category=self.instance if self.instance.pk else None,
                parent=cleaned.get("parent"),
                is_active=bool(cleaned.get("is_active")),
            )
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


@admin.register(Category)
class CategoryAdmin(AdministratorOnlyAdmin):
    """The tree in path order, indented by depth. Categories are retired, never deleted:
    cases keep pointing at them."""

    form = CategoryForm
    list_display = ["tree_name", "code", "matter", "is_active", "is_public", "sort_order"]
    list_select_related = ["matter"]
    list_filter = ["is_active"]
    search_fields = ["name", "code"]
    list_per_page = 500  # the whole tree on one page: it is a few dozen rows

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return tree_order()

    @admin.display(description=_("category"))
    def tree_name(self, category: Category) -> str:
        return tree_label(category)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "parent":
            kwargs["queryset"] = categories_in_tree_order()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The code is part of every descendant's path and of the seed's references.
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        if change:
            saved = category_update(
                category=obj,
                name=obj.name,
                parent=obj.parent,
                matter=obj.matter,
                is_active=obj.is_active,
                sort_order=obj.sort_order,
                actor=request.user,
            )
        else:
            saved = category_create(
                code=obj.code,
                name=obj.name,
                parent=obj.parent,
                matter=obj.matter,
                sort_order=obj.sort_order,
                is_active=obj.is_active,
                actor=request.user,
            )
        # The admin goes on with ``obj`` (change message, redirect): make it the saved row.
        for field in Category._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db


# ---------------------------------------------------------------------------------------
# Routing rules


def territory_exists(code: str) -> bool:
    """A current area, a grid or a ten-household unit has this code."""
    if len(code) == GRID_CODE_LENGTH:
        return Grid.objects.filter(code=code).exists()
    if len(code) == UNIT_CODE_LENGTH:
        return HouseholdUnit.objects.filter(code=code).exists()
    return Area.objects.filter(territory_code=code, valid_to__isnull=True).exists()


class RoutingRuleForm(forms.ModelForm[RoutingRule]):
    scope_prefix = ""  # set per request by RoutingRuleAdmin.get_form

    class Meta:
        model = RoutingRule
        fields = ["category", "territory_code", "department", "handle_directly", "is_active"]
        field_classes = {"category": CategoryChoiceField}

    def clean_territory_code(self) -> str:
        code: str = (self.cleaned_data.get("territory_code") or "").strip()
        if not code:
            if self.scope_prefix:
                raise ValidationError(
                    _("Only an administrator of the whole system can make a rule for everywhere.")
                )
            return code
        territory_code_validator(code)
        if not is_within(code, self.scope_prefix):
            raise ValidationError(
                _("This territory lies outside your scope (%(scope)s)."),
                params={"scope": self.scope_prefix},
            )
        if not territory_exists(code):
            raise ValidationError(
                _("No current area, grid or ten-household unit has the code %(code)s."),
                params={"code": code},
            )
        return code

    def clean_department(self) -> Department:
        department: Department = self.cleaned_data["department"]
        if not department.is_active:
            raise ValidationError(
                _("The department “%(name)s” is no longer active."),
                params={"name": department.name},
            )
        return department

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        code = cleaned.get("territory_code")
        department: Department | None = cleaned.get("department")
        # A rule for township A must not send A's cases to township B's police station: the
        # department serves the rule's territory, a territory above it, or one inside it.
        if (
            code
            and department is not None
            and not is_within(code, department.territory_code)
            and not is_within(department.territory_code, code)
        ):
            self.add_error(
                "department",
                _("“%(department)s” serves %(served)s, which does not cover %(code)s.")
                % {"department": department, "served": department.territory_code, "code": code},
            )
        return cleaned


@admin.register(RoutingRule)
class RoutingRuleAdmin(ScopedModelAdmin):
    """Rules of the administrator's territory (editable) and those above it that apply in
    it (shown, edited by the level above). Saved through ``routing_rule_save``, which
    reloads the routing table when the transaction commits."""

    form = RoutingRuleForm
    list_display = ["category_path", "territory_code", "department", "handle_directly", "is_active"]
    list_select_related = ["category", "department"]
    list_filter = [
        "is_active",
        "handle_directly",
        ("category", admin.RelatedOnlyFieldListFilter),
        ("department", admin.RelatedOnlyFieldListFilter),
        TownshipFilter,
    ]
    search_fields = ["^territory_code", "department__name", "category__name"]
    search_help_text = _("A territory code (its beginning), a department or a category name.")
    ordering = ["category__path", "territory_code"]

    @admin.display(description=_("category"), ordering="category__path")
    def category_path(self, rule: RoutingRule) -> str:
        return tree_label(rule.category)

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        prefix = request.user.territory_prefix()  # type: ignore[union-attr]
        if prefix is None:
            return RoutingRule.objects.none()
        if not prefix:
            return RoutingRule.objects.all()
        return RoutingRule.objects.filter(
            within("territory_code", prefix) | Q(territory_code__in=["", *ancestors(prefix)])
        )

    def _in_own_scope(self, request: HttpRequest, obj: RoutingRule | None) -> bool:
        return obj is None or is_within(obj.territory_code, scope_prefix_of(request.user))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._in_own_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._in_own_scope(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk deletion would skip the per-rule scope check: rules are deleted one at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        return _with_scope_prefix(super().get_form(request, obj, change=change, **kwargs), request)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "department":
            kwargs["queryset"] = Department.objects.visible_to(request.user)
        elif db_field.name == "category":
            kwargs["queryset"] = categories_in_tree_order()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: Any, change: bool) -> None:
        routing_rule_save(rule=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: RoutingRule) -> None:
        routing_rule_delete(rule=obj, actor=request.user)

    def get_urls(self) -> list[URLPattern]:
        preview = path(
            "preview/",
            self.admin_site.admin_view(self.preview_view),
            name="cases_routingrule_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        return routing_preview(request, self)


# ---------------------------------------------------------------------------------------
# Deadline policies


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(AdministratorOnlyAdmin):
    """The time limits per case type and level. A change applies to deadlines computed after
    it (acceptance, dispatch, approval); deadlines already stored on cases stay as they are.
    Not deletable: a missing policy silently falls back to the built-in defaults."""

    list_display = [
        "__str__",
        "sign_days",
        "reply_days",
        "hard_reply_days",
        "extension_cap_days",
        "yellow_hours",
        "rating_wait_days",
    ]
    list_editable = [
        "sign_days",
        "reply_days",
        "hard_reply_days",
        "extension_cap_days",
        "yellow_hours",
        "rating_wait_days",
    ]
    list_filter = ["case_type", "level"]
    list_per_page = 100

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: DeadlinePolicy, form: Any, change: bool
    ) -> None:
        # The form has run the model's validation (the 30-day extension cap included).
        super().save_model(request, obj, form, change)
        transaction.on_commit(invalidate_policies)


# ---------------------------------------------------------------------------------------
# Cases: read-only


class _ReadOnlyInline(admin.TabularInline[Any, Case]):
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_administrator(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseEventInline(_ReadOnlyInline):
    model = CaseEvent
    fields = readonly_fields = (
        "created_at",
        "kind",
        "actor_body",
        "actor",
        "department",
        "from_status",
        "to_status",
        "note",
    )
    verbose_name_plural = _("timeline")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("actor", "department")


class CaseAttachmentInline(_ReadOnlyInline):
    model = CaseAttachment
    fields = readonly_fields = ("original_name", "content_type", "size", "event", "created_at")


class DeadlineFilter(admin.SimpleListFilter):
    """Due soon or overdue now, from the stored deadlines (the same rule as the pages)."""

    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("yellow", _("Due soon")), ("red", _("Overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "yellow":
            return due_soon(queryset, now)
        if self.value() == "red":
            return overdue(queryset, now)
        return queryset


CASE_FIELDS = (
    "number",
    "status",
    "case_type",
    "category",
    "channel",
    "urgency",
    "title",
    "description",
    "territory_code",
    "household",
    "address",
    "latitude",
    "longitude",
    "holder_code",
    "level",
    "suggested_department",
    "lead_department",
    "co_departments",
    "sign_due_at",
    "reply_due_at",
    "is_hard",
    "extension_days",
    "return_count",
    "reopen_count",
    "reply_text",
    "reply_approved",
    "resolved_on_spot",
    "rating",
    "rating_comment",
    "merged_into",
    "created_by",
    "created_at",
    "accepted_at",
    "dispatched_at",
    "signed_at",
    "replied_at",
    "closed_at",
)


@admin.register(Case)
class CaseAdmin(ReadOnlyScopedAdmin):
    """Cases as ``Case.objects.visible_to`` shows them, with their timeline. Nothing is
    written here: the workbenches and the API move cases, through the services."""

    list_display = [
        "number",
        "title",
        "status",
        "deadline",
        "case_type",
        "category",
        "territory_code",
        "holder_code",
        "lead_department",
        "created_at",
    ]
    list_select_related = ["category", "lead_department"]
    list_filter = [
        "status",
        DeadlineFilter,
        "case_type",
        "channel",
        "urgency",
        "level",
        "is_hard",
        ("created_at", admin.DateFieldListFilter),
        TownshipFilter,
    ]
    search_fields = ["number"]
    search_help_text = _("A case number, or its beginning (county code and date).")
    fields = CASE_FIELDS
    inlines = [CaseEventInline, CaseAttachmentInline]
    list_per_page = 50

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """A case-sensitive prefix: PostgreSQL answers ``LIKE 'x%'`` from the number's
        pattern index, where Django's default case-insensitive match reads every row."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(number__startswith=term), False

    @admin.display(description=_("deadline"))
    def deadline(self, case: Case) -> StrOrPromise:
        state = deadline_state(status=case.status, due=case.reply_due_at, warn_at=case.warn_at)
        return state.label


class CaseChildAdmin(ReadOnlyScopedAdmin):
    """Rows that belong to a case: visible when their case is (``Case.objects.visible_to``)."""

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        visible = Case.objects.visible_to(request.user).values("pk")
        return self.model._default_manager.filter(case__in=visible)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(case__number__startswith=term), False

    @admin.display(description=_("case number"), ordering="case__number")
    def case_number(self, row: Any) -> str:
        return str(row.case.number)


@admin.register(SupervisionNotice)
class SupervisionNoticeAdmin(CaseChildAdmin):
    list_display = ["created_at", "case_number", "department", "automatic", "message"]
    list_select_related = ["case", "department"]
    list_filter = ["automatic", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["case__number"]
    search_help_text = _("A case number, or its beginning (county code and date).")
    fields = ["case", "automatic", "department", "issued_by", "message", "created_at"]


@admin.register(CaseRequest)
class CaseRequestAdmin(CaseChildAdmin):
    list_display = [
        "created_at",
        "case_number",
        "kind",
        "status",
        "days",
        "department",
        "requested_by",
        "decided_at",
    ]
    list_select_related = ["case", "department", "requested_by"]
    list_filter = ["kind", "status", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["case__number"]
    search_help_text = _("A case number, or its beginning (county code and date).")
    fields = [
        "case",
        "kind",
        "status",
        "days",
        "reason",
        "department",
        "requested_by",
        "created_at",
        "decided_by",
        "decided_at",
        "decision_note",
    ]
