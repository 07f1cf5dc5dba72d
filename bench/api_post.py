"""Benchmark stage: ``POST /api/v1/cases/`` over loopback against gunicorn with 2 workers.

    FENGQIAO_DATABASE_URL=… python -m bench.api_post [--seconds 25] [--concurrency 24]

Starts the production server as ``bin/serve`` does (gunicorn, 2 workers of 4 threads, then
again with 8 threads; no access log, which would only measure the terminal) on the bench
database, and drives it with a
small load generator in this process: asyncio with raw keep-alive HTTP/1.1 connections (an
HTTP library would spend more of the machine's two cores than the server it measures). Each
request pushes one case as a provincial platform does, with an ``external_id`` of its own, as
a system whose API key acts as the county center.

Afterwards it counts: every external id answered 201 must be in the database exactly once
(nothing lost, nothing duplicated), and no other case of the run may exist. The figures:
cases/s over the measured window, latency p50/p95/p99, errors by status, for each thread
count (the best one first).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
SECONDS = 25.0
WARM_UP_SECONDS = 3.0
CONCURRENCY = 24
WORKERS = 2
# bin/serve runs 4 threads a worker; intake mostly waits on the database (the commit's WAL
# flush), so more threads keep the two cores busier: the stage measures both.
THREAD_COUNTS = (4, 8)
KEY_NAME = "bench-province"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare() -> tuple[str, str, str]:
    """The database migrated, a county with a village, an operator of the county center and
    an API key acting as them. Returns (key, village code, key id prefix for the count)."""
    import datetime

    from django.core.management import call_command

    from fengqiao.api.models import ApiKey
    from fengqiao.api.services import api_key_create
    from fengqiao.org.choices import Role
    from fengqiao.org.models import User
    from fengqiao.org.services import staff_create
    from fengqiao.territory.choices import AreaKind, AreaLevel
    from fengqiao.territory.models import Area
    from fengqiao.territory.services import area_create

    call_command("migrate", verbosity=0)
    village = Area.objects.filter(level=AreaLevel.VILLAGE, valid_to__isnull=True).first()
    if village is None:
        start = datetime.date(2023, 6, 30)
        province = area_create(
            code="520000000000", name="贵州省", level=AreaLevel.PROVINCE,
            kind=AreaKind.PROVINCE, parent=None, valid_from=start,
        )  # fmt: skip
        city = area_create(
            code="520500000000", name="毕节市", level=AreaLevel.CITY,
            kind=AreaKind.CITY, parent=province, valid_from=start,
        )  # fmt: skip
        county = area_create(
            code="520524000000", name="织金县", level=AreaLevel.COUNTY,
            kind=AreaKind.COUNTY, parent=city, valid_from=start,
        )  # fmt: skip
        township = area_create(
            code="520524001000", name="双堰街道", level=AreaLevel.TOWNSHIP,
            kind=AreaKind.TOWN, parent=county, valid_from=start,
        )  # fmt: skip
        village = area_create(
            code="520524001201", name="一村", level=AreaLevel.VILLAGE,
            kind=AreaKind.VILLAGE, parent=township, valid_from=start,
        )  # fmt: skip
    county_code = village.territory_code[:6]
    operator = User.objects.filter(username="bench-api-county").first() or staff_create(
        username="bench-api-county",
        password="Bench-pass-2026",
        full_name="县综治中心 (API)",
        role=Role.CENTER_OPERATOR,
        scope_code=county_code,
    )
    ApiKey.objects.filter(name=KEY_NAME).delete()
    api_key, plaintext = api_key_create(name=KEY_NAME)
    ApiKey.objects.filter(pk=api_key.pk).update(user=operator)
    return plaintext, village.territory_code, f"key:{api_key.pk}:"


# A gunicorn configuration holding only a hook: each worker, once it has loaded the app, leaves
# a file named by its pid in the directory the bench waits on.
READY_HOOK = """
import os


def post_worker_init(worker):
    try:  # a worker restarted after the bench stopped waiting finds the directory gone
        open(os.path.join(os.environ["FENGQIAO_BENCH_READY_DIR"], str(worker.pid)), "w").close()
    except OSError:
        pass
