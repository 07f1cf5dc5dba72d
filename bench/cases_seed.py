"""Benchmark data for the case loop: staff, routing rules and cases, in bulk, on top of the
county demo profile (织金县; ``bench.seed_county`` loads it first).

    FENGQIAO_DATABASE_URL=… python -m bench.cases_seed [--cases N]

``bench.run`` runs it as the stage ``cases_seed``: it sets up the case world and grows the
case table to 10,000 cases; ``bench.cases_worklists`` measures there, grows it to the full size
(1,000,000 cases on PostgreSQL, 200,000 on SQLite) with ``grow()`` and measures again.

The cases are generated, not submitted through the services: a million ``case_submit`` calls
would take longer than the whole benchmark may. They are written the way
``fengqiao.territory.seeding`` writes the county: rows built as tuples in Python and sent with
one prepared statement per table (``executemany`` on SQLite, ``COPY`` on PostgreSQL). Each row
carries the columns the services would have left on a case that went through the same moves:

- the number ``<county>-<local day>-<sequence>`` from per-day sequences, with the
  ``CaseNumberCounter`` rows brought up to the last number given, so later intake continues;
- ``holder_code`` and ``level`` as ``initial_holder`` puts them (grid cases partly escalated
  to the township), ``suggested_department`` from the real routing rules (``route()``), and
  the lead department a rule names (or the township government after triage);
- the times of each move in order (received → accepted → dispatched → signed → replied →
  closed), the deadlines from the deadline policies on the working-day calendar
  (``due_after``, ``warn_time``: sign-for, reply, hard matters, extensions, rating wait);
- the sweep's marks as a sweep running every few minutes would have left them: a warning or
  supervision raised for every deadline already passed, a return visit requested for every
  rating wait already over — so the sweep, run on this data, finds nothing new.

Not generated: the timeline (``CaseEvent``), reporters, notifications, attachments and
co-handling departments. Nothing measured on this data reads them; intake writes them and is
measured with whatever they hold.

Distribution: cases received over the last 1,000 days, fewer at weekends and slowly growing
(planned for the full size, and generated a whole day at a time from the newest back, so a
10,000-case table is the same county's most recent days: the same open workload, a short
history); 双堰街道 (the county seat's street) receives a quarter of them, the other townships
share the rest by households; most are closed (or rejected); the last weeks' cases are open
in every state, more of them the younger they are (some accepted ones returned by a
department), plus a small backlog of old open cases (hard matters, extensions). 双堰派出所
leads the public-security and registration matters of 双堰街道, which makes it the busiest
department.
"""

from __future__ import annotations

import argparse
import bisect
import datetime
import itertools
import json
import os
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

COUNTY = "520524"  # 织金县
BIG_TOWNSHIP = "520524001"  # 双堰街道: the big township center
BIG_TOWNSHIP_SHARE = 0.25
BUSY_DEPARTMENT = "双堰派出所"
SMALL = 10_000
FULL = {"postgresql": 1_000_000, "sqlite": 200_000}
DAYS = 1_000
SEED = 2026
CENTER_USER = "bench-cases-center"  # a center operator of 双堰街道
DEPARTMENT_USER = "bench-cases-police"  # a handler of 双堰派出所
_FLUSH = 20_000  # rows per write

