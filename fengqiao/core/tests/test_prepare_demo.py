"""``prepare_demo``: demo data into an empty database, one login per role, idempotent."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from fengqiao.api.models import ApiKey
from fengqiao.api.services import key_digest
from fengqiao.cases.models import Case, RoutingRule
from fengqiao.cases.selectors import center_worklists, department_worklists
from fengqiao.conftest import World
from fengqiao.core.management.commands.prepare_demo import (
    API_KEY_NAME,
    DEMO_PASSWORD,
    OPERATOR_PERMISSIONS,
)
from fengqiao.disputes.models import Dispute
from fengqiao.org.choices import Role
from fengqiao.org.models import User
from fengqiao.territory.models import Area, Grid, HouseholdUnit, Person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Argon2 takes a quarter of a second per account on purpose; these tests create many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def prepare(port: int = 8000) -> str:
    out = StringIO()
    # The hidden --profile: the tiny world instead of the town keeps the test fast.
    call_command("prepare_demo", port=port, profile="tiny", stdout=out)
    return out.getvalue()


def test_prepare_demo_seeds_an_empty_database_and_creates_one_login_per_role() -> None:
    output = prepare(port=8123)

    assert "Fengqiao is at http://127.0.0.1:8123/" in output
    assert Area.objects.filter(territory_code="520523107", name="柳塘镇").exists()
    users = {user.username: user for user in User.objects.select_related("department")}
    assert set(users) == {
        "admin",
        "county",
        "township",
        "village",
        "handler",
        "leader",
        "grid",
        "unithead",
    }
    for username in users:
        assert username in output
    assert output.count(DEMO_PASSWORD) == len(users)

    assert users["admin"].role == Role.ADMINISTRATOR and users["admin"].is_superuser
    assert (users["county"].role, users["county"].scope_code) == (Role.CENTER_OPERATOR, "520523")
    assert users["township"].scope_code == "520523107"
    village = Area.objects.get(territory_code=users["village"].scope_code)
    assert village.parent is not None and village.parent.territory_code == "520523107"
    for username, role in (
        ("handler", Role.DEPARTMENT_HANDLER),
        ("leader", Role.DEPARTMENT_LEADER),
    ):
        user = users[username]
        assert user.role == role and not user.scope_code
        assert user.department is not None and user.department.name == "柳塘派出所"
    grid = Grid.objects.get(code=users["grid"].scope_code)
    assert grid.village_id == village.pk
    assert users["grid"].phone.reveal()
    unit = HouseholdUnit.objects.select_related("head").get(code=users["unithead"].scope_code)
    assert unit.grid_id == grid.pk and unit.head is not None
    assert users["unithead"].full_name == unit.head.name

    for username in ("county", "township"):
        assert all(users[username].has_perm(p) for p in OPERATOR_PERMISSIONS)
    for username in ("village", "handler", "leader", "grid", "unithead"):
        assert not any(users[username].has_perm(p) for p in OPERATOR_PERMISSIONS)
    assert users["township"].check_password(DEMO_PASSWORD)


def test_prepare_demo_loads_the_towns_work_and_an_api_key() -> None:
    output = prepare(port=8123)

    cases = Case.objects.filter(territory_code__startswith="520523107")
    assert cases.count() >= 150
    assert Dispute.objects.within("520523107").exists()
    assert f"{cases.count()} cases" in output
    users = {user.username: user for user in User.objects.all()}
    queues = {w.key: w.cases.count() for w in center_worklists(users["township"])}
    assert queues["to_accept"] and queues["to_dispatch"] and queues["to_review"]
    assert all(w.cases.exists() for w in department_worklists(users["handler"])[:2])
    # The town's routing: registration handled directly by 柳塘派出所.
    rule = RoutingRule.objects.get(category__code="id_card", territory_code="520523107")
    assert rule.handle_directly and rule.department == users["handler"].department

    api_key = ApiKey.objects.get(name=API_KEY_NAME)
    assert api_key.user == users["county"]
    key = next(line.split()[0] for line in output.splitlines() if line.startswith("  fq_"))
    assert api_key.key_hash == key_digest(key)
    assert f'curl -H "Authorization: Token {key}" http://127.0.0.1:8123/api/v1/cases/' in output
    assert "http://127.0.0.1:8123/api/schema/swagger/" in output
    assert "http://127.0.0.1:8123/stats/" in output


def test_prepare_demo_twice_changes_nothing() -> None:
    prepare()
    persons = Person.objects.count()
    accounts = dict(User.objects.values_list("username", "password"))
    cases = dict(Case.objects.values_list("number", "version"))
    disputes = Dispute.objects.count()
    keys = list(ApiKey.objects.values_list("name", "key_hash"))

    output = prepare()

    assert "no demo data loaded" in output
    assert "existed" in output
    assert "none added" in output
    assert "fq_" not in output  # the key is shown once only
    assert Person.objects.count() == persons
    assert dict(User.objects.values_list("username", "password")) == accounts
    assert dict(Case.objects.values_list("number", "version")) == cases
    assert Dispute.objects.count() == disputes
    assert list(ApiKey.objects.values_list("name", "key_hash")) == keys


def test_prepare_demo_leaves_another_territory_alone(world: World) -> None:
    """A database with data but without 金沙县 gets no data and no place-bound logins."""
    areas = Area.objects.count()

    output = prepare()

    assert "no demo data loaded" in output
    assert Area.objects.count() == areas
    assert not User.objects.filter(username__in=["township", "village", "grid"]).exists()
    # Nor demo work, nor a key for that database's own "county" account.
    assert not Case.objects.exists() and not Dispute.objects.exists()
    assert not ApiKey.objects.exists()
