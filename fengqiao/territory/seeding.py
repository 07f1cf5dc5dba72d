"""Demo data in bulk: a tiny world for tests, a town (柳塘镇) or a whole county (织金县).

Everything is synthetic. Names come from common surname and given-name lists; citizen ID
numbers are made up but well formed (GB 11643: region = the county's code, a birth date that
fits the person's place in the family, a sequence number whose parity gives the sex, the check
character); phone numbers are random mobile numbers. No real person's data is used.

The rows keep the invariants of ``services.py``: territory codes are set exactly as the
services set them, ID numbers and phones go through ``Person.set_id_number`` / ``set_phone``
(encrypted value and lookup digest together), a household's head name and member count match
its members, a unit's head lives in the unit. They are written with ``bulk_create`` in large
batches, in one transaction, because a county is 230,000 households and 760,000 people and
must load in a few minutes on a two-core machine.

Primary keys are assigned here rather than by the database: rows can then point at each other
before they are written (a ten-household unit at its head, a person inserted later; Django's
foreign keys are checked at commit on both SQLite and PostgreSQL), with no second pass and no
ids read back. That is only safe on a database nobody else writes to at the same time, which is
what seeding is for: ``seed()`` refuses a database that already has areas.
"""

from __future__ import annotations

import datetime
import itertools
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction

from fengqiao.core.codes import GRID_SUFFIX_DIGITS, UNIT_SUFFIX_DIGITS, prefix_of
from fengqiao.core.idnumbers import check_character
from fengqiao.org.choices import DepartmentKind
from fengqiao.org.models import Matter
from fengqiao.org.services import department_create
from fengqiao.territory.choices import AreaKind, AreaLevel, Relation, Sex
from fengqiao.territory.models import (
    Area,
    Grid,
    GridPartyGroup,
    Household,
    HouseholdUnit,
    Person,
    PersonTag,
)

# Ages and birth dates are reckoned from this day, so a seed gives the same people every year.
AS_OF = datetime.date(2026, 6, 30)
# The division codes used are those of the 2023 release (reference date 30 June 2023).
VALID_FROM = datetime.date(2023, 6, 30)

Progress = Callable[[str, int], None]


# --- Profiles -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FixedVillage:
    """A village or community whose size the seed page gives (杨柳社区: 2,826 households and
    9,891 residents); the others are sized at random around the average."""

    number: int  # the last three digits of its 12-digit code
    name: str
    households: int
    persons: int | None = None


@dataclass(frozen=True)
class TownshipSpec:
    number: int  # digits 7–9 of the code: 001–099 街道, 100–199 镇, 200–399 乡
    name: str
    kind: AreaKind
    weight: float = 1.0  # share of the county's households, relative to the others
    communities: int = 1  # 社区 (codes 001…)
    villages: int = 10  # 村 (codes 201…)
    fixed: tuple[FixedVillage, ...] = ()
    # Offset of the township's centre from the county's, in degrees (latitude, longitude);
    # None places it at random within about 25 km.
    offset: tuple[float, float] | None = None


@dataclass(frozen=True)
class CountySpec:
    code: str  # six digits
    name: str
    short_name: str  # as departments are named: 威宁县 for 威宁彝族回族苗族自治县
    kind: AreaKind
    centre: tuple[float, float]  # latitude, longitude of the county seat (approximate)
    households: int
    grids: int
    units: int
    party_groups: int
    townships: tuple[TownshipSpec, ...]


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    counties: tuple[CountySpec, ...]


_STREET, _TOWN, _XIANG = AreaKind.STREET, AreaKind.TOWN, AreaKind.TOWNSHIP

# 织金县: the three street codes the seed's places need are real (2023 list); the other
# township names are Zhijin's as we know them, but their codes are assigned here in range
# order and are not the official ones (docs/demo-data.md).
_ZHIJIN_TOWNSHIPS = (
    TownshipSpec(
        1,
        "双堰街道",
        _STREET,
        weight=2.2,
        communities=9,
        villages=4,
        fixed=(FixedVillage(5, "杨柳社区", households=2826, persons=9891),),
        offset=(0.0, 0.0),
    ),
    TownshipSpec(2, "文腾街道", _STREET, 1.8, 8, 4, offset=(0.012, -0.015)),
    TownshipSpec(3, "绮陌街道", _STREET, 1.4, 6, 6, offset=(-0.02, 0.02)),
    TownshipSpec(4, "三甲街道", _STREET, 1.3, 5, 7, offset=(0.03, 0.03)),
    TownshipSpec(5, "金凤街道", _STREET, 1.3, 6, 6, offset=(-0.03, -0.03)),
    TownshipSpec(6, "八步街道", _STREET, 1.2, 4, 9),
    TownshipSpec(7, "惠民街道", _STREET, 1.5, 7, 5, offset=(0.02, -0.04)),
    TownshipSpec(100, "珠藏镇", _TOWN, 1.1, 1, 18),
    TownshipSpec(101, "龙场镇", _TOWN, 1.0, 1, 17),
    TownshipSpec(102, "阿弓镇", _TOWN, 1.0, 1, 17),
    TownshipSpec(103, "化起镇", _TOWN, 0.9, 1, 15),
    TownshipSpec(104, "牛场镇", _TOWN, 0.9, 1, 15),
    TownshipSpec(105, "猫场镇", _TOWN, 1.1, 2, 19),
    TownshipSpec(106, "马场镇", _TOWN, 0.9, 1, 16),
    TownshipSpec(107, "以那镇", _TOWN, 0.9, 1, 15),
    TownshipSpec(108, "三塘镇", _TOWN, 1.0, 1, 16),
    TownshipSpec(109, "少普镇", _TOWN, 0.8, 1, 14),
    TownshipSpec(110, "熊家场镇", _TOWN, 0.8, 1, 14),
    TownshipSpec(111, "黑土镇", _TOWN, 0.8, 1, 13),
    TownshipSpec(112, "桂果镇", _TOWN, 0.9, 1, 15),
    TownshipSpec(113, "中寨镇", _TOWN, 0.7, 1, 12),
    TownshipSpec(114, "白泥镇", _TOWN, 0.7, 1, 12),
    TownshipSpec(115, "板桥镇", _TOWN, 0.8, 1, 14),
    TownshipSpec(200, "官寨苗族乡", _XIANG, 0.6, 0, 11),
    TownshipSpec(201, "茶店布依族苗族彝族乡", _XIANG, 0.6, 0, 11),
    TownshipSpec(202, "金龙苗族彝族布依族乡", _XIANG, 0.6, 0, 10),
    TownshipSpec(203, "后寨苗族乡", _XIANG, 0.5, 0, 9),
    TownshipSpec(204, "鸡场苗族彝族布依族乡", _XIANG, 0.6, 0, 10),
    TownshipSpec(205, "大平苗族彝族乡", _XIANG, 0.5, 0, 9),
    TownshipSpec(206, "自强苗族乡", _XIANG, 0.5, 0, 9),
    TownshipSpec(207, "实兴乡", _XIANG, 0.5, 0, 9),
    TownshipSpec(208, "上坪寨乡", _XIANG, 0.5, 0, 9),
    TownshipSpec(209, "普翁乡", _XIANG, 0.5, 0, 9),
)

