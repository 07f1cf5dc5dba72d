"""Shared test set-up: real databases, eager background tasks, and a small two-township world
built through the services (never fixtures files)."""

from __future__ import annotations

import datetime
import importlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from fengqiao.celery import app as celery_app
from fengqiao.core.idnumbers import check_character
from fengqiao.org.choices import DepartmentKind, Role
from fengqiao.org.models import Department, User
from fengqiao.org.services import department_create, staff_create
from fengqiao.territory.choices import AreaKind, AreaLevel, Relation
from fengqiao.territory.models import Area, Grid, Household, HouseholdUnit, Person
from fengqiao.territory.services import (
    area_create,
    grid_create,
    household_create,
    party_group_create,
    person_create,
    unit_create,
)

PASSWORD = "Test-pass-2026"
VALID_FROM = datetime.date(2023, 6, 30)


def make_id_number(region: str = "520524", birth: str = "19800101", seq: int = 1) -> str:
    """A valid 18-character citizen ID number (synthetic) with the right check character.
    The sequence has three digits: each further thousand moves the birth year on by one, so
    every ``seq`` gives a distinct number."""
    year = int(birth[:4]) + seq // 1000
    first17 = f"{region}{year:04d}{birth[4:]}{seq % 1000:03d}"
    return first17 + check_character(first17)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """On PostgreSQL, let the test database be emptied between transactional tests: the
    audit log refuses TRUNCATE unless the database administrator's purge switch is on."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            name = connection.settings_dict["NAME"]
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER DATABASE \"{name}\" SET fengqiao.audit_purge = 'on'")
            connection.close()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language (Chinese). A request through the test client
    leaves its language active in the thread (LocaleMiddleware activates, nothing resets),
    which would otherwise leak into whichever test runs next in the same worker."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_test_settings(settings: Any) -> None:
    """Eager background tasks; plain static storage (no manifest needed); a fast password
    hasher (Argon2 is deliberately slow: tests of hashing itself switch it back); whitenoise
    reading files on demand instead of indexing every collected static file per client."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.WHITENOISE_AUTOREFRESH = True


@dataclass
class Township:
    """One township of the test world with what lies under it and who works there."""

    area: Area
    village: Area
    grid: Grid
    other_grid: Grid
    unit: HouseholdUnit
    household: Household
    other_grid_household: Household
    person: Person
    users: dict[str, User] = field(default_factory=dict)


@dataclass
class World:
    county: Area
    a: Township
    b: Township
    admin: User
    county_operator: User


_seq = iter(range(1, 10_000))


def _township(county: Area, number: int, name: str) -> Township:
    code = f"{county.territory_code}{number:03d}000"
    area = area_create(
        code=code,
        name=name,
        level=AreaLevel.TOWNSHIP,
        kind=AreaKind.TOWN,
        parent=county,
        valid_from=VALID_FROM,
    )
    village = area_create(
        code=f"{area.territory_code}201",
        name=f"{name}一村",
        level=AreaLevel.VILLAGE,
        kind=AreaKind.VILLAGE,
        parent=area,
        valid_from=VALID_FROM,
    )
    group = party_group_create(area=village, name=f"{name}一村第一网格党小组")
    grid = grid_create(village=village, number=1, name="第一网格", party_group=group)
    other_grid = grid_create(village=village, number=2, name="第二网格", party_group=group)
    unit = unit_create(grid=grid, number=1, name="第一联户体")
    household = household_create(grid=grid, unit=unit, address=f"{name}中街{number}号")
    other = household_create(grid=other_grid, address=f"{name}北街{number}号")
    person = person_create(
        household=household,
        name=f"张{name}",
        id_number=make_id_number(seq=next(_seq)),
        phone=f"1380000{number:04d}",
        relation=Relation.HEAD,
    )
    person_create(
        household=other,
        name=f"李{name}",
        id_number=make_id_number(birth="19900101", seq=next(_seq)),
        relation=Relation.HEAD,
    )
    department = department_create(
        name=f"{name}派出所", kind=DepartmentKind.POLICE_STATION, territory_code=area.territory_code
    )
    township = Township(area, village, grid, other_grid, unit, household, other, person)
    suffix = str(number)
    township.users = {
        "township_operator": staff_create(
            username=f"township{suffix}",
            password=PASSWORD,
            full_name=f"{name}综治中心",
            role=Role.CENTER_OPERATOR,
            scope_code=area.territory_code,
        ),
        "village_operator": staff_create(
            username=f"village{suffix}",
            password=PASSWORD,
            full_name=f"{name}一村",
            role=Role.CENTER_OPERATOR,
            scope_code=village.territory_code,
        ),
        "grid_worker": staff_create(
            username=f"grid{suffix}",
            password=PASSWORD,
            full_name=f"{name}网格员",
            role=Role.GRID_WORKER,
            scope_code=grid.code,
        ),
        "unit_head": staff_create(
            username=f"unithead{suffix}",
            password=PASSWORD,
            full_name=f"{name}联户长",
            role=Role.UNIT_HEAD,
            scope_code=unit.code,
        ),
        "dept_handler": staff_create(
            username=f"handler{suffix}",
            password=PASSWORD,
            full_name=f"{name}民警",
            role=Role.DEPARTMENT_HANDLER,
            department=department,
        ),
        "dept_leader": staff_create(
            username=f"leader{suffix}",
            password=PASSWORD,
            full_name=f"{name}所长",
            role=Role.DEPARTMENT_LEADER,
            department=department,
        ),
    }
    return township


