"""Demo service guide (办事指南) for a township: the matters residents ask about most, with
what to bring and where. Loaded by the demo set-up; idempotent (an entry with the same title
in the township is left as it is)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from fengqiao.cases.choices import CaseType
from fengqiao.cases.models import Category
from fengqiao.residents.models import ServiceGuideEntry
from fengqiao.residents.services import guide_entry_save


@dataclass(frozen=True)
class _Entry:
    title: str
    summary: str
    what_to_bring: str
    where: str
    office_hours: str = "工作日 9:00–12:00，14:30–17:30"
    online: bool = False
    case_type: str = ""
    category: str = ""


ENTRIES = [
    _Entry(
        "身份证办理与补领",
        "首次申领、到期换领、遗失补领均可在派出所户籍窗口办理；异地办理可先在线咨询。"
        "制证约需 15 个工作日，可选择邮寄到家。",
        "户口簿原件；本人到场采集照片和指纹；16 岁以下由监护人陪同。",
        "镇派出所户籍窗口（镇政府对面）",
        online=True,
        case_type=CaseType.CONSULTATION,
        category="id_card",
    ),
    _Entry(
        "户口迁移与登记",
        "出生登记、投靠迁入、婚迁等。材料齐全的当场受理；在外务工人员可先在线提交，"
        "由派出所核实后告知办理结果。",
        "户口簿、身份证；出生医学证明或结婚证等相关证明。",
        "镇派出所户籍窗口",
        online=True,
        case_type=CaseType.CONSULTATION,
        category="hukou",
    ),
    _Entry(
        "城乡居民医疗保险缴费",
        "每年集中缴费期内缴纳次年的医保费；可在手机上缴费，也可到村委会代缴点办理。",
        "身份证或户口簿（代缴需提供缴费人身份证号）。",
        "村委会便民服务点；镇政务服务中心社保窗口",
    ),
    _Entry(
        "低保、临时救助申请",
        "家庭遭遇困难可申请；村委会入户调查、公示后报镇审核。急难情况可先行临时救助。",
        "户口簿、身份证、家庭收入和财产情况说明；因病因灾的，带上相关证明。",
        "村委会；镇政务服务中心民政窗口",
        case_type=CaseType.HELP,
        category="social_assistance",
    ),
    _Entry(
        "矛盾纠纷调解",
        "邻里、婚姻家庭、土地山林等纠纷，可申请村调委会或镇综治中心调解，调解不收费。",
        "身份证；与纠纷有关的材料（协议、照片、票据等）。",
        "村调委会；镇综治中心（镇政府一楼）",
        office_hours="工作日 9:00–17:30，急事可随时联系网格员",
        online=True,
        case_type=CaseType.DISPUTE,
        category="dispute_neighbour",
    ),
    _Entry(
        "农民工工资拖欠投诉",
        "被拖欠工资可在线反映，由综治中心转交人社部门处理，并告知办理结果。",
        "身份证；劳动合同、考勤记录或工友证明等能证明用工关系的材料。",
        "镇综治中心；县人社局劳动保障监察大队",
        online=True,
        case_type=CaseType.COMPLAINT,
        category="dispute_wages",
    ),
    _Entry(
        "宅基地与建房审批",
        "农村村民建房须先申请宅基地和规划许可，村民小组、村委会审查后报镇审批。",
        "户口簿、身份证、建房申请书、宅基地使用权证明或相关材料。",
        "镇政务服务中心自然资源窗口",
    ),
    _Entry(
        "防范电信网络诈骗咨询",
        "接到可疑电话、短信或网络链接，可随时咨询；已被骗的请立即拨打 110 报警。",
        "可疑电话号码、聊天记录、转账凭证截图。",
        "镇派出所；拨打 96110 反诈专线",
        office_hours="全天",
        online=True,
        case_type=CaseType.CONSULTATION,
        category="fraud",
    ),
]


@transaction.atomic
def load_demo(*, township_code: str, actor: Any) -> int:
    """Create the demo guide entries for the township; returns how many were created."""
    categories = {
        c.code: c for c in Category.objects.filter(code__in=[e.category for e in ENTRIES])
    }
    existing = set(
        ServiceGuideEntry.objects.filter(territory_code=township_code).values_list(
            "title", flat=True
        )
    )
    created = 0
    for order, item in enumerate(ENTRIES):
        if item.title in existing:
            continue
        guide_entry_save(
            entry=ServiceGuideEntry(
                territory_code=township_code,
                title=item.title,
                summary=item.summary,
                what_to_bring=item.what_to_bring,
                where=item.where,
                office_hours=item.office_hours,
                online=item.online,
                case_type=item.case_type,
                category=categories.get(item.category),
                sort_order=order * 10,
            ),
            actor=actor,
        )
        created += 1
    return created
