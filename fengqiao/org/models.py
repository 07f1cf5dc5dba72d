"""Departments, the matters they answer for, and staff accounts with their role and scope."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.core.codes import is_within, within
from fengqiao.core.privacy import EncryptedSensitiveField
from fengqiao.org.choices import DEPARTMENT_ROLES, TERRITORY_ROLES, DepartmentKind, Role

territory_code_validator = RegexValidator(
    r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12}|\d{15}|\d{18})$",
    _("A territory code has 2, 4, 6, 9, 12, 15 or 18 digits."),
)


class Matter(models.Model):
    """A kind of matter a department is responsible for (谁主管、谁负责), e.g. 户籍, 山林土地."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("matter")
        verbose_name_plural = _("matters")

    def __str__(self) -> str:
        return self.name


class DepartmentQuerySet(models.QuerySet["Department"]):
    def visible_to(self, user: Any) -> DepartmentQuerySet:
        """Administrators see all; territory staff see departments serving their subtree or
        above it (the ones they can send work to); department staff see their own."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.department_id is not None:
            return self.filter(pk=user.department_id)
        prefix = user.territory_prefix()
        if prefix is None:
            return self.none()
        if not prefix:
            return self.all()
        served_above = [prefix[:n] for n in (2, 4, 6, 9, 12, 15) if n <= len(prefix)]
        return self.filter(within("territory_code", prefix) | Q(territory_code__in=served_above))


class Department(models.Model):
    """A department or organisation (派出所, 司法所, a 综治中心 …) and the territory it serves."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=DepartmentKind.choices)
    territory_code = models.CharField(
        _("territory served"), max_length=18, validators=[territory_code_validator]
    )
    matters = models.ManyToManyField(
        Matter, verbose_name=_("matters responsible for"), blank=True, related_name="departments"
    )
    phone = models.CharField(_("office phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["territory_code", "name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(
                fields=["territory_code", "name"], name="department_unique_name"
            )
        ]
        indexes = [models.Index(fields=["territory_code"], name="department_territory")]

    def __str__(self) -> str:
        return self.name


class StaffManager(UserManager["User"]):
    def visible_to(self, user: Any) -> models.QuerySet[User]:
        """Administrators see every account; a center operator the accounts in their subtree;
        a department leader the department's accounts; everyone else only themselves."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if (user.is_superuser or user.role == Role.ADMINISTRATOR) and not user.scope_code:
            return self.all()
        if user.role in (Role.ADMINISTRATOR, Role.CENTER_OPERATOR) or user.is_superuser:
            departments = Department.objects.filter(within("territory_code", user.scope_code))
            return self.filter(
                within("scope_code", user.scope_code) | Q(department__in=departments)
            )
        if user.role == Role.DEPARTMENT_LEADER:
            return self.filter(department_id=user.department_id)
        return self.filter(pk=user.pk)


class User(AbstractUser):
    """A staff account. Residents have no account: they come in through their doorplate."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    scope_code = models.CharField(
        _("territory scope"),
        max_length=18,
        blank=True,
        validators=[territory_code_validator],
        help_text=_("Territory code of the subtree this person works in (territory roles)."),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    phone = EncryptedSensitiveField(_("mobile phone"), kind="phone")

    objects = StaffManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        permissions = [
            ("unmask_personal", _("Can see full ID numbers and phone numbers")),
            ("view_sensitive_tags", _("Can see special-population tags")),
            ("import_roster", _("Can import household rosters")),
            ("export_roster", _("Can export household rosters")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=sorted(DEPARTMENT_ROLES), department__isnull=False)
                    | Q(role__in=sorted(TERRITORY_ROLES), department__isnull=True)
                    | Q(role="")
                ),
                name="user_role_matches_scope_kind",
            )
        ]
        indexes = [models.Index(fields=["scope_code"], name="user_scope_code")]

    def __str__(self) -> str:
        return self.full_name or self.username

    def territory_prefix(self) -> str | None:
        """The territory subtree this account reads: '' for all, None for none."""
        if self.is_superuser or self.role == Role.ADMINISTRATOR:
            return self.scope_code  # an administrator's blank scope means the whole system
        if self.role in TERRITORY_ROLES and self.scope_code:
            return self.scope_code
        return None

    def covers(self, territory_code: str) -> bool:
        prefix = self.territory_prefix()
        return prefix is not None and is_within(territory_code, prefix)
