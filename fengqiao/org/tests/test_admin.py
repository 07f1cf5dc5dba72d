"""The staff admin hands every change of role, scope or permission to the audited services,
and creates accounts through ``staff_create`` (password rules included)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.models import AuditEntry
from fengqiao.conftest import PASSWORD, World
from fengqiao.org.choices import DepartmentKind, Role
from fengqiao.org.models import Department, Matter, User
from fengqiao.org.services import department_create, staff_create, staff_grant_permissions

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    # The world has a dozen accounts: Argon2 would make each test take seconds. WhiteNoise
    # would index every collected static file again for each test's client.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture
def admin_client(world: World, client: Client) -> Client:
    client.force_login(world.admin, backend=MODEL_BACKEND)
    return client


def change_data(user: User, **changes: Any) -> dict[str, Any]:
    """The change form as the admin page would post it, with ``changes`` applied."""
    data: dict[str, Any] = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "is_active": "on" if user.is_active else "",
        "role": user.role,
        "scope_code": user.scope_code,
        "department": user.department_id or "",
        "user_permissions": [p.pk for p in user.user_permissions.all()],
        "new_phone": "",
        "_save": "Save",
    }
    data.update(changes)
    return data


def permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.mark.django_db
def test_creating_an_account_goes_through_staff_create(world: World, admin_client: Client) -> None:
    assert admin_client.get(reverse("admin:org_user_add")).status_code == 200
    response = admin_client.post(
        reverse("admin:org_user_add"),
        {
            "username": "grid9",
            "password1": "Another-pass-2026",
            "password2": "Another-pass-2026",
            "full_name": "新网格员",
            "phone": "13911112222",
            "role": Role.GRID_WORKER,
            "scope_code": world.a.other_grid.code,
            "department": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = User.objects.get(username="grid9")
    assert response["Location"] == reverse("admin:org_user_change", args=[created.pk])
    assert (created.role, created.scope_code, created.is_staff) == (
        Role.GRID_WORKER,
        world.a.other_grid.code,
        False,
    )
    assert created.check_password("Another-pass-2026")
    assert str(created.phone) == "139****2222"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "role", "scope_code", "in_department"),
    [
        ("weak", Role.GRID_WORKER, "520524001201001", False),  # the password rules
        ("Another-pass-2026", Role.GRID_WORKER, "", False),  # a territory role needs a scope
        ("Another-pass-2026", Role.DEPARTMENT_HANDLER, "", False),  # … a department its own
        ("Another-pass-2026", Role.GRID_WORKER, "520524001201001", True),  # never both
    ],
)
def test_creating_an_account_refuses_what_the_service_refuses(
    world: World,
    admin_client: Client,
    department: Department,
    password: str,
    role: Role,
    scope_code: str,
    in_department: bool,
) -> None:
    response = admin_client.post(
        reverse("admin:org_user_add"),
        {
            "username": "grid9",
            "password1": password,
            "password2": password,
            "full_name": "新网格员",
            "phone": "",
            "role": role,
            "scope_code": scope_code,
            "department": department.pk if in_department else "",
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not User.objects.filter(username="grid9").exists()


@pytest.mark.django_db
def test_changing_role_and_scope_is_audited(world: World, admin_client: Client) -> None:
    worker = world.a.users["grid_worker"]
    response = admin_client.post(
        reverse("admin:org_user_change", args=[worker.pk]),
        change_data(worker, scope_code=world.a.other_grid.code, full_name="改名网格员"),
    )
    assert response.status_code == 302
    worker.refresh_from_db()
    assert (worker.scope_code, worker.full_name) == (world.a.other_grid.code, "改名网格员")
    entry = AuditEntry.objects.get(
        action=AuditAction.PERMISSION_CHANGE, target_id=str(worker.pk), actor=world.admin
    )
    assert entry.detail["before"]["scope_code"] == world.a.grid.code
    assert entry.detail["after"]["scope_code"] == world.a.other_grid.code


@pytest.mark.django_db
def test_changing_other_fields_writes_no_permission_entry(
    world: World, admin_client: Client
) -> None:
    worker = world.a.users["grid_worker"]
    response = admin_client.post(
        reverse("admin:org_user_change", args=[worker.pk]),
        change_data(worker, email="grid1@example.org", new_phone="13655556666"),
    )
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.email == "grid1@example.org"
    assert str(worker.phone) == "136****6666"
    assert not AuditEntry.objects.filter(
        action=AuditAction.PERMISSION_CHANGE, target_id=str(worker.pk), actor=world.admin
    ).exists()


@pytest.mark.django_db
def test_granting_and_revoking_permissions_go_through_the_audited_services(
    world: World, admin_client: Client
) -> None:
    worker = world.a.users["grid_worker"]
    url = reverse("admin:org_user_change", args=[worker.pk])
    unmask = permission("org.unmask_personal")
    tags = permission("org.view_sensitive_tags")

    admin_client.post(url, change_data(worker, user_permissions=[unmask.pk, tags.pk]))
    assert set(worker.user_permissions.all()) == {unmask, tags}
    granted = AuditEntry.objects.filter(
        action=AuditAction.PERMISSION_CHANGE, target_id=str(worker.pk), actor=world.admin
    ).get()
    assert granted.detail == {"granted": ["org.unmask_personal", "org.view_sensitive_tags"]}

    admin_client.post(url, change_data(worker, user_permissions=[tags.pk]))
    assert set(worker.user_permissions.all()) == {tags}
    revoked = AuditEntry.objects.filter(
        action=AuditAction.PERMISSION_CHANGE, target_id=str(worker.pk), actor=world.admin
    ).latest("id")
    assert revoked.detail == {"revoked": ["org.unmask_personal"]}


@pytest.mark.django_db
def test_the_permission_list_offers_only_the_projects_permissions(
    world: World, admin_client: Client
) -> None:
    worker = world.a.users["grid_worker"]
    form = (
        admin_client.get(reverse("admin:org_user_change", args=[worker.pk]))
        .context["adminform"]
        .form
    )
    offered = {p.content_type.app_label for p in form.fields["user_permissions"].queryset}
    assert "org" in offered and "territory" in offered
    assert not offered & {"sessions", "contenttypes", "admin", "auth"}


@pytest.mark.django_db
def test_a_role_that_does_not_fit_its_scope_is_refused_with_a_message(
    world: World, admin_client: Client
) -> None:
    worker = world.a.users["grid_worker"]
    response = admin_client.post(
        reverse("admin:org_user_change", args=[worker.pk]),
        change_data(worker, role=Role.DEPARTMENT_HANDLER),
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    worker.refresh_from_db()
    assert worker.role == Role.GRID_WORKER
    assert not AuditEntry.objects.filter(
        action=AuditAction.PERMISSION_CHANGE, target_id=str(worker.pk), actor=world.admin
    ).exists()


@pytest.mark.django_db
def test_accounts_cannot_be_deleted_nor_flagged_superuser_here(
    world: World, admin_client: Client
) -> None:
    worker = world.a.users["grid_worker"]
    assert admin_client.get(reverse("admin:org_user_delete", args=[worker.pk])).status_code == 403
    admin_client.post(
        reverse("admin:org_user_change", args=[worker.pk]),
        change_data(worker, is_superuser="on", is_staff="on"),
    )
    worker.refresh_from_db()
    assert not worker.is_superuser and not worker.is_staff


@pytest.mark.django_db
def test_passwords_are_set_on_their_own_page(world: World, admin_client: Client) -> None:
    worker = world.a.users["grid_worker"]
    url = reverse("admin:auth_user_password_change", args=[worker.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "password1": "Renewed-pass-2026",
            "password2": "Renewed-pass-2026",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password("Renewed-pass-2026")


@pytest.mark.django_db
def test_groups_are_not_offered(world: World, admin_client: Client) -> None:
    # Group membership would grant permissions around the audited services.
    assert not admin.site.is_registered(Group)


@pytest.mark.django_db
def test_user_list_shows_masked_phones_only(world: World, admin_client: Client) -> None:
    staff_create(
        username="grid7",
        password=PASSWORD,
        full_name="有电话的网格员",
        role=Role.GRID_WORKER,
        scope_code=world.a.grid.code,
        phone="13633334444",
    )
    user = User.objects.get(username="grid7")
    page = admin_client.get(reverse("admin:org_user_change", args=[user.pk])).content.decode()
    assert "136****4444" in page and "13633334444" not in page


# --- Reference data -----------------------------------------------------------------------


@pytest.mark.django_db
def test_matters_are_edited_with_model_validation(world: World, admin_client: Client) -> None:
    url = reverse("admin:org_matter_add")
    response = admin_client.post(url, {"code": "tea_gardens", "name": "茶园", "description": ""})
    assert response.status_code == 302
    assert Matter.objects.filter(code="tea_gardens").exists()
    duplicate = admin_client.post(url, {"code": "tea2", "name": "茶园", "description": ""})
    assert duplicate.status_code == 200  # the unique name is checked by full_clean
    bad = admin_client.post(url, {"code": "not a slug", "name": "别的", "description": ""})
    assert bad.status_code == 200


@pytest.fixture
def township_admin(world: World) -> User:
    return staff_create(
        username="admin1",
        password=PASSWORD,
        full_name="双堰街道管理员",
        role=Role.ADMINISTRATOR,
        scope_code=world.a.area.territory_code,
    )


@pytest.mark.django_db
def test_departments_are_created_within_the_administrators_scope_only(
    world: World, client: Client, township_admin: User
) -> None:
    client.force_login(township_admin, backend=MODEL_BACKEND)
    url = reverse("admin:org_department_add")
    data = {
        "name": "双堰街道司法所",
        "kind": DepartmentKind.JUSTICE_OFFICE,
        "phone": "",
        "is_active": "on",
    }
    outside = client.post(url, {**data, "territory_code": world.b.area.territory_code})
    assert outside.status_code == 200
    assert "territory_code" in outside.context["adminform"].form.errors
    inside = client.post(url, {**data, "territory_code": world.a.area.territory_code})
    assert inside.status_code == 302
    assert Department.objects.filter(name="双堰街道司法所").exists()


@pytest.mark.django_db
def test_departments_of_the_level_above_are_seen_but_not_edited(
    world: World, client: Client, township_admin: User
) -> None:
    county_office = department_create(
        name="县司法局", kind=DepartmentKind.JUSTICE_OFFICE, territory_code="520524"
    )
    own = Department.objects.get(name="双堰街道派出所")
    sibling = Department.objects.get(name="文腾街道派出所")
    client.force_login(township_admin, backend=MODEL_BACKEND)
    listed = {
        d.pk
        for d in client.get(reverse("admin:org_department_changelist")).context["cl"].result_list
    }
    assert {own.pk, county_office.pk} <= listed and sibling.pk not in listed
    above = client.get(reverse("admin:org_department_change", args=[county_office.pk]))
    assert above.status_code == 200 and not above.context["has_change_permission"]
    assert client.get(reverse("admin:org_department_change", args=[sibling.pk])).status_code == 404


@pytest.mark.django_db
def test_non_administrators_are_sent_to_the_admin_login(world: World, client: Client) -> None:
    operator = world.a.users["township_operator"]
    staff_grant_permissions(user=operator, codenames=["org.unmask_personal"], actor=world.admin)
    client.force_login(operator, backend=MODEL_BACKEND)
    for name in ["admin:org_user_changelist", "admin:org_department_changelist", "admin:index"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "scope", "allowed"),
    [
        (Role.ADMINISTRATOR, "", False),  # a system-wide administrator
        (Role.CENTER_OPERATOR, "520524", False),  # the whole county
        (Role.GRID_WORKER, "b-grid", False),  # the sibling township
        (Role.GRID_WORKER, "a-grid", True),
    ],
)
def test_a_township_administrator_gives_access_within_the_township_only(
    world: World, client: Client, township_admin: User, role: Role, scope: str, allowed: bool
) -> None:
    scope_code = {"a-grid": world.a.other_grid.code, "b-grid": world.b.grid.code}.get(scope, scope)
    client.force_login(township_admin, backend=MODEL_BACKEND)
    response = client.post(
        reverse("admin:org_user_add"),
        {
            "username": "newcomer",
            "password1": "Another-pass-2026",
            "password2": "Another-pass-2026",
            "full_name": "新人",
            "phone": "",
            "role": role,
            "scope_code": scope_code,
            "department": "",
            "_save": "Save",
        },
    )
    assert User.objects.filter(username="newcomer").exists() == allowed
    assert response.status_code == (302 if allowed else 200)
    # Promoting an existing account out of the township is refused the same way.
    worker = world.a.users["grid_worker"]
    if not allowed:
        client.post(
            reverse("admin:org_user_change", args=[worker.pk]),
            change_data(worker, role=role, scope_code=scope_code),
        )
        worker.refresh_from_db()
        assert (worker.role, worker.scope_code) == (Role.GRID_WORKER, world.a.grid.code)
