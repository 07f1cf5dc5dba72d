"""The page a scanned doorplate opens, and what a wrong, revoked or guessed link gets."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengqiao.bulletins.choices import BulletinKind, BulletinUrgency
from fengqiao.bulletins.services import bulletin_publish
from fengqiao.conftest import World
from fengqiao.doorplates.services import doorplate_issue, doorplate_revoke
from fengqiao.residents.demo import load_demo
from fengqiao.residents.models import ServiceGuideEntry
from fengqiao.residents.tests.conftest import Plate

pytestmark = pytest.mark.django_db


@pytest.fixture
def guide(world: World) -> None:
    load_demo(township_code=world.a.area.territory_code, actor=None)
    ServiceGuideEntry.objects.create(
        territory_code=world.b.area.territory_code,
        title="文腾街道专属事项",
        where="文腾街道办事处",
    )


def test_the_household_page_has_address_contacts_guide_bulletins_and_report(
    client: Client, world: World, plate: Plate, guide: None
) -> None:
    world.a.users["grid_worker"].phone = "13800001111"
    world.a.users["grid_worker"].save()
    now = timezone.now()
    bulletin_publish(
        actor=world.a.users["township_operator"],
        kind=BulletinKind.NATURAL_DISASTER,
        title="暴雨红色预警",
        body="今晚有特大暴雨，请远离河道。",
        territory_code=world.a.area.territory_code,
        valid_from=now,
        valid_until=now + datetime.timedelta(days=1),
        urgency=BulletinUrgency.URGENT,
    )
    bulletin_publish(
        actor=world.b.users["township_operator"],
        kind=BulletinKind.ANTI_FRAUD,
        title="文腾反诈提醒",
        body="……",
        territory_code=world.b.area.territory_code,
        valid_from=now,
        valid_until=now + datetime.timedelta(days=1),
    )
    with CaptureQueriesContext(connection) as queries:
        page = client.get(plate.url)
    # The plate with household and grid, village name, grid workers, unit, unit head, guide,
    # bulletins (the rate-limit counters live in the cache, elsewhere in production).
    own = [q for q in queries if "fengqiao_cache" not in q["sql"] and "SAVEPOINT" not in q["sql"]]
    assert len(own) <= 7
    assert page.status_code == 200
    html = page.content.decode()
    assert world.a.household.doorplate in html
    assert "双堰街道网格员" in html and "138****1111" in html
    assert "13800001111" not in html  # the full number is never in the page
    assert "双堰街道联户长" in html  # the unit head (a staff login with that scope)
    assert "身份证办理与补领" in html and "所需材料" in html and "户口簿" in html
    assert "暴雨红色预警" in html
    assert f'href="{plate.url}report/"' in html
    # Nothing of the other township.
    assert "文腾" not in html and world.b.household.address not in html
    # The members of the household are not shown to whoever holds the plate.
    assert world.a.person.name not in html


def test_the_call_button_dials_the_grid_worker(client: Client, world: World, plate: Plate) -> None:
    world.a.users["grid_worker"].phone = "13800001111"
    world.a.users["grid_worker"].save()
    response = client.get(f"{plate.url}call/grid0/")
    assert response.status_code == 302 and response["Location"] == "tel:13800001111"
    assert client.get(f"{plate.url}call/unit/").status_code == 404  # no phone on record
    assert client.get(f"{plate.url}call/nobody/").status_code == 404


def test_a_wrong_token_reveals_nothing(client: Client, plate: Plate) -> None:
    wrong = client.get("/d/AAAAAAAAAAAAAAAAAAAAAA/")
    assert wrong.status_code == 404
    html = wrong.content.decode()
    assert "找不到此页面" in html
    assert "双堰" not in html


def test_a_revoked_plate_explains_what_to_do_and_reveals_nothing(
    client: Client, world: World, plate: Plate
) -> None:
    doorplate_revoke(
        doorplate=plate.doorplate, actor=world.a.users["township_operator"], reason="门牌丢失"
    )
    for url in (plate.url, f"{plate.url}report/", f"{plate.url}call/grid0/"):
        page = client.get(url)
        assert page.status_code == 410
        html = page.content.decode()
        assert "已停用" in html and "新门牌" in html
        assert world.a.household.address not in html and "网格员" in html
        assert "门牌丢失" not in html  # not even the reason


def test_a_reissued_plate_works_and_the_old_one_does_not(
    client: Client, world: World, plate: Plate
) -> None:
    new = doorplate_issue(household=world.a.household, actor=world.a.users["township_operator"])
    assert client.get(plate.url).status_code == 410
    assert client.get(f"/d/{new.token()}/").status_code == 200


def test_guessing_tokens_is_stopped_with_a_clear_page(
    client: Client, plate: Plate, settings: Any
) -> None:
    settings.RESIDENTS_RATE_LIMITS = {"bad_link:ip": (3, 3600)}
    for number in range(3):
        assert client.get(f"/d/guess{number:017d}/").status_code == 404
    page = client.get(plate.url)  # even a right token, from this address, for a while
    assert page.status_code == 429
    assert "分钟后再试" in page.content.decode()
    assert int(page["Retry-After"]) > 0
    # Another address is not affected.
    assert client.get(plate.url, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_guessing_tracking_links_counts_too(client: Client, settings: Any) -> None:
    settings.RESIDENTS_RATE_LIMITS = {"bad_link:ip": (2, 3600)}
    for _ in range(2):
        assert client.get("/d/t/00000000-0000-4000-8000-000000000000/").status_code == 404
    assert client.get("/d/t/00000000-0000-4000-8000-000000000001/").status_code == 429


def test_page_views_per_address_are_limited(
    client: Client, plate: Plate, settings: Any, clock: Any
) -> None:
    settings.RESIDENTS_RATE_LIMITS = {"view:ip": (2, 600)}
    assert client.get(plate.url).status_code == 200
    assert client.get(plate.url).status_code == 200
    page = client.get(plate.url)
    assert page.status_code == 429 and "10 分钟后再试" in page.content.decode()


def test_the_limit_behind_a_proxy_is_per_client(
    client: Client, plate: Plate, settings: Any
) -> None:
    settings.RESIDENTS_PROXY_COUNT = 1
    settings.RESIDENTS_RATE_LIMITS = {"view:ip": (1, 600)}
    assert client.get(plate.url, HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 200
    assert client.get(plate.url, HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 429
    # A client cannot escape by claiming another address in front of the proxy's entry.
    assert client.get(plate.url, HTTP_X_FORWARDED_FOR="9.9.9.9, 1.1.1.1").status_code == 429
    assert client.get(plate.url, HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 200


def test_another_households_plate_shows_only_that_household(
    client: Client, world: World, plate: Plate, other_plate: Plate
) -> None:
    html = client.get(other_plate.url).content.decode()
    assert world.b.household.doorplate in html
    assert world.a.household.address not in html and "双堰" not in html
