"""Demo data for the dispute register of one township: its mediation committees with their
mediators, and a handful of realistic disputes in every state (registered, being mediated at
high risk, 民转刑, agreed, resolved by performance, resolved by judicial confirmation,
referred, withdrawn). Everything is synthetic and goes through the services, so the timeline,
the numbers and the alerts are what real use would leave. Idempotent: committees and
mediators are found again by name, and a dispute whose name is already on the township's
register is not made twice.

The actor must be allowed to run the register there: an administrator, a superuser, or the
township center's operator; ``None`` picks the township's first operator (or a superuser).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from fengqiao.core.idnumbers import check_character
from fengqiao.core.privacy import lookup_digest
from fengqiao.disputes import services
from fengqiao.disputes.choices import (
    AgreementForm,
    CommitteeKind,
    DisputeType,
    Outcome,
    PartyRole,
    PerformanceResult,
    ReferralRoute,
    RiskLevel,
    Scale,
    Source,
)
from fengqiao.disputes.models import Dispute, MediationCommittee, Mediator
from fengqiao.org.choices import Role
from fengqiao.org.models import Department, User
from fengqiao.territory.models import Area, Grid


def _id_number(county: str, birth: str, seq: int) -> str:
    first17 = f"{county}{birth}{seq:03d}"
    return first17 + check_character(first17)


@dataclass(frozen=True)
class _Demo:
    name: str
    dispute_type: str
    days_ago: int
    summary: str
    parties: tuple[tuple[str, str, str], ...]  # (name, birth yyyymmdd, address)
    stage: str  # registered / mediating / agreed / performed / confirmed / referred / withdrawn
    risk: str = RiskLevel.LOW
    violent: bool = False
    scale: str = Scale.INDIVIDUAL
    people: int = 2
    source: str = Source.GRID_VISIT
    units: str = ""
    extra: dict[str, str] = field(default_factory=dict)


DISPUTES = (
    _Demo(
        "邻里排水沟堵塞纠纷",
        DisputeType.NEIGHBOUR,
        3,
        "两户共用排水沟被一方倒入建筑垃圾堵塞，雨天积水漫入另一户院坝，双方口角。",
        (("赵大军", "19700512", "三组8号"), ("钱小兰", "19781103", "三组9号")),
        "registered",
    ),
    _Demo(
        "宅基地边界争议",
        DisputeType.HOUSING_HOMESTEAD,
        12,
        "孙家翻建住房，李家认为新墙越过老界址约半米，双方多次争吵，扬言要推倒围墙。",
        (("孙国强", "19650420", "五组21号"), ("李春花", "19720916", "五组22号")),
        "mediating",
        risk=RiskLevel.HIGH,
        people=6,
        scale=Scale.SEVERAL,
    ),
    _Demo(
        "离婚后子女抚养费纠纷",
        DisputeType.MARRIAGE_FAMILY,
        9,
        "周某离婚后两年未付抚养费，吴某多次讨要未果，周某酒后到吴家吵闹，有肢体冲突苗头。",
        (("吴秀英", "19880215", "一组3号"), ("周建华", "19850708", "外出务工（浙江宁波）")),
        "mediating",
        risk=RiskLevel.MEDIUM,
        violent=True,
    ),
    _Demo(
        "山林界址纠纷",
        DisputeType.LAND_FOREST,
        25,
        "两组村民对林权证界址理解不一，为砍伐杉木发生争执，双方各有十余人到场。",
        (("郑德才", "19600101", "七组"), ("王德明", "19620303", "八组")),
        "agreed",
        scale=Scale.GROUP,
        people=24,
        source=Source.GRID_MEETING,
    ),
    _Demo(
        "拖欠农民工工资纠纷",
        DisputeType.UNPAID_WAGES,
        28,
        "某建筑工地包工头拖欠 6 名本村务工人员工资共 4.8 万元，工人到镇政府反映。",
        (("冯志刚", "19800621", "二组15号"), ("陈老板", "19751230", "县城建设路")),
        "performed",
        scale=Scale.SEVERAL,
        people=7,
        source=Source.WALK_IN,
        units="某劳务有限公司",
    ),
    _Demo(
        "道路交通事故赔偿纠纷",
        DisputeType.TRAFFIC,
        27,
        "摩托车与三轮车在村道相撞，一人轻伤，双方对医疗费和误工费数额有争议。",
        (("褚明亮", "19920909", "四组2号"), ("卫红梅", "19830418", "六组11号")),
        "confirmed",
        source=Source.REFERRAL,
    ),
    _Demo(
        "劳动合同解除纠纷",
        DisputeType.LABOUR,
        20,
        "蒋某在本地茶厂工作三年被辞退，要求支付经济补偿金，厂方认为其严重违纪。",
        (("蒋丽", "19900612", "九组5号"), ("沈厂长", "19700722", "茶厂")),
        "referred",
        units="某茶业有限公司",
    ),
    _Demo(
        "借款纠纷",
        DisputeType.CONTRACT,
        15,
        "韩某借给杨某 2 万元用于养牛，约定一年归还，逾期半年未还。",
        (("韩长林", "19680815", "十组1号"), ("杨永福", "19710227", "十组6号")),
        "withdrawn",
    ),
)

COMMITTEE_MEMBERS = ("主任", "副主任", "委员")


def _actor_for(township_code: str, actor: Any) -> Any:
    if actor is not None:
        return actor
    found = (
        User.objects.filter(role=Role.CENTER_OPERATOR, scope_code=township_code, is_active=True)
        .order_by("id")
        .first()
    ) or User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    if found is None:
        raise ValueError(f"no one can register disputes in {township_code}")
    return found


def _committees(township: Area) -> tuple[MediationCommittee, list[MediationCommittee]]:
    prefix = township.name[:2]
    top, _ = MediationCommittee.objects.get_or_create(
        territory_code=township.territory_code,
        name=f"{township.name}人民调解委员会",
        defaults={
            "kind": CommitteeKind.TOWNSHIP,
            "number_prefix": f"{prefix}调",
            "address": f"{township.name}综治中心一楼调解室",
        },
    )
    MediationCommittee.objects.get_or_create(
        territory_code=township.territory_code,
        name=f"{township.name}道路交通事故纠纷人民调解委员会",
        defaults={"kind": CommitteeKind.INDUSTRY, "number_prefix": f"{prefix}交调"},
    )
    villages = []
    for village in Area.objects.filter(
        parent=township, level="village", valid_to__isnull=True
    ).order_by("territory_code")[:3]:
        committee, _ = MediationCommittee.objects.get_or_create(
            territory_code=village.territory_code,
            name=f"{village.name}人民调解委员会",
            defaults={
                "kind": CommitteeKind.VILLAGE,
                "number_prefix": f"{prefix}{village.territory_code[-3:]}调",
                "address": f"{village.name}村民委员会调解室",
            },
        )
        villages.append(committee)
    surnames = "何吕施张孔曹严华金魏陶姜"
    for index, committee in enumerate([top, *villages]):
        for position, title in enumerate(COMMITTEE_MEMBERS[:2]):
            name = f"{surnames[(index * 2 + position) % len(surnames)]}调解员"
            if not Mediator.objects.filter(committee=committee, name=name).exists():
                Mediator.objects.create(
                    committee=committee,
                    name=name,
                    title=title,
                    phone=f"1390857{index:02d}{position:02d}",
                    phone_digest=lookup_digest(f"1390857{index:02d}{position:02d}", "phone"),
                )
    return top, villages


def _stages(dispute: Dispute, item: _Demo, *, actor: Any, today: datetime.date) -> Dispute:
    """Take the dispute as far as its stage, through the services."""
    if item.stage == "registered":
        return dispute
    if item.stage == "withdrawn":
        return services.dispute_record_outcome(
            dispute=dispute,
            actor=actor,
            outcome=Outcome.WITHDRAWN,
            note="双方私下协商一致，申请撤回调解。",
        )
    committee = services.committees_for(dispute)[0]
    mediator = committee.mediators.filter(is_active=True).order_by("id").first()
    assert mediator is not None
    dispute = services.dispute_assign(
        dispute=dispute, actor=actor, committee=committee, mediator=mediator
    )
    held = min(dispute.occurred_on + datetime.timedelta(days=2), today)
    services.session_record(
        dispute=dispute,
        actor=actor,
        held_on=held,
        place=committee.address or f"{committee.name}调解室",
        participants=f"{'、'.join(p[0] for p in item.parties)}、{mediator.name}",
        record="调解员分别听取双方陈述，核对现场和有关材料，释法析理，引导双方互谅互让。",
        parties_confirmed=True,
    )
    if item.stage == "mediating":
        return dispute
    if item.stage == "referred":
        return services.dispute_record_outcome(
            dispute=dispute,
            actor=actor,
            outcome=Outcome.NO_AGREEMENT,
            referral_route=ReferralRoute.ARBITRATION,
            note="双方对是否严重违纪分歧较大，已告知向县劳动人事争议仲裁委员会申请仲裁。",
        )
    dispute = services.dispute_record_outcome(
        dispute=dispute,
        actor=actor,
        outcome=Outcome.AGREEMENT,
        agreement_form=AgreementForm.WRITTEN,
    )
    agreement = services.agreement_create(
        dispute=dispute,
        actor=actor,
        data=services.AgreementInput(
            facts=item.summary,
            matters=f"{item.name}的责任划分及解决办法。",
            responsibilities="经调解，双方均认可各自存在过错，愿意各让一步。",
            rights_obligations="一、双方按调解确定的方案履行；\n二、履行完毕后双方就本纠纷再无其他争议。",
            performance_method="当面履行，调解员见证",
            performance_place=committee.address or committee.name,
            performance_deadline=held + datetime.timedelta(days=15),
            signed_on=held,
            mediator=mediator,
        ),
    )
    if item.stage == "performed":
        services.follow_up_record(
            dispute=dispute,
            actor=actor,
            visited_on=min(held + datetime.timedelta(days=10), today),
            result=PerformanceResult.PERFORMED,
            note="工资已全部结清，务工人员签字确认。",
        )
    elif item.stage == "confirmed":
        confirmation = services.confirmation_apply(
            dispute=dispute,
            actor=actor,
            applied_on=min(held + datetime.timedelta(days=3), today),
            court="县人民法院",
        )
        services.confirmation_decide(
            confirmation=confirmation,
            actor=actor,
            confirmed=True,
            decided_on=min(held + datetime.timedelta(days=8), today),
            ruling_number=f"（{held.year}）民特{agreement.sequence}号",
        )
    dispute.refresh_from_db()
    return dispute


@transaction.atomic
def load_demo(*, township_code: str, actor: Any) -> int:
    """Create the township's committees, mediators and demo disputes; returns how many
    disputes were created (0 when they are all there already, or the township is unknown)."""
    township = Area.objects.filter(
        territory_code=township_code, level="township", valid_to__isnull=True
    ).first()
    if township is None:
        return 0
    grids = list(Grid.objects.within(township_code).order_by("code")[:4])
    if not grids:
        return 0
    actor = _actor_for(township_code, actor)
    _committees(township)
    existing = set(Dispute.objects.within(township_code).values_list("name", flat=True))
    today = timezone.localdate()
    county = township_code[:6]
    created = 0
    meeting = None
    for index, item in enumerate(DISPUTES):
        if item.name in existing:
            continue
        grid = grids[index % len(grids)]
        occurred = today - datetime.timedelta(days=item.days_ago)
        referring = None
        if item.source == Source.REFERRAL:
            referring = Department.objects.filter(territory_code=township_code).first()
            if referring is None:
                item = _Demo(**{**item.__dict__, "source": Source.WALK_IN})
        if item.source == Source.GRID_MEETING and meeting is None:
            meeting = services.meeting_record(
                territory_code=grid.code,
                held_on=today,
                attendees="网格员、网格党小组长、联户长",
                host="网格长",
                place=f"{grid.name}网格服务站",
                notes="研判本周排查出的矛盾纠纷，对重点纠纷逐一明确化解责任人。",
                actor=actor,
            )
        parties = tuple(
            services.PartyInput(
                name=name,
                role=PartyRole.APPLICANT if n == 0 else PartyRole.RESPONDENT,
                id_number=_id_number(county, birth, 900 + index * 2 + n),
                address=f"{grid.village.name}{address}",
                ethnicity="汉族",
            )
            for n, (name, birth, address) in enumerate(item.parties)
        )
        dispute = services.dispute_register(
            data=services.DisputeInput(
                name=item.name,
                occurred_on=occurred,
                screened_on=min(occurred + datetime.timedelta(days=1), today),
                place=f"{grid.village.name}{grid.name}",
                territory_code=grid.code,
                dispute_type=item.dispute_type,
                summary=item.summary,
                source=item.source,
                scale=item.scale,
                people_involved=item.people,
                units_involved=item.units,
                risk_level=item.risk,
                violent_risk=item.violent,
                risk_note="网格员走访研判" if item.risk != RiskLevel.LOW or item.violent else "",
                referring_department=referring if item.source == Source.REFERRAL else None,
                parties=parties,
            ),
            actor=actor,
            meeting=meeting if item.source == Source.GRID_MEETING else None,
        )
        _stages(dispute, item, actor=actor, today=today)
        created += 1
    return created
