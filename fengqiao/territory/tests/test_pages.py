"""The territory pages: what they show, what they hide, how many queries they cost."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.models import AuditEntry
from fengqiao.conftest import PASSWORD, World, make_id_number
from fengqiao.org.choices import Role
from fengqiao.org.models import User
from fengqiao.org.services import staff_create, staff_grant_permissions
from fengqiao.territory.choices import Relation
from fengqiao.territory.models import Household, Person, PersonTag
from fengqiao.territory.services import (
    household_create,
    person_create,
    unit_set_head,
)

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def _fast(settings: Any) -> None:
    # The world has a dozen accounts: Argon2 would make each test take seconds. WhiteNoise
    # would index every collected static file again for each test's client.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHITENOISE_AUTOREFRESH = True


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def full_id(person: Person) -> str:
    return Person.objects.get(pk=person.pk).id_number.reveal()


def add_households(world: World, count: int) -> None:
    """More households (with a member each) in township A's first grid and unit."""
    for n in range(count):
        home = household_create(
            grid=world.a.grid, unit=world.a.unit, address="双堰街道南街", room=str(100 + n)
        )
        person_create(
            household=home,
            name=f"王{n}",
            id_number=make_id_number(birth="19700101", seq=500 + n),
            relation=Relation.HEAD,
        )