_ZHIJIN = CountySpec(
    code="520524",
    name="织金县",
    short_name="织金县",
    kind=AreaKind.COUNTY,
    centre=(26.663, 105.770),
    # The seed page's figures for Zhijin: 5,376 grids, 2,847 grid party groups and 23,404
    # ten-household units; households are sized for about a million residents' county.
    households=230_000,
    grids=5376,
    units=23_404,
    party_groups=2847,
    townships=_ZHIJIN_TOWNSHIPS,
)


def _jinsha(
    *, households: int, grids: int, units: int, groups: int, communities: int, villages: int
) -> CountySpec:
    # 柳塘镇 (Liutang, 520523107) is a real code; the county seat is about 30 km away.
    return CountySpec(
        code="520523",
        name="金沙县",
        short_name="金沙县",
        kind=AreaKind.COUNTY,
        centre=(27.459, 106.220),
        households=households,
        grids=grids,
        units=units,
        party_groups=groups,
        townships=(
            TownshipSpec(
                107,
                "柳塘镇",
                _TOWN,
                communities=communities,
                villages=villages,
                offset=(-0.1, -0.2),
            ),
        ),
    )


_WEINING_SMALL = CountySpec(
    code="520526",
    name="威宁彝族回族苗族自治县",
    short_name="威宁县",
    kind=AreaKind.AUTONOMOUS_COUNTY,
    centre=(26.873, 104.253),
    households=420,
    grids=9,
    units=42,
    party_groups=6,
    townships=(TownshipSpec(113, "羊街镇", _TOWN, communities=0, villages=3, offset=(0.2, 0.2)),),
)

PROFILES: dict[str, Profile] = {
    "tiny": Profile(
        "tiny",
        "柳塘镇 with one community and one village, ~50 households (for tests)",
        (_jinsha(households=50, grids=4, units=6, groups=3, communities=1, villages=1),),
    ),
    "town": Profile(
        "town",
        "柳塘镇 (金沙县): 5,096 households in 2 communities and 11 villages",
        (_jinsha(households=5096, grids=118, units=516, groups=63, communities=2, villages=11),),
    ),
    "county": Profile(
        "county",
        "织金县: 33 townships, 5,376 grids, 2,847 party groups, 23,404 units, "
        "230,000 households; plus 柳塘镇 (金沙县) and 羊街镇 (威宁县)",
        (
            _ZHIJIN,
            _jinsha(households=320, grids=7, units=32, groups=5, communities=1, villages=1),
            _WEINING_SMALL,
        ),
    ),
}


# --- Word lists ---------------------------------------------------------------------------

# Common surnames, roughly in order of frequency in Guizhou (安, 禄, 龙 are frequent among the
# Yi and Miao of Bijie); the weights fall off with rank.
_SURNAMES = (
    "王 李 张 刘 陈 杨 黄 赵 吴 周 罗 徐 孙 马 朱 胡 郭 何 高 林 龙 郑 梁 谢 宋 唐 许 韩 冯 "
    "邓 曹 彭 曾 肖 田 董 袁 潘 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈 姚 卢 姜 崔 钟 谭 陆 汪 "
    "范 金 石 廖 贾 夏 韦 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 段 雷 侯 史 陶 黎 贺 顾 毛 郝 龚 "
    "邵 万 安 禄 陇 文 聂 穆 晏 左"
).split()
_SURNAME_CUM_WEIGHTS = list(
    itertools.accumulate(1.0 / (rank + 8) for rank in range(len(_SURNAMES)))
)
_MALE_CHARS = (
    "伟 强 军 勇 杰 涛 明 超 磊 刚 平 辉 鹏 华 飞 鑫 波 斌 宇 浩 凯 健 俊 帆 林 峰 建 国 "
    "文 志 成 学 兴 贵 福 德 江 海 荣 发 祥 云 龙 忠 永 红 光 坤 昌 泽 阳 毅 宏 远 金 顺 "
    "洪 榜 才 武 顺 廷 友 运"
).split()
_FEMALE_CHARS = (
    "芳 娟 敏 静 丽 艳 霞 燕 玲 婷 雪 慧 琴 英 梅 兰 红 萍 颖 倩 琳 丹 莉 娜 欣 怡 桂 "
    "秀 珍 凤 翠 花 春 美 月 云 巧 妹 菊 蓉 露 佳 媛 洁 晶 瑶 悦 彤 雨 思 梦 诗 琪"
).split()

