"""Set-up for the dispute register's tests: a stopped clock, committees with mediators, and
helpers that build disputes through the services (never by writing rows directly)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from fengqiao.conftest import PASSWORD, World, make_id_number
from fengqiao.disputes import services
from fengqiao.disputes.choices import (
    AgreementForm,
    CommitteeKind,
    DisputeType,
    Outcome,
    PartyRole,
    Source,
)
from fengqiao.disputes.models import Dispute, MediationAgreement, MediationCommittee, Mediator
from fengqiao.org.choices import Role
from fengqiao.org.models import User
from fengqiao.org.services import staff_create

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday morning in an ordinary week of 2026 (the holiday schedule is known).
MONDAY_0900 = datetime.datetime(2026, 6, 8, 9, 0, tzinfo=SHANGHAI)
OCCURRED = datetime.date(2026, 6, 1)

APPLICANT_ID = make_id_number(birth="19750304", seq=81)
RESPONDENT_ID = make_id_number(birth="19820716", seq=82)


@pytest.fixture
def clock() -> Iterator[Any]:
    """Time stands at Monday 2026-06-08 09:00 Shanghai; tests move it with ``clock.move_to``."""
    with time_machine.travel(MONDAY_0900, tick=False) as traveller:
        yield traveller


@pytest.fixture
def english() -> Iterator[None]:
    """Service messages in English (the source strings), so tests can match them."""
    with translation.override("en"):
        yield


@pytest.fixture
def english_pages(client: Any) -> None:
    """Pages in English (the source strings), as a browser asking for English gets them."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@dataclass
class Mediation:
    """The mediation set-up of township A: its village committee with a mediator who has a
    staff account, the township committee, and township B's committee."""

    village_committee: MediationCommittee
    township_committee: MediationCommittee
    other_committee: MediationCommittee
    mediator: Mediator
    township_mediator: Mediator
    other_mediator: Mediator
    mediator_user: User


@pytest.fixture
def mediation(world: World) -> Mediation:
    village = MediationCommittee.objects.create(
        name="双堰一村人民调解委员会",
        kind=CommitteeKind.VILLAGE,
        territory_code=world.a.village.territory_code,
        number_prefix="双一调",
    )
    township = MediationCommittee.objects.create(
        name="双堰街道人民调解委员会",
        kind=CommitteeKind.TOWNSHIP,
        territory_code=world.a.area.territory_code,
        number_prefix="织双调",
    )
    other = MediationCommittee.objects.create(
        name="文腾街道人民调解委员会",
        kind=CommitteeKind.TOWNSHIP,
        territory_code=world.b.area.territory_code,
        number_prefix="织文调",
    )
    user = staff_create(
        username="mediator1",
        password=PASSWORD,
        full_name="王调解",
        role=Role.CENTER_OPERATOR,
        scope_code=world.a.village.territory_code,
    )
    mediator = Mediator.objects.create(committee=village, name="王调解", title="主任", user=user)
    township_mediator = Mediator.objects.create(
        committee=township, name="陈调解", title="专职调解员"
    )
    other_mediator = Mediator.objects.create(committee=other, name="赵调解")
    return Mediation(village, township, other, mediator, township_mediator, other_mediator, user)


def parties() -> tuple[services.PartyInput, services.PartyInput]:
    return (
        services.PartyInput(
            name="张某甲",
            role=PartyRole.APPLICANT,
            id_number=APPLICANT_ID,
            ethnicity="汉族",
            address="双堰街道一村三组12号",
            phone="13800001111",
        ),
        services.PartyInput(
            name="李某乙",
            role=PartyRole.RESPONDENT,
            id_number=RESPONDENT_ID,
            ethnicity="苗族",
            address="双堰街道一村三组14号",
        ),
    )


def dispute_input(world: World, **overrides: Any) -> services.DisputeInput:
    values: dict[str, Any] = {
        "name": "宅基地排水沟纠纷",
        "occurred_on": OCCURRED,
        "place": "双堰街道一村三组",
        "territory_code": world.a.grid.code,
        "dispute_type": DisputeType.HOUSING_HOMESTEAD,
        "summary": "乙方修建围墙占用公共排水沟，雨季积水倒灌甲方厨房，双方多次争吵。",
        "source": Source.GRID_VISIT,
        "people_involved": 2,
        "parties": parties(),
    }
    values.update(overrides)
    return services.DisputeInput(**values)


def register(world: World, **overrides: Any) -> Dispute:
    """A dispute found by township A's grid worker on a screening visit."""
    return services.dispute_register(
        data=dispute_input(world, **overrides), actor=world.a.users["grid_worker"]
    )


def to_mediation(world: World, mediation: Mediation, dispute: Dispute | None = None) -> Dispute:
    """Registered, sent up to the village, assigned to its committee."""
    dispute = dispute or register(world)
    dispute = services.dispute_escalate(
        dispute=dispute, actor=world.a.users["grid_worker"], reason="需要村调委会调解"
    )
    return services.dispute_assign(
        dispute=dispute,
        actor=world.a.users["village_operator"],
        committee=mediation.village_committee,
        mediator=mediation.mediator,
    )


def to_agreement(world: World, mediation: Mediation) -> tuple[Dispute, MediationAgreement]:
    """Mediated in one session to a written agreement, drawn up on the day."""
    dispute = to_mediation(world, mediation)
    actor = mediation.mediator_user
    services.session_record(
        dispute=dispute,
        actor=actor,
        held_on=datetime.date(2026, 6, 5),
        place="一村调解室",
        participants="张某甲、李某乙、王调解",
        record="双方同意乙方拆除占用排水沟部分的围墙并赔偿800元。",
        parties_confirmed=True,
    )
    dispute = services.dispute_record_outcome(
        dispute=dispute,
        actor=actor,
        outcome=Outcome.AGREEMENT,
        agreement_form=AgreementForm.WRITTEN,
    )
    agreement = services.agreement_create(
        dispute=dispute, actor=actor, data=agreement_input(mediation)
    )
    dispute.refresh_from_db()
    return dispute, agreement


def agreement_input(mediation: Mediation, **overrides: Any) -> services.AgreementInput:
    values: dict[str, Any] = {
        "facts": "乙方修建围墙占用公共排水沟约3.5米，致使积水倒灌甲方厨房。",
        "matters": "围墙是否占用排水沟；损失由谁承担。",
        "responsibilities": "乙方负主要责任，甲方负次要责任。",
        "rights_obligations": "乙方于2026年6月30日前拆除围墙并赔偿甲方800元。",
        "performance_method": "乙方自行拆除；赔偿款当面交付",
        "performance_place": "双堰街道一村",
        "performance_deadline": datetime.date(2026, 6, 30),
        "signed_on": datetime.date(2026, 6, 5),
        "mediator": mediation.mediator,
    }
    values.update(overrides)
    return services.AgreementInput(**values)