# Leaf categories with their share of cases and the case type residents mostly give them.
_CATEGORIES: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("noise", 9.0, ("complaint",)),
    ("fraud", 3.0, ("report", "help")),
    ("drugs", 0.5, ("report",)),
    ("id_card", 6.0, ("consultation",)),
    ("hukou", 4.0, ("consultation",)),
    ("dispute_family", 5.0, ("dispute",)),
    ("dispute_neighbour", 9.0, ("dispute",)),
    ("dispute_homestead", 4.0, ("dispute",)),
    ("dispute_forest_land", 3.0, ("dispute",)),
    ("dispute_wages", 3.0, ("dispute", "help")),
    ("dispute_labour", 2.0, ("dispute",)),
    ("dispute_property", 3.0, ("dispute", "complaint")),
    ("dispute_other", 2.0, ("dispute",)),
    ("fire", 3.0, ("hazard",)),
    ("road", 4.0, ("hazard", "suggestion")),
    ("geology", 1.0, ("hazard",)),
    ("environment", 8.0, ("complaint", "suggestion")),
    ("stairwell_lighting", 5.0, ("help", "complaint")),
    ("railings", 3.0, ("help", "suggestion")),
    ("social_assistance", 6.0, ("help", "consultation")),
    ("minors", 1.5, ("help", "report")),
    ("consumer", 4.0, ("complaint",)),
    ("other", 7.0, ("help", "suggestion", "consultation")),
)
_TITLES = {
    "noise": ("楼下夜间噪音", "广场舞音响太吵", "装修噪音扰民", "烧烤店深夜喧哗"),
    "fraud": ("疑似电信诈骗", "接到冒充客服电话", "网上刷单被骗"),
    "drugs": ("可疑人员聚集", "涉毒线索反映"),
    "id_card": ("补办身份证", "身份证到期换领", "临时身份证办理"),
    "hukou": ("新生儿落户", "户口迁移咨询", "户籍信息更正"),
    "dispute_family": ("夫妻矛盾调解", "赡养老人纠纷", "分家析产纠纷"),
    "dispute_neighbour": ("邻里排水纠纷", "邻居占用通道", "楼上漏水纠纷", "邻里宅基地界线"),
    "dispute_homestead": ("宅基地界址争议", "建房占地纠纷"),
    "dispute_forest_land": ("山林界线纠纷", "承包地边界争议"),
    "dispute_wages": ("拖欠农民工工资", "工程款拖欠"),
    "dispute_labour": ("劳动合同纠纷", "工伤待遇争议"),
    "dispute_property": ("物业费争议", "小区停车纠纷"),
    "dispute_other": ("其他矛盾纠纷",),
    "fire": ("楼道堆放杂物", "电动车楼道充电", "消防通道堵塞"),
    "road": ("路面塌陷", "路灯损坏", "路口缺少警示标志"),
    "geology": ("山体落石隐患", "房屋后坡开裂"),
    "environment": ("垃圾清运不及时", "污水直排", "焚烧秸秆"),
    "stairwell_lighting": ("楼道灯不亮", "单元门灯损坏"),
    "railings": ("河边护栏损坏", "桥梁护栏松动"),
    "social_assistance": ("申请低保咨询", "临时救助申请", "残疾人补贴咨询"),
    "minors": ("留守儿童无人照看", "未成年人进入网吧"),
    "consumer": ("商品质量问题", "预付卡退费难"),
    "other": ("政策咨询", "意见建议", "求助"),
}
# (channel, share): most cases come from residents through the doorplate code or the phone.
_CHANNELS = (
    ("qr", 0.30),
    ("phone", 0.20),
    ("app", 0.13),
    ("window", 0.10),
    ("grid", 0.17),
    ("provincial", 0.07),
    ("api", 0.03),
)
_OPEN_STATES = ("submitted", "accepted", "dispatched", "in_progress", "replied")


# --- The world the cases live in -----------------------------------------------------------


@dataclass
class Township:
    code: str
    name: str
    police: int
    justice: int
    government: int
    households: list[tuple[int, str]] = field(default_factory=list)  # (id, territory_code)
    villages: list[str] = field(default_factory=list)


@dataclass
class World:
    townships: list[Township]
    weights: list[float]
    categories: dict[str, int]
    county_departments: dict[str, int]
    center_user_id: int
    department_user_id: int
    busy_department_id: int