_COMMUNITY_STEMS = (
    "东门 西门 南门 北门 新华 兴隆 民主 解放 和平 文化 建设 育才 团结 环城 新街 老街 滨河 "
    "城南 城北 城东 城西 龙井 翠屏 金凤 平远 迎宾 桂花 学府 星光 幸福 东风 朝阳 友谊 "
    "人民 振兴 健康 花园 府前"
).split()
_VILLAGE_FIRST = list(
    "新红大小石龙马青白黄高中上下长平金桃李杨竹松花水河坪岩三双五兴和安丰乐沙凉牛羊茶麻凤鱼狮"
)
_VILLAGE_SECOND = list("寨坝沟冲坡山河田院桥井湾岭林溪塘坪园堡庄场岩屯关口台洞箐")
_ROADS = (
    "建设路 人民路 新华路 文化路 解放路 中山路 环城路 龙井路 平远路 育才路 民主路 和平路 "
    "友谊路 朝阳路 幸福路 东风路 南街 北街 西街 东街 中街 滨河路 学府路 花园路 桂花路 "
    "翠屏路 北门路 南门路 府前路 振兴路 团结路 健康路 兴业路 迎宾大道 金凤大道 星光路 "
    "光明路 青年路 红旗路 富民路"
).split()
_NUMERALS = "零一二三四五六七八九"

# Ethnic make-up of Bijie (汉族 about seven in ten; 彝族, 苗族, 回族, 布依族, 仡佬族 …);
# townships named after a minority lean towards it.
_ETHNICITIES = (
    "汉族",
    "苗族",
    "彝族",
    "布依族",
    "回族",
    "仡佬族",
    "白族",
    "土家族",
    "侗族",
    "水族",
)
_ETHNIC_WEIGHTS = (72.0, 10.0, 8.0, 3.5, 2.5, 1.5, 1.0, 0.6, 0.5, 0.4)

_MOBILE_PREFIXES = (
    "134 135 136 137 138 139 147 150 151 152 157 158 159 178 182 183 187 188 198 "
    "130 131 132 155 156 166 175 176 185 186 133 153 173 177 180 181 189 191 199"
).split()

# Household sizes (与户主同住的人数) with a mean of about 3.3, as in rural Guizhou.
_SIZES = (1, 2, 3, 4, 5, 6, 7, 8)
_SIZE_WEIGHTS = (0.13, 0.23, 0.22, 0.19, 0.12, 0.07, 0.03, 0.01)


def _numeral(n: int) -> str:
    """一 … 九十九, for 村民小组 names (三组)."""
    if n < 10:
        return _NUMERALS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _NUMERALS[tens]) + "十" + (_NUMERALS[ones] if ones else "")


def apportion(total: int, weights: Sequence[float], minimums: Sequence[int]) -> list[int]:
    """Split ``total`` into whole shares proportional to ``weights``, each at least its minimum
    (largest-remainder method, so the shares add up exactly)."""
    spare = total - sum(minimums)
    if spare < 0:
        raise ValueError(f"cannot split {total} with minimums adding up to {sum(minimums)}")
    scale = sum(weights)
    shares = [spare * w / scale for w in weights]
    counts = [int(share) for share in shares]
    order = sorted(range(len(shares)), key=lambda i: (counts[i] - shares[i], i))
    for i in order[: spare - sum(counts)]:
        counts[i] += 1
    return [count + minimum for count, minimum in zip(counts, minimums, strict=True)]


# --- Plan ---------------------------------------------------------------------------------


@dataclass
class _VillagePlan:
    code: str  # 12 digits
    name: str
    kind: AreaKind
    is_community: bool
    centre: tuple[float, float]
    households: int
    persons: int | None
    grids: int = 0
    units: int = 0
    party_groups: int = 0
    area_id: int = 0


@dataclass
class _TownshipPlan:
    spec: TownshipSpec
    code: str  # 12 digits
    centre: tuple[float, float]
    villages: list[_VillagePlan] = field(default_factory=list)
    area_id: int = 0


@dataclass
class SeedSummary:
    """What a seeding run wrote, and how long it took."""

    profile: str
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class SeedingRefused(Exception):
    """Seeding needs a database without areas."""


_MIN_HOUSEHOLDS = 20  # per village or community


