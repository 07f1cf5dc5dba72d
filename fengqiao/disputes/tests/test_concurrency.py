"""Two people at once, on a real PostgreSQL: the row lock makes the second wait, then the
state guard refuses them; numbers are never given twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from fengqiao.conftest import World, at_once
from fengqiao.disputes import services
from fengqiao.disputes.choices import DisputeStatus, Outcome, ReferralRoute
from fengqiao.disputes.models import Dispute
from fengqiao.disputes.tests.conftest import Mediation, register, to_mediation

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL's row locks and concurrent connections",
    ),
    # Transactional (the threads need committed rows); serialized so that the flush at the
    # end leaves the content types the other transactional tests restore.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("english", "clock"),
]


def test_two_outcomes_at_once_one_wins(world: World, mediation: Mediation) -> None:
    dispute = to_mediation(world, mediation)
    version = dispute.version

    def outcome(route: str) -> Callable[[], Any]:
        return lambda: services.dispute_record_outcome(
            dispute=dispute,
            actor=mediation.mediator_user,
            outcome=Outcome.NO_AGREEMENT,
            referral_route=route,
            note="分歧较大",
            version=version,
        )

    results = at_once(outcome(ReferralRoute.LITIGATION), outcome(ReferralRoute.ARBITRATION))
    wins = [r for r in results if isinstance(r, Dispute)]
    refusals = [r for r in results if isinstance(r, ValidationError)]
    assert len(wins) == 1 and len(refusals) == 1, results
    assert "Reload the page" in refusals[0].messages[0]
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.REFERRED
    assert dispute.events.filter(kind="outcome").count() == 1


def test_registrations_at_once_get_distinct_numbers(world: World) -> None:
    results = at_once(*[(lambda n=n: register(world, name=f"纠纷{n}")) for n in range(6)])
    assert all(isinstance(r, Dispute) for r in results), results
    numbers = sorted(r.number for r in results)
    assert numbers == [f"D520524-2026-{n:05d}" for n in range(1, 7)]
