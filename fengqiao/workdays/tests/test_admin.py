"""Working-day overrides entered in the admin change the calendar's answers as soon as the
change is committed, and removing one restores what the library says."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from fengqiao.conftest import World
from fengqiao.workdays.choices import DayKind
from fengqiao.workdays.models import WorkdayOverride
from fengqiao.workdays.schedule import calendar, invalidate_calendar

pytestmark = pytest.mark.django_db
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

ORDINARY_MONDAY = datetime.date(2026, 6, 8)
ORDINARY_SATURDAY = datetime.date(2026, 6, 13)


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    # The calendar is cached per process: a test's overrides are rolled back with its
    # transaction, but the cached calendar would keep them for the next test.
    invalidate_calendar()
    yield
    invalidate_calendar()


@pytest.fixture
def admin_client(world: World, client: Client) -> Client:
    client.force_login(world.admin, backend=MODEL_BACKEND)
    return client


def add_override(client: Client, day: datetime.date, kind: DayKind, reason: str) -> Any:
    return client.post(
        reverse("admin:workdays_workdayoverride_add"),
        {"date": day.isoformat(), "kind": kind, "reason": reason, "_save": "Save"},
    )


def test_adding_and_removing_an_override_changes_the_calendar(
    admin_client: Client, world: World, django_capture_on_commit_callbacks: Any
) -> None:
    assert calendar().is_working_day(ORDINARY_MONDAY)  # built and cached before the change
    assert calendar().add(datetime.date(2026, 6, 5), 1) == ORDINARY_MONDAY

    with django_capture_on_commit_callbacks(execute=True):
        response = add_override(admin_client, ORDINARY_MONDAY, DayKind.REST, "地方假日")
    assert response.status_code == 302
    override = WorkdayOverride.objects.get(date=ORDINARY_MONDAY)
    assert override.created_by == world.admin
    assert not calendar().is_working_day(ORDINARY_MONDAY)
    assert calendar().explain(ORDINARY_MONDAY).reason == "地方假日"
    # Friday + 1 working day now skips the Monday.
    assert calendar().add(datetime.date(2026, 6, 5), 1) == datetime.date(2026, 6, 9)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:workdays_workdayoverride_delete", args=[override.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not WorkdayOverride.objects.exists()
    assert calendar().is_working_day(ORDINARY_MONDAY)


def test_changing_an_override_in_the_admin_changes_the_answer(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    assert not calendar().is_working_day(ORDINARY_SATURDAY)
    with django_capture_on_commit_callbacks(execute=True):
        add_override(admin_client, ORDINARY_SATURDAY, DayKind.WORKING, "补班")
    assert calendar().is_working_day(ORDINARY_SATURDAY)

    override = WorkdayOverride.objects.get(date=ORDINARY_SATURDAY)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:workdays_workdayoverride_change", args=[override.pk]),
            {
                "date": ORDINARY_SATURDAY.isoformat(),
                "kind": DayKind.REST,
                "reason": "取消补班",
                "_save": "Save",
            },
        )
    assert response.status_code == 302
    assert WorkdayOverride.objects.count() == 1
    assert not calendar().is_working_day(ORDINARY_SATURDAY)
    assert calendar().explain(ORDINARY_SATURDAY).reason == "取消补班"


def test_an_override_makes_an_unknown_year_known(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    far = datetime.date(2099, 1, 1)
    assert far.year not in calendar().years
    with django_capture_on_commit_callbacks(execute=True):
        add_override(admin_client, far, DayKind.REST, "元旦")
    assert far.year in calendar().years
    assert not calendar().is_working_day(far)
    assert calendar().is_working_day(datetime.date(2099, 1, 2))  # a Friday