def _plan_county(spec: CountySpec, seed: int) -> list[_TownshipPlan]:
    """Decide every village's name and size and the grid, unit and party-group counts, so that
    the county's totals come out exactly as specified."""
    rng = random.Random(f"{seed}:plan:{spec.code}")
    fixed_totals = [sum(v.households for v in t.fixed) for t in spec.townships]
    sizes = apportion(
        spec.households,
        # A little noise, so that townships of equal weight differ as real ones do.
        [t.weight * rng.uniform(0.9, 1.1) for t in spec.townships],
        [
            total + _MIN_HOUSEHOLDS * (t.communities + t.villages)
            for total, t in zip(fixed_totals, spec.townships, strict=True)
        ],
    )
    townships: list[_TownshipPlan] = []
    for t, households in zip(spec.townships, sizes, strict=True):
        code = f"{spec.code}{t.number:03d}000"
        if t.offset is not None:
            d_lat, d_lon = t.offset
        else:
            d_lat, d_lon = rng.uniform(-0.22, 0.22), rng.uniform(-0.25, 0.25)
        plan = _TownshipPlan(t, code, (spec.centre[0] + d_lat, spec.centre[1] + d_lon))
        fixed = {v.number: v for v in t.fixed}
        taken = {v.name for v in t.fixed}
        slots: list[tuple[int, bool]] = [(n, True) for n in range(1, t.communities + 1)]
        slots += [(200 + n, False) for n in range(1, t.villages + 1)]
        for number, is_community in slots:
            given = fixed.get(number)
            if given is not None:
                name = given.name
            else:
                name = _village_name(rng, is_community, taken)
                taken.add(name)
            spread = 0.012 if is_community else 0.08
            plan.villages.append(
                _VillagePlan(
                    code=f"{code[:9]}{number:03d}",
                    name=name,
                    kind=AreaKind.COMMUNITY if is_community else AreaKind.VILLAGE,
                    is_community=is_community,
                    centre=(
                        plan.centre[0] + rng.uniform(-spread, spread),
                        plan.centre[1] + rng.uniform(-spread, spread),
                    ),
                    households=given.households if given else 0,
                    persons=given.persons if given else None,
                )
            )
        free = [v for v in plan.villages if v.households == 0]
        shares = apportion(
            households - sum(v.households for v in plan.villages),
            # Communities of a town centre are denser than villages.
            [rng.uniform(0.6, 1.4) * (1.4 if v.is_community else 1.0) for v in free],
            [_MIN_HOUSEHOLDS] * len(free),
        )
        for village, share in zip(free, shares, strict=True):
            village.households = share
        townships.append(plan)

    villages = [v for t in townships for v in t.villages]
    grids = apportion(spec.grids, [v.households for v in villages], [1] * len(villages))
    units = apportion(spec.units, [v.households for v in villages], grids)
    for village, grid_count, unit_count in zip(villages, grids, units, strict=True):
        village.grids, village.units = grid_count, unit_count
        if unit_count > village.households:
            raise ValueError(f"{village.name}: more units than households")
    # A party group serves one grid or is shared by two or three (联合建).
    for village in villages:
        village.party_groups = math.ceil(village.grids / 3)
    spare = spec.party_groups - sum(v.party_groups for v in villages)
    if spare < 0 or spare > sum(v.grids - v.party_groups for v in villages):
        raise ValueError(f"{spec.name}: cannot form {spec.party_groups} party groups")
    while spare:
        village = rng.choice(villages)
        if village.party_groups < village.grids:
            village.party_groups += 1
            spare -= 1
    return townships


def _village_name(rng: random.Random, is_community: bool, taken: set[str]) -> str:
    for _ in range(1000):
        if is_community:
            name = rng.choice(_COMMUNITY_STEMS) + "社区"
        else:
            name = rng.choice(_VILLAGE_FIRST) + rng.choice(_VILLAGE_SECOND) + "村"
        if name not in taken:
            return name
    raise ValueError("ran out of village names")


# --- People -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Member:
    relation: Relation
    sex: str
    age: int
    name: str = ""
    ethnicity: str = ""


def _family(rng: random.Random, size: int) -> list[_Member]:
    """A plausible household of ``size`` people: ages fit the relations (a head of 25–80,
    children 20–40 years younger than their parents, grandparents only with a young head)."""
    if size == 1:
        age = rng.randint(62, 90) if rng.random() < 0.55 else rng.randint(25, 61)
        return [_Member(Relation.HEAD, Sex.MALE if rng.random() < 0.6 else Sex.FEMALE, age)]
    head_age = min(80, max(25, int(rng.triangular(25, 80, 47))))
    head_sex = Sex.MALE if rng.random() < 0.85 else Sex.FEMALE
    members = [_Member(Relation.HEAD, head_sex, head_age)]
    other = Sex.FEMALE if head_sex == Sex.MALE else Sex.MALE
    parent_age = head_age
    if rng.random() < 0.9:
        gap = rng.randint(-1, 6)
        spouse_age = head_age - gap if head_sex == Sex.MALE else head_age + gap
        spouse_age = max(20, min(88, spouse_age))
        members.append(_Member(Relation.SPOUSE, other, spouse_age))
        parent_age = min(head_age, spouse_age)
    # Grandparents live with a younger head (三代同堂), leaving room for at least one child.
    if head_age <= 52 and len(members) < size - 1 and rng.random() < 0.4:
        for _ in range(min(2, size - len(members) - 1)):
            age = min(96, head_age + rng.randint(22, 34))
            members.append(_Member(Relation.PARENT, rng.choice((Sex.MALE, Sex.FEMALE)), age))
            if rng.random() < 0.5:
                break
    children: list[_Member] = []
    while len(members) + len(children) < size:
        adult = [c for c in children if c.age >= 22]
        if adult and head_age >= 48:
            # An older head's household grows downwards: a child's spouse, then grandchildren.
            has_in_law = any(m.relation == Relation.CHILD_IN_LAW for m in members)
            if not has_in_law and rng.random() < 0.6:
                child = adult[0]
                in_law_sex = Sex.FEMALE if child.sex == Sex.MALE else Sex.MALE
                age = max(20, child.age + rng.randint(-4, 3))
                members.append(_Member(Relation.CHILD_IN_LAW, in_law_sex, age))
                continue
            eldest = max(c.age for c in adult)
            age = rng.randint(max(0, eldest - 38), max(0, eldest - 20))
            members.append(_Member(Relation.GRANDCHILD, rng.choice((Sex.MALE, Sex.FEMALE)), age))
            continue
        if len(children) >= 4 and head_age < 48:
            age = max(18, head_age + rng.randint(-8, 8))
            members.append(_Member(Relation.SIBLING, rng.choice((Sex.MALE, Sex.FEMALE)), age))
            continue
        sex = Sex.MALE if rng.random() < 0.52 else Sex.FEMALE
        low = max(0, parent_age - 40)
        age = rng.randint(low, max(low, parent_age - 20))
        children.append(_Member(Relation.SON if sex == Sex.MALE else Relation.DAUGHTER, sex, age))
    return members + sorted(children, key=lambda c: -c.age)