def prepare_world() -> World:
    """Routing rules and staff for the county (created once), and what the generators draw
    from. Idempotent: a second call only reads."""
    from django.db import transaction

    from fengqiao.cases.models import Category, RoutingRule
    from fengqiao.cases.routing import invalidate_routing
    from fengqiao.org.choices import DepartmentKind, Role
    from fengqiao.org.models import Department, User
    from fengqiao.territory.models import Area, Household

    areas = Area.objects.filter(valid_to=None)
    townships_by_code = {
        a.territory_code: a
        for a in areas.filter(territory_code__startswith=COUNTY, level="township")
    }
    if BIG_TOWNSHIP not in townships_by_code:
        raise SystemExit(f"no township {BIG_TOWNSHIP}: seed the county profile first")
    departments = {
        (d.territory_code, d.kind): d.pk
        for d in Department.objects.filter(territory_code__startswith=COUNTY)
    }
    county_departments = {
        "center": departments[(COUNTY, DepartmentKind.GOVERNANCE_CENTER)],
        "forestry": departments[(COUNTY, DepartmentKind.FORESTRY_BUREAU)],
        "petitions": departments[(COUNTY, DepartmentKind.PETITIONS_BUREAU)],
    }
    townships: list[Township] = []
    for code in sorted(townships_by_code):
        townships.append(
            Township(
                code=code,
                name=townships_by_code[code].name,
                police=departments[(code, DepartmentKind.POLICE_STATION)],
                justice=departments[(code, DepartmentKind.JUSTICE_OFFICE)],
                government=departments[(code, DepartmentKind.TOWNSHIP_GOVERNMENT)],
            )
        )
    by_code = {t.code: t for t in townships}
    for village_code in areas.filter(
        territory_code__startswith=COUNTY, level="village"
    ).values_list("territory_code", flat=True):
        by_code[village_code[:9]].villages.append(village_code)
    for pk, code in (
        Household.objects.filter(territory_code__startswith=COUNTY)
        .order_by("id")
        .values_list("id", "territory_code")
    ):
        by_code[code[:9]].households.append((pk, code))
    categories = dict(Category.objects.values_list("code", "id"))

    with transaction.atomic():
        if not RoutingRule.objects.filter(territory_code__startswith=COUNTY).exists():
            # 谁主管、谁负责 for each township; household registration is answered by the
            # police station directly (handle_directly), everything else goes through triage.
            rules = []
            for t in townships:
                for category, department, directly in (
                    ("public_security", t.police, False),
                    ("registration", t.police, True),
                    ("dispute", t.justice, False),
                    ("dispute_homestead", t.government, False),
                    ("social_assistance", t.government, False),
                    ("environment", t.government, False),
                ):
                    rules.append(
                        RoutingRule(
                            category_id=categories[category],
                            territory_code=t.code,
                            department_id=department,
                            handle_directly=directly,
                        )
                    )
            rules.append(
                RoutingRule(
                    category_id=categories["dispute_forest_land"],
                    territory_code=COUNTY,
                    department_id=county_departments["forestry"],
                )
            )
            RoutingRule.objects.bulk_create(rules)
            transaction.on_commit(invalidate_routing)
        if not User.objects.filter(username=CENTER_USER).exists():
            # Accounts only (no one signs in with them): unusable passwords, no hashing cost.
            users = [
                User(
                    username=CENTER_USER,
                    full_name="双堰街道综治中心(基准)",
                    role=Role.CENTER_OPERATOR,
                    scope_code=BIG_TOWNSHIP,
                ),
                User(
                    username=DEPARTMENT_USER,
                    full_name="双堰派出所民警(基准)",
                    role=Role.DEPARTMENT_HANDLER,
                    department_id=by_code[BIG_TOWNSHIP].police,
                ),
                User(
                    username="bench-cases-county",
                    full_name="织金县综治中心(基准)",
                    role=Role.CENTER_OPERATOR,
                    scope_code=COUNTY,
                ),
            ]
            for t in townships:
                users += [
                    User(
                        username=f"bench-cases-{t.code}-{n}",
                        full_name=f"{t.name}综治中心{n}",
                        role=Role.CENTER_OPERATOR,
                        scope_code=t.code,
                    )
                    for n in (1, 2)
                ]
                for label, department in (
                    ("police", t.police),
                    ("justice", t.justice),
                    ("gov", t.government),
                ):
                    users += [
                        User(
                            username=f"bench-cases-{t.code}-{label}-{n}",
                            full_name=f"{t.name}{label}{n}",
                            role=Role.DEPARTMENT_LEADER if n == 1 else Role.DEPARTMENT_HANDLER,
                            department_id=department,
                        )
                        for n in (1, 2, 3)
                    ]
            for user in users:
                user.set_unusable_password()
            User.objects.bulk_create(users)
    invalidate_routing()

    weights = [
        BIG_TOWNSHIP_SHARE
        if t.code == BIG_TOWNSHIP
        else (1 - BIG_TOWNSHIP_SHARE)
        * len(t.households)
        / sum(len(o.households) for o in townships if o.code != BIG_TOWNSHIP)
        for t in townships
    ]
    return World(
        townships=townships,
        weights=weights,
        categories=categories,
        county_departments=county_departments,
        center_user_id=User.objects.get(username=CENTER_USER).pk,
        department_user_id=User.objects.get(username=DEPARTMENT_USER).pk,
        busy_department_id=by_code[BIG_TOWNSHIP].police,
    )


