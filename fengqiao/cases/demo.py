"""Demo cases for one township: every queue of every workbench has something in it.

About two hundred synthetic cases (titles, descriptions and replies made up; reporters are
the demo households' own synthetic heads), each taken through the services of
``services.py`` by the accounts that would make those moves in real use — the township
center's operator, the village center's, the county center's, the grid worker, the police
station's handler and leader — and rated by "the resident" (no account). So the timeline,
the notifications, the ledgers and the dashboards are what real use leaves.

Where the cases stand when the loader is done:

- the township center: new to accept, accepted to dispatch, returned by the police station
  (sent to the wrong department), replies to review; some rejected, a few duplicates merged;
- the village center: grid reports sent up, to accept, to dispatch, a reply to review;
- the county center: provincial-platform and API cases to accept, some it dispatched;
- the police station: to sign for, in progress (some supervised by the township), extension
  and hard-matter requests pending for the leader and decided, replies sent back;
- the judicial office and the township government (no demo accounts): cases waiting for
  them to sign for, some supervised;
- the grid: reports in hand, resolved on the spot (most of them rated), one reopened;
- most cases closed and rated (满意 / 基本满意, a few by a return visit); a few 不满意 reopened
  (two of them handled again and closed).

The services take no time argument: every case is received and moved *now*. So the
dashboards' trend shows one day, and no reply deadline has passed yet when the loader
finishes: the "due soon" and "overdue" lists fill as the demo database ages (reply
deadlines are one working day; the sweep that ``bin/serve`` runs then raises its warnings
and automatic supervision notices).

The loader also adds the township's routing rules (谁主管、谁负责: a category goes to the
department whose matters include it; household registration and ID cards handled directly
by the police station) where the township has none for a category, so that intake suggests
a department.

Idempotent: each case carries the idempotency key ``demo:<township>:<n>``; a case already
there is not made again (nor moved). A scenario that needs an account the database lacks
(no village operator, no police leader …) is left out.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from fengqiao.cases import services
from fengqiao.cases.categories import routing_rule_save
from fengqiao.cases.choices import (
    CaseStatus,
    CaseType,
    Channel,
    Rating,
    ReporterKind,
    RequestKind,
    RequestStatus,
    Urgency,
)
from fengqiao.cases.models import Case, CaseRequest, Category, RoutingRule
from fengqiao.cases.routing import invalidate_routing
from fengqiao.org.choices import DepartmentKind, Role
from fengqiao.org.models import Department, User
from fengqiao.territory.models import Household

SEED = 2026

# --- What residents report ---------------------------------------------------------------------

# Category code → the case types residents give it, and what they write: (title, description).
CONTENT: dict[str, tuple[tuple[CaseType, ...], tuple[tuple[str, str], ...]]] = {
    "noise": (
        (CaseType.COMPLAINT,),
        (
            (
                "楼下烧烤店深夜喧哗",
                "楼下烧烤店每晚营业到凌晨两点，划拳喧哗声很大，家里老人孩子睡不着。",
            ),
            ("广场舞音响音量过大", "小区广场每晚七点到十点跳广场舞，音响开得很大，多次沟通无果。"),
            (
                "邻居装修周末施工扰民",
                "隔壁装修周末早上七点就开始电钻作业，影响休息，希望按规定时间施工。",
            ),
            ("夜间货车鸣笛扰民", "每晚十一点后有拉煤货车经过村道并长时间鸣笛，沿路住户反映强烈。"),
        ),
    ),
    "fraud": (
        (CaseType.REPORT, CaseType.HELP),
        (
            (
                "接到冒充客服退款电话",
                "家中老人接到自称快递客服的电话，要求下载软件办理退款，差点转账。",
            ),
            (
                "网上刷单被骗三千元",
                "在手机上看到兼职刷单广告，前两单返了钱，第三单转了三千元后被拉黑。",
            ),
            ("冒充公检法电话", "有人自称公安局民警，说我涉嫌洗钱，要求把存款转到“安全账户”。"),
        ),
    ),
    "drugs": (
        (CaseType.REPORT,),
        (
            (
                "出租屋可疑人员聚集",
                "村口一处出租屋夜间常有陌生人进出，窗户遮得很严，怀疑有违法活动。",
            ),
            ("山上发现可疑种植", "上山砍柴时在坡地里发现成片不认识的植物，像是罂粟，请派人看看。"),
        ),
    ),
    "public_security": (
        (CaseType.REPORT, CaseType.COMPLAINT),
        (
            ("村道边多次发生偷盗", "最近半个月组里接连丢了三辆摩托车和两只羊，希望加强夜间巡逻。"),
            ("酒后滋事打砸", "有人酒后在小卖部门口摔酒瓶、骂人，周围群众不敢靠近。"),
        ),
    ),
    "road": (
        (CaseType.HAZARD, CaseType.SUGGESTION),
        (
            (
                "学校门口缺少减速带",
                "小学门口是下坡路段，车速很快，放学时学生过马路很危险，建议设减速带。",
            ),
            ("急弯处缺少警示标志", "通组公路急弯处没有警示牌和反光镜，晚上已发生两次刮擦。"),
            ("农用车载人上路", "赶场天常有三轮车拉十几个人上公路，存在很大安全隐患。"),
        ),
    ),
    "id_card": (
        (CaseType.CONSULTATION,),
        (
            (
                "身份证到期如何换领",
                "我的身份证下个月到期，人在外地打工，想问能否异地换领，需要带什么材料。",
            ),
            ("老人身份证丢失补办", "家里八十岁老人身份证丢了，行动不便，能否上门办理补证？"),
            ("办理临时身份证", "明天要坐火车出远门，身份证刚丢，想问临时身份证多久能办好。"),
        ),
    ),
    "hukou": (
        (CaseType.CONSULTATION,),
        (
            (
                "新生儿落户咨询",
                "孩子上个月出生，想问在哪里办理落户，出生医学证明之外还要什么材料。",
            ),
            ("婚后户口迁入", "结婚后想把户口从外县迁到丈夫家，需要先去哪里开证明？"),
        ),
    ),
    "dispute_family": (
        (CaseType.DISPUTE,),
        (
            (
                "兄弟赡养老人起争执",
                "老父亲八十多岁，三兄弟对轮流赡养和医药费分摊意见不一，吵了好几次。",
            ),
            (
                "夫妻矛盾需要调解",
                "夫妻二人因家庭开支经常争吵，女方带孩子回了娘家，双方老人请求调解。",
            ),
        ),
    ),
    "dispute_neighbour": (
        (CaseType.DISPUTE, CaseType.COMPLAINT),
        (
            (
                "邻居占用通道堆放柴火",
                "邻居把柴火堆在两家共用的通道上，摩托车进不去，说了几次都不挪。",
            ),
            ("楼上漏水淹了天花板", "楼上卫生间漏水，我家天花板发霉掉皮，楼上不愿意维修。"),
            ("排水沟改道引发矛盾", "邻居修院坝把排水沟改到我家墙脚，下雨就积水，墙基被泡。"),
        ),
    ),
    "dispute_other": (
        (CaseType.DISPUTE,),
        (("合伙养牛分红纠纷", "两户合伙养牛，卖牛后对分红比例有争议，多次协商不成。"),),
    ),
    "dispute_homestead": (
        (CaseType.DISPUTE,),
        (
            ("建房占地边界争议", "邻居新建房屋地基超出原宅基地界线约半米，双方争执不下。"),
            ("老宅基地归属争议", "祖上老宅倒塌后，堂兄弟两家都说宅基地是自己的，准备各自建房。"),
        ),
    ),
    "dispute_forest_land": (
        (CaseType.DISPUTE,),
        (("山林界线不清引发争执", "两个村民组对一片杉木林的界线各执一词，为砍伐问题差点动手。"),),
    ),
    "dispute_wages": (
        (CaseType.DISPUTE, CaseType.HELP),
        (
            ("包工头拖欠工资", "去年在镇上工地干了四个月，包工头至今欠着一万二千元工资不给。"),
            (
                "年底工钱讨不回",
                "和同村五个人在外面做装修，老板一直拖着工钱，快过年了希望帮忙讨薪。",
            ),
        ),
    ),
    "dispute_labour": (
        (CaseType.DISPUTE,),
        (("茶厂辞退不给补偿", "在茶厂干了三年，被口头辞退，没有签劳动合同，也不给补偿。"),),
    ),
    "dispute_property": (
        (CaseType.COMPLAINT, CaseType.DISPUTE),
        (("物业收费不透明", "小区物业费年年涨，公共收益去向不明，业主要求公开账目。"),),
    ),
    "fire": (
        (CaseType.HAZARD,),
        (
            ("电动车在楼道充电", "单元楼道里经常有人飞线给电动车充电，晚上也不拔，担心起火。"),
            ("消防通道被占用", "小区消防通道长期停满私家车，消防车根本进不来。"),
            ("楼道堆放杂物", "楼道里堆满纸箱和旧家具，逃生通道只剩一人宽。"),
        ),
    ),
    "geology": (
        (CaseType.HAZARD,),
        (("房屋后坡出现裂缝", "连续下雨后，房子后面山坡出现一道长裂缝，还有小石块往下掉。"),),
    ),
    "environment": (
        (CaseType.COMPLAINT, CaseType.SUGGESTION),
        (
            ("垃圾池满了没人清运", "组里垃圾池已经堆满一个星期，天热发臭，蚊蝇很多。"),
            ("有人焚烧秸秆", "田里有人成片焚烧秸秆，烟很大，影响道路视线。"),
            ("养殖场污水直排", "附近养猪场污水直接排到小河沟，下游气味很重。"),
        ),
    ),
    "stairwell_lighting": (
        (CaseType.HELP, CaseType.COMPLAINT),
        (
            ("楼道灯坏了", "我们单元三楼到六楼的楼道灯坏了半个月，老人晚上上下楼很不方便。"),
            ("单元门口路灯不亮", "单元门口的路灯不亮，晚上回家黑漆漆的，希望尽快修好。"),
        ),
    ),
    "railings": (
        (CaseType.HELP, CaseType.HAZARD),
        (
            ("河边护栏松动", "河边步道有一段护栏松动倾斜，小孩经常在那里玩，很危险。"),
            ("桥上护栏缺失", "通组便桥一侧护栏被车撞掉了，一直没有修复。"),
        ),
    ),
    "social_assistance": (
        (CaseType.CONSULTATION, CaseType.HELP),
        (
            ("低保申请咨询", "家里老伴生病住院，两个人都没有收入，想问怎么申请低保。"),
            ("临时救助申请", "家里房子失火烧了一半，想申请临时救助，请问需要什么手续。"),
            ("残疾人补贴没到账", "办了残疾证以后，残疾人两项补贴一直没有到账，想问原因。"),
        ),
    ),
    "minors": (
        (CaseType.HELP, CaseType.REPORT),
        (("留守儿童无人照看", "隔壁两个孩子父母都在外打工，爷爷住院了，孩子这几天没人管。"),),
    ),
    "consumer": (
        (CaseType.COMPLAINT,),
        (("预付卡店铺关门", "镇上理发店办的充值卡还剩八百元，店突然关门了，老板联系不上。"),),
    ),
    "other": (
        (CaseType.SUGGESTION, CaseType.CONSULTATION, CaseType.HELP),
        (
            ("建议增设公交站点", "赶场天进镇的人很多，建议在村口增设一个客运招呼站。"),
            ("村里饮水管破裂", "组里饮水主管破了，半个组停水两天，请帮忙联系维修。"),
        ),
    ),
}

# Which categories each kind of scenario draws from.
POLICE = ("noise", "fraud", "public_security", "road", "noise", "fraud", "drugs")
DIRECT = ("id_card", "hukou")  # handled directly by the police station (routing rule)
ELSEWHERE = (
    "dispute_homestead",
    "dispute_wages",
    "social_assistance",
    "dispute_family",
    "dispute_neighbour",
    "dispute_forest_land",
    "dispute_labour",
    "geology",
    "minors",
    "consumer",
    "dispute_property",
    "dispute_other",
)
GRID = (
    "environment",
    "stairwell_lighting",
    "railings",
    "dispute_neighbour",
    "fire",
    "other",
    "environment",
    "dispute_family",
)

POOLS = {"police": POLICE, "direct": DIRECT, "elsewhere": ELSEWHERE, "grid": GRID}

# --- What the staff answer ---------------------------------------------------------------------

REPLIES = {
    "police": (
        "民警已到现场核实，对相关人员进行了批评教育并责令整改，今后将加强夜间巡查，如再发生请直接拨打110。",
        "经派出所调查核实，已依法处理相关人员，并在村里开展了一次防范宣传，感谢您的反映。",
        "已联系当事人并现场调解，双方表示今后注意，民警将在一周内回访。",
    ),
    "direct": (
        "已告知办理所需材料和办理地点（柳塘派出所户籍窗口，工作日上午九点至下午五点），可先电话预约。",
        "民警已与您电话联系并说明办理流程，材料齐全当天即可受理。",
    ),
    "grid": (
        "网格员当天到现场查看，联系村委会和相关户主，已处理完毕，并请邻近联户长帮助日常留意。",
        "已协调村保洁员和组长现场处理，问题已解决，欢迎继续监督。",
        "网格员上门了解情况，组织双方当面沟通，已达成一致意见。",
    ),
}
SPOT = (
    "网格员到现场查看后，当场联系组长和村保洁员处理，已恢复正常。",
    "入户沟通后双方当面说开，已按商量的办法处理好，网格员三天后回访。",
    "已联系村电工更换灯具，现已正常使用。",
    "已请当事户清理堆放物品并讲明安全隐患，现场已清空。",
)
RATING_COMMENTS = ("处理很及时，谢谢。", "民警态度很好。", "", "问题已经解决。", "", "辛苦了。")
BASICALLY_COMMENTS = ("解决了，就是时间长了点。", "", "希望以后多来看看。")
UNSATISFIED = ("问题还是没有解决，晚上依旧吵。", "只打了个电话，没有人到现场看。")
VISITS = (
    "电话回访：群众表示问题已解决，满意。",
    "电话回访：群众表示基本满意，希望后续继续关注。",
)
RETURNS = (
    "该事项属房屋宅基地/民事纠纷，不属于公安机关管辖，建议派镇人民政府或司法所办理。",
    "经核实不属本所职责范围，请中心重新派单。",
)
REJECTS = (
    "与此前已受理的同一事项重复，不再重复受理，已告知群众在原案件中跟进办理情况。",
    "属于法院已经生效判决的事项，不属于本中心受理范围，已告知依法申请执行。",
    "反映内容不清且无法联系反映人，暂不受理。",
)
EXTENSIONS = (
    "需要调取周边监控并询问多名证人，一个工作日内无法办结，申请延期。",
    "当事人外出务工，需待其返乡后当面核实，申请延期。",
)
HARD = (
    "涉及多户群众和历史遗留问题，需要镇里多个部门会商，申请认定为疑难件。",
    "当事双方分歧较大且有激化苗头，需联合司法所共同处置，申请认定为疑难件。",
)
DENIALS = ("情况已基本查清，请在原时限内答复。",)
SEND_BACKS = (
    "答复没有说明处理结果和后续措施，请补充后再答复。",
    "请写明是否到现场核实以及整改期限。",
)
SUPERVISIONS = (
    "群众反映强烈，请加快办理并于明日前反馈进展。",
    "该事项已多次反映，请主要负责人亲自过问，按时办结。",
)
ESCALATIONS = (
    "涉及多个村民组，网格内无法协调，上报村综治中心。",
    "需要派出所等部门处理，网格无权处置，上报。",
)
VILLAGE_ESCALATIONS = ("涉及跨村事项，村里无法协调，上报镇综治中心。",)
DISPATCH_NOTES = ("请按时签收办理。", "", "请联系反映人核实后处理。")


# --- The scenarios -----------------------------------------------------------------------------

# Prefixes of step sequences used often below.
_SIGNED = ("accept", "dispatch", "sign")
_APPROVED = (*_SIGNED, "reply", "approve")


@dataclass(frozen=True)
class Scenario:
    """``count`` cases received at ``origin`` (township: a resident's report; grid: the grid
    worker's; county: the provincial platform or the API) in a category of ``pool``, then
    taken through ``steps`` (see ``_step``)."""

    origin: str
    pool: str
    steps: tuple[str, ...]
    count: int


SCENARIOS: tuple[Scenario, ...] = (
    # The township center's queues and the police station's.
    Scenario("township", "police", (), 8),
    Scenario("township", "police", ("accept",), 6),
    Scenario("township", "elsewhere", ("accept", "dispatch_police", "return"), 4),
    Scenario("township", "elsewhere", ("accept", "dispatch_police", "return", "dispatch"), 2),
    Scenario("township", "police", ("accept", "dispatch"), 5),
    Scenario("township", "police", ("accept", "dispatch_co"), 2),
    Scenario("township", "police", _SIGNED, 6),
    Scenario("township", "police", (*_SIGNED, "supervise"), 3),
    Scenario("township", "police", (*_SIGNED, "extension"), 3),
    Scenario("township", "police", (*_SIGNED, "hard"), 2),
    Scenario("township", "police", (*_SIGNED, "extension", "approve_request"), 2),
    Scenario("township", "police", (*_SIGNED, "extension", "deny_request"), 1),
    Scenario("township", "police", (*_SIGNED, "hard", "approve_request"), 2),
    Scenario("township", "police", (*_SIGNED, "reply"), 6),
    Scenario("township", "police", (*_SIGNED, "reply", "send_back"), 2),
    Scenario("township", "police", _APPROVED, 5),
    Scenario("township", "police", (*_APPROVED, "satisfied"), 40),
    Scenario("township", "police", (*_APPROVED, "basically"), 14),
    Scenario("township", "police", (*_APPROVED, "return_visit"), 6),
    Scenario("township", "police", (*_APPROVED, "unsatisfied"), 2),
    Scenario(
        "township",
        "police",
        (*_APPROVED, "unsatisfied", "sign", "reply", "approve", "basically"),
        2,
    ),
    Scenario(
        "township",
        "police",
        (*_SIGNED, "extension", "approve_request", "reply", "approve", "satisfied"),
        3,
    ),
    Scenario(
        "township",
        "police",
        (*_SIGNED, "hard", "approve_request", "supervise", "reply", "approve", "basically"),
        2,
    ),
    Scenario("township", "police", (*_SIGNED, "reply", "send_back", "reply", "approve"), 1),
    Scenario("township", "police", ("reject",), 4),
    # A duplicate report, merged into the case received just before it.
    Scenario("township", "police", ("accept",), 1),
    Scenario("township", "police", ("merge_into_previous",), 1),
    Scenario("township", "police", _SIGNED, 1),
    Scenario("township", "police", ("merge_into_previous",), 1),
    # Household registration: the police station takes it directly at intake.
    Scenario("township", "direct", ("accept", "dispatch"), 3),
    Scenario("township", "direct", _SIGNED, 2),
    Scenario("township", "direct", (*_APPROVED, "satisfied"), 8),
    # Departments without demo accounts: dispatched, waiting for them to sign for.
    Scenario("township", "elsewhere", ("accept", "dispatch"), 10),
    Scenario("township", "elsewhere", ("accept", "dispatch", "supervise"), 3),
    # The grid: resolved on the spot, or sent up to the village center.
    Scenario("grid", "grid", (), 4),
    Scenario("grid", "grid", ("spot",), 4),
    Scenario("grid", "grid", ("spot", "satisfied"), 22),
    Scenario("grid", "grid", ("spot", "basically"), 6),
    Scenario("grid", "grid", ("spot", "return_visit"), 3),
    Scenario("grid", "grid", ("spot", "unsatisfied"), 1),
    Scenario("grid", "grid", ("spot", "unsatisfied", "spot", "satisfied"), 1),
    Scenario("grid", "police", ("escalate",), 3),
    Scenario("grid", "police", ("escalate", "accept"), 2),
    Scenario("grid", "police", ("escalate", *_APPROVED[:-1]), 1),
    Scenario("grid", "police", ("escalate", *_APPROVED, "satisfied"), 3),
    Scenario("grid", "elsewhere", ("escalate", "escalate"), 2),
    # The county center: the provincial platform's and the API's cases.
    Scenario("county", "police", (), 3),
    Scenario("county", "police", ("accept",), 1),
    Scenario("county", "police", ("accept", "dispatch"), 2),
    Scenario("county", "police", (*_APPROVED, "satisfied"), 4),
)


# --- Who acts ----------------------------------------------------------------------------------


@dataclass
class _Cast:
    """The accounts and departments the scenarios need; None where the database has none."""

    township: Any
    county: User | None
    village: User | None
    grid: User | None
    handler: User | None
    leader: User | None
    police: Department | None
    departments: list[Department]

    def center(self, code: str) -> Any:
        """The operator who acts for the center (or grid) holding ``code``."""
        if len(code) == 9:
            return self.township
        if len(code) == 6:
            return self.county
        if len(code) == 12:
            return self.village
        return self.grid


def _first(queryset: Any) -> Any:
    return queryset.filter(is_active=True).order_by("id").first()


def _cast(township_code: str, actor: Any) -> _Cast | None:
    if actor is None:
        actor = _first(User.objects.filter(role=Role.CENTER_OPERATOR, scope_code=township_code))
    if actor is None:
        return None
    grid = _first(User.objects.filter(role=Role.GRID_WORKER, scope_code__startswith=township_code))
    villages = User.objects.filter(
        role=Role.CENTER_OPERATOR,
        scope_code__startswith=township_code,
        scope_code__regex=r"^\d{12}$",
    )
    if grid is not None:
        villages = villages.filter(scope_code=grid.scope_code[:12])
    departments = list(
        Department.objects.filter(
            territory_code__in=[township_code, township_code[:6]], is_active=True
        )
        .exclude(kind=DepartmentKind.GOVERNANCE_CENTER)
        .prefetch_related("matters")
        .order_by("-territory_code", "id")  # the township's own before the county's
    )
    staffed = User.objects.filter(is_active=True, department__in=departments)
    handler = _first(staffed.filter(role=Role.DEPARTMENT_HANDLER))
    police = handler.department if handler is not None else None
    return _Cast(
        township=actor,
        county=_first(User.objects.filter(role=Role.CENTER_OPERATOR, scope_code=township_code[:6])),
        village=_first(villages),
        grid=grid,
        handler=handler,
        leader=_first(staffed.filter(role=Role.DEPARTMENT_LEADER, department=police))
        if police
        else None,
        police=police,
        departments=departments,
    )


def _department_for(category: Category, cast: _Cast) -> Department | None:
    """The department whose matters include the category's (or its parent's)."""
    matters = {category.matter_id, category.parent.matter_id if category.parent else None}
    for department in cast.departments:
        if any(m.pk in matters for m in department.matters.all()):
            return department
    return None


def _routing_rules(
    township_code: str, categories: dict[str, Category], cast: _Cast
) -> dict[str, Department]:
    """The township's rules where it has none for a category; returns category code →
    department the demo sends such cases to."""
    targets: dict[str, Department] = {}
    fallback = next(
        (d for d in cast.departments if d.kind == DepartmentKind.TOWNSHIP_GOVERNMENT), cast.police
    )
    existing = set(
        RoutingRule.objects.filter(territory_code=township_code).values_list(
            "category__code", flat=True
        )
    )
    added = False
    for code, category in categories.items():
        department = _department_for(category, cast)
        if department is not None and code not in existing:
            routing_rule_save(
                rule=RoutingRule(
                    category=category,
                    territory_code=township_code,
                    department=department,
                    handle_directly=code in DIRECT and department == cast.police,
                ),
                actor=None,
            )
            added = True
        department = department or fallback
        if department is not None:
            targets[code] = department
    if added:
        # The cases below are received in this transaction: route by the new rules now
        # (on commit the table is reloaded again for every later transaction).
        invalidate_routing()
    return targets


def _needs(scenario: Scenario) -> set[str]:
    steps = set(scenario.steps)
    needs = {"grid"} if scenario.origin == "grid" else set()
    if scenario.origin == "county" and steps:
        needs.add("county")
    if scenario.origin == "grid" and "escalate" in steps:
        needs.add("village")
    if steps & {"sign", "return", "reply", "extension", "hard", "dispatch_police"}:
        needs.add("handler")
    if scenario.pool == "direct" or "dispatch_co" in steps:
        needs.add("police")
    if steps & {"approve_request", "deny_request"}:
        needs.add("leader")
    return needs


# --- Taking a case through its steps -----------------------------------------------------------


@dataclass
class _Item:
    township_code: str
    number: int
    scenario: Scenario
    category: Category
    department: Department | None
    household: dict[str, Any]
    rng: random.Random


def _submit(item: _Item, cast: _Cast) -> Case:
    rng, household = item.rng, item.household
    case_types, texts = CONTENT[item.category.code]
    title, description = rng.choice(texts)
    origin = item.scenario.origin
    actor: Any = None  # a resident (doorplate, app) or another system
    if origin == "grid":
        channel, actor = Channel.GRID_WORKER, cast.grid
        reporter = services.ReporterInput(kind=ReporterKind.HOUSEHOLD, household_id=household["id"])
    elif origin == "county":
        channel = rng.choice((Channel.PROVINCIAL, Channel.PROVINCIAL, Channel.API))
        reporter = services.ReporterInput(kind=ReporterKind.PERSON, name=household["head_name"])
    else:
        channel = rng.choices(
            (Channel.QR_DOORPLATE, Channel.PHONE, Channel.WINDOW, Channel.MOBILE_APP),
            weights=(40, 30, 15, 15),
        )[0]
        if channel in (Channel.PHONE, Channel.WINDOW):
            actor = cast.township  # entered by the center's operator
        if channel == Channel.QR_DOORPLATE:
            reporter = services.ReporterInput(
                kind=ReporterKind.HOUSEHOLD, household_id=household["id"]
            )
        elif item.category.code == "drugs":
            reporter = services.ReporterInput(kind=ReporterKind.ANONYMOUS)
        else:
            reporter = services.ReporterInput(
                kind=ReporterKind.PERSON, name=household["head_name"], household_id=household["id"]
            )
    urgent = item.category.code in ("drugs", "fire", "geology", "minors") and rng.random() < 0.5
    case, _created = services.case_submit(
        case_type=rng.choice(case_types),
        category=item.category,
        channel=channel,
        title=title,
        description=description,
        territory_code=household["territory_code"],
        reporter=reporter,
        household_id=household["id"],
        address=household["address"],
        latitude=household["latitude"],
        longitude=household["longitude"],
        urgency=Urgency.URGENT if urgent else Urgency.NORMAL,
        idempotency_key=_key(item.township_code, item.number),
        actor=actor,
    )
    return case


def _key(township_code: str, number: int) -> str:
    return f"demo:{township_code}:{number:03d}"


def _pending(case: Case, kind: RequestKind | None = None) -> CaseRequest:
    requests = CaseRequest.objects.filter(case=case, status=RequestStatus.PENDING)
    if kind is not None:
        requests = requests.filter(kind=kind)
    return requests.order_by("-id")[0]


def _step(step: str, case: Case, item: _Item, cast: _Cast, previous: Case | None) -> Case:
    rng = item.rng
    pick = rng.choice
    holder = cast.center(case.holder_code)
    pool = item.scenario.pool
    if step == "accept":
        return services.case_accept(case=case, actor=holder)
    if step == "reject":
        return services.case_reject(case=case, actor=holder, reason=pick(REJECTS))
    if step in ("dispatch", "dispatch_police", "dispatch_co"):
        # The police station's cases go to the department whose staff the demo acts as.
        police_matter = pool in ("police", "direct") or step == "dispatch_police"
        lead = cast.police if police_matter else item.department
        assert lead is not None
        co = []
        if step == "dispatch_co":
            co = [d for d in cast.departments if d.kind == DepartmentKind.JUSTICE_OFFICE][:1]
        return services.case_dispatch(
            case=case, actor=holder, department=lead, co_departments=co, note=pick(DISPATCH_NOTES)
        )
    if step == "sign":
        return services.case_sign(case=case, actor=cast.handler)
    if step == "return":
        return services.case_return(case=case, actor=cast.handler, reason=pick(RETURNS))
    if step == "reply":
        text = pick(REPLIES["direct" if pool == "direct" else "police"])
        return services.case_reply(case=case, actor=cast.handler, text=text)
    if step == "approve":
        return services.case_review_reply(case=case, actor=holder, approve=True)
    if step == "send_back":
        return services.case_review_reply(
            case=case, actor=holder, approve=False, note=pick(SEND_BACKS)
        )
    if step in ("satisfied", "basically", "unsatisfied"):
        comments = {
            "satisfied": RATING_COMMENTS,
            "basically": BASICALLY_COMMENTS,
            "unsatisfied": UNSATISFIED,
        }[step]
        return services.case_rate(case=case, rating=Rating(step), comment=pick(comments))
    if step == "return_visit":
        satisfied = rng.random() < 0.6
        return services.case_return_visit(
            case=case,
            actor=cast.township,
            rating=Rating.SATISFIED if satisfied else Rating.BASICALLY,
            note=VISITS[0 if satisfied else 1],
        )
    if step == "extension":
        services.case_request_extension(
            case=case, actor=cast.handler, days=pick((5, 7, 10)), reason=pick(EXTENSIONS)
        )
    elif step == "hard":
        services.case_request_hard(case=case, actor=cast.handler, reason=pick(HARD))
    elif step in ("approve_request", "deny_request"):
        approve = step == "approve_request"
        services.case_decide_request(
            request=_pending(case),
            actor=cast.leader,
            approve=approve,
            note="同意。" if approve else pick(DENIALS),
        )
    elif step == "supervise":
        services.case_supervise(case=case, actor=cast.township, message=pick(SUPERVISIONS))
    elif step == "spot":
        return services.case_resolve_on_spot(case=case, actor=cast.grid, what_was_done=pick(SPOT))
    elif step == "escalate":
        reasons = VILLAGE_ESCALATIONS if len(case.holder_code) == 12 else ESCALATIONS
        return services.case_escalate(case=case, actor=holder, reason=pick(reasons))
    elif step == "merge_into_previous":
        assert previous is not None
        services.case_merge(duplicate=case, into=previous, actor=cast.township)
    else:
        raise ValueError(f"unknown step {step!r}")
    case.refresh_from_db()
    return case


# --- The loader --------------------------------------------------------------------------------


def _households(township_code: str, grid_code: str | None) -> tuple[list[Any], list[Any]]:
    fields = ("id", "territory_code", "address", "head_name", "latitude", "longitude")
    everywhere = list(Household.objects.within(township_code).order_by("id").values(*fields))
    in_grid = [h for h in everywhere if grid_code and h["territory_code"].startswith(grid_code)]
    return everywhere, in_grid


@transaction.atomic
def load_demo(*, township_code: str, actor: Any) -> int:
    """Receive and move the township's demo cases; returns how many were created (0 when
    they are all there already, or the township has no households or no operator).

    ``actor`` is the township center's operator (None: its first operator)."""
    cast = _cast(township_code, actor)
    if cast is None:
        return 0
    everywhere, in_grid = _households(township_code, cast.grid.scope_code if cast.grid else None)
    if not everywhere:
        return 0
    wanted = {code for pool in POOLS.values() for code in pool}
    categories = {
        c.code: c
        for c in Category.objects.filter(code__in=wanted, is_active=True).select_related("parent")
    }
    targets = _routing_rules(township_code, categories, cast)
    existing = set(
        Case.objects.filter(idempotency_key__startswith=f"demo:{township_code}:").values_list(
            "idempotency_key", flat=True
        )
    )
    available = {
        name
        for name in ("grid", "county", "village", "handler", "leader", "police")
        if getattr(cast, name) is not None
    }
    rng = random.Random(SEED)
    created = 0
    number = 0
    previous: Case | None = None
    for scenario in SCENARIOS:
        for _ in range(scenario.count):
            number += 1
            # Each case draws from its own generator: which are loaded does not change what
            # the others look like.
            item_rng = random.Random(rng.random())
            codes = [c for c in POOLS[scenario.pool] if c in categories]
            if not codes or not _needs(scenario) <= available:
                previous = None
                continue
            code = item_rng.choice(codes)
            if code not in targets and {"dispatch", "dispatch_co"} & set(scenario.steps):
                previous = None
                continue  # no department in the township to send it to
            households = in_grid if scenario.origin == "grid" else everywhere
            if not households:
                previous = None
                continue
            if scenario.steps == ("merge_into_previous",) and previous is not None:
                # A duplicate: the same matter from the same place.
                code = previous.category.code
                household = next(
                    (h for h in households if h["id"] == previous.household_id),
                    item_rng.choice(households),
                )
            else:
                household = item_rng.choice(households)
            item = _Item(
                township_code,
                number,
                scenario,
                categories[code],
                targets.get(code),
                household,
                item_rng,
            )
            if _key(township_code, number) in existing:
                previous = Case.objects.filter(idempotency_key=_key(township_code, number)).first()
                continue
            if scenario.steps == ("merge_into_previous",) and (
                previous is None or not previous.is_open
            ):
                continue
            case = _submit(item, cast)
            steps: Sequence[str] = scenario.steps
            if case.status == CaseStatus.DISPATCHED:
                # Handled directly by the department a routing rule names: no triage.
                steps = [s for s in steps if s not in ("accept", "dispatch")]
                if case.lead_department_id != getattr(cast.police, "pk", None):
                    # A rule of the database's own sent it where the demo has no account:
                    # it waits there to be signed for.
                    steps = []
            for step in steps:
                case = _step(step, case, item, cast, previous)
            previous = case
            created += 1
    return created
