"""Writers of departments and staff accounts; changes of role or permission are audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.services import audit_record
from fengqiao.org.choices import DEPARTMENT_ROLES, DepartmentKind, Role
from fengqiao.org.models import Department, Matter, User


@transaction.atomic
def department_create(
    *,
    name: str,
    kind: DepartmentKind,
    territory_code: str,
    matters: list[Matter] | None = None,
    phone: str = "",
) -> Department:
    department = Department(name=name, kind=kind, territory_code=territory_code, phone=phone)
    department.full_clean()
    department.save()
    if matters:
        department.matters.set(matters)
    return department


def check_scope(role: Role, scope_code: str, department: Department | None) -> None:
    """A role's scope is a territory or a department, never both; refuse a mismatch."""
    if role in DEPARTMENT_ROLES:
        if department is None:
            raise ValidationError(_("Department staff need a department."))
        if scope_code:
            raise ValidationError(
                _("Department staff are scoped by their department, not a territory.")
            )
    else:
        if department is not None:
            raise ValidationError(_("Only department staff belong to a department."))
        if role != Role.ADMINISTRATOR and not scope_code:
            raise ValidationError(_("This role needs a territory scope."))


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    full_name: str,
    role: Role,
    scope_code: str = "",
    department: Department | None = None,
    phone: str = "",
    permissions: list[str] | None = None,
    actor: Any = None,
) -> User:
    """Create a staff account; the password must pass the password rules."""
    check_scope(role, scope_code, department)
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        scope_code=scope_code,
        department=department,
        is_staff=role == Role.ADMINISTRATOR,
        is_superuser=role == Role.ADMINISTRATOR,
    )
    user.phone = phone
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password", "phone"])
    user.save()
    if permissions:
        staff_grant_permissions(user=user, codenames=permissions, actor=actor)
    return user


@transaction.atomic
def staff_set_role(
    *,
    user: User,
    role: Role,
    scope_code: str = "",
    department: Department | None = None,
    actor: Any,
) -> User:
    check_scope(role, scope_code, department)
    before = {"role": user.role, "scope_code": user.scope_code, "department": user.department_id}
    user.role, user.scope_code, user.department = role, scope_code, department
    # Administrators reach the admin; nobody else keeps the flags a former role gave them.
    user.is_staff = user.is_superuser = role == Role.ADMINISTRATOR
    user.full_clean(exclude=["password", "phone"])
    user.save(update_fields=["role", "scope_code", "department", "is_staff", "is_superuser"])
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        target=user,
        detail={
            "before": before,
            "after": {"role": role, "scope_code": scope_code, "department": user.department_id},
        },
    )
    return user


@transaction.atomic
def staff_grant_permissions(*, user: User, codenames: list[str], actor: Any) -> None:
    """Grant permissions named ``app_label.codename``."""
    granted = []
    for name in codenames:
        app_label, codename = name.split(".", 1)
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        user.user_permissions.add(permission)
        granted.append(name)
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        target=user,
        detail={"granted": granted},
    )


@transaction.atomic
def staff_revoke_permissions(*, user: User, codenames: list[str], actor: Any) -> None:
    revoked = []
    for name in codenames:
        app_label, codename = name.split(".", 1)
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        user.user_permissions.remove(permission)
        revoked.append(name)
    audit_record(
        action=AuditAction.PERMISSION_CHANGE,
        actor=actor,
        target=user,
        detail={"revoked": revoked},
    )
