"""The scope matrix: every territory page and admin page, as every role of township A, against
A's own rows and against the rows of its sibling township B.

What is out of scope answers 404, exactly like a row that does not exist; lists and search
simply do not contain it. Department staff (handler, leader) have no territory: their scope is
the cases sent to their department, which come with the case loop, so every household file,
grid and area answers 404 for them and their search finds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from fengqiao.conftest import PASSWORD, Township, World
from fengqiao.org.choices import Role
from fengqiao.org.models import User
from fengqiao.org.services import staff_create, staff_grant_permissions
from fengqiao.territory.models import Person
from fengqiao.territory.services import household_create

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

ROLES = [
    "township_operator",
    "village_operator",
    "grid_worker",
    "unit_head",
    "dept_handler",
    "dept_leader",
]
TOWNSHIP = {"township_operator"}
VILLAGE = TOWNSHIP | {"village_operator"}
GRID = VILLAGE | {"grid_worker"}
UNIT = GRID | {"unit_head"}


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    # The world has a dozen accounts: Argon2 would make each test take seconds. WhiteNoise
    # would index every collected static file again for each test's client.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHITENOISE_AUTOREFRESH = True


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user, backend=MODEL_BACKEND)
    return client


@dataclass(frozen=True)
class Target:
    """A page about one row of a township, and which roles of that township may open it."""

    url: Callable[[Township], str]
    seen_by: frozenset[str]
    method: str = "get"


TARGETS = {
    "area:township": Target(
        lambda t: reverse("territory:area", args=[t.area.territory_code]), frozenset(TOWNSHIP)
    ),
    "area:village": Target(
        lambda t: reverse("territory:area", args=[t.village.territory_code]), frozenset(VILLAGE)
    ),
    "area_households:township": Target(
        lambda t: reverse("territory:area_households", args=[t.area.territory_code]),
        frozenset(TOWNSHIP),
    ),
    "area_households:village": Target(
        lambda t: reverse("territory:area_households", args=[t.village.territory_code]),
        frozenset(VILLAGE),
    ),
    "grid": Target(lambda t: reverse("territory:grid", args=[t.grid.code]), frozenset(GRID)),
    # The other grid of the same village: not the grid worker's.
    "grid:other": Target(
        lambda t: reverse("territory:grid", args=[t.other_grid.code]), frozenset(VILLAGE)
    ),
    "unit": Target(lambda t: reverse("territory:unit", args=[t.unit.code]), frozenset(UNIT)),
    "household": Target(
        lambda t: reverse("territory:household", args=[t.household.pk]), frozenset(UNIT)
    ),
    # A household of the same village in the other grid: neither the grid worker's nor the
    # unit head's.
    "household:other_grid": Target(
        lambda t: reverse("territory:household", args=[t.other_grid_household.pk]),
        frozenset(VILLAGE),
    ),
    "person_unmask": Target(
        lambda t: reverse("territory:person_unmask", args=[t.person.pk, "id_number"]),
        frozenset(UNIT),
        method="post",
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target_name", list(TARGETS))
def test_pages_answer_own_rows_and_404_for_the_sibling_township(
    world: World, client: Client, role: str, target_name: str
) -> None:
    target = TARGETS[target_name]
    user = world.a.users[role]
    # Everyone may unmask here, so that the answer shows scope alone (403 is tested apart).
    staff_grant_permissions(user=user, codenames=["org.unmask_personal"], actor=world.admin)
    request = getattr(signed_in(client, user), target.method)

    own = request(target.url(world.a))
    expected = 200 if role in target.seen_by else 404
    assert own.status_code == expected, f"{role} on A's {target_name}"

    sibling = request(target.url(world.b))
    assert sibling.status_code == 404, f"{role} on B's {target_name}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_household_lists_hold_only_rows_in_scope(world: World, client: Client, role: str) -> None:
    """The one list every territory role can open (their own grid's or unit's, or an area's)
    holds their households and nothing of the other grid or township."""
    user = world.a.users[role]
    signed_in(client, user)
    pages = {
        "township_operator": reverse(
            "territory:area_households", args=[world.a.area.territory_code]
        ),
        "village_operator": reverse(
            "territory:area_households", args=[world.a.village.territory_code]
        ),
        "grid_worker": reverse("territory:grid", args=[world.a.grid.code]),
        "unit_head": reverse("territory:unit", args=[world.a.unit.code]),
    }
    if role not in pages:
        assert client.get(reverse("territory:browse")).status_code == 200
        return
    listed = {h.pk for h in client.get(pages[role]).context["page"].object_list}
    assert world.a.household.pk in listed
    assert world.b.household.pk not in listed and world.b.other_grid_household.pk not in listed
    assert (world.a.other_grid_household.pk in listed) == (role in VILLAGE)


@pytest.mark.django_db
def test_a_unit_head_sees_the_units_households_only(world: World, client: Client) -> None:
    """A household of the same grid outside the unit is the grid worker's, not the head's."""
    outside = household_create(grid=world.a.grid, address="双堰街道中街", room="301")
    url = reverse("territory:household", args=[outside.pk])
    assert signed_in(client, world.a.users["unit_head"]).get(url).status_code == 404
    listed = client.get(reverse("territory:unit", args=[world.a.unit.code])).context["page"]
    assert outside.pk not in {h.pk for h in listed.object_list}
    assert signed_in(client, world.a.users["grid_worker"]).get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("by", ["name", "id_number"])
def test_search_finds_own_people_and_nobody_of_the_sibling_township(
    world: World, client: Client, role: str, by: str
) -> None:
    signed_in(client, world.a.users[role])

    def found(person: Person) -> set[int]:
        query = person.name if by == "name" else Person.objects.get(pk=person.pk).id_number.reveal()
        response = client.post(reverse("territory:search"), {"q": query})
        assert response.status_code == 200
        return {p.pk for p in response.context["results"].persons}

    assert (world.a.person.pk in found(world.a.person)) == (role in UNIT)
    assert found(world.b.person) == set()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "lands_on"),
    [
        ("township_operator", lambda t: reverse("territory:area", args=[t.area.territory_code])),
        ("village_operator", lambda t: reverse("territory:area", args=[t.village.territory_code])),
        ("grid_worker", lambda t: reverse("territory:grid", args=[t.grid.code])),
        ("unit_head", lambda t: reverse("territory:unit", args=[t.unit.code])),
        ("dept_handler", None),
        ("dept_leader", None),
    ],
)
def test_browse_starts_at_the_root_of_the_users_scope(
    world: World, client: Client, role: str, lands_on: Callable[[Township], str] | None
) -> None:
    response = signed_in(client, world.a.users[role]).get(reverse("territory:browse"))
    if lands_on is None:
        assert response.status_code == 200  # the note that their work comes as cases
    else:
        assert response.status_code == 302
        assert response["Location"] == lands_on(world.a)
        assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("target_name", [*TARGETS, "browse", "search"])
def test_anonymous_visitors_are_sent_to_log_in(
    world: World, client: Client, target_name: str
) -> None:
    if target_name in TARGETS:
        target = TARGETS[target_name]
        response = getattr(client, target.method)(target.url(world.a))
    else:
        response = client.get(reverse(f"territory:{target_name}"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- The admin ------------------------------------------------------------------------------

ADMIN_MODELS: dict[str, Callable[[World, Township], Any]] = {
    "territory.area": lambda w, t: t.village,
    "territory.gridpartygroup": lambda w, t: t.grid.party_group,
    "territory.grid": lambda w, t: t.grid,
    "territory.householdunit": lambda w, t: t.unit,
    "territory.household": lambda w, t: t.household,
    "territory.person": lambda w, t: t.person,
    "org.user": lambda w, t: t.users["grid_worker"],
}


def admin_url(label: str, view: str, obj: Any = None) -> str:
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_{view}", args=[obj.pk] if obj is not None else [])


@pytest.fixture
def township_admin(world: World) -> User:
    """An administrator whose scope is township A."""
    return staff_create(
        username="admin1",
        password=PASSWORD,
        full_name="双堰街道管理员",
        role=Role.ADMINISTRATOR,
        scope_code=world.a.area.territory_code,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", list(ADMIN_MODELS))
def test_only_administrators_reach_the_admin(
    world: World, client: Client, role: str, label: str
) -> None:
    signed_in(client, world.a.users[role])
    own = ADMIN_MODELS[label](world, world.a)
    for url in [admin_url(label, "changelist"), admin_url(label, "change", own)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_a_center_operator_flagged_as_staff_still_sees_nothing_in_the_admin(
    world: World, client: Client
) -> None:
    operator = world.a.users["township_operator"]
    User.objects.filter(pk=operator.pk).update(is_staff=True)  # a misconfiguration
    signed_in(client, User.objects.get(pk=operator.pk))
    assert client.get(reverse("admin:index")).context["app_list"] == []
    for label in ADMIN_MODELS:
        assert client.get(admin_url(label, "changelist")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "label",
    list(ADMIN_MODELS),
)
def test_a_township_administrator_sees_own_rows_and_404_for_the_sibling(
    world: World, client: Client, township_admin: User, label: str
) -> None:
    signed_in(client, township_admin)
    own, sibling = ADMIN_MODELS[label](world, world.a), ADMIN_MODELS[label](world, world.b)

    listed = client.get(admin_url(label, "changelist"))
    assert listed.status_code == 200
    shown = {obj.pk for obj in listed.context["cl"].result_list}
    assert own.pk in shown
    assert sibling.pk not in shown

    assert client.get(admin_url(label, "change", own)).status_code == 200
    assert client.get(admin_url(label, "change", sibling)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("label", list(ADMIN_MODELS))
def test_an_administrator_without_scope_sees_both_townships(
    world: World, client: Client, label: str
) -> None:
    signed_in(client, world.admin)
    for township in (world.a, world.b):
        obj = ADMIN_MODELS[label](world, township)
        assert client.get(admin_url(label, "change", obj)).status_code == 200