# --- Rows ------------------------------------------------------------------------------------


class _Deadlines:
    """``due_after`` depends only on the local day and the number of working days: memoised,
    it costs a dictionary lookup per case instead of a calendar computation."""

    def __init__(self) -> None:
        from django.utils import timezone

        from fengqiao.workdays.schedule import calendar

        self._calendar = calendar()
        self._timezone = timezone.get_current_timezone()
        self._memo: dict[tuple[datetime.date, int], datetime.datetime] = {}

    def local_day(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self._timezone).date()

    def due_after(self, start: datetime.datetime, days: int) -> datetime.datetime:
        from fengqiao.cases.deadlines import END_OF_DAY

        key = (self.local_day(start), days)
        due = self._memo.get(key)
        if due is None:
            day = self._calendar.add(key[0], days)
            due = datetime.datetime.combine(day, END_OF_DAY, tzinfo=self._timezone)
            due = due.astimezone(datetime.UTC)  # all the generator's arithmetic is in UTC
            self._memo[key] = due
        return due


@dataclass
class _Generator:
    world: World
    rng: random.Random
    now: datetime.datetime
    vendor: str
    deadlines: _Deadlines = field(default_factory=_Deadlines)

    def __post_init__(self) -> None:
        from fengqiao.cases.deadlines import policy_for
        from fengqiao.cases.routing import route
        from fengqiao.cases.services import initial_holder

        self.policy_for = policy_for
        self.route = route
        self.initial_holder = initial_holder
        self.township_cum = list(itertools.accumulate(self.world.weights))
        self.category_codes = [c for c, _, _ in _CATEGORIES]
        self.category_cum = list(itertools.accumulate(w for _, w, _ in _CATEGORIES))
        self.types = {c: types for c, _, types in _CATEGORIES}
        self.channels = [c for c, _ in _CHANNELS]
        self.channel_cum = list(itertools.accumulate(w for _, w in _CHANNELS))
        self.sqlite = self.vendor == "sqlite"

    def _dt(self, value: datetime.datetime | None) -> Any:
        if value is None or not self.sqlite:
            return value
        # What Django stores on SQLite: UTC, naive, in str() form (every moment here is in
        # UTC already: drop the "+00:00").
        return str(value)[:-6]

    def _pick(self, items: Sequence[Any], cumulative: list[float]) -> Any:
        return items[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]

    def case(self, created: datetime.datetime, number: str) -> tuple[Any, ...]:
        rng, now = self.rng, self.now
        township: Township = self._pick(self.world.townships, self.township_cum)
        category = self._pick(self.category_codes, self.category_cum)
        case_type = rng.choice(self.types[category])
        channel = self._pick(self.channels, self.channel_cum)
        household_id = None
        if channel in ("qr", "grid") or (channel != "provincial" and rng.random() < 0.4):
            household_id, territory = rng.choice(township.households)
        elif rng.random() < 0.7 and township.villages:
            territory = rng.choice(township.villages)
        else:
            territory = township.code
        holder = self.initial_holder(channel, territory)
        routed = self.route(category_id=self.world.categories[category], territory_code=territory)
        suggested = routed.department_id if routed else None
        directly = bool(routed and routed.handle_directly)

        # Open or closed, by age: the younger the case, the likelier it is still open.
        age = (now - created).total_seconds() / 86400
        if age < 1:
            open_chance = 0.9
        elif age < 3:
            open_chance = 0.6
        elif age < 10:
            open_chance = 0.35
        elif age < 30:
            open_chance = 0.15
        elif age < 45:
            open_chance = 0.08
        else:
            open_chance = 0.004  # the backlog: hard matters, extensions, long disputes
        if rng.random() < open_chance:
            if age < 1:
                weights: tuple[float, ...] = (0.5, 0.15, 0.25, 0.1, 0.0)
            elif age < 3:
                weights = (0.1, 0.15, 0.2, 0.4, 0.15)
            else:
                weights = (0.0, 0.05, 0.05, 0.6, 0.3)
            status = rng.choices(_OPEN_STATES, weights=weights)[0]
            if directly and status in ("submitted", "accepted"):
                status = "dispatched"
        else:
            status = "rejected" if rng.random() < 0.03 and not directly else "closed"

        level = {15: "grid", 12: "village", 9: "township", 6: "county"}[len(holder)]
        resolved_on_spot = False
        if level == "grid":
            if status in ("closed", "replied") and rng.random() < 0.6:
                resolved_on_spot = True  # 就地办结 by the grid worker
            elif status != "submitted":
                holder, level = township.code, "township"  # 上报 twice, to the township
        policy = self.policy_for(case_type, level)

        def later(start: datetime.datetime, low: float, high: float) -> datetime.datetime:
            """A moment ``low``–``high`` hours after ``start``, but not after now (a few
            minutes before it, unless ``start`` is later still)."""
            moment = start + datetime.timedelta(hours=rng.uniform(low, high))
            cap = now - datetime.timedelta(seconds=rng.randint(60, 3600))
            return max(start, min(moment, cap))

        accepted = dispatched = signed = replied = closed = None
        sign_due = reply_due = warn = yellow = red = rating_due = visit = None
        lead: int | None = None
        is_hard = False
        extension = 0
        reply_text = rating = ""
        reply_approved = False
        version = 1
        # Back at the center after a department returned it as not theirs (退单).
        returned = int(status == "accepted" and not directly and rng.random() < 0.2)
        if status == "rejected":
            closed = later(created, 0.2, 8)
            version = 2
        elif status != "submitted":
            accepted = later(created, 0.1, 4)
            version = 2
            if resolved_on_spot:
                replied = accepted
                reply_text = "现场处置完毕。"
                reply_approved = True
                rating_due = self.deadlines.due_after(replied, policy.rating_wait_days)
            else:
                reply_days = policy.reply_days
                if status in ("in_progress", "replied", "closed") and rng.random() < 0.04:
                    is_hard = True
                    reply_days = policy.hard_reply_days
                reply_due = self.deadlines.due_after(accepted, reply_days)
                if is_hard and rng.random() < 0.3:
                    extension = rng.choice((5, 10, 15, 20, 30))
                    reply_due += datetime.timedelta(days=extension)
                warn = reply_due - datetime.timedelta(hours=policy.yellow_hours)
            version += 2 * returned  # dispatched, then returned
            if status != "accepted" and not resolved_on_spot:
                lead = suggested or township.government
                dispatched = later(accepted, 0.05, 3) if not directly else accepted
                sign_due = self.deadlines.due_after(dispatched, policy.sign_days)
                version += 1
                if status != "dispatched":
                    signed = later(dispatched, 0.1, 20)
                    version += 1
                if status in ("replied", "closed"):
                    assert reply_due is not None
                    span = (reply_due - dispatched).total_seconds() / 3600
                    # Nine in ten replies come before the deadline.
                    high = span * (0.95 if rng.random() < 0.9 else 1.6)
                    replied = later(signed or dispatched, 0.5, max(1.0, high))
                    reply_text = "已联系当事人，问题已处理。"
                    reply_approved = status == "closed" or rng.random() < 0.7
                    if reply_approved:
                        rating_due = self.deadlines.due_after(replied, policy.rating_wait_days)
                    warn = None  # case_reply clears it
                    version += 2
            if status == "closed":
                assert replied is not None
                closed = later(replied, 0.5, 72)
                rating = rng.choices(("satisfied", "basically"), weights=(0.87, 0.13))[0]
                version += 2
            # What the sweep has raised by now (it runs every few minutes, and only while the
            # deadline runs: until the reply, or until now for a case still in the works).
            five = datetime.timedelta(minutes=5)
            running_until = replied or now
            if reply_due is not None:
                warned_at = reply_due - datetime.timedelta(hours=policy.yellow_hours)
                if warned_at <= running_until:
                    yellow = min(warned_at + five, running_until)
                if reply_due <= running_until:
                    red = min(reply_due + five, running_until)
                    yellow = yellow or red
            if rating_due is not None and rating_due <= (closed or now):
                visit = min(rating_due + five, closed or now)
        updated = max(m for m in (created, accepted, dispatched, signed, replied, closed) if m)
        titles = _TITLES[category]
        token = uuid.UUID(int=rng.getrandbits(128), version=4)
        dt = self._dt
        return (
            token.hex if self.sqlite else token,  # uuid
            number,
            None,  # idempotency_key
            case_type,
            self.world.categories[category],
            channel,
            "urgent" if rng.random() < 0.05 else "normal",
            rng.choice(titles),
            f"{rng.choice(titles)}，请尽快处理。",
            territory,
            household_id,
            "",  # address
            None,  # latitude
            None,  # longitude
            status,
            holder,
            level,
            lead,
            suggested,
            dt(sign_due),
            dt(reply_due),
            dt(warn),
            dt(yellow),
            dt(red),
            dt(rating_due),
            dt(visit),
            is_hard,
            extension,
            returned,  # return_count
            0,  # reopen_count
            0,  # return_visit_count: the generated history has no return-visit events
            reply_text,
            reply_approved,
            resolved_on_spot,
            rating,
            "",  # rating_comment
            None,  # merged_into
            version,
            None,  # created_by: residents have no account
            dt(created),
            dt(accepted),
            dt(dispatched),
            dt(signed),
            dt(replied),
            dt(closed),
            dt(updated),
        )


