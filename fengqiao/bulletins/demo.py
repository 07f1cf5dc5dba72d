"""Demo bulletins for a township: what a 综治中心 in Guizhou typically sends to households.

Synthetic text: no real case, person or phone number (96110 is the national anti-fraud
hotline and 110/119/122 the national emergency numbers, which a real bulletin names).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from fengqiao.bulletins.choices import BulletinKind, BulletinUrgency
from fengqiao.bulletins.models import Bulletin
from fengqiao.bulletins.services import bulletin_publish


@dataclass(frozen=True)
class _Demo:
    kind: BulletinKind
    urgency: BulletinUrgency
    title: str
    body: str
    days: int


DEMO_BULLETINS = (
    _Demo(
        BulletinKind.ANTI_FRAUD,
        BulletinUrgency.URGENT,
        "警惕冒充“公检法”和“客服退款”诈骗",
        "近期辖区连续发生冒充公检法人员、网购客服以“退款”“注销校园贷”为由实施的诈骗。"
        "公检法机关不会通过电话、微信办案，更没有“安全账户”；任何要求转账、共享屏幕、"
        "下载陌生软件的都是诈骗。接到可疑电话请立即挂断，拨打96110咨询或110报警，"
        "并请安装“国家反诈中心”APP。",
        30,
    ),
    _Demo(
        BulletinKind.NATURAL_DISASTER,
        BulletinUrgency.NORMAL,
        "主汛期防汛避险提示",
        "我镇已进入主汛期，局地可能出现短时强降雨，易引发山洪、滑坡、泥石流。"
        "居住在河边、沟谷、陡坡下的群众请留意村组广播和预警短信，雨天不要涉水过河、"
        "不要在沟边逗留；发现房屋开裂、山体异响等险情立即撤离并报告网格员或村委会。",
        14,
    ),
    _Demo(
        BulletinKind.ANTI_DRUG,
        BulletinUrgency.NORMAL,
        "珍爱生命 远离毒品",
        "毒品危害身心健康，破坏家庭幸福。新型毒品常伪装成“奶茶”“跳跳糖”“电子烟”，"
        "青少年尤其要提高警惕，不接受陌生人的饮料和香烟。发现吸毒、贩毒线索请向派出所举报，"
        "举报属实的给予奖励，并为举报人严格保密。",
        60,
    ),
    _Demo(
        BulletinKind.MINOR_PROTECTION,
        BulletinUrgency.NORMAL,
        "暑期防溺水安全提醒",
        "暑假期间请家长切实履行监护责任，教育孩子做到“六不”：不私自下水游泳，"
        "不擅自与他人结伴游泳，不在无家长带领下游泳，不到不熟悉的水域游泳，"
        "不到无安全设施、无救援人员的水域游泳，不熟悉水性的学生不擅自下水施救。",
        45,
    ),
    _Demo(
        BulletinKind.TRAFFIC_SAFETY,
        BulletinUrgency.NORMAL,
        "骑乘电动车请佩戴安全头盔",
        "“一盔一带，安全常在”。骑乘摩托车、电动自行车请佩戴安全头盔，不超载、不逆行、"
        "不酒后驾驶；农用车、三轮车严禁违法载人。赶场天道路人多车多，请减速慢行。",
        30,
    ),
)


@transaction.atomic
def load_demo(*, township_code: str, actor: Any, now: datetime.datetime | None = None) -> int:
    """Publish the demo bulletins to a township through the service; returns how many were
    made. Idempotent: does nothing when the township already has bulletins (of any state).
    ``actor`` must be allowed to publish there (the township's or county's center operator,
    or an administrator)."""
    if Bulletin.objects.within(township_code).exists():
        return 0
    now = now or timezone.now()
    for demo in DEMO_BULLETINS:
        bulletin_publish(
            actor=actor,
            kind=demo.kind,
            urgency=demo.urgency,
            title=demo.title,
            body=demo.body,
            territory_code=township_code,
            valid_from=now,
            valid_until=now + datetime.timedelta(days=demo.days),
            now=now,
        )
    return len(DEMO_BULLETINS)
