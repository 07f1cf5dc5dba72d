from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command

from fengqiao.workdays.choices import DayKind
from fengqiao.workdays.schedule import UnknownScheduleError, WorkingCalendar, calendar
from fengqiao.workdays.services import workday_override_remove, workday_override_set

D = datetime.date

# Official schedules (State Council notices), checked by hand for each year 2020–2026: a
# holiday, a make-up Saturday/Sunday worked, and a deadline that crosses the break.
KNOWN = [
    # (start, working days, due)
    (D(2026, 9, 30), 5, D(2026, 10, 13)),  # DOMAIN.md's example; 10-10 (Sat) worked
    (D(2026, 2, 13), 1, D(2026, 2, 14)),  # 2-14 (Sat) make-up day before Spring Festival
    (D(2026, 2, 14), 1, D(2026, 2, 24)),  # Spring Festival 2-15..2-23 off
    (D(2025, 9, 30), 1, D(2025, 10, 9)),  # National Day 10-01..10-08 (2025)
    (D(2025, 9, 26), 1, D(2025, 9, 28)),  # 9-28 (Sun) make-up day
    (D(2024, 9, 13), 1, D(2024, 9, 14)),  # 9-14 (Sat) make-up day for Mid-Autumn
    (D(2024, 4, 30), 1, D(2024, 5, 6)),  # Labour Day 5-01..5-05
    (D(2023, 9, 28), 1, D(2023, 10, 7)),  # Mid-Autumn + National Day 9-29..10-06; 10-07 worked
    (D(2022, 1, 28), 1, D(2022, 1, 29)),  # 1-29 (Sat) make-up day
    (D(2021, 2, 10), 1, D(2021, 2, 18)),  # Spring Festival 2-11..2-17
    (D(2020, 1, 23), 1, D(2020, 2, 3)),  # Spring Festival, extended for Covid-19 to 2-02
    (D(2020, 12, 31), 1, D(2021, 1, 4)),  # New Year 2021-01-01..03 across the year end
]


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "days", "due"), KNOWN)
def test_deadlines_follow_the_official_schedules(start: D, days: int, due: D) -> None:
    assert calendar().add(start, days) == due


@pytest.mark.django_db
def test_zero_days_is_the_same_or_next_working_day() -> None:
    assert calendar().add(D(2026, 10, 9), 0) == D(2026, 10, 9)
    assert calendar().add(D(2026, 10, 1), 0) == D(2026, 10, 8)


@pytest.mark.django_db
def test_adding_is_consistent_with_counting() -> None:
    cal = calendar()
    start = D(2020, 1, 1)
    for days in range(1, 1500, 37):
        due = cal.add(start, days)
        assert cal.count_between(start, due) == days
        assert cal.is_working_day(due)


@pytest.mark.django_db
def test_an_unknown_year_is_an_error_naming_it() -> None:
    with pytest.raises(UnknownScheduleError) as error:
        calendar().add(D(2027, 3, 1), 1)
    assert "2027" in str(error.value)
    # A deadline that would run past the last known day is refused too.
    with pytest.raises(UnknownScheduleError, match="2027"):
        calendar().add(D(2026, 12, 30), 5)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_overrides_make_a_new_year_known_and_correct_the_library() -> None:
    workday_override_set(day=D(2027, 1, 1), kind=DayKind.REST, reason="元旦")
    assert calendar().add(D(2026, 12, 31), 1) == D(2027, 1, 4)
    info = calendar().explain(D(2027, 1, 1))
    assert (info.working, info.reason) == (False, "元旦")
    # An override also corrects a year the library knows.
    workday_override_set(day=D(2026, 10, 9), kind=DayKind.REST, reason="地方假日")
    assert calendar().add(D(2026, 9, 30), 5) == D(2026, 10, 14)
    workday_override_remove(day=D(2026, 10, 9))
    workday_override_remove(day=D(2027, 1, 1))
    with pytest.raises(UnknownScheduleError):
        calendar().add(D(2027, 1, 1), 1)


def test_years_with_gaps_never_skip_an_unknown_year() -> None:
    from fengqiao.workdays.schedule import Override

    cal = WorkingCalendar([Override(D(2028, 1, 3), True, "test")])
    with pytest.raises(UnknownScheduleError, match="2027"):
        cal.add(D(2026, 12, 31), 3)


@pytest.mark.django_db
def test_command_add_and_check(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("workdays", "add", "2026-09-30", "5")
    assert capsys.readouterr().out.strip() == "2026-10-13"
    call_command("workdays", "check", "2026-10-10")
    out = capsys.readouterr().out
    assert out.startswith("working day") and "调休" in out
    call_command("workdays", "check", "2026-10-01")
    out = capsys.readouterr().out
    assert out.startswith("rest day") and "国庆" in out
    with pytest.raises(CommandError, match="2027"):
        call_command("workdays", "add", "2027-05-01", "1")
    with pytest.raises(CommandError, match="2027"):
        call_command("workdays", "check", "2027-05-01")