# The columns written, in the order ``_Generator.case`` returns them (all but ``id``).
_COLUMNS = (
    "uuid",
    "number",
    "idempotency_key",
    "case_type",
    "category_id",
    "channel",
    "urgency",
    "title",
    "description",
    "territory_code",
    "household_id",
    "address",
    "latitude",
    "longitude",
    "status",
    "holder_code",
    "level",
    "lead_department_id",
    "suggested_department_id",
    "sign_due_at",
    "reply_due_at",
    "warn_at",
    "yellow_raised_at",
    "red_raised_at",
    "rating_due_at",
    "return_visit_requested_at",
    "is_hard",
    "extension_days",
    "return_count",
    "reopen_count",
    "return_visit_count",
    "reply_text",
    "reply_approved",
    "resolved_on_spot",
    "rating",
    "rating_comment",
    "merged_into_id",
    "version",
    "created_by_id",
    "created_at",
    "accepted_at",
    "dispatched_at",
    "signed_at",
    "replied_at",
    "closed_at",
    "updated_at",
)


def _check_columns() -> None:
    """Every column of the table is written (a new field must be added here too)."""
    from fengqiao.cases.models import Case

    table = {f.column for f in Case._meta.concrete_fields} - {"id"}
    if table != set(_COLUMNS):
        raise SystemExit(
            "bench.cases_seed writes different columns than cases_case has: "
            f"missing {sorted(table - set(_COLUMNS))}, unknown {sorted(set(_COLUMNS) - table)}"
        )


