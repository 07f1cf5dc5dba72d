"""API keys through the management command and the lookup other code uses."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation

from fengqiao.api.models import ApiKey
from fengqiao.api.selectors import api_key_for
from fengqiao.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def _create(name: str, *args: str) -> list[str]:
    out = StringIO()
    call_command("apikey", "create", name, *args, stdout=out)
    return out.getvalue().strip().splitlines()


def _stored_text(api_key: ApiKey) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table} WHERE id = %s", [api_key.pk])
        row: Any = cursor.fetchone()
    return " ".join(str(value) for value in row)


def test_create_prints_the_key_last_and_stores_only_its_digest() -> None:
    lines = _create("county-portal")
    key = lines[-1]
    assert key.startswith("fq_") and len(key) >= 40 and " " not in key
    api_key = ApiKey.objects.get(name="county-portal")
    assert api_key.prefix == key[: len(api_key.prefix)]
    assert key not in _stored_text(api_key)
    assert key[len(api_key.prefix) :] not in _stored_text(api_key)
    assert api_key_for(key) == api_key
    assert AuditEntry.objects.filter(target_id=str(api_key.pk)).count() == 1


def test_two_keys_differ_and_resolve_to_their_own_rows() -> None:
    first = _create("one")[-1]
    second = _create("two", "--territory", "520524")[-1]
    assert first != second
    assert api_key_for(first) == ApiKey.objects.get(name="one")
    resolved = api_key_for(second)
    assert resolved is not None and resolved.territory_code == "520524"


def test_a_second_key_with_the_same_name_is_refused() -> None:
    _create("county-portal")
    with translation.override("en"), pytest.raises(CommandError, match="already exists"):
        _create("county-portal")
    assert ApiKey.objects.count() == 1


def test_a_bad_territory_is_refused() -> None:
    with pytest.raises(CommandError):
        _create("bad", "--territory", "52x")
    assert not ApiKey.objects.exists()


def test_revoke_stops_the_key_resolving() -> None:
    key = _create("county-portal")[-1]
    out = StringIO()
    call_command("apikey", "revoke", "county-portal", stdout=out)
    assert "Revoked" in out.getvalue()
    assert api_key_for(key) is None
    assert ApiKey.objects.get(name="county-portal").revoked_at is not None
    with translation.override("en"), pytest.raises(CommandError, match="already revoked"):
        call_command("apikey", "revoke", "county-portal", stdout=StringIO())


def test_revoking_an_unknown_name_fails() -> None:
    with pytest.raises(CommandError, match="no API key named"):
        call_command("apikey", "revoke", "nobody", stdout=StringIO())


@pytest.mark.parametrize("text", [None, "", "fq_", "fq_not-a-key", "x" * 5000])
def test_unknown_or_malformed_keys_resolve_to_nothing(text: str | None) -> None:
    _create("county-portal")
    assert api_key_for(text) is None


def test_admin_lists_keys_without_showing_them(client: Any, world: Any) -> None:
    key = _create("county-portal")[-1]
    api_key = ApiKey.objects.get()
    client.force_login(world.admin)
    listing = client.get("/admin/api/apikey/")
    assert listing.status_code == 200
    assert api_key.prefix in listing.text and key not in listing.text
    detail = client.get(f"/admin/api/apikey/{api_key.pk}/change/")
    assert detail.status_code == 200
    assert key not in detail.text and api_key.key_hash not in detail.text
    assert client.get("/admin/api/apikey/add/").status_code == 403


def test_a_key_created_to_act_as_an_account_reads_what_the_account_may(
    client: Any, world: Any
) -> None:
    operator = world.a.users["township_operator"]
    acting = _create("province", "--as", operator.username)[-1]
    public = _create("portal")[-1]
    assert ApiKey.objects.get(name="province").user == operator

    def cases(key: str) -> int:
        return client.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Token {key}").status_code

    assert cases(acting) == 200
    assert cases(public) == 403  # a key without an account reads public resources only


def test_a_key_cannot_act_as_an_unknown_account() -> None:
    with pytest.raises(CommandError, match="no active account named"):
        _create("province", "--as", "nobody")
    assert not ApiKey.objects.exists()