@pytest.fixture
def world(db: Any) -> World:
    """Two sibling townships (A: 520524001, B: 520524002) of one county, staffed per role."""
    province = area_create(
        code="520000000000",
        name="贵州省",
        level=AreaLevel.PROVINCE,
        kind=AreaKind.PROVINCE,
        parent=None,
        valid_from=VALID_FROM,
    )
    city = area_create(
        code="520500000000",
        name="毕节市",
        level=AreaLevel.CITY,
        kind=AreaKind.CITY,
        parent=province,
        valid_from=VALID_FROM,
    )
    county = area_create(
        code="520524000000",
        name="织金县",
        level=AreaLevel.COUNTY,
        kind=AreaKind.COUNTY,
        parent=city,
        valid_from=VALID_FROM,
    )
    a = _township(county, 1, "双堰街道")
    b = _township(county, 2, "文腾街道")
    admin = staff_create(
        username="admin", password=PASSWORD, full_name="管理员", role=Role.ADMINISTRATOR
    )
    county_operator = staff_create(
        username="county",
        password=PASSWORD,
        full_name="县综治中心",
        role=Role.CENTER_OPERATOR,
        scope_code=county.territory_code,
    )
    return World(county=county, a=a, b=b, admin=admin, county_operator=county_operator)


def colleague(user: User, username: str) -> User:
    """A second person in the same seat: the same role, scope and department."""
    return staff_create(
        username=username,
        password=PASSWORD,
        full_name=f"{user.full_name}二",
        role=Role(user.role),
        scope_code=user.scope_code,
        department=user.department,
    )


@pytest.fixture
def department(world: World) -> Department:
    return Department.objects.get(name="双堰街道派出所")


# --- Browser tests (Playwright driving Debian's Chromium) ------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]


@pytest.fixture
def orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Playwright's sync API runs an event loop in this thread, and Django then refuses ORM
    calls here (SynchronousOnlyOperation) although nothing in the test is asynchronous: the
    loop only drives the browser. Allow them, for this test only.

    ORM calls made while that loop runs get a connection of their own (Django keeps one per
    context). Close every such connection afterwards: left open, PostgreSQL refuses to drop
    the test database at the end of the run ("being accessed by other users")."""
    from django.db import connections
    from django.db.backends.signals import connection_created

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    opened: list[Any] = []

    test_thread = threading.get_ident()

    def remember(sender: Any, connection: Any, **kwargs: Any) -> None:
        if threading.get_ident() == test_thread:  # not the live server's: it closes its own
            opened.append(connection)

    connection_created.connect(remember, weak=False)
    try:
        yield
    finally:
        connection_created.disconnect(remember)
        for wrapper in opened:
            if wrapper is not connections[wrapper.alias]:  # the test's own stays open
                wrapper.close()


@pytest.fixture
def flushable_audit_log(live_server: Any) -> Iterator[None]:
    """Logging in writes the append-only audit log, whose triggers refuse the DELETE that
    empties an SQLite test database after a transactional test. Empty the log with the
    triggers lifted, then put them back (PostgreSQL test databases have the purge switch)."""
    yield
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    triggers = importlib.import_module("fengqiao.audit.migrations.0003_append_only_triggers")
    with connection.cursor() as cursor:
        for statement in triggers.SQLITE_DOWN:
            cursor.execute(statement)
        cursor.execute("DELETE FROM audit_auditentry")
        for statement in triggers.SQLITE_UP:
            cursor.execute(statement)


# --- A real Celery worker on Redis (tests marked ``services``) ----------------------------------

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RedisWorker:
    """A worker process on the test's own database and Redis queue, and a client for it."""

    process: subprocess.Popen[bytes]
    broker: str
    queue: str

    def send(self, task: str) -> None:
        from celery import Celery

        # The worker keeps no results (as in production): tests watch the database instead.
        Celery("fengqiao-test", broker=self.broker).send_task(task, queue=self.queue)

    def assert_alive(self) -> None:
        if self.process.poll() is not None:
            stderr = self.process.stderr.read().decode() if self.process.stderr else ""
            raise AssertionError(f"the worker stopped: {stderr}")


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together, each on a connection of its own; each
    result or exception, in order. PostgreSQL only: the point is its row locks between
    concurrent connections (an SQLite test database is one connection's)."""
    from django.db import connections
    from django.utils import translation

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks and concurrent connections")
    language = translation.get_language()
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            translation.activate(language)
            barrier.wait()
            results[index] = call()
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def wait_until(condition: Callable[[], bool], *, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.2)


@contextmanager
def redis_worker(
    *, broker: str, queue: str, settings_module: str = "fengqiao.settings"
) -> Iterator[RedisWorker]:
    """Start ``celery worker`` on ``queue`` of ``broker`` against the test database; stop it
    afterwards. Skips on the in-memory SQLite test database, which a second process cannot
    see (the PostgreSQL run covers it)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite" and db["NAME"].startswith("file:"):
        pytest.skip("the in-memory SQLite test database is invisible to a worker process")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "FENGQIAO_BROKER_URL": broker,
        "FENGQIAO_TASKS_EAGER": "0",
    }
    if connection.vendor == "postgresql":
        env["FENGQIAO_DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["FENGQIAO_DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    process = subprocess.Popen(  # noqa: S603  (a fixed command line)
        [
            sys.executable,
            *("-m", "celery", "-A", "fengqiao", "worker", "--pool=solo", "--loglevel=WARNING"),
            *("--without-heartbeat", "--without-mingle", "--without-gossip", "-Q", queue),
        ],
        cwd=_PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield RedisWorker(process, broker, queue)
    finally:
        process.terminate()
        process.wait(timeout=15)