class _Writer:
    """One prepared INSERT (SQLite, ``executemany``) or one ``COPY`` (PostgreSQL) per batch."""

    def __init__(self) -> None:
        from django.db import connection

        from fengqiao.cases.models import Case

        quote = connection.ops.quote_name
        table = quote(Case._meta.db_table)
        columns = ", ".join(quote(c) for c in _COLUMNS)
        placeholders = ", ".join(["%s"] * len(_COLUMNS))
        # Names from the model, quoted; the values go as parameters.
        self.insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN"

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.insert_sql, rows)


def _day_counts(total: int, first: datetime.date) -> list[int]:
    """``total`` split over the ``DAYS`` days from ``first``: weekends 60 % of a weekday,
    growing by half over the period (largest remainders, so the counts add up exactly)."""
    weights = []
    for offset in range(DAYS):
        day = first + datetime.timedelta(days=offset)
        weights.append((0.6 if day.weekday() >= 5 else 1.0) * (0.8 + 0.4 * offset / DAYS))
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(DAYS), key=lambda i: counts[i] - shares[i])
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _moments(
    rng: random.Random,
    day: datetime.date,
    count: int,
    tz: Any,
    now: datetime.datetime,
) -> list[datetime.datetime]:
    """``count`` receipt times on a local ``day``, in order: mostly office hours. Today only
    the part of the day gone by so far, so no case is received in the future."""
    midnight = datetime.datetime.combine(day, datetime.time(), tzinfo=tz).astimezone(datetime.UTC)
    seconds = []
    for _ in range(count):
        if rng.random() < 0.85:
            second = int(rng.gauss(13 * 3600, 3.5 * 3600)) % 86400
        else:
            second = rng.randrange(86400)
        moment = midnight + datetime.timedelta(seconds=second, microseconds=rng.randrange(10**6))
        if moment < now:
            seconds.append(moment)
    return sorted(seconds)