def _given_name(rng: random.Random, sex: str) -> str:
    chars = _MALE_CHARS if sex == Sex.MALE else _FEMALE_CHARS
    if rng.random() < 0.25:
        return rng.choice(chars)
    return rng.choice(chars) + rng.choice(chars)


def _surname(rng: random.Random) -> str:
    return rng.choices(_SURNAMES, cum_weights=_SURNAME_CUM_WEIGHTS)[0]


def _name_family(
    rng: random.Random, members: list[_Member], ethnicity_weights: Sequence[float]
) -> None:
    """Children and grandchildren take the father's surname; spouses and in-laws their own."""
    head = members[0]
    own = _surname(rng)
    father_line = own
    if head.sex == Sex.FEMALE and len(members) > 1 and members[1].relation == Relation.SPOUSE:
        father_line = _surname(rng)
    ethnicity = rng.choices(_ETHNICITIES, weights=ethnicity_weights)[0]
    for m in members:
        if m.relation == Relation.HEAD:
            surname = own
        elif m.relation in {Relation.SON, Relation.DAUGHTER, Relation.GRANDCHILD}:
            surname = father_line
        elif m.relation in {Relation.PARENT, Relation.SIBLING}:
            surname = own if m.sex == Sex.MALE or m.relation == Relation.SIBLING else _surname(rng)
        else:
            surname = _surname(rng)
        m.name = surname + _given_name(rng, m.sex)
        marries_in = m.relation in {Relation.SPOUSE, Relation.CHILD_IN_LAW}
        if marries_in and rng.random() < 0.12:
            m.ethnicity = rng.choices(_ETHNICITIES, weights=ethnicity_weights)[0]
        else:
            m.ethnicity = ethnicity


def _ethnicity_weights(township_name: str, county_code: str) -> list[float]:
    weights = list(_ETHNIC_WEIGHTS)
    boosts = {"苗族": 1, "彝族": 2, "布依族": 3, "回族": 4}
    for word, index in boosts.items():
        if word in township_name:
            weights[index] *= 3.0
    if county_code == "520526":  # 威宁彝族回族苗族自治县
        weights[2] *= 2.5
        weights[4] *= 3.0
        weights[1] *= 1.5
    return weights


# --- Writing ------------------------------------------------------------------------------

_BATCH = 5000
_FLUSH_PERSONS = 40_000
_ORDER: tuple[type[models.Model], ...] = (
    Area,
    GridPartyGroup,
    Grid,
    HouseholdUnit,
    Household,
    Person,
    Person.tags.through,
)


class _RowWriter:
    """Inserts rows of one model with a single prepared statement (``executemany``).

    Each value is converted exactly as its field converts it (``get_db_prep_save``: the
    encrypted fields encrypt there), but without ``bulk_create``'s per-row SQL compilation,
    which costs ten times the database's own work at this volume. Fields whose Python value
    is already what the driver takes (text, whole numbers, keys) pass through unchanged.
    """

    # Their get_db_prep_save is str() or int() of a value that is a str or int already.
    _PLAIN = (
        models.CharField,  # and SlugField
        models.IntegerField,  # and the auto, big and positive kinds
        models.BooleanField,
        models.ForeignKey,  # its attname holds the key
    )

    def __init__(self, model: type[models.Model], now: datetime.datetime) -> None:
        quote = connection.ops.quote_name
        fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in fields]
        # Table and column names come from the model, quoted; values are parameters.
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(model._meta.db_table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
        )
        self.copy_sql = "COPY {} ({}) FROM STDIN".format(
            quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
        )
        self.converters: list[Callable[[Any], Any] | None] = []
        self.constants: dict[int, Any] = {}
        for index, f in enumerate(fields):
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                # Every row of the run gets the same creation time.
                self.constants[index] = f.get_db_prep_save(now, connection)
                self.converters.append(None)
            elif isinstance(f, self._PLAIN):
                self.converters.append(None)
            else:
                self.converters.append(_preparer(f))

    def rows(self, objs: list[Any]) -> list[tuple[Any, ...]]:
        plan = list(zip(self.attnames, self.converters, strict=True))
        constants = self.constants
        out = []
        for obj in objs:
            values = obj.__dict__
            row = [
                values[name] if convert is None else convert(values[name]) for name, convert in plan
            ]
            for index, value in constants.items():
                row[index] = value
            out.append(tuple(row))
        return out

    def write(self, objs: list[Any]) -> None:
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if connection.vendor == "postgresql" and hasattr(raw, "copy"):
                # PostgreSQL runs each row of an executemany as its own statement; COPY
                # streams them all in one (psycopg 3 adapts the values as for a query).
                with raw.copy(self.copy_sql) as copy:
                    for row in self.rows(objs):
                        copy.write_row(row)
                return
            # SQLite prepares the statement once and steps it per row: as fast as it gets.
            for start in range(0, len(objs), _BATCH):
                cursor.executemany(self.sql, self.rows(objs[start : start + _BATCH]))


def _preparer(f: models.Field[Any, Any]) -> Callable[[Any], Any]:
    # The connection itself, not the proxy ``django.db.connection``: a proxy attribute
    # lookup per value is a measurable share of the run at 760,000 rows.
    database = connections[DEFAULT_DB_ALIAS]

    def prepare(value: Any) -> Any:
        return f.get_db_prep_save(value, database)

    return prepare


