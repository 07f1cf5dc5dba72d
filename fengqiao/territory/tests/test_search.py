"""Search: names and doorplates by "contains", ID numbers and mobiles exactly by keyed hash,
always within the user's scope, and never echoing a full number back."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from fengqiao.conftest import World, make_id_number
from fengqiao.core.idnumbers import check_character
from fengqiao.core.privacy import mask
from fengqiao.org.models import User
from fengqiao.territory import selectors
from fengqiao.territory.choices import Relation
from fengqiao.territory.models import Person
from fengqiao.territory.services import person_create

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


def search(client: Client, query: str, *, post: bool = False) -> Any:
    if post:
        return client.post(reverse("territory:search"), {"q": query})
    return client.get(reverse("territory:search"), {"q": query})


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("张三", "text"),
        ("520524198001010019", "id_number"),
        ("52052419800101001x", "id_number"),
        ("520524800101001", "id_number"),
        ("13800001234", "phone"),
        ("+86 138 0000 1234", "phone"),
        ("138-0000-1234", "phone"),
        ("12345", "text"),
        ("中街12号", "text"),
    ],
)
def test_search_kind_recognises_id_numbers_and_mobiles(query: str, kind: str) -> None:
    assert selectors.search_kind(query) == kind


def test_fifteen_digit_numbers_are_upgraded_to_eighteen() -> None:
    first17 = "52052419800101001"
    assert selectors.upgrade_id_number("520524800101001") == first17 + check_character(first17)


@pytest.mark.django_db
def test_search_by_exact_id_number_finds_the_person_and_masks_the_query(
    world: World, client: Client
) -> None:
    number = full_id(world.a.person)
    response = search(signed_in(client, world.a.users["grid_worker"]), number, post=True)
    assert response.status_code == 200
    assert [p.pk for p in response.context["results"].persons] == [world.a.person.pk]
    page = response.content.decode()
    assert world.a.person.name in page
    assert mask(number, "id_number") in page
    assert number not in page


@pytest.mark.django_db
def test_search_by_id_number_over_get_masks_title_heading_and_box(
    world: World, client: Client
) -> None:
    number = full_id(world.a.person)
    response = search(signed_in(client, world.a.users["township_operator"]), number)
    page = response.content.decode()
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    heading = page.split("<h2>", 1)[1].split("</h2>", 1)[0]
    assert number not in title and number not in heading
    assert mask(number, "id_number") in heading
    assert f'value="{number}"' not in page
    assert [p.pk for p in response.context["results"].persons] == [world.a.person.pk]


@pytest.mark.django_db
def test_a_wrong_id_number_finds_nothing(world: World, client: Client) -> None:
    wrong = make_id_number(birth="19800101", seq=999)
    response = search(signed_in(client, world.a.users["township_operator"]), wrong, post=True)
    results = response.context["results"]
    assert results.kind == "id_number"
    assert results.persons == [] and results.households == []


@pytest.mark.django_db
def test_a_fifteen_digit_first_generation_number_finds_the_person(
    world: World, client: Client
) -> None:
    old = "520524500203012"  # born 1950-02-03
    first17 = old[:6] + "19" + old[6:]
    person = person_create(
        household=world.a.household,
        name="张老",
        id_number=first17 + check_character(first17),
        relation=Relation.PARENT,
    )
    response = search(signed_in(client, world.a.users["township_operator"]), old, post=True)
    assert [p.pk for p in response.context["results"].persons] == [person.pk]
    assert old not in response.content.decode()


@pytest.mark.django_db
def test_search_by_mobile_finds_the_person_exactly(world: World, client: Client) -> None:
    signed_in(client, world.a.users["township_operator"])
    response = search(client, "138 0000 0001", post=True)
    assert [p.pk for p in response.context["results"].persons] == [world.a.person.pk]
    assert "13800000001" not in response.content.decode()
    assert "138****0001" in response.content.decode()
    assert search(client, "13800000009", post=True).context["results"].persons == []


@pytest.mark.django_db
def test_search_by_name_head_of_household_and_doorplate(world: World, client: Client) -> None:
    signed_in(client, world.a.users["township_operator"])
    by_name = search(client, "张双堰").context["results"]
    assert [p.pk for p in by_name.persons] == [world.a.person.pk]
    assert [h.pk for h in by_name.households] == [world.a.household.pk]  # its head
    by_doorplate = search(client, "北街").context["results"]
    assert by_doorplate.persons == []
    assert [h.pk for h in by_doorplate.households] == [world.a.other_grid_household.pk]


@pytest.mark.django_db
def test_search_stays_within_scope(world: World, client: Client) -> None:
    signed_in(client, world.a.users["township_operator"])
    results = search(client, world.b.person.name).context["results"]
    assert results.persons == [] and results.households == []
    results = search(client, full_id(world.b.person), post=True).context["results"]
    assert results.persons == []
    # The county operator sees both townships.
    signed_in(client, world.county_operator)
    results = search(client, "街道").context["results"]
    assert {p.pk for p in results.persons} >= {world.a.person.pk, world.b.person.pk}


@pytest.mark.django_db
def test_too_many_matches_ask_to_refine(
    world: World, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "SEARCH_LIMIT", 1)
    response = search(signed_in(client, world.county_operator), "街道")
    results = response.context["results"]
    assert results.truncated and len(results.persons) == 1 and len(results.households) == 1
    assert 'class="message warning"' in response.content.decode()


@pytest.mark.django_db
def test_the_search_form_answers_htmx_with_the_results_alone(world: World, client: Client) -> None:
    response = signed_in(client, world.a.users["township_operator"]).post(
        reverse("territory:search"),
        {"q": "张双堰"},
        headers={"HX-Request": "true", "HX-Target": "search-results"},
    )
    fragment = response.content.decode()
    assert "<html" not in fragment and "<form" not in fragment
    assert world.a.person.name in fragment


@pytest.mark.django_db
def test_an_empty_search_shows_the_form_only(world: World, client: Client) -> None:
    response = signed_in(client, world.a.users["township_operator"]).get(
        reverse("territory:search")
    )
    assert response.status_code == 200
    assert response.context["results"] is None
