from __future__ import annotations

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import ValidationError
from django.test import Client

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.models import AuditEntry
from fengqiao.conftest import PASSWORD, World
from fengqiao.org.choices import Role
from fengqiao.org.services import staff_create


@pytest.mark.django_db
def test_passwords_are_hashed_with_argon2(settings) -> None:
    from fengqiao import settings as project_settings

    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    user = staff_create(
        username="hashed",
        password=PASSWORD,
        full_name="哈希",
        role=Role.CENTER_OPERATOR,
        scope_code="520524",
    )
    assert identify_hasher(user.password).algorithm == "argon2"


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["Ab1!", "alllowercaseletters", "lower-and-digits-123"[:8]])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        staff_create(
            username="newcomer",
            password=password,
            full_name="新人",
            role=Role.CENTER_OPERATOR,
            scope_code="520524",
        )


@pytest.mark.django_db
def test_repeated_failures_lock_the_account(world: World, client: Client, settings) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "grid1", "password": "Wrong-pass-1"})
    response = client.post("/login/", {"username": "grid1", "password": PASSWORD})
    assert response.status_code == 429
    assert "locked" in response.content.decode().lower() or "锁定" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.LOCKED_OUT, username="grid1").exists()
    # Another account from the same address is not locked.
    response = client.post("/login/", {"username": "grid2", "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.django_db
def test_sessions_expire_when_idle(world: World, client: Client, settings) -> None:
    assert settings.SESSION_SAVE_EVERY_REQUEST
    client.post("/login/", {"username": "grid1", "password": PASSWORD})
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE <= 60 * 60