def case_count() -> int:
    from fengqiao.cases.models import Case

    return Case.objects.count()


def grow(
    to: int, *, world: World | None = None, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Add generated cases, whole days at a time from the newest back, until the table holds
    at least ``to``; one transaction. Returns what was written and how fast.

    The days and how many cases each receives are planned for the full size (``FULL``), so a
    small table is the same county soon after it started using the platform: the same daily
    intake and the same open workload, only a short history; growing it adds older days,
    almost all of them closed. Comparing the two measures what the size of the history costs.
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from fengqiao.cases.models import Case, CaseNumberCounter

    _check_columns()
    world = world or prepare_world()
    have = case_count()
    if have >= to:
        return {"cases": have, "written": 0}
    started = time.perf_counter()
    now = timezone.now().astimezone(datetime.UTC)
    tz = timezone.get_current_timezone()
    today = now.astimezone(tz).date()
    first = today - datetime.timedelta(days=DAYS - 1)
    plan = _day_counts(FULL.get(connection.vendor, FULL["sqlite"]), first)
    counters = dict(CaseNumberCounter.objects.filter(county_code=COUNTY).values_list("day", "last"))
    writer = _Writer()
    generator = _Generator(world, random.Random(), now, connection.vendor)
    rows: list[tuple[Any, ...]] = []
    written = 0
    with transaction.atomic():
        for offset in range(DAYS - 1, -1, -1):
            if have + written + len(rows) >= to:
                break
            day = first + datetime.timedelta(days=offset)
            if day in counters:
                continue  # generated before (or intake has numbered cases that day)
            # Each day from its own seed: the same cases whatever order days are made in.
            rng = generator.rng = random.Random(f"{SEED}:cases:{day}")
            sequence = 0
            for moment in _moments(rng, day, plan[offset], tz, now):
                sequence += 1
                rows.append(generator.case(moment, f"{COUNTY}-{day:%Y%m%d}-{sequence:05d}"))
            counters[day] = sequence
            if len(rows) >= _FLUSH:
                writer.write(rows)
                written += len(rows)
                rows = []
                if progress is not None and written % 100_000 < _FLUSH:
                    progress(f"{have + written:,} cases, {time.perf_counter() - started:.1f} s")
        writer.write(rows)
        written += len(rows)
        _save_counters(counters)
    if connection.vendor == "postgresql":
        # Statistics and the visibility map as autovacuum leaves them on a table in use (right
        # after a bulk load the planner would misjudge counts that index-only scans serve).
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(Case._meta.db_table)}")
    seconds = time.perf_counter() - started
    # The cases were written around the services, so the statistics' tally is recomputed
    # from them, as after any bulk load (``manage.py tally rebuild``).
    from fengqiao.stats.tally import rebuild

    rebuilding = time.perf_counter()
    tally_rows = rebuild()
    return {
        "cases": have + written,
        "written": written,
        "seconds": round(seconds, 1),
        "rows_per_second": round(written / seconds),
        "tally_rows": tally_rows,
        "tally_rebuild_seconds": round(time.perf_counter() - rebuilding, 1),
    }


