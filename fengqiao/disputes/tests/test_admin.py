"""The admin: committees and mediators managed by administrators within their scope; the
register read-only."""

from __future__ import annotations

from typing import Any

import pytest

from fengqiao.conftest import PASSWORD, World
from fengqiao.disputes.choices import CommitteeKind
from fengqiao.disputes.models import MediationCommittee, Mediator
from fengqiao.disputes.tests.conftest import Mediation, register
from fengqiao.org.choices import Role
from fengqiao.org.services import staff_create

pytestmark = pytest.mark.usefixtures("clock", "english", "english_pages")


@pytest.fixture
def township_admin(world: World) -> Any:
    return staff_create(
        username="admin_a",
        password=PASSWORD,
        full_name="双堰管理员",
        role=Role.ADMINISTRATOR,
        scope_code=world.a.area.territory_code,
    )


def test_an_administrator_adds_a_committee_and_a_mediator(
    world: World, client: Any, township_admin: Any, mediation: Mediation
) -> None:
    client.force_login(township_admin)
    response = client.post(
        "/admin/disputes/mediationcommittee/add/",
        {
            "name": "双堰街道物业纠纷人民调解委员会",
            "kind": CommitteeKind.INDUSTRY,
            "territory_code": world.a.area.territory_code,
            "number_prefix": "双物调",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    committee = MediationCommittee.objects.get(number_prefix="双物调")
    outside = client.post(
        "/admin/disputes/mediationcommittee/add/",
        {
            "name": "文腾某委员会",
            "kind": CommitteeKind.VILLAGE,
            "territory_code": world.b.village.territory_code,
            "number_prefix": "文某调",
        },
    )
    assert outside.status_code == 200 and "within your territory" in outside.content.decode()
    assert (
        client.get(
            f"/admin/disputes/mediationcommittee/{mediation.other_committee.pk}/change/"
        ).status_code
        == 404
    )
    response = client.post(
        "/admin/disputes/mediator/add/",
        {
            "committee": committee.pk,
            "name": "孔调解",
            "title": "委员",
            "phone_number": "13908571234",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    mediator = Mediator.objects.get(name="孔调解")
    assert mediator.phone == "13908571234" and mediator.phone_digest
    assert mediator.territory_code == world.a.area.territory_code
    listing = client.get("/admin/disputes/mediator/").content.decode()
    assert "139****1234" in listing and "13908571234" not in listing
    assert "赵调解" not in listing  # township B's mediator


def test_the_register_is_read_only_in_the_admin(
    world: World, client: Any, township_admin: Any
) -> None:
    dispute = register(world)
    client.force_login(township_admin)
    page = client.get(f"/admin/disputes/dispute/{dispute.pk}/change/")
    assert page.status_code == 200 and dispute.number in page.content.decode()
    assert client.get("/admin/disputes/dispute/add/").status_code == 403
    client.force_login(world.a.users["township_operator"])
    assert client.get("/admin/disputes/dispute/").status_code == 302  # not an administrator