"""


def start_server(port: int, threads: int) -> subprocess.Popen[bytes]:
    """gunicorn as ``bin/serve`` starts it, returned once every worker has loaded the app.

    The master listens before its workers have imported Django: connections opened as soon
    as the port answers would all wait in the backlog and be taken by the first worker to
    finish booting, and keep-alive connections never move, so the other worker would stay
    idle for the whole run (one process, one core's worth of GIL). A running server receives
    its connections with both workers up; so does the bench."""
    ready = Path(tempfile.mkdtemp(prefix="fengqiao-bench-"))
    (ready / "hook.py").write_text(READY_HOOK)
    env = dict(os.environ)
    env["FENGQIAO_BENCH_READY_DIR"] = str(ready)
    env["FENGQIAO_ALLOW_DEVELOPMENT_KEYS"] = "1"  # a throwaway bench instance
    env.setdefault("FENGQIAO_DEBUG", "0")
    command = [
        str(BASE_DIR / ".venv" / "bin" / "gunicorn"),
        "fengqiao.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(WORKERS),
        "--threads", str(threads),
        "--keep-alive", "30",
        "--timeout", "120",
        "--log-level", "warning",
        "--config", str(ready / "hook.py"),
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            if len([p for p in ready.iterdir() if p.name != "hook.py"]) >= WORKERS:
                return server
            time.sleep(0.1)
    finally:
        for path in ready.iterdir():
            path.unlink()
        ready.rmdir()
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    raise RuntimeError("gunicorn's workers did not start within 30 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


class Load:
    """Connections that each send one POST after another on one keep-alive socket."""

    def __init__(self, port: int, key: str, village: str, tag: str) -> None:
        self.port, self.key, self.village, self.tag = port, key, village, tag
        self.sequence = 0
        self.created: list[str] = []  # external ids answered 201
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.measuring = False
        self.stop = False

    def _request(self) -> tuple[str, bytes]:
        self.sequence += 1
        external_id = f"{self.tag}-{self.sequence}"
        body = json.dumps(
            {
                "external_id": external_id,
                "channel": "provincial",
                "case_type": "complaint",
                "category": "noise",
                "title": "夜间噪音扰民",
                "description": "楼下歌厅每天营业到凌晨两点，影响休息。",
                "territory_code": self.village,
                "urgency": "normal",
            },
            ensure_ascii=False,
        ).encode()
        head = (
            f"POST /api/v1/cases/ HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Token {self.key}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        return external_id, head + body

    async def connection(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            while not self.stop:
                external_id, payload = self._request()
                started = time.perf_counter()
                writer.write(payload)
                status_line = await reader.readline()
                length, close = 0, False
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                    elif name.lower() == b"connection" and b"close" in value.lower():
                        close = True
                await reader.readexactly(length)
                elapsed = time.perf_counter() - started
                code = status_line.split(b" ")[1].decode() if status_line else "closed"
                if code == "201":
                    self.created.append(external_id)
                    if self.measuring:
                        self.latencies.append(elapsed)
                else:
                    self.errors[code] = self.errors.get(code, 0) + 1
                if close or not status_line:
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        finally:
            writer.close()

    async def run(self, concurrency: int, warm_up: float, seconds: float) -> dict[str, Any]:
        tasks = [asyncio.create_task(self.connection()) for _ in range(concurrency)]
        await asyncio.sleep(warm_up)
        self.measuring = True
        before, started = len(self.created), time.perf_counter()
        await asyncio.sleep(seconds)
        done, elapsed = len(self.created) - before, time.perf_counter() - started
        self.measuring = False
        self.stop = True
        await asyncio.gather(*tasks, return_exceptions=True)
        return {"measured_cases": done, "measured_seconds": round(elapsed, 2)}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0


def count_check(prefix: str, created: list[str]) -> dict[str, Any]:
    """Every id answered 201 is in the table exactly once; no case of the run beyond them."""
    from django.db.models import Count

    from fengqiao.cases.models import Case

    rows = Case.objects.filter(idempotency_key__startswith=prefix)
    in_database = {
        (key or "").removeprefix(prefix) for key in rows.values_list("idempotency_key", flat=True)
    }
    duplicated = rows.values("idempotency_key").annotate(n=Count("id")).filter(n__gt=1).count()
    answered = set(created)
    return {
        "answered_201": len(created),
        "distinct_answered": len(answered),
        "in_database": rows.count(),
        "lost": len(answered - in_database),
        "unanswered_but_stored": len(in_database - answered),
        "duplicated": duplicated,
        "ok": answered == in_database and duplicated == 0 and len(answered) == len(created),
    }


def measure(
    key: str, village: str, prefix: str, *, threads: int, seconds: float, concurrency: int
) -> dict[str, Any]:
    """One server configuration: start it, load it, stop it, count."""
    port = _free_port()
    server = start_server(port, threads)
    load = Load(port, key, village, f"b{time.time_ns()}")
    cpu_before = os.times()
    try:
        window = asyncio.run(load.run(concurrency, WARM_UP_SECONDS, seconds))
    finally:
        stop_server(server)
    cpu = os.times()
    rate = window["measured_cases"] / window["measured_seconds"]
    return {
        "workers": WORKERS,
        "threads": threads,
        "concurrency": concurrency,
        **window,
        "cases_per_second": round(rate, 1),
        "latency_ms": {
            "p50": round(statistics.median(load.latencies) * 1000, 1) if load.latencies else None,
            "p95": round(_percentile(load.latencies, 0.95) * 1000, 1),
            "p99": round(_percentile(load.latencies, 0.99) * 1000, 1),
        },
        "errors": load.errors,
        "load_generator_cpu_seconds": round(
            (cpu.user - cpu_before.user) + (cpu.system - cpu_before.system), 1
        ),
        "created": load.created,
    }


def run(
    database: str = "", seconds: float = SECONDS, concurrency: int = CONCURRENCY
) -> dict[str, Any]:
    from django.db import connection

    from fengqiao.cases.models import Case

    key, village, prefix = prepare()
    vendor = connection.vendor
    before = Case.objects.count()
    connection.close()  # the server's workers open their own
    runs = [
        measure(key, village, prefix, threads=t, seconds=seconds, concurrency=concurrency)
        for t in THREAD_COUNTS
    ]
    created = [external_id for one in runs for external_id in one.pop("created")]
    best = max(runs, key=lambda one: one["cases_per_second"])
    return {
        "database": database or vendor,
        "cases_in_table_before": before,
        **best,
        "runs": runs,
        # Over both runs: every id answered 201 stored once, nothing else stored.
        "count": count_check(prefix, created),
        "load_average": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    print(json.dumps(run(seconds=args.seconds, concurrency=args.concurrency), indent=2))


if __name__ == "__main__":
    main()