class _Seeder:
    def __init__(self, profile: Profile, seed: int, progress: Progress | None) -> None:
        self.profile = profile
        self.seed = seed
        self.progress = progress
        self.buffers: dict[type[models.Model], list[Any]] = {model: [] for model in _ORDER}
        self.counts: dict[str, int] = {model._meta.label: 0 for model in _ORDER}
        self.next_id = {
            model: (model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0) + 1
            for model in _ORDER
        }
        # Sequence numbers already given out per (region, birth date, sex): digits 15–17.
        self.id_sequences: dict[tuple[str, datetime.date, str], int] = {}
        self.tag_ids = {tag.code: tag.pk for tag in PersonTag.objects.all()}
        now = datetime.datetime.now(tz=datetime.UTC)
        self.writers = {model: _RowWriter(model, now) for model in _ORDER}

    def take_id(self, model: type[models.Model]) -> int:
        value = self.next_id[model]
        self.next_id[model] = value + 1
        return value

    def add(self, obj: models.Model) -> None:
        self.buffers[type(obj)].append(obj)

    def flush(self) -> None:
        for model in _ORDER:
            rows = self.buffers[model]
            if rows:
                self.writers[model].write(rows)
                self.counts[model._meta.label] += len(rows)
                self.buffers[model] = []

    def say(self, stage: str, count: int) -> None:
        if self.progress is not None:
            self.progress(stage, count)

    # -- areas

    def run(self) -> None:
        province = self.area("520000000000", "贵州省", AreaLevel.PROVINCE, AreaKind.PROVINCE, None)
        city = self.area("520500000000", "毕节市", AreaLevel.CITY, AreaKind.CITY, province)
        for spec in self.profile.counties:
            plans = _plan_county(spec, self.seed)
            county = self.area(f"{spec.code}000000", spec.name, AreaLevel.COUNTY, spec.kind, city)
            for plan in plans:
                township = self.area(
                    plan.code, plan.spec.name, AreaLevel.TOWNSHIP, plan.spec.kind, county
                )
                plan.area_id = township.pk
                for village in plan.villages:
                    village.area_id = self.area(
                        village.code, village.name, AreaLevel.VILLAGE, village.kind, township
                    ).pk
            self.flush()
            self.say(f"areas of {spec.name}", sum(1 + len(p.villages) for p in plans) + 1)
            for plan in plans:
                households = persons = 0
                for village in plan.villages:
                    h, p = self.village(spec, plan, village)
                    households += h
                    persons += p
                    if len(self.buffers[Person]) >= _FLUSH_PERSONS:
                        self.flush()
                self.say(f"{plan.spec.name}: households", households)
                self.say(f"{plan.spec.name}: persons", persons)
            self.flush()
            self.departments(spec, plans)
        self.flush()

    def area(
        self, code: str, name: str, level: AreaLevel, kind: AreaKind, parent: Area | None
    ) -> Area:
        if parent is not None and not code.startswith(parent.territory_code):
            raise ValueError(f"{code} does not lie under {parent.territory_code}")
        area = Area(
            id=self.take_id(Area),
            code=code,
            name=name,
            level=level,
            kind=kind,
            parent=parent,
            valid_from=VALID_FROM,
            territory_code=prefix_of(code, level),
        )
        self.add(area)
        return area

    # -- one village: party groups, grids, units, households, people

    def village(
        self, spec: CountySpec, township: _TownshipPlan, plan: _VillagePlan
    ) -> tuple[int, int]:
        rng = random.Random(f"{self.seed}:village:{plan.code}")
        village_code = plan.code
        # Party groups: neighbouring grids share one (联合建) until the count is reached.
        group_sizes = [1] * plan.party_groups
        for _ in range(plan.grids - plan.party_groups):
            index = rng.choice([i for i, s in enumerate(group_sizes) if s < 3])
            group_sizes[index] += 1
        grid_groups: list[int] = []
        first = 1
        for size in group_sizes:
            last = first + size - 1
            label = f"第{first}网格" if size == 1 else f"第{first}至{last}网格联合"
            group = GridPartyGroup(
                id=self.take_id(GridPartyGroup),
                name=f"{plan.name}{label}党小组",
                area_id=plan.area_id,
                territory_code=village_code,
                leader_name=_surname(rng)
                + _given_name(rng, Sex.MALE if rng.random() < 0.7 else Sex.FEMALE),
                member_count=rng.randint(3, 12) * size,
            )
            self.add(group)
            grid_groups += [group.pk] * size
            first = last + 1

        units_per_grid = apportion(
            plan.units, [rng.uniform(0.7, 1.3) for _ in range(plan.grids)], [1] * plan.grids
        )
        unit_households = apportion(
            plan.households, [rng.uniform(0.7, 1.3) for _ in range(plan.units)], [1] * plan.units
        )
        sizes = rng.choices(_SIZES, weights=_SIZE_WEIGHTS, k=plan.households)
        if plan.persons is not None:
            _adjust_sizes(rng, sizes, plan.persons)
        weights = _ethnicity_weights(township.spec.name, spec.code)
        roads = rng.sample(_ROADS, len(_ROADS))
        road_numbers: dict[str, int] = {}
        households = persons = 0
        unit_index = 0
        for grid_number in range(1, plan.grids + 1):
            grid_code = village_code + str(grid_number).zfill(GRID_SUFFIX_DIGITS)
            grid = Grid(
                id=self.take_id(Grid),
                code=grid_code,
                name=f"{plan.name}第{grid_number}网格",
                village_id=plan.area_id,
                party_group_id=grid_groups[grid_number - 1],
                territory_code=grid_code,
            )
            self.add(grid)
            doorplates = _Doorplates(rng, plan, grid_number, roads, road_numbers)
            for unit_number in range(1, units_per_grid[grid_number - 1] + 1):
                unit_code = grid_code + str(unit_number).zfill(UNIT_SUFFIX_DIGITS)
                unit = HouseholdUnit(
                    id=self.take_id(HouseholdUnit),
                    code=unit_code,
                    name=f"{plan.name}第{grid_number}网格第{unit_number}联户体",
                    grid_id=grid.pk,
                    territory_code=unit_code,
                )
                heads: list[tuple[int, int]] = []  # (person id, age) of each household head
                for _ in range(unit_households[unit_index]):
                    size = sizes[households]
                    households += 1
                    persons += size
                    heads.append(self.household(rng, plan, grid, unit, doorplates, size, weights))
                unit_index += 1
                # The unit head (联户长) is one of its household heads, preferably of working age.
                working = [pid for pid, age in heads if 28 <= age <= 65] or [
                    pid for pid, _ in heads
                ]
                unit.head_id = rng.choice(working)
                self.add(unit)
        return households, persons

    def household(
        self,
        rng: random.Random,
        plan: _VillagePlan,
        grid: Grid,
        unit: HouseholdUnit,
        doorplates: _Doorplates,
        size: int,
        ethnicity_weights: Sequence[float],
    ) -> tuple[int, int]:
        address, building, entrance, room = doorplates.next()
        spread = 0.0025 if plan.is_community else 0.012
        latitude = plan.centre[0] + rng.gauss(0, spread)
        longitude = plan.centre[1] + rng.gauss(0, spread)
        members = _family(rng, size)
        _name_family(rng, members, ethnicity_weights)
        household = Household(
            id=self.take_id(Household),
            grid_id=grid.pk,
            unit_id=unit.pk,
            territory_code=unit.code,
            address=address,
            building=building,
            entrance=entrance,
            room=room,
            latitude=Decimal(f"{latitude:.6f}"),
            longitude=Decimal(f"{longitude:.6f}"),
            head_name=members[0].name,
            member_count=len(members),
        )
        self.add(household)
        region = unit.code[:6]
        head_id = 0
        for member in members:
            person = Person(
                id=self.take_id(Person),
                household_id=household.pk,
                territory_code=household.territory_code,
                name=member.name,
                sex=member.sex,
                birth_date=None,
                ethnicity=member.ethnicity,
                relation=member.relation,
            )
            birth, number = self.id_number(rng, region, member)
            person.birth_date = birth
            person.set_id_number(number)
            phone = _phone(rng, member.age)
            if phone:
                person.set_phone(phone)
            self.add(person)
            if member.relation == Relation.HEAD:
                head_id = person.pk
            for code in _tags(rng, member, size, plan.is_community):
                tag_id = self.tag_ids.get(code)
                if tag_id is None:  # a tag removed in the admin: the rest still apply
                    continue
                through = Person.tags.through
                self.add(
                    through(id=self.take_id(through), person_id=person.pk, persontag_id=tag_id)
                )
        return head_id, members[0].age

    def id_number(
        self, rng: random.Random, region: str, member: _Member
    ) -> tuple[datetime.date, str]:
        """A birth date for the member's age and an unused ID number carrying it."""
        days = member.age * 365 + member.age // 4 + rng.randrange(365)
        birth = AS_OF - datetime.timedelta(days=days)
        odd = member.sex == Sex.MALE
        while True:
            key = (region, birth, member.sex)
            used = self.id_sequences.get(key, 0)
            # Odd sequence numbers are men's, even ones women's: 500 of each per day.
            if used < 499:
                self.id_sequences[key] = used + 1
                sequence = 2 * used + (1 if odd else 2)
                break
            birth -= datetime.timedelta(days=1)
        first17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
        return birth, first17 + check_character(first17)

    # -- departments (through the service: there are few of them)

    def departments(self, spec: CountySpec, plans: list[_TownshipPlan]) -> None:
        matters = {m.code: m for m in Matter.objects.all()}

        def pick(*codes: str) -> list[Matter]:
            return [matters[c] for c in codes if c in matters]

        rng = random.Random(f"{self.seed}:departments:{spec.code}")

        def phone() -> str:
            return f"0857-{rng.randint(2, 8)}{rng.randrange(10**6):06d}"

        made = 0
        for name, kind, remit in (
            ("综治中心", DepartmentKind.GOVERNANCE_CENTER, pick("petitions", "mediation")),
            ("林业局", DepartmentKind.FORESTRY_BUREAU, pick("forest_land")),
            ("信访局", DepartmentKind.PETITIONS_BUREAU, pick("petitions")),
        ):
            department_create(
                name=spec.short_name + name,
                kind=kind,
                territory_code=spec.code,
                matters=remit,
                phone=phone(),
            )
            made += 1
        for plan in plans:
            short = _short_name(plan.spec.name)
            township_code = plan.code[:9]
            for name, kind, remit in (
                (f"{plan.spec.name}综治中心", DepartmentKind.GOVERNANCE_CENTER, pick("mediation")),
                (
                    f"{short}派出所",
                    DepartmentKind.POLICE_STATION,
                    pick("household_registration", "public_security", "fraud", "drugs", "traffic"),
                ),
                (
                    f"{short}司法所",
                    DepartmentKind.JUSTICE_OFFICE,
                    pick("mediation", "legal_aid", "community_correction"),
                ),
                (
                    f"{plan.spec.name}人民政府",
                    DepartmentKind.TOWNSHIP_GOVERNMENT,
                    pick("homestead", "land_acquisition", "social_assistance", "wages"),
                ),
            ):
                department_create(
                    name=name,
                    kind=kind,
                    territory_code=township_code,
                    matters=remit,
                    phone=phone(),
                )
                made += 1
            for village in plan.villages:
                department_create(
                    name=f"{village.name}综治中心",
                    kind=DepartmentKind.GOVERNANCE_CENTER,
                    territory_code=village.code,
                    matters=pick("mediation", "homestead"),
                )
                made += 1
        self.counts["org.Department"] = self.counts.get("org.Department", 0) + made
        self.say(f"departments of {spec.name}", made)