def _save_counters(counters: dict[datetime.date, int]) -> None:
    from django.db import connection

    from fengqiao.cases.models import CaseNumberCounter

    quote = connection.ops.quote_name
    table = quote(CaseNumberCounter._meta.db_table)
    sql = (
        f"INSERT INTO {table} (county_code, day, last) VALUES (%s, %s, %s) "
        "ON CONFLICT (county_code, day) DO UPDATE SET last = excluded.last"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (COUNTY, connection.ops.adapt_datefield_value(day), last)
                for day, last in counters.items()
            ],
        )


def census() -> dict[str, Any]:
    """How the generated cases are spread: by status, and what the big center and the busy
    department hold open."""
    from django.db.models import Count

    from fengqiao.cases.choices import OPEN_STATUSES
    from fengqiao.cases.models import Case

    by_status = dict(Case.objects.values_list("status").annotate(n=Count("id")).order_by())
    world_open = Case.objects.filter(status__in=OPEN_STATUSES)
    return {
        "cases": sum(by_status.values()),
        "by_status": by_status,
        "open_held_by_big_center": world_open.filter(holder_code=BIG_TOWNSHIP).count(),
        "open_led_by_busy_department": world_open.filter(
            lead_department__name=BUSY_DEPARTMENT
        ).count(),
        "led_by_busy_department": Case.objects.filter(
            lead_department__name=BUSY_DEPARTMENT
        ).count(),
    }


def run(database: str = "") -> dict[str, Any]:
    """The stage: the world, then the table grown to ``SMALL`` cases (the worklist stage
    measures there before growing it to the full size)."""
    from django.db import connection

    started = time.perf_counter()
    world = prepare_world()
    prepared = time.perf_counter() - started
    result = grow(SMALL, world=world, progress=print)
    return {
        "database": database or connection.vendor,
        "world_seconds": round(prepared, 1),
        **result,
        "census": census(),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    from django.db import connection

    parser = argparse.ArgumentParser(description="Grow the case table for the benchmarks.")
    parser.add_argument("--cases", type=int, default=FULL.get(connection.vendor, SMALL))
    arguments = parser.parse_args()
    result = grow(arguments.cases, progress=print)
    print(json.dumps({**result, "census": census()}, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