# --- Browse and areas ---------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_without_scope_browses_from_the_top_level_areas(world: World, client: Client) -> None:
    response = signed_in(client, world.admin).get(reverse("territory:browse"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "贵州省" in page
    assert reverse("territory:area", args=["52"]) in page


@pytest.mark.django_db
def test_township_page_lists_villages_with_counts_and_a_breadcrumb(
    world: World, client: Client
) -> None:
    user = world.a.users["township_operator"]
    response = signed_in(client, user).get(
        reverse("territory:area", args=[world.a.area.territory_code])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert world.a.village.name in page
    children = response.context["children"]
    assert [(c.area, c.grid_count, c.household_count) for c in children] == [
        (world.a.village, 2, 2)
    ]
    # Above the user's scope the path is plain text: the county is named, not linked.
    assert world.county.name in page
    assert reverse("territory:area", args=[world.county.territory_code]) not in page
    assert reverse("territory:area_households", args=[world.a.area.territory_code]) in page


@pytest.mark.django_db
def test_county_page_counts_each_township_in_constant_queries(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    add_households(world, 3)
    signed_in(client, world.county_operator)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("territory:area", args=[world.county.territory_code]))
    counts = {c.area.name: (c.grid_count, c.household_count) for c in response.context["children"]}
    assert counts == {world.a.area.name: (2, 5), world.b.area.name: (2, 2)}


@pytest.mark.django_db
def test_village_page_lists_grids_and_party_groups(world: World, client: Client) -> None:
    user = world.a.users["village_operator"]
    response = signed_in(client, user).get(
        reverse("territory:area", args=[world.a.village.territory_code])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert world.a.grid.name in page and world.a.other_grid.name in page
    assert "双堰街道一村第一网格党小组" in page
    rows = {
        (row.grid.code, row.unit_count, row.household_count) for row in response.context["grids"]
    }
    assert rows == {(world.a.grid.code, 1, 1), (world.a.other_grid.code, 0, 1)}


# --- Household lists ----------------------------------------------------------------------


@pytest.mark.django_db
def test_household_list_shows_doorplate_head_members_grid_and_unit(
    world: World, client: Client
) -> None:
    user = world.a.users["township_operator"]
    url = reverse("territory:area_households", args=[world.a.area.territory_code])
    page = signed_in(client, user).get(url).content.decode()
    assert world.a.household.doorplate in page
    assert world.a.other_grid_household.doorplate in page
    assert "张双堰街道" in page  # head of household
    assert world.a.unit.name in page and world.a.other_grid.name in page
    assert world.b.household.doorplate not in page


@pytest.mark.django_db
def test_household_list_filters_by_grid_and_text_and_answers_htmx_with_the_table(
    world: World, client: Client
) -> None:
    signed_in(client, world.a.users["township_operator"])
    url = reverse("territory:area_households", args=[world.a.area.territory_code])

    by_grid = client.get(url, {"grid": world.a.other_grid.code}).content.decode()
    assert world.a.other_grid_household.doorplate in by_grid
    assert world.a.household.doorplate not in by_grid

    by_text = client.get(
        url, {"q": "中街"}, headers={"HX-Request": "true", "HX-Target": "households"}
    )
    fragment = by_text.content.decode()
    assert "<html" not in fragment
    assert world.a.household.doorplate in fragment
    assert world.a.other_grid_household.doorplate not in fragment
    assert "HX-Request" in by_text["Vary"]

    # Another township's grid is no choice here: the filter is refused, nothing of B shows.
    foreign = client.get(url, {"grid": world.b.grid.code}).content.decode()
    assert world.b.household.doorplate not in foreign


@pytest.mark.django_db
def test_household_list_paginates_fifty_a_page(world: World, client: Client) -> None:
    add_households(world, 60)
    signed_in(client, world.a.users["township_operator"])
    url = reverse("territory:area_households", args=[world.a.area.territory_code])
    first = client.get(url)
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 62
    second = client.get(url, {"page": 2})
    assert len(second.context["page"].object_list) == 12
    codes = [(h.territory_code, h.pk) for h in second.context["page"].object_list]
    assert codes == sorted(codes)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page_name",
    ["area_households", "grid", "unit"],
)
def test_household_lists_cost_the_same_queries_whatever_their_size(
    world: World, client: Client, django_assert_num_queries: Any, page_name: str
) -> None:
    code = {
        "area_households": world.a.area.territory_code,
        "grid": world.a.grid.code,
        "unit": world.a.unit.code,
    }[page_name]
    url = reverse(f"territory:{page_name}", args=[code])
    signed_in(client, world.a.users["township_operator"])
    client.get(url)  # warm the session
    expected = QUERIES[page_name]
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    add_households(world, 70)
    with django_assert_num_queries(expected):
        response = client.get(url, {"page": 2})
    page = response.context["page"]
    assert page.paginator.count > 70
    assert len(page.object_list) == page.paginator.count - 50


# Queries per page, the same on SQLite and PostgreSQL: session, user, the object, its
# breadcrumb, the list's count, the page's ids then its rows, the session save (three with
# its savepoint), plus what the page shows beside the list (the grid filter's grids; the
# grid's workers and units), and the unread-notifications badge in the navigation.
QUERIES = {"area_households": 12, "grid": 13, "unit": 11}


# --- Grid and unit ------------------------------------------------------------------------


@pytest.mark.django_db
def test_grid_page_shows_village_party_group_workers_units_and_households(
    world: World, client: Client
) -> None:
    grid_worker = world.a.users["grid_worker"]
    colleague = staff_create(
        username="grid1b",
        password=PASSWORD,
        full_name="双堰街道第二网格员",
        role=Role.GRID_WORKER,
        scope_code=world.a.grid.code,
        phone="13912345678",
    )
    response = signed_in(client, grid_worker).get(
        reverse("territory:grid", args=[world.a.grid.code])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert world.a.village.name in page
    assert "双堰街道一村第一网格党小组" in page
    assert grid_worker.full_name in page and colleague.full_name in page
    assert "139****5678" in page and "13912345678" not in page
    assert world.a.unit.name in page
    assert world.a.household.doorplate in page
    assert world.a.other_grid_household.doorplate not in page


@pytest.mark.django_db
def test_unit_page_shows_its_head_and_households(world: World, client: Client) -> None:
    unit_set_head(unit=world.a.unit, person=world.a.person)
    response = signed_in(client, world.a.users["unit_head"]).get(
        reverse("territory:unit", args=[world.a.unit.code])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert world.a.person.name in page
    assert "138****0001" in page
    assert world.a.household.doorplate in page
    # A unit head sees the grid and village names in the path but cannot open them.
    assert world.a.grid.name in page
    assert reverse("territory:grid", args=[world.a.grid.code]) not in page


# --- The household file -------------------------------------------------------------------


@pytest.fixture
def tagged_person(world: World) -> Person:
    # Both tags come with the migrations: one special-population tag, one ordinary.
    correction = PersonTag.objects.get(code="community_correction", sensitive=True)
    veteran = PersonTag.objects.get(code="veteran", sensitive=False)
    return person_create(
        household=world.a.household,
        name="张老伯",
        id_number=make_id_number(birth="19400305", seq=901),
        phone="13700001111",
        relation=Relation.PARENT,
        tags=[correction, veteran],
    )


@pytest.mark.django_db
def test_household_file_shows_members_masked(
    world: World, client: Client, tagged_person: Person
) -> None:
    response = signed_in(client, world.a.users["grid_worker"]).get(
        reverse("territory:household", args=[world.a.household.pk])
    )
    assert response.status_code == 200
    page = response.content.decode()
    number = full_id(tagged_person)
    assert tagged_person.name in page
    assert str(Person.objects.get(pk=tagged_person.pk).id_number) in page  # masked
    assert number not in page
    assert "137****1111" in page and "13700001111" not in page
    assert "1940-03-05" in page
    assert "退役军人" in page
    # Without the permission, sensitive tags are not shown at all, nor any unmask button.
    assert "社区矫正对象" not in page
    assert reverse("territory:person_unmask", args=[tagged_person.pk, "id_number"]) not in page
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )


@pytest.mark.django_db
def test_household_file_shows_sensitive_tags_and_unmask_buttons_with_the_permissions(
    world: World, client: Client, tagged_person: Person
) -> None:
    user = world.a.users["grid_worker"]
    staff_grant_permissions(
        user=user, codenames=["org.view_sensitive_tags", "org.unmask_personal"], actor=world.admin
    )
    page = (
        signed_in(client, User.objects.get(pk=user.pk))
        .get(reverse("territory:household", args=[world.a.household.pk]))
        .content.decode()
    )
    assert "社区矫正对象" in page
    assert reverse("territory:person_unmask", args=[tagged_person.pk, "id_number"]) in page
    assert reverse("territory:person_unmask", args=[tagged_person.pk, "phone"]) in page
    assert full_id(tagged_person) not in page  # still masked until asked


@pytest.mark.django_db
def test_household_file_costs_constant_queries(
    world: World, client: Client, django_assert_max_num_queries: Any, tagged_person: Person
) -> None:
    signed_in(client, world.a.users["township_operator"])
    url = reverse("territory:household", args=[world.a.household.pk])
    with django_assert_max_num_queries(12):
        client.get(url)


# --- Unmasking ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["id_number", "phone"])
def test_unmask_returns_the_full_value_and_audits_it(
    world: World, client: Client, field: str
) -> None:
    user = world.a.users["township_operator"]
    staff_grant_permissions(user=user, codenames=["org.unmask_personal"], actor=world.admin)
    person = world.a.person
    response = signed_in(client, user).post(
        reverse("territory:person_unmask", args=[person.pk, field]),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    expected = getattr(Person.objects.get(pk=person.pk), field).reveal()
    assert expected in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action=AuditAction.UNMASK)
    assert (entry.actor_id, entry.target_type, entry.target_id) == (
        user.pk,
        "territory.person",
        str(person.pk),
    )
    assert entry.detail == {"field": field}


@pytest.mark.django_db
def test_unmask_without_the_permission_is_forbidden_and_not_audited(
    world: World, client: Client
) -> None:
    response = signed_in(client, world.a.users["township_operator"]).post(
        reverse("territory:person_unmask", args=[world.a.person.pk, "id_number"])
    )
    assert response.status_code == 403
    assert full_id(world.a.person) not in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.UNMASK).exists()


@pytest.mark.django_db
def test_unmask_answers_only_post_and_only_personal_fields(world: World, client: Client) -> None:
    user = world.a.users["township_operator"]
    staff_grant_permissions(user=user, codenames=["org.unmask_personal"], actor=world.admin)
    signed_in(client, user)
    person = world.a.person
    get = client.get(reverse("territory:person_unmask", args=[person.pk, "id_number"]))
    assert get.status_code == 405
    other = client.post(reverse("territory:person_unmask", args=[person.pk, "name"]))
    assert other.status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.UNMASK).exists()


# --- No page shows a full ID number without the permission ---------------------------------


@pytest.mark.django_db
def test_no_page_shows_a_full_id_number_without_the_unmask_permission(
    world: World, client: Client
) -> None:
    admin = world.admin  # a superuser: every permission except what the pages hold back
    number = full_id(world.a.person)
    signed_in(client, world.a.users["township_operator"])
    a = world.a
    pages = [
        client.get(reverse("territory:browse"), follow=True),
        client.get(reverse("territory:area", args=[a.village.territory_code])),
        client.get(reverse("territory:area_households", args=[a.area.territory_code])),
        client.get(reverse("territory:grid", args=[a.grid.code])),
        client.get(reverse("territory:unit", args=[a.unit.code])),
        client.get(reverse("territory:household", args=[a.household.pk])),
        client.get(reverse("territory:search"), {"q": a.person.name}),
        client.post(reverse("territory:search"), {"q": number}),
        client.post(
            reverse("territory:search"),
            {"q": number},
            headers={"HX-Request": "true", "HX-Target": "search-results"},
        ),
    ]
    for response in pages:
        assert response.status_code == 200
        assert number not in response.content.decode()
    # Nor the admin, for an administrator: it shows masked values only.
    signed_in(client, admin)
    for url in [
        reverse("admin:territory_person_changelist"),
        reverse("admin:territory_person_change", args=[a.person.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert number not in response.content.decode()
        assert str(Person.objects.get(pk=a.person.pk).id_number) in response.content.decode()


# --- Language -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_are_in_chinese_by_default_and_english_on_request(
    world: World, client: Client
) -> None:
    signed_in(client, world.a.users["township_operator"])
    url = reverse("territory:area_households", args=[world.a.area.territory_code])
    assert '<html lang="zh-hans">' in client.get(url).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": url})
    page = client.get(url).content.decode()
    assert '<html lang="en">' in page
    assert "Head of household" in page


@pytest.mark.django_db
def test_department_staff_are_told_where_their_work_is(world: World, client: Client) -> None:
    response = signed_in(client, world.a.users["dept_handler"]).get(reverse("territory:browse"))
    assert response.status_code == 200
    assert "双堰街道派出所" in response.content.decode()
    assert Household.objects.visible_to(world.a.users["dept_handler"]).count() == 0