def _short_name(name: str) -> str:
    """双堰街道 → 双堰, 官寨苗族乡 → 官寨, 柳塘镇 → 柳塘."""
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix):
            name = name.removesuffix(suffix)
            break
    for word in ("布依族", "苗族", "彝族", "回族"):
        if word in name:
            name = name[: name.index(word)]
    return name


class _Doorplates:
    """Doorplate addresses of one grid, never repeating within the village.

    Communities (town centres) are streets of houses and residential compounds with
    buildings, entrances and rooms; villages use the rural form 村 + 村民小组 + number.
    """

    def __init__(
        self,
        rng: random.Random,
        plan: _VillagePlan,
        grid_number: int,
        roads: list[str],
        road_numbers: dict[str, int],
    ) -> None:
        self.rng = rng
        self.plan = plan
        self.road = roads[(grid_number - 1) % len(roads)]
        if grid_number > len(roads):
            self.road = f"{self.road}{_numeral((grid_number - 1) // len(roads) + 1)}巷"
        self.road_numbers = road_numbers
        self.group = f"{plan.name}{_numeral(grid_number)}组"
        self.house = rng.randint(1, 5)
        self.compound: tuple[str, int, int, int, int] | None = None

    def _next_on_road(self) -> int:
        number = self.road_numbers.get(self.road, self.rng.randint(1, 12)) + self.rng.randint(1, 3)
        self.road_numbers[self.road] = number
        return number

    def next(self) -> tuple[str, str, str, str]:
        rng = self.rng
        if not self.plan.is_community:
            self.house += 1 if rng.random() < 0.85 else rng.randint(2, 4)
            return f"{self.group}{self.house}号", "", "", ""
        if rng.random() < 0.25:
            return f"{self.road}{self._next_on_road()}号", "", "", ""
        # Fill a compound building by building, entrance by entrance, floor by floor.
        if self.compound is None:
            self.compound = (f"{self.road}{self._next_on_road()}号", 1, 1, 1, 1)
        address, building, entrance, floor, door = self.compound
        result = (address, str(building), str(entrance), f"{floor}{door:02d}")
        door += 1
        if door > 2:
            door, floor = 1, floor + 1
        if floor > 7:
            floor, entrance = 1, entrance + 1
        if entrance > 2:
            entrance, building = 1, building + 1
        self.compound = None if building > 8 else (address, building, entrance, floor, door)
        return result


