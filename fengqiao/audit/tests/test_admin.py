"""The audit log in the admin: administrators read it, nobody writes it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin import DateFieldListFilter
from django.test import Client
from django.urls import reverse

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.models import AuditEntry
from fengqiao.audit.services import audit_record
from fengqiao.conftest import World

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    # The world has a dozen accounts: Argon2 would make each test take seconds. WhiteNoise
    # would index every collected static file again for each test's client.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture
def entries(world: World) -> list[AuditEntry]:
    return [
        audit_record(action=AuditAction.LOGIN_FAILED, username="grid1"),
        audit_record(action=AuditAction.UNMASK, actor=world.admin, target=world.a.person),
        audit_record(action=AuditAction.EXPORT, actor=world.a.users["township_operator"]),
    ]


@pytest.fixture
def admin_client(world: World, client: Client) -> Client:
    client.force_login(world.admin, backend=MODEL_BACKEND)
    return client


def listed(client: Client, **params: str) -> set[int]:
    response = client.get(reverse("admin:audit_auditentry_changelist"), params)
    assert response.status_code == 200
    return {entry.pk for entry in response.context["cl"].result_list}


@pytest.mark.django_db
def test_administrators_read_filter_and_search_the_log(
    admin_client: Client, entries: list[AuditEntry]
) -> None:
    failed, unmask, export = entries
    assert {failed.pk, unmask.pk, export.pk} <= listed(admin_client)
    assert listed(admin_client, action=AuditAction.UNMASK) == {unmask.pk}
    assert listed(admin_client, q="township1") == {export.pk}
    # The date filter's own "Today" link.
    changelist = admin_client.get(reverse("admin:audit_auditentry_changelist")).context["cl"]
    date_filter = next(f for f in changelist.filter_specs if isinstance(f, DateFieldListFilter))
    today = list(date_filter.choices(changelist))[1]["query_string"]
    response = admin_client.get(reverse("admin:audit_auditentry_changelist") + today)
    assert {e.pk for e in response.context["cl"].result_list} >= {unmask.pk}
    detail = admin_client.get(reverse("admin:audit_auditentry_change", args=[unmask.pk]))
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]


@pytest.mark.django_db
def test_nobody_adds_changes_or_deletes_entries(
    admin_client: Client, entries: list[AuditEntry]
) -> None:
    entry = entries[0]
    assert admin_client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])
    assert admin_client.post(change, {"username": "someone else"}).status_code == 403
    delete = reverse("admin:audit_auditentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    bulk = admin_client.post(
        reverse("admin:audit_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk]},
    )
    assert bulk.status_code in {200, 302}
    entry.refresh_from_db()
    assert entry.username == "grid1"
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["township_operator", "grid_worker", "dept_leader"])
def test_other_staff_cannot_open_the_log(
    world: World, client: Client, entries: list[AuditEntry], role: str
) -> None:
    client.force_login(world.a.users[role], backend=MODEL_BACKEND)
    response = client.get(reverse("admin:audit_auditentry_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
