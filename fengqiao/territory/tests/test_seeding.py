"""The demo seeding: consistent rows (the services' invariants), determinism, refusal."""

from __future__ import annotations

from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from fengqiao.conftest import make_id_number
from fengqiao.core.codes import prefix_of
from fengqiao.core.idnumbers import birth_date_of, sex_of, validate_citizen_id
from fengqiao.core.privacy import lookup_digest
from fengqiao.org.models import Department
from fengqiao.territory.choices import AreaLevel, Relation
from fengqiao.territory.models import (
    Area,
    Grid,
    GridPartyGroup,
    Household,
    HouseholdUnit,
    Person,
)
from fengqiao.territory.seeding import AS_OF, PROFILES, _plan_county, apportion
from fengqiao.territory.services import person_create

pytestmark = pytest.mark.django_db


def seed_tiny(seed: int = 7, **options: Any) -> str:
    out = StringIO()
    call_command("seed_demo", profile="tiny", seed=seed, stdout=out, **options)
    return out.getvalue()


def age_on_reference_day(person: Person) -> int:
    assert person.birth_date is not None
    born = person.birth_date
    return AS_OF.year - born.year - ((AS_OF.month, AS_OF.day) < (born.month, born.day))


def test_tiny_profile_builds_the_territory_tree_with_nested_codes() -> None:
    seed_tiny()

    assert Household.objects.count() == 50
    assert Grid.objects.count() == 4
    assert HouseholdUnit.objects.count() == 6
    assert GridPartyGroup.objects.count() == 3
    township = Area.objects.get(code="520523107000")
    assert (township.name, township.territory_code) == ("柳塘镇", "520523107")
    assert township.parent is not None and township.parent.territory_code == "520523"
    for area in Area.objects.select_related("parent"):
        assert area.territory_code == prefix_of(area.code, area.level)
        if area.parent is not None:
            assert area.territory_code.startswith(area.parent.territory_code)
    for grid in Grid.objects.select_related("village", "party_group"):
        assert grid.village.level == AreaLevel.VILLAGE
        assert grid.territory_code == grid.code
        assert len(grid.code) == 15 and grid.code.startswith(grid.village.territory_code)
        assert grid.party_group is not None
        assert grid.party_group.territory_code == grid.village.territory_code
    grids_per_group = Counter(Grid.objects.values_list("party_group_id", flat=True))
    assert set(grids_per_group.values()) <= {1, 2, 3}
    for unit in HouseholdUnit.objects.select_related("grid"):
        assert unit.territory_code == unit.code
        assert len(unit.code) == 18 and unit.code.startswith(unit.grid.code)
    for household in Household.objects.select_related("unit"):
        assert household.unit is not None and household.unit.grid_id == household.grid_id
        assert household.territory_code == household.unit.code
        assert household.address
        assert household.latitude is not None and 24 < household.latitude < 30
        assert household.longitude is not None and 103 < household.longitude < 110


def test_tiny_profile_people_keep_the_services_invariants() -> None:
    seed_tiny()

    persons = list(Person.objects.select_related("household"))
    numbers = [person.id_number.reveal() for person in persons]
    assert len(set(numbers)) == len(persons) > 100
    for person, number in zip(persons, numbers, strict=True):
        assert person.territory_code == person.household.territory_code
        assert validate_citizen_id(number) == number
        assert number.startswith("520523")
        assert person.id_number_digest == lookup_digest(number, "id_number")
        assert person.sex == sex_of(number)
        assert person.birth_date == birth_date_of(number)
        phone = person.phone.reveal()
        assert person.phone_digest == lookup_digest(phone, "phone")
        if age_on_reference_day(person) < 16:
            assert not phone
        elif phone:
            assert len(phone) == 11 and phone.startswith("1")
        assert person.name and person.ethnicity
    for household in Household.objects.prefetch_related("members"):
        members = list(household.members.all())
        heads = [m for m in members if m.relation == Relation.HEAD]
        assert len(heads) == 1
        assert household.head_name == heads[0].name
        assert household.member_count == len(members)
        head_age = age_on_reference_day(heads[0])
        assert 25 <= head_age <= 90
        for member in members:
            if member.relation in {Relation.SON, Relation.DAUGHTER}:
                assert age_on_reference_day(member) <= head_age - 18
            if member.relation == Relation.PARENT:
                assert age_on_reference_day(member) >= head_age + 20


def test_every_unit_is_led_by_one_of_its_household_heads() -> None:
    seed_tiny()

    for unit in HouseholdUnit.objects.select_related("head__household"):
        assert unit.head is not None
        assert unit.head.relation == Relation.HEAD
        assert unit.head.household.unit_id == unit.pk


