from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from fengqiao.conftest import World, make_id_number
from fengqiao.core.idnumbers import validate_citizen_id
from fengqiao.core.privacy import Sensitive, decrypt, encrypt, lookup_digest, mask
from fengqiao.territory.models import Person


def test_masks_look_like_the_design_says() -> None:
    assert mask("520524198001010019", "id_number") == "5205**********0019"
    assert mask("13800000000", "phone") == "138****0000"


def test_encryption_round_trips_and_is_randomised() -> None:
    first, second = encrypt("13800000000"), encrypt("13800000000")
    assert first != second
    assert decrypt(first) == decrypt(second) == "13800000000"


def test_lookup_digest_matches_spellings_of_one_value() -> None:
    assert lookup_digest("+86 138 0000 0000", "phone") == lookup_digest("13800000000", "phone")
    assert lookup_digest("52052419800101001x", "id_number") == lookup_digest(
        "52052419800101001X", "id_number"
    )
    assert lookup_digest("13800000000", "phone") != lookup_digest("13800000000", "id_number")


def test_sensitive_prints_masked_and_reveals_on_request() -> None:
    value = Sensitive("13800001234", "phone")
    assert str(value) == "138****1234"
    assert "13800001234" not in repr(value)
    assert value.reveal() == "13800001234"


@pytest.mark.django_db
def test_id_numbers_and_phones_are_encrypted_at_rest(world: World) -> None:
    person = world.a.person
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM territory_person WHERE id = %s", [person.pk])
        stored_id, stored_phone = cursor.fetchone()
    full_id = Person.objects.get(pk=person.pk).id_number.reveal()
    assert full_id not in stored_id and full_id[-4:] not in stored_id
    assert "13800000001" not in stored_phone
    found = Person.objects.get(id_number_digest=lookup_digest(full_id, "id_number"))
    assert found.pk == person.pk
    assert str(found.id_number) == full_id[:4] + "*" * 10 + full_id[-4:]


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("52052419800101001", "18 characters"),
        ("5205241980010100AX", "18 characters"),
        ("520524198002300011", "birth date"),
    ],
)
def test_bad_id_numbers_are_refused_with_a_reason(number: str, problem: str) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        validate_citizen_id(number)
    assert problem in str(error.value)


def test_check_digit_is_verified() -> None:
    good = make_id_number(seq=7)
    assert validate_citizen_id(good.lower()) == good
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    with translation.override("en"), pytest.raises(ValidationError) as error:
        validate_citizen_id(wrong)
    assert f"should be {good[17]}" in str(error.value)
    with pytest.raises(ValidationError, match=f"应为 {good[17]}"):
        validate_citizen_id(wrong)  # Chinese by default
