"""The demo loader: committees, mediators and disputes in every state, idempotent."""

from __future__ import annotations

import pytest

from fengqiao.conftest import World
from fengqiao.disputes.choices import DisputeStatus
from fengqiao.disputes.demo import DISPUTES, load_demo
from fengqiao.disputes.models import Dispute, MediationAgreement, MediationCommittee, Mediator

pytestmark = pytest.mark.usefixtures("clock")


def test_the_demo_loads_every_state_once(world: World) -> None:
    code = world.a.area.territory_code
    assert load_demo(township_code=code, actor=world.a.users["township_operator"]) == len(DISPUTES)
    assert load_demo(township_code=code, actor=world.a.users["township_operator"]) == 0
    assert load_demo(township_code=code, actor=None) == 0
    statuses = set(Dispute.objects.within(code).values_list("status", flat=True))
    assert statuses == set(DisputeStatus.values)
    assert MediationCommittee.objects.within(code).count() == 3
    assert Mediator.objects.count() == 4
    assert MediationAgreement.objects.count() == 3
    assert Dispute.objects.filter(resolved_at__isnull=False).count() == 2
    assert Dispute.objects.filter(violent_risk=True).get().supervisions.count() == 2
    assert not Dispute.objects.within(world.b.area.territory_code).exists()


def test_an_unknown_township_loads_nothing(world: World) -> None:
    assert load_demo(township_code="520524099", actor=world.admin) == 0