def test_departments_answer_for_their_matters() -> None:
    seed_tiny()

    police = Department.objects.get(name="柳塘派出所", territory_code="520523107")
    assert "户籍与身份证件" in {m.name for m in police.matters.all()}
    justice = Department.objects.get(name="柳塘司法所")
    assert {"人民调解", "法律援助", "社区矫正"} <= {m.name for m in justice.matters.all()}
    assert Department.objects.get(name="金沙县林业局").matters.filter(name="山林土地").exists()
    assert Department.objects.get(name="金沙县信访局").matters.filter(name="信访").exists()
    assert Department.objects.filter(name="柳塘镇综治中心", territory_code="520523107").exists()
    villages = Area.objects.filter(level=AreaLevel.VILLAGE)
    for village in villages:
        assert Department.objects.filter(
            territory_code=village.territory_code, name=f"{village.name}综治中心"
        ).exists()


def test_rows_added_after_seeding_get_fresh_keys() -> None:
    """The seeder writes its own primary keys; the database's sequences must move past them."""
    seed_tiny()

    household = Household.objects.first()
    assert household is not None
    # Born 1920: older than anyone the seeder makes, so the number cannot be taken.
    number = make_id_number(region="520523", birth="19200101", seq=2)
    person = person_create(household=household, name="新成员", id_number=number)
    assert person.pk > max(Person.objects.exclude(pk=person.pk).values_list("pk", flat=True))


def snapshot() -> dict[str, Any]:
    return {
        "areas": list(Area.objects.values_list("code", "name", "kind").order_by("code")),
        "grids": list(Grid.objects.values_list("code", "name", "party_group__name")),
        "units": list(HouseholdUnit.objects.values_list("code", "head__id_number_digest")),
        "households": list(
            Household.objects.values_list(
                "territory_code",
                "address",
                "building",
                "entrance",
                "room",
                "latitude",
                "longitude",
                "head_name",
                "member_count",
            ).order_by("territory_code", "address", "building", "entrance", "room")
        ),
        "persons": sorted(
            Person.objects.values_list(
                "territory_code",
                "name",
                "id_number_digest",
                "phone_digest",
                "sex",
                "birth_date",
                "ethnicity",
                "relation",
            )
        ),
        "tags": sorted(
            Person.tags.through.objects.values_list("person__id_number_digest", "persontag__code")
        ),
    }


def wipe() -> None:
    Person.tags.through.objects.all().delete()
    HouseholdUnit.objects.update(head=None)
    Person.objects.all().delete()
    Household.objects.all().delete()
    HouseholdUnit.objects.all().delete()
    Grid.objects.all().delete()
    GridPartyGroup.objects.all().delete()
    Department.objects.all().delete()
    for level in reversed(AreaLevel.values):
        Area.objects.filter(level=level).delete()


def test_the_same_seed_gives_the_same_data_and_another_seed_other_data() -> None:
    seed_tiny(seed=11)
    first = snapshot()
    wipe()
    seed_tiny(seed=11)
    assert snapshot() == first
    wipe()
    seed_tiny(seed=12)
    other = snapshot()
    assert other["persons"] != first["persons"]
    assert other["households"] != first["households"]


def test_if_empty_does_nothing_on_a_database_with_areas() -> None:
    seed_tiny()
    before = Person.objects.count()

    output = seed_tiny(seed=99, if_empty=True)

    assert "no demo data loaded" in output
    assert Person.objects.count() == before


def test_a_profile_is_refused_on_a_database_with_areas() -> None:
    seed_tiny()

    with pytest.raises(CommandError, match="already has areas"):
        seed_tiny(seed=99)
    assert Household.objects.count() == 50


def test_the_county_plan_has_the_seed_page_figures() -> None:
    """Planning only (no rows): the county profile's totals are exact."""
    zhijin = PROFILES["county"].counties[0]
    plans = _plan_county(zhijin, seed=2026)
    villages = [v for plan in plans for v in plan.villages]

    assert len(plans) == 33
    assert {p.code[:9] for p in plans} >= {"520524001", "520524002", "520524007"}
    assert sum(v.households for v in villages) == 230_000
    assert sum(v.grids for v in villages) == 5376
    assert sum(v.units for v in villages) == 23_404
    assert sum(v.party_groups for v in villages) == 2847
    assert all(v.grids // 3 <= v.party_groups <= v.grids for v in villages)
    yangliu = next(v for v in villages if v.name == "杨柳社区")
    assert (yangliu.code, yangliu.households, yangliu.persons) == ("520524001005", 2826, 9891)
    kinds = {p.code[6:9]: p.spec.kind for p in plans}
    for number, kind in kinds.items():
        expected = "street" if number < "100" else "town" if number < "200" else "township"
        assert kind == expected


def test_apportion_splits_exactly_and_respects_minimums() -> None:
    shares = apportion(100, [1.0, 2.0, 3.0], [10, 10, 40])
    assert sum(shares) == 100
    assert all(s >= m for s, m in zip(shares, [10, 10, 40], strict=True))
    with pytest.raises(ValueError):
        apportion(5, [1.0, 1.0], [3, 3])
