from __future__ import annotations

from fengqiao.core.codes import ancestors, upper_bound, within


def test_upper_bound_of_a_prefix() -> None:
    assert upper_bound("520524001") == "520524002"
    assert upper_bound("520524009") == "520524010"
    assert upper_bound("99") is None


def test_within_is_a_half_open_range() -> None:
    assert str(within("territory_code", "520524")) == str(within("territory_code", "520524"))
    q = within("territory_code", "520524001")
    assert ("territory_code__gte", "520524001") in q.children
    assert ("territory_code__lt", "520524002") in q.children
    assert not within("territory_code", "").children


def test_ancestors_of_a_unit_code() -> None:
    assert ancestors("520524001201001001") == [
        "52",
        "5205",
        "520524",
        "520524001",
        "520524001201",
        "520524001201001",
    ]
