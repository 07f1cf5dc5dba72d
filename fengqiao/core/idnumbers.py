"""Citizen identity numbers (公民身份号码, GB 11643-1999): validation and what they encode."""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_character(first17: str) -> str:
    """The 18th character that GB 11643's ISO 7064 MOD 11-2 scheme requires."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def validate_citizen_id(value: str) -> str:
    """Return the normalised number or raise a ValidationError that says what is wrong."""
    number = value.strip().replace(" ", "").upper()
    if not _SHAPE.match(number):
        raise ValidationError(
            _("An ID number has 18 characters: 17 digits then a digit or X (got %(n)d)."),
            code="id_shape",
            params={"n": len(number)},
        )
    try:
        birth_date_of(number)
    except ValueError as error:
        raise ValidationError(
            _("The birth date inside the ID number (characters 7–14) is not a real date."),
            code="id_birth_date",
        ) from error
    expected = check_character(number[:17])
    if number[17] != expected:
        raise ValidationError(
            _("The ID number's last character should be %(expected)s: check for a typo."),
            code="id_check_digit",
            params={"expected": expected},
        )
    return number


def birth_date_of(number: str) -> datetime.date:
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex_of(number: str) -> str:
    """'M' or 'F' from the 17th digit (odd for men)."""
    return "M" if int(number[16]) % 2 else "F"
