"""Make a fresh database ready to show: demo data when it is empty, one login per role.

``make demo`` runs this after ``migrate``. It is idempotent: data is only loaded into a
database without areas, an account that exists already is left as it is, and each loader of
the demo town's work (doorplates, bulletins, guide, disputes, cases) and the demo API key are
only made once.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from fengqiao.api.models import ApiKey
from fengqiao.api.services import api_key_create
from fengqiao.org.choices import Role
from fengqiao.org.models import Department, User
from fengqiao.org.services import staff_create
from fengqiao.territory.choices import AreaLevel
from fengqiao.territory.models import Area, Grid, HouseholdUnit
from fengqiao.territory.seeding import PROFILES, database_has_areas

# Published in README and docs/demo-data.md: demo accounts are for trying the site, never for
# a database with real people in it. It passes the password rules (length, three classes).
DEMO_PASSWORD = "Fengqiao-2026"

# Permissions a county or township center needs to work with household rosters.
OPERATOR_PERMISSIONS = [
    "org.unmask_personal",
    "org.view_sensitive_tags",
    "org.import_roster",
    "org.export_roster",
]

# Where the demo logins work: 金沙县, its town 柳塘镇 and 柳塘镇's police station.
COUNTY_CODE = "520523"
TOWNSHIP_CODE = "520523107"
POLICE_STATION = "柳塘派出所"

# The demo's API key for "another platform", acting as the county center's operator.
API_KEY_NAME = "demo-platform"
API_KEY_USER = "county"


@dataclass
class Login:
    username: str
    full_name: str
    role: Role
    scope: str  # what the table shows
    scope_code: str = ""
    department: Department | None = None
    phone: str = ""
    permissions: list[str] = field(default_factory=list)


class Command(BaseCommand):
    help = (
        "Load the town demo data into an empty database and create one demo login per role "
        f"(password {DEMO_PASSWORD}); print the address and the logins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="the port the site runs on")
        # Tests load the tiny profile: the town takes seconds, the tests should not.
        parser.add_argument(
            "--profile", choices=sorted(PROFILES), default="town", help=argparse.SUPPRESS
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if database_has_areas():
            self.stdout.write("The database has data already: no demo data loaded.")
        else:
            call_command(
                "seed_demo",
                profile=options["profile"],
                stdout=self.stdout,
                verbosity=options["verbosity"],
            )
        rows: list[tuple[str, str, str, str, str]] = []
        for login in self.logins():
            rows.append(self.ensure(login))
        plate_url = self.load_residents_demo(options["port"])
        self.load_work_demo()
        api_key = self.ensure_api_key()
        site = f"http://127.0.0.1:{options['port']}"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Fengqiao is at {site}/"))
        self.stdout.write("")
        self.table(("username", "password", "role", "scope", "notes"), rows)
        if plate_url:
            self.stdout.write("")
            self.stdout.write(f"A doorplate (码上办), as its QR code opens it: {plate_url}")
        self.stdout.write("")
        self.stdout.write(
            f"Dashboards: {site}/stats/   API documentation: {site}/api/schema/swagger/"
        )
        if api_key:
            self.stdout.write(
                f"API key “{API_KEY_NAME}”, acting as {API_KEY_USER} (shown only this once):"
            )
            self.stdout.write(f"  {api_key}")
            self.stdout.write(f'  curl -H "Authorization: Token {api_key}" {site}/api/v1/cases/')
        elif ApiKey.objects.filter(name=API_KEY_NAME).exists():
            self.stdout.write(
                f"API key “{API_KEY_NAME}” existed (its key was shown when it was made); "
                f"another: manage.py apikey create NAME --as {API_KEY_USER}"
            )

    def logins(self) -> list[Login]:
        """The demo accounts whose places exist in this database."""
        logins = [Login("admin", "系统管理员", Role.ADMINISTRATOR, "everything")]
        county = Area.objects.filter(territory_code=COUNTY_CODE, valid_to=None).first()
        township = Area.objects.filter(territory_code=TOWNSHIP_CODE, valid_to=None).first()
        if county is None or township is None:
            self.stdout.write(
                self.style.WARNING(
                    "金沙县/柳塘镇 are not in this database: only the administrator is created."
                )
            )
            return logins
        logins += [
            Login(
                "county",
                "金沙县综治中心操作员",
                Role.CENTER_OPERATOR,
                f"{county.name} {county.territory_code}",
                scope_code=county.territory_code,
                permissions=OPERATOR_PERMISSIONS,
            ),
            Login(
                "township",
                "柳塘镇综治中心操作员",
                Role.CENTER_OPERATOR,
                f"{township.name} {township.territory_code}",
                scope_code=township.territory_code,
                permissions=OPERATOR_PERMISSIONS,
            ),
        ]
        village = (
            Area.objects.within(township.territory_code)
            .filter(level=AreaLevel.VILLAGE, valid_to=None)
            # A 村 (kind "village") rather than a 社区 ("community"): the rural case is the
            # common one.
            .order_by("-kind", "territory_code")
            .first()
        )
        if village is not None:
            logins.append(
                Login(
                    "village",
                    f"{village.name}综治中心操作员",
                    Role.CENTER_OPERATOR,
                    f"{village.name} {village.territory_code}",
                    scope_code=village.territory_code,
                )
            )
        police = Department.objects.filter(
            territory_code=TOWNSHIP_CODE, name=POLICE_STATION
        ).first()
        if police is not None:
            logins += [
                Login(
                    "handler",
                    "柳塘派出所民警",
                    Role.DEPARTMENT_HANDLER,
                    police.name,
                    department=police,
                ),
                Login(
                    "leader",
                    "柳塘派出所所长",
                    Role.DEPARTMENT_LEADER,
                    police.name,
                    department=police,
                ),
            ]
        grid = Grid.objects.filter(village=village).order_by("code").first() if village else None
        if grid is not None:
            logins.append(
                Login(
                    "grid",
                    f"{grid.name}网格员",
                    Role.GRID_WORKER,
                    f"{grid.name} {grid.code}",
                    scope_code=grid.code,
                    phone="13800000001",
                )
            )
            unit = (
                HouseholdUnit.objects.filter(grid=grid)
                .select_related("head")
                .order_by("code")
                .first()
            )
            if unit is not None:
                # The account of the unit's head (联户长), named after the person who leads it.
                logins.append(
                    Login(
                        "unithead",
                        unit.head.name if unit.head else f"{unit.name}联户长",
                        Role.UNIT_HEAD,
                        f"{unit.name} {unit.code}",
                        scope_code=unit.code,
                    )
                )
        return logins

    def load_residents_demo(self, port: int) -> str:
        """码上办 in the demo town: plates on every household of 柳塘镇, its bulletins and
        service guide (each loader does nothing a second time). Returns the address one
        plate's QR code opens."""
        from fengqiao.bulletins.demo import load_demo as load_bulletins
        from fengqiao.doorplates.demo import load_demo as load_plates
        from fengqiao.doorplates.models import Doorplate
        from fengqiao.residents.demo import load_demo as load_guide

        operator = User.objects.filter(username="township").first()
        if operator is None:
            return ""
        load_plates(township_code=TOWNSHIP_CODE, actor=operator)
        load_bulletins(township_code=TOWNSHIP_CODE, actor=operator)
        load_guide(township_code=TOWNSHIP_CODE, actor=None)  # the system: the guide is the admin's
        plate = (
            Doorplate.objects.within(TOWNSHIP_CODE)
            .filter(revoked_at=None)
            .order_by("territory_code", "id")
            .first()
        )
        return f"http://127.0.0.1:{port}/d/{plate.token()}/" if plate else ""

    def load_work_demo(self) -> None:
        """The demo town's work: its dispute register and about two hundred cases in every
        state of the loop (each loader does nothing a second time)."""
        from fengqiao.cases.demo import load_demo as load_cases
        from fengqiao.disputes.demo import load_demo as load_disputes

        operator = User.objects.filter(username="township", scope_code=TOWNSHIP_CODE).first()
        if operator is None:
            return
        disputes = load_disputes(township_code=TOWNSHIP_CODE, actor=operator)
        cases = load_cases(township_code=TOWNSHIP_CODE, actor=operator)
        if disputes or cases:
            self.stdout.write(
                f"Demo work in 柳塘镇: {cases} cases on every workbench, {disputes} disputes "
                "on the register."
            )
        else:
            self.stdout.write("Demo cases and disputes of 柳塘镇 are there already: none added.")

    @transaction.atomic
    def ensure_api_key(self) -> str:
        """The demo API key, made once; returns its key when made now, else ""."""
        # Only for the demo's own account: never a key for someone's real "county" login.
        user = User.objects.filter(username=API_KEY_USER, scope_code=COUNTY_CODE).first()
        if user is None or ApiKey.objects.filter(name=API_KEY_NAME).exists():
            return ""
        _api_key, plaintext = api_key_create(name=API_KEY_NAME, user=user)
        return plaintext

    @transaction.atomic
    def ensure(self, login: Login) -> tuple[str, str, str, str, str]:
        role = str(login.role.label)
        if User.objects.filter(username=login.username).exists():
            return (login.username, DEMO_PASSWORD, role, login.scope, "(existed: unchanged)")
        staff_create(
            username=login.username,
            password=DEMO_PASSWORD,
            full_name=login.full_name,
            role=login.role,
            scope_code=login.scope_code,
            department=login.department,
            phone=login.phone,
            permissions=login.permissions or None,
        )
        extra = "+ unmask, sensitive tags, roster import/export" if login.permissions else ""
        return (login.username, DEMO_PASSWORD, role, login.scope, extra)

    def table(self, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
        widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]

        def line(row: tuple[str, ...]) -> str:
            cells = [
                cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)
            ]
            return "  ".join(cells).rstrip()

        self.stdout.write(line(header))
        self.stdout.write("  ".join("-" * w for w in widths).rstrip())
        for row in rows:
            self.stdout.write(line(row))


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
