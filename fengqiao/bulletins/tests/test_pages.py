"""The staff pages: a scoped, filterable list; publish, edit and withdraw drive their services;
a refusal comes back as the service's message and changes nothing; out of scope is 404; the
list costs the same number of queries for 3 bulletins or 30."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fengqiao.bulletins.choices import BulletinEventKind, BulletinKind, BulletinUrgency
from fengqiao.bulletins.models import Bulletin
from fengqiao.bulletins.services import bulletin_withdraw
from fengqiao.bulletins.tests.conftest import DAY, NOW, publish
from fengqiao.conftest import World
from fengqiao.org.models import User

pytestmark = pytest.mark.django_db

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def page(response: Any) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def bulletins(world: World, clock: Any) -> dict[str, Bulletin]:
    """One of each state around township A, and one of township B."""
    a = world.a.users["township_operator"]
    made = {
        "county": publish(world.county_operator, world.county.territory_code, title="全县禁毒宣传"),
        "in_force": publish(a, world.a.area.territory_code, title="双堰反诈预警"),
        "scheduled": publish(
            a,
            world.a.village.territory_code,
            title="一村防汛演练通知",
            kind=BulletinKind.NATURAL_DISASTER,
            valid_from=NOW + DAY,
        ),
        "withdrawn": publish(a, world.a.grid.code, title="网格交通提示"),
        "b": publish(
            world.b.users["township_operator"], world.b.area.territory_code, title="文腾治安提示"
        ),
    }
    bulletin_withdraw(bulletin=made["withdrawn"], actor=a, reason="发错网格", now=NOW)
    return made


def test_list_shows_what_lies_within_or_above_the_territory(
    client: Client, world: World, bulletins: dict[str, Bulletin]
) -> None:
    text = page(
        signed_in(client, world.a.users["township_operator"]).get(reverse("bulletins:list"))
    )
    for title in ("全县禁毒宣传", "双堰反诈预警", "一村防汛演练通知", "网格交通提示"):
        assert title in text
    assert "文腾治安提示" not in text
    assert "Publish a bulletin" in text

    # A grid worker reads what reaches their grid (read-only, nothing to publish).
    client.logout()
    text = page(signed_in(client, world.a.users["grid_worker"]).get(reverse("bulletins:list")))
    assert "双堰反诈预警" in text and "网格交通提示" in text and "全县禁毒宣传" in text
    assert "一村防汛演练通知" in text  # the grid's village is above it
    assert "文腾治安提示" not in text
    assert "Publish a bulletin" not in text


def test_list_filters(client: Client, world: World, bulletins: dict[str, Bulletin]) -> None:
    client = signed_in(client, world.a.users["township_operator"])
    url = reverse("bulletins:list")

    def titles(**params: str) -> set[str]:
        text = page(client.get(url, params))
        return {b.title for b in bulletins.values() if b.title in text}

    assert titles(state="in_force") == {"全县禁毒宣传", "双堰反诈预警"}
    assert titles(state="scheduled") == {"一村防汛演练通知"}
    assert titles(state="withdrawn") == {"网格交通提示"}
    assert titles(state="expired") == set()
    assert titles(kind="natural_disaster") == {"一村防汛演练通知"}
    assert titles(territory="520524001201") == {"一村防汛演练通知", "网格交通提示"}
    assert titles(q="反诈") == {"双堰反诈预警"}
    # A wrong filter value is dropped, not an error page.
    assert titles(state="nonsense") == {
        "全县禁毒宣传",
        "双堰反诈预警",
        "一村防汛演练通知",
        "网格交通提示",
    }


def test_list_for_htmx_is_the_results_alone(
    client: Client, world: World, bulletins: dict[str, Bulletin]
) -> None:
    client = signed_in(client, world.a.users["township_operator"])
    response = client.get(
        reverse("bulletins:list"),
        {"state": "in_force"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="bulletin-results",
    )
    text = page(response)
    assert "<form" not in text
    assert "双堰反诈预警" in text
    assert "HX-Request" in response["Vary"]


def test_department_staff_have_no_list(client: Client, world: World) -> None:
    response = signed_in(client, world.a.users["dept_handler"]).get(reverse("bulletins:list"))
    assert response.status_code == 403


def test_anonymous_is_sent_to_log_in(client: Client) -> None:
    response = client.get(reverse("bulletins:list"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_list_queries_do_not_grow_with_rows(client: Client, world: World, clock: Any) -> None:
    operator = world.a.users["township_operator"]
    client = signed_in(client, operator)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("bulletins:list")).status_code == 200
        return len(queries)

    for n in range(3):
        publish(
            operator, world.a.grid.code if n % 2 else world.a.area.territory_code, title=f"#{n}"
        )
    few = count()
    for n in range(27):
        publish(world.county_operator, world.a.village.territory_code, title=f"##{n}")
    assert count() == few


def test_out_of_scope_is_not_found(
    client: Client, world: World, bulletins: dict[str, Bulletin]
) -> None:
    client = signed_in(client, world.a.users["township_operator"])
    pk = bulletins["b"].pk
    assert client.get(reverse("bulletins:detail", args=[pk])).status_code == 404
    assert client.get(reverse("bulletins:edit", args=[pk])).status_code == 404
    response = client.post(reverse("bulletins:withdraw", args=[pk]), {"reason": "x", "version": 1})
    assert response.status_code == 404
    assert client.get(reverse("bulletins:detail", args=[999999])).status_code == 404
    bulletins["b"].refresh_from_db()
    assert bulletins["b"].withdrawn_at is None


def test_seen_but_not_managed_is_forbidden(
    client: Client, world: World, bulletins: dict[str, Bulletin]
) -> None:
    """A county bulletin is visible to township A but managed by the county."""
    client = signed_in(client, world.a.users["township_operator"])
    pk = bulletins["county"].pk
    text = page(client.get(reverse("bulletins:detail", args=[pk])))
    assert "全县禁毒宣传" in text
    assert "Withdraw this bulletin" not in text
    assert reverse("bulletins:edit", args=[pk]) not in text
    assert client.get(reverse("bulletins:edit", args=[pk])).status_code == 403
    response = client.post(reverse("bulletins:withdraw", args=[pk]), {"reason": "x", "version": 1})
    assert response.status_code == 403


def test_publish_page(client: Client, world: World, clock: Any) -> None:
    client = signed_in(client, world.a.users["township_operator"])
    form = page(client.get(reverse("bulletins:new")))
    assert 'value="520524001"' in form  # the publisher's own territory to start with
    assert "双堰街道一村" in form  # suggested targets
    assert "文腾街道" not in form

    response = client.post(
        reverse("bulletins:new"),
        {
            "kind": "anti_fraud",
            "urgency": "urgent",
            "title": "紧急提醒：冒充客服退款诈骗",
            "body": "接到自称客服要求退款的电话请立即挂断。",
            "territory_code": "520524001",
            "valid_from": "2026-06-08T09:00",
            "valid_until": "2026-06-15T18:00",
        },
    )
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("bulletins:detail", args=[bulletin.pk])
    assert bulletin.is_pinned
    assert bulletin.kind == BulletinKind.ANTI_FRAUD
    assert bulletin.valid_until.isoformat() == "2026-06-15T10:00:00+00:00"
    detail = page(client.get(response["Location"]))
    assert "published." in detail
    assert "紧急提醒：冒充客服退款诈骗" in detail
    assert "Withdraw this bulletin" in detail


def test_publish_refusal_comes_back_on_its_field(client: Client, world: World, clock: Any) -> None:
    client = signed_in(client, world.a.users["township_operator"])
    response = client.post(
        reverse("bulletins:new"),
        {
            "kind": "anti_drug",
            "urgency": "normal",
            "title": "禁毒宣传",
            "body": "珍爱生命，远离毒品。",
            "territory_code": "520524002",
            "valid_from": "2026-06-08T09:00",
            "valid_until": "2026-06-15T18:00",
        },
    )
    assert response.status_code == 200
    text = page(response)
    assert "520524002 is outside your territory: aim at 520524001 or a place under it." in text
    assert not Bulletin.objects.exists()


@pytest.mark.parametrize("role", ["village_operator", "grid_worker", "dept_leader"])
def test_publish_is_forbidden_to_others(client: Client, world: World, role: str) -> None:
    client = signed_in(client, world.a.users[role])
    assert client.get(reverse("bulletins:new")).status_code == 403
    assert client.post(reverse("bulletins:new"), {}).status_code == 403


def test_a_center_leader_publishes(
    client: Client, world: World, center_leader: User, clock: Any
) -> None:
    client = signed_in(client, center_leader)
    assert client.get(reverse("bulletins:new")).status_code == 200
    assert client.get(reverse("bulletins:list")).status_code == 200


def test_edit_page(client: Client, world: World, bulletins: dict[str, Bulletin]) -> None:
    client = signed_in(client, world.a.users["township_operator"])
    bulletin = bulletins["in_force"]
    url = reverse("bulletins:edit", args=[bulletin.pk])
    form = page(client.get(url))
    assert 'value="2026-06-08T09:00"' in form  # local time, to the minute
    data = {
        "kind": bulletin.kind,
        "urgency": "urgent",
        "title": bulletin.title,
        "body": bulletin.body,
        "territory_code": bulletin.territory_code,
        "valid_from": "2026-06-08T09:00",
        "valid_until": "2026-06-15T09:00",
        "version": bulletin.version,
    }
    # Sent back unchanged: nothing written.
    response = client.post(url, {**data, "urgency": "normal"}, follow=True)
    assert "Nothing changed." in page(response)
    assert bulletin.events.count() == 1

    response = client.post(url, data)
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.is_pinned
    assert bulletin.version == 2
    detail = page(client.get(reverse("bulletins:detail", args=[bulletin.pk])))
    assert "Urgency: Normal → Urgent" in detail

    # The same form again is a stale page now.
    response = client.post(url, {**data, "title": "再改"})
    assert response.status_code == 200
    assert "Someone else changed the bulletin" in page(response)
    bulletin.refresh_from_db()
    assert bulletin.title == "双堰反诈预警"


def test_withdraw_from_the_page(
    client: Client, world: World, bulletins: dict[str, Bulletin]
) -> None:
    client = signed_in(client, world.a.users["township_operator"])
    bulletin = bulletins["in_force"]
    url = reverse("bulletins:withdraw", args=[bulletin.pk])

    response = client.post(url, {"reason": "", "version": bulletin.version})
    assert response.status_code == 200
    assert "Say why the bulletin is withdrawn." in page(response)
    bulletin.refresh_from_db()
    assert bulletin.withdrawn_at is None

    response = client.post(url, {"reason": "预警解除", "version": bulletin.version}, follow=True)
    text = page(response)
    assert "withdrawn." in text
    assert "预警解除" in text
    assert "Withdraw this bulletin" not in text
    bulletin.refresh_from_db()
    assert bulletin.withdrawn_reason == "预警解除"
    assert list(bulletin.events.values_list("kind", flat=True)) == [
        BulletinEventKind.PUBLISHED,
        BulletinEventKind.WITHDRAWN,
    ]

    # Again (a second tab): refused with the service's message.
    response = client.post(url, {"reason": "再撤", "version": bulletin.version})
    assert "was already withdrawn on" in page(response)
    assert bulletin.events.count() == 2


def test_withdrawn_urgent_leaves_the_household_page_data(world: World, clock: Any) -> None:
    from fengqiao.bulletins.selectors import bulletins_for_territory

    operator = world.a.users["township_operator"]
    urgent = publish(operator, world.a.area.territory_code, urgency=BulletinUrgency.URGENT)
    assert bulletins_for_territory(world.a.household.territory_code) == [urgent]
    bulletin_withdraw(bulletin=urgent, actor=operator, reason="已解除")
    assert bulletins_for_territory(world.a.household.territory_code) == []
