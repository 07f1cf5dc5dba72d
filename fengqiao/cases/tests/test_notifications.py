"""The in-app inbox: each user's own notifications, marked read one by one or all at once,
and an unread badge in the navigation that costs one COUNT on the partial index."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fengqiao.cases.choices import EventKind
from fengqiao.cases.models import Case, Notification
from fengqiao.cases.tests.test_pages import signed_in, submit, text_of
from fengqiao.conftest import World
from fengqiao.org.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def unread(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_queries(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "cases_notification" in q["sql"]]


def test_the_inbox_lists_only_the_users_own_notifications(
    world: World, client: Client, clock: Any
) -> None:
    case = submit(world, title="噪音")  # the township center is told of the new case
    submit(world, township="b", title="别处")
    operator = world.a.users["township_operator"]
    response = signed_in(client, operator).get(reverse("cases:inbox"))
    page = text_of(response)
    assert f"New case {case.number}: 噪音" in page
    assert "别处" not in page
    assert [n.case_id for n in response.context["page"]] == [case.pk]


def test_the_badge_counts_unread_with_one_query(world: World, client: Client, clock: Any) -> None:
    operator = world.a.users["township_operator"]
    for _ in range(3):
        submit(world)
    signed_in(client, operator)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    assert '<span class="unread-badge" aria-label="3 unread">3</span>' in response.content.decode()
    sql = notification_queries(queries)
    assert len(sql) == 1 and "COUNT(" in sql[0].upper() and "IS NULL" in sql[0].upper()

    Notification.objects.filter(user=operator).update(read_at=timezone.now())
    assert "unread-badge" not in client.get(reverse("home")).content.decode()


def test_the_unread_count_uses_the_partial_index(world: World, clock: Any) -> None:
    operator = world.a.users["township_operator"]
    submit(world)
    query = Notification.objects.filter(user_id=operator.pk, read_at__isnull=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A tiny test table would be scanned whole; forbid that to see the index is usable.
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = query.explain()
    assert "notification_unread" in plan


def test_mark_one_read_and_open_its_case(world: World, client: Client, clock: Any) -> None:
    operator = world.a.users["township_operator"]
    first, second = submit(world, title="一"), submit(world, title="二")
    signed_in(client, operator)
    note = Notification.objects.get(user=operator, case=first)
    response = client.post(reverse("cases:notification_read", args=[note.pk]))
    assert response.status_code == 302 and response.url == reverse("cases:inbox")
    note.refresh_from_db()
    assert note.read_at is not None and unread(operator) == 1

    other = Notification.objects.get(user=operator, case=second)
    response = client.post(reverse("cases:notification_read", args=[other.pk]), {"open": "1"})
    assert response.url == reverse("cases:detail", args=[second.number])
    assert unread(operator) == 0
    assert client.get(reverse("cases:notification_read", args=[other.pk])).status_code == 405


def test_nobody_marks_someone_elses_notification(world: World, client: Client, clock: Any) -> None:
    submit(world)
    theirs = Notification.objects.get(user=world.a.users["township_operator"])
    signed_in(client, world.b.users["township_operator"])
    response = client.post(reverse("cases:notification_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(world: World, client: Client, clock: Any) -> None:
    operator = world.a.users["township_operator"]
    for _ in range(3):
        submit(world)
    submit(world, township="b")
    signed_in(client, operator)
    response = client.post(reverse("cases:notifications_read_all"), follow=True)
    assert "All notifications marked read." in text_of(response)
    assert unread(operator) == 0
    assert unread(world.b.users["township_operator"]) == 1
    assert 'class="unread"' not in response.content.decode()


def test_the_inbox_costs_the_same_for_5_and_30_notifications(
    world: World, client: Client, clock: Any, django_assert_num_queries: Any
) -> None:
    operator = world.a.users["township_operator"]
    case = submit(world)
    Notification.objects.filter(user=operator).delete()

    def notify(count: int) -> None:
        Notification.objects.bulk_create(
            Notification(user=operator, case=case, kind=EventKind.SUBMIT, message=f"消息{n}")
            for n in range(count)
        )

    signed_in(client, operator)
    notify(5)
    with CaptureQueriesContext(connection) as five:
        client.get(reverse("cases:inbox"))
    notify(25)
    with django_assert_num_queries(len(five)):
        response = client.get(reverse("cases:inbox"))
    assert len(response.context["page"]) == 30
    assert isinstance(response.context["page"][0].case, Case)
