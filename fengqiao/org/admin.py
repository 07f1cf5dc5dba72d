"""Admin of departments, matters and staff accounts.

Matters and departments are reference data, edited here with the model's own validation.
Staff accounts are created through ``staff_create`` (password rules) and their role, scope,
department and permissions change only through ``staff_set_role`` and
``staff_grant_permissions`` / ``staff_revoke_permissions``, which write the audit log: the
admin must not become a second, unaudited way to hand out access.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UsernameField
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fengqiao.core.admin import AdministratorOnlyAdmin, ScopedModelAdmin
from fengqiao.core.codes import is_within
from fengqiao.org.choices import Role
from fengqiao.org.models import Department, Matter, User
from fengqiao.org.services import (
    check_scope,
    staff_create,
    staff_grant_permissions,
    staff_revoke_permissions,
    staff_set_role,
)

# Groups would hand out permissions without the audited services: permissions are granted
# to each account through its own page instead.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)

ROLE_FIELDS = ("role", "scope_code", "department")
# Account fields that are neither role nor permission: saved as they are.
PLAIN_FIELDS = ("username", "full_name", "email", "is_active")


def project_permissions() -> QuerySet[Permission]:
    """The permissions that mean something for staff: those of the project's own apps (not
    Django's internals such as sessions or content types)."""
    labels = [
        config.label for config in apps.get_app_configs() if config.name.startswith("fengqiao.")
    ]
    return Permission.objects.filter(content_type__app_label__in=labels).select_related(
        "content_type"
    )


def permission_name(permission: Permission) -> str:
    return f"{permission.content_type.app_label}.{permission.codename}"


def with_scope_prefix(form: type[forms.ModelForm], request: HttpRequest) -> Any:
    """The admin's form class for this request, knowing the administrator's territory (a
    form has no request; the admin builds a form class per request anyway)."""
    prefix = request.user.territory_prefix() or ""  # type: ignore[union-attr]
    return type(form.__name__, (form,), {"scope_prefix": prefix})


