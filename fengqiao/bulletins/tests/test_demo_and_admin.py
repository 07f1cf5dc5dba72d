"""The demo bulletins, and the admin's read-only, scoped window."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from fengqiao.bulletins.choices import BulletinKind
from fengqiao.bulletins.demo import DEMO_BULLETINS, load_demo
from fengqiao.bulletins.models import Bulletin, BulletinEvent
from fengqiao.bulletins.selectors import bulletins_for_territory
from fengqiao.bulletins.tests.conftest import publish
from fengqiao.conftest import World
from fengqiao.org.choices import Role
from fengqiao.org.services import staff_create

pytestmark = pytest.mark.django_db


def test_demo_publishes_once(world: World, clock: Any) -> None:
    code = world.a.area.territory_code
    made = load_demo(township_code=code, actor=world.a.users["township_operator"])
    assert made == len(DEMO_BULLETINS) >= 3
    assert BulletinEvent.objects.count() == made
    assert load_demo(township_code=code, actor=world.a.users["township_operator"]) == 0
    assert Bulletin.objects.count() == made

    seen = bulletins_for_territory(world.a.household.territory_code)
    assert len(seen) == made
    assert seen[0].kind == BulletinKind.ANTI_FRAUD and seen[0].is_pinned
    assert {b.kind for b in seen} >= {
        BulletinKind.ANTI_FRAUD,
        BulletinKind.NATURAL_DISASTER,
        BulletinKind.ANTI_DRUG,
    }
    assert bulletins_for_territory(world.b.household.territory_code) == []
    # Another township is loaded independently.
    assert load_demo(township_code=world.b.area.territory_code, actor=world.admin) == made


def test_demo_needs_an_actor_who_may_publish(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        load_demo(township_code=world.a.area.territory_code, actor=world.a.users["grid_worker"])
    assert not Bulletin.objects.exists()


def test_admin_is_read_only_and_scoped(client: Client, world: World, clock: Any) -> None:
    a_bulletin = publish(
        world.a.users["township_operator"], world.a.area.territory_code, title="双堰公告"
    )
    b_bulletin = publish(
        world.b.users["township_operator"], world.b.area.territory_code, title="文腾公告"
    )
    admin_a = staff_create(
        username="admin_a",
        password="Test-pass-2026",
        full_name="双堰管理员",
        role=Role.ADMINISTRATOR,
        scope_code=world.a.area.territory_code,
    )
    for user in (world.admin, admin_a):
        user.is_staff = True
        user.save(update_fields=["is_staff"])

    client.force_login(admin_a, backend="django.contrib.auth.backends.ModelBackend")
    listing = client.get(reverse("admin:bulletins_bulletin_changelist")).content.decode()
    assert "双堰公告" in listing and "文腾公告" not in listing
    assert (
        client.get(reverse("admin:bulletins_bulletin_change", args=[b_bulletin.pk])).status_code
        == 404
    )
    change = client.get(reverse("admin:bulletins_bulletin_change", args=[a_bulletin.pk]))
    assert change.status_code == 200
    assert 'name="title"' not in change.content.decode()  # nothing to edit here
    assert client.get(reverse("admin:bulletins_bulletin_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:bulletins_bulletin_delete", args=[a_bulletin.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Bulletin.objects.count() == 2

    client.force_login(
        world.a.users["township_operator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert client.get(reverse("admin:bulletins_bulletin_changelist")).status_code == 302


def test_the_app_catalogue_speaks_chinese() -> None:
    from django.utils import translation

    from fengqiao.bulletins.choices import BulletinState, BulletinUrgency

    with translation.override("zh-hans"):
        assert str(BulletinKind.ANTI_FRAUD.label) == "反诈"
        assert str(BulletinUrgency.URGENT.label) == "紧急"
        assert str(BulletinState.WITHDRAWN.label) == "已撤回"
        assert translation.gettext("Publish a bulletin") == "发布宣传信息"