def _adjust_sizes(rng: random.Random, sizes: list[int], total: int) -> None:
    """Nudge household sizes (1–8) until they add up to ``total`` residents."""
    if not len(sizes) <= total <= 8 * len(sizes):
        raise ValueError(f"{len(sizes)} households cannot hold {total} residents")
    difference = total - sum(sizes)
    while difference:
        i = rng.randrange(len(sizes))
        if difference > 0 and sizes[i] < 8:
            sizes[i] += 1
            difference -= 1
        elif difference < 0 and sizes[i] > 1:
            sizes[i] -= 1
            difference += 1


def _phone(rng: random.Random, age: int) -> str:
    """Most adults have a mobile phone; fewer of the very old; children none."""
    if age < 16:
        return ""
    chance = 0.5 if age < 18 else 0.9 if age <= 60 else 0.6 if age <= 75 else 0.25
    if rng.random() >= chance:
        return ""
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _tags(rng: random.Random, member: _Member, size: int, urban: bool) -> list[str]:
    """Labels at roughly the rates a Bijie grid register shows them."""
    tags: list[str] = []
    age = member.age
    if age < 16 and rng.random() < (0.03 if urban else 0.12):
        tags.append("left_behind_child")
    if size == 1 and age >= 60 and rng.random() < 0.85:
        tags.append("elderly_living_alone")
    if rng.random() < (0.045 if age >= 65 else 0.015):
        tags.append("disabled")
    if member.relation == Relation.HEAD and rng.random() < (0.02 if urban else 0.05):
        tags.append("subsistence_allowance")
    if member.sex == Sex.MALE and 25 <= age <= 85 and rng.random() < 0.02:
        tags.append("veteran")
    if age >= 25 and rng.random() < (0.08 if member.sex == Sex.MALE else 0.04):
        tags.append("party_member")
    # Special populations are rare; each also carries the umbrella tag 特殊人群.
    special = False
    if member.sex == Sex.MALE and 25 <= age <= 65 and rng.random() < 0.002:
        tags.append("released_prisoner")
        special = True
    if 18 <= age <= 60 and rng.random() < 0.0006:
        tags.append("community_correction")
        special = True
    if 18 <= age <= 55 and rng.random() < 0.0008:
        tags.append("drug_user")
        special = True
    if age >= 16 and rng.random() < 0.003:
        tags.append("severe_mental_disorder")
        special = True
    if 12 <= age <= 25 and rng.random() < 0.002:
        tags.append("key_youth")
        special = True
    if special:
        tags.append("special_population")
    return tags


# --- Entry point --------------------------------------------------------------------------


def database_has_areas() -> bool:
    return Area.objects.exists()


def seed(*, profile: str, seed: int = 2026, progress: Progress | None = None) -> SeedSummary:
    """Fill an empty database with the demo profile ``profile`` (tiny, town or county).

    Deterministic for a given ``seed`` (apart from encryption nonces and timestamps).
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    started = time.perf_counter()
    with transaction.atomic():
        if database_has_areas():
            raise SeedingRefused("The database already has areas: seeding needs an empty one.")
        seeder = _Seeder(PROFILES[profile], seed, progress)
        seeder.run()
        # Rows were written with their keys: move PostgreSQL's sequences past them (SQLite's
        # AUTOINCREMENT follows by itself).
        statements = connection.ops.sequence_reset_sql(no_style(), list(_ORDER))
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)
    return SeedSummary(
        profile=profile,
        seed=seed,
        counts=seeder.counts,
        seconds=time.perf_counter() - started,
    )