@admin.register(Matter)
class MatterAdmin(AdministratorOnlyAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code", "description"]


class DepartmentForm(forms.ModelForm):
    """A department may only be put where the administrator's own scope reaches."""

    scope_prefix = ""  # set per request by DepartmentAdmin.get_form

    class Meta:
        model = Department
        fields = ["name", "kind", "territory_code", "matters", "phone", "is_active"]

    def clean_territory_code(self) -> str:
        code: str = self.cleaned_data["territory_code"]
        if not is_within(code, self.scope_prefix):
            raise ValidationError(
                _("This territory lies outside your scope (%(scope)s)."),
                params={"scope": self.scope_prefix},
            )
        return code


@admin.register(Department)
class DepartmentAdmin(ScopedModelAdmin):
    form = DepartmentForm
    list_display = ["name", "kind", "territory_code", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "^territory_code"]
    filter_horizontal = ["matters"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        return with_scope_prefix(super().get_form(request, obj, change=change, **kwargs), request)

    def _in_own_scope(self, request: HttpRequest, obj: Department | None) -> bool:
        # Departments serving the territory above the administrator are visible (they are the
        # ones work can be sent up to) but belong to the level above to edit.
        return obj is None or request.user.covers(obj.territory_code)  # type: ignore[union-attr]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._in_own_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._in_own_scope(request, obj)


def _check_role_and_scope(form: forms.ModelForm, scope_prefix: str) -> None:
    """The service's rule (department roles have a department and no territory, territory
    roles the reverse), as form errors rather than a failure at save time; and an
    administrator scoped to a territory hands out access within it only (else a township's
    administrator could make a county-wide or system-wide account)."""
    role = form.cleaned_data.get("role")
    if not role:
        return
    scope_code: str = form.cleaned_data.get("scope_code") or ""
    department: Department | None = form.cleaned_data.get("department")
    try:
        check_scope(Role(role), scope_code, department)
    except ValidationError as error:
        form.add_error(None, error)
        return
    where = department.territory_code if department is not None else scope_code
    if scope_prefix and not is_within(where, scope_prefix):
        form.add_error(
            "department" if department is not None else "scope_code",
            _("This territory lies outside your scope (%(scope)s).") % {"scope": scope_prefix},
        )


class StaffCreationForm(forms.ModelForm):
    """A new account: the fields ``staff_create`` takes, the password entered twice."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password confirmation"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    phone = forms.CharField(label=_("mobile phone"), required=False, max_length=20)
    scope_prefix = ""  # set per request by StaffAdmin.get_form

    class Meta:
        model = User
        fields = ["username", "full_name", "role", "scope_code", "department"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password1")
        if password and password != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords do not match."))
        elif password:
            # The similarity rule compares the password with the username and name entered.
            candidate = User(
                username=cleaned.get("username", ""), full_name=cleaned.get("full_name", "")
            )
            try:
                validate_password(password, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        _check_role_and_scope(self, self.scope_prefix)
        return cleaned


class StaffChangeForm(UserChangeForm):
    scope_prefix = ""  # set per request by StaffAdmin.get_form
    new_phone = forms.CharField(
        label=_("new mobile phone"),
        required=False,
        max_length=20,
        help_text=_("Leave empty to keep the current number."),
    )

    class Meta:
        model = User
        field_classes = {"username": UsernameField}
        fields = [
            "username",
            "password",
            "full_name",
            "email",
            "is_active",
            "role",
            "scope_code",
            "department",
            "user_permissions",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        permissions = self.fields.get("user_permissions")
        if isinstance(permissions, forms.ModelMultipleChoiceField):
            permissions.queryset = project_permissions()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _check_role_and_scope(self, self.scope_prefix)
        return cleaned


@admin.register(User)
class StaffAdmin(ScopedModelAdmin, UserAdmin):
    """Staff accounts, listed through ``User.objects.visible_to``. Accounts are deactivated,
    never deleted: the audit log points at them."""

    form = StaffChangeForm
    add_form = StaffCreationForm
    add_form_template = None  # Django's template assumes the two-step username/password form
    list_display = ["username", "full_name", "role", "scope_code", "department", "is_active"]
    list_filter = ["role", "is_active", ("department", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["username", "full_name", "^scope_code"]
    ordering = ["username"]
    list_select_related = ["department"]
    filter_horizontal = ["user_permissions"]
    readonly_fields = ["masked_phone", "is_staff", "is_superuser", "last_login", "date_joined"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "email", "masked_phone", "new_phone")}),
        (_("Role and scope"), {"fields": ("role", "scope_code", "department")}),
        (
            _("Access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "password1", "password2")}),
        (_("Person"), {"fields": ("full_name", "phone")}),
        (_("Role and scope"), {"fields": ("role", "scope_code", "department")}),
    )

    def scoped_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return User.objects.visible_to(request.user)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        return with_scope_prefix(super().get_form(request, obj, change=change, **kwargs), request)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "department":
            # Only the departments this administrator sees, not every department's name.
            kwargs["queryset"] = Department.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.readonly_fields) if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, user: User) -> str:
        return str(user.phone) or "—"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Hand the form's changes to the services instead of saving the row as the form
        left it (``save_form`` only built it in memory)."""
        if not change:
            created = staff_create(
                username=obj.username,
                password=form.cleaned_data["password1"],
                full_name=obj.full_name,
                role=Role(obj.role),
                scope_code=obj.scope_code,
                department=obj.department,
                phone=form.cleaned_data.get("phone", ""),
                actor=request.user,
            )
            # The admin goes on with ``obj`` (change message, redirect): make it that row.
            for field in User._meta.concrete_fields:
                setattr(obj, field.attname, getattr(created, field.attname))
            obj._state.adding = False
            obj._state.db = created._state.db
            return
        if any(name in form.changed_data for name in ROLE_FIELDS):
            # The service records the values before and after, so it gets the stored row.
            staff_set_role(
                user=User.objects.get(pk=obj.pk),
                role=Role(obj.role),
                scope_code=obj.scope_code,
                department=obj.department,
                actor=request.user,
            )
        update_fields = [name for name in PLAIN_FIELDS if name in form.changed_data]
        if form.cleaned_data.get("new_phone"):
            obj.phone = form.cleaned_data["new_phone"]
            update_fields.append("phone")
        if update_fields:
            obj.save(update_fields=update_fields)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Apply the permission choices as grants and revocations through the services (the
        form's own many-to-many save would bypass the audit log)."""
        if not change or "user_permissions" not in form.cleaned_data:
            return
        user: User = form.instance
        offered = {p.pk: p for p in form.fields["user_permissions"].queryset}
        before = set(user.user_permissions.filter(pk__in=offered).values_list("pk", flat=True))
        after = {p.pk for p in form.cleaned_data["user_permissions"]}
        granted = sorted(permission_name(offered[pk]) for pk in after - before)
        revoked = sorted(permission_name(offered[pk]) for pk in before - after)
        if granted:
            staff_grant_permissions(user=user, codenames=granted, actor=request.user)
        if revoked:
            staff_revoke_permissions(user=user, codenames=revoked, actor=request.user)
