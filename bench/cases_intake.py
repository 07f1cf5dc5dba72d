"""Benchmark stage: case intake through the service layer, routing and deadlines included.

    FENGQIAO_DATABASE_URL=… python -m bench.cases_intake [--cases N] [--threads N] [--profile]

Runs on the county demo data with the case world of ``bench.cases_seed`` (routing rules for
every township, staffed centers and departments) and whatever cases the table already holds.
One process, one thread: ``services.case_submit`` is called once per case, each call its own
transaction committed as a request's would be, for a realistic mix:

- channels as residents use them (doorplate code with the household, phone, app, window, grid
  worker, provincial platform, API), locations across the county (a quarter in 双堰街道);
- every reporter but the anonymous ones with a phone (encrypted, with its lookup digest);
- app and platform submissions with an idempotency key, and 2 % of them sent twice (the
  second answers with the first case);
- the categories' routing rules: registration matters (一成 of the cases) are handled
  directly by the police station, so those cases are accepted and dispatched at intake, with
  their deadlines and the department's notifications; the others wait in the center's queue
  and notify its operators.

Then, as an extra row, the same mix from several threads of the one process (a web
server's worker threads: while one waits for the database, another prepares its case), and
the same mix through ``case_submit_many`` in batches of 100 (a provincial push). The
figures: cases per second of wall time and per second of the process's own CPU time (the
database server runs beside it on the other core; with threads, CPU time per wall second
shows how much of one core the process used), queries per case on each path.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import threading
import time
from typing import Any

CASES = {"postgresql": 5_000, "sqlite": 5_000}
WARM_UP = 300
THREADS = 4
BATCH = 100
REPEAT_SHARE = 0.02
_CHANNELS = (
    ("qr", 0.30),
    ("phone", 0.20),
    ("app", 0.15),
    ("window", 0.10),
    ("grid", 0.12),
    ("provincial", 0.10),
    ("api", 0.03),
)
_CATEGORIES = (
    ("noise", 10),
    ("fraud", 3),
    ("id_card", 6),
    ("hukou", 4),
    ("dispute_neighbour", 10),
    ("dispute_family", 5),
    ("dispute_homestead", 4),
    ("dispute_forest_land", 3),
    ("environment", 8),
    ("stairwell_lighting", 5),
    ("road", 4),
    ("social_assistance", 6),
    ("consumer", 4),
    ("other", 8),
)
_TYPES = {
    "noise": "complaint",
    "fraud": "report",
    "id_card": "consultation",
    "hukou": "consultation",
    "dispute_neighbour": "dispute",
    "dispute_family": "dispute",
    "dispute_homestead": "dispute",
    "dispute_forest_land": "dispute",
    "environment": "complaint",
    "stairwell_lighting": "help",
    "road": "hazard",
    "social_assistance": "help",
    "consumer": "complaint",
    "other": "suggestion",
}


def _inputs(world: Any, count: int, *, tag: str, seed: int) -> list[dict[str, Any]]:
    """``count`` keyword sets for ``case_submit``, drawn like the generated cases."""
    from bench.cases_seed import BIG_TOWNSHIP, CENTER_USER
    from fengqiao.cases.choices import ReporterKind
    from fengqiao.cases.models import Category
    from fengqiao.cases.services import ReporterInput
    from fengqiao.org.models import User

    rng = random.Random(f"{seed}:intake:{tag}")
    categories = {c.code: c for c in Category.objects.all()}
    operator = User.objects.get(username=CENTER_USER)
    channels, channel_weights = zip(*_CHANNELS, strict=True)
    codes, code_weights = zip(*_CATEGORIES, strict=True)
    keyed: list[str] = []
    inputs: list[dict[str, Any]] = []
    for number in range(count):
        if keyed and rng.random() < REPEAT_SHARE:
            # The app sent it again (a retry after a timeout): same key, same content.
            key = rng.choice(keyed)
            inputs.append(dict(next(i for i in inputs if i.get("idempotency_key") == key)))
            continue
        township = rng.choices(world.townships, weights=world.weights)[0]
        channel = rng.choices(channels, weights=channel_weights)[0]
        code = rng.choices(codes, weights=code_weights)[0]
        household_id: int | None
        household_id, territory = rng.choice(township.households)
        if channel in ("provincial", "api"):
            territory = rng.choice(township.villages or [township.code])
            household_id = None
        elif channel not in ("qr", "grid") and rng.random() < 0.5:
            household_id = None
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        if channel == "provincial" or rng.random() < 0.1:
            reporter = ReporterInput(kind=ReporterKind.ANONYMOUS)
        elif household_id is not None:
            reporter = ReporterInput(
                kind=ReporterKind.HOUSEHOLD, name="张女士", phone=phone, household_id=household_id
            )
        else:
            reporter = ReporterInput(kind=ReporterKind.PERSON, name="李先生", phone=phone)
        values: dict[str, Any] = {
            "case_type": _TYPES[code],
            "category": categories[code],
            "channel": channel,
            "title": f"基准案件 {tag}-{number}",
            "description": "楼下烧烤店每晚十一点后仍在经营，噪音很大，请协调处理。",
            "territory_code": territory,
            "household_id": household_id,
            "reporter": reporter,
            "actor": operator if channel in ("window", "phone") else None,
        }
        if channel in ("app", "provincial", "api"):
            key = f"bench-{tag}-{number}"
            values["idempotency_key"] = key
            keyed.append(key)
        if township.code == BIG_TOWNSHIP and channel == "window":
            values["address"] = "双堰街道建设路12号"
        inputs.append(values)
    return inputs


def _paths(inputs: list[dict[str, Any]]) -> dict[str, int]:
    """How many inputs take each path (by the routing table)."""
    from fengqiao.cases.routing import route

    counts = {"triage": 0, "direct": 0, "repeat": 0}
    seen: set[str] = set()
    for values in inputs:
        key = values.get("idempotency_key")
        if key and key in seen:
            counts["repeat"] += 1
            continue
        if key:
            seen.add(key)
        routed = route(category_id=values["category"].pk, territory_code=values["territory_code"])
        counts["direct" if routed and routed.handle_directly else "triage"] += 1
    return counts


def _queries_per_path(world: Any, tag: str) -> dict[str, int]:
    """Statements of one submission on each path (BEGIN and COMMIT included, as Django logs
    them), counted on the second of two submissions."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.cases_seed import BIG_TOWNSHIP
    from fengqiao.cases.models import Category
    from fengqiao.cases.services import case_submit

    township = next(t for t in world.townships if t.code == BIG_TOWNSHIP)
    household_id, territory = township.households[0]
    base = _inputs(world, 1, tag=f"{tag}-q", seed=1)[0]
    base.update(territory_code=territory, household_id=household_id, channel="qr", actor=None)
    counts = {}
    for label, code, keys in (
        ("triage (doorplate, household)", "noise", (None, None)),
        ("direct (registration → police)", "id_card", (None, None)),
        ("with idempotency key (app)", "noise", (f"bench-{tag}-k1", f"bench-{tag}-k2")),
        ("repeat of a key", "noise", (f"bench-{tag}-k2", f"bench-{tag}-k2")),
    ):
        for key in keys:
            values = {**base, "category": Category.objects.get(code=code), "idempotency_key": key}
            with CaptureQueriesContext(connection) as queries:
                case_submit(**values)
        counts[label] = len(queries)
    return counts


def _rates(count: int, wall: float, cpu: float) -> dict[str, Any]:
    """The figures of ``count`` cases taking ``wall`` seconds and ``cpu`` of process time."""
    return {
        "cases": count,
        "seconds": round(wall, 2),
        "cases_per_second": round(count / wall),
        "process_cpu_seconds": round(cpu, 2),
        "cases_per_cpu_second": round(count / cpu) if cpu else None,
    }


def _timed(call: Any) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


class _CommitClock:
    """Time spent committing (the database making each intake durable)."""

    def __init__(self) -> None:
        from django.db import connection

        wrapper: Any = connection  # a private method is wrapped: typed loosely
        self.seconds = 0.0
        self._connection = wrapper
        self._commit = wrapper._commit

    def __enter__(self) -> _CommitClock:
        def timed() -> None:
            started = time.perf_counter()
            self._commit()
            self.seconds += time.perf_counter() - started

        self._connection._commit = timed
        return self

    def __exit__(self, *exc: object) -> None:
        self._connection._commit = self._commit


def _submit_each(inputs: list[dict[str, Any]]) -> dict[str, Any]:
    from fengqiao.cases.services import case_submit

    with _CommitClock() as commits:
        wall, cpu = _timed(lambda: [case_submit(**values) for values in inputs])
    count = len(inputs)
    return {
        **_rates(count, wall, cpu),
        "commit_ms_per_case": round(commits.seconds / count * 1000, 2),
    }


def _submit_threaded(inputs: list[dict[str, Any]], threads: int) -> dict[str, Any]:
    """``_submit_each`` from ``threads`` threads of this process, each with its own
    connection (as a threaded web server's workers), the inputs dealt out in turn."""
    from django.db import connection

    from fengqiao.cases.services import case_submit

    errors: list[BaseException] = []
    start = threading.Barrier(threads + 1)

    def work(share: list[dict[str, Any]]) -> None:
        try:
            start.wait()
            for values in share:
                case_submit(**values)
        except BaseException as error:  # reported below, not lost with the thread
            errors.append(error)
        finally:
            connection.close()

    workers = [
        threading.Thread(target=work, args=(inputs[n::threads],), daemon=True)
        for n in range(threads)
    ]
    for worker in workers:
        worker.start()

    def wait() -> None:
        start.wait()
        for worker in workers:
            worker.join()

    wall, cpu = _timed(wait)
    if errors:
        raise errors[0]
    cores = round(cpu / wall, 2)
    return {"threads": threads, **_rates(len(inputs), wall, cpu), "cores_used": cores}


def run(
    database: str = "",
    cases: int | None = None,
    profile: bool = False,
    threads: int = THREADS,
) -> dict[str, Any]:
    from django.db import connection

    from bench.cases_seed import prepare_world
    from fengqiao.cases.models import Case
    from fengqiao.cases.services import CaseInput, case_submit, case_submit_many

    world = prepare_world()
    count = cases or CASES.get(connection.vendor, 5_000)
    tag = f"{int(time.time())}"
    before = Case.objects.count()
    warm = _inputs(world, WARM_UP, tag=f"{tag}-w", seed=2)
    single = _inputs(world, count, tag=f"{tag}-s", seed=3)
    batch = _inputs(world, count, tag=f"{tag}-b", seed=4)
    for values in warm:
        case_submit(**values)

    profiler = cProfile.Profile(time.process_time) if profile else None
    if profiler is not None:
        profiler.enable()
    figures: dict[str, Any] = {
        "database": database or connection.vendor,
        "cases_in_table_before": before,
        "load_average": round(os.getloadavg()[0], 1),
        "single": {"paths": _paths(single), **_submit_each(single)},
    }
    if profiler is not None:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())

    if connection.vendor == "postgresql":
        # What the process does when the commit need not wait for the write-ahead log to
        # reach the disk (a server with a battery-backed write cache flushes in well under a
        # millisecond). Set for this session only: the product commits durably.
        relaxed = _inputs(world, count // 2, tag=f"{tag}-r", seed=5)
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO off")
        try:
            figures["single_without_flush_wait"] = _submit_each(relaxed)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")

    if threads > 1:
        # An extra row: the one-thread figure above is the target's.
        threaded = _inputs(world, count, tag=f"{tag}-t", seed=6)
        figures["single_threads"] = _submit_threaded(threaded, threads)

    items = [CaseInput(**{k: v for k, v in values.items() if k != "actor"}) for values in batch]

    def submit_batches() -> None:
        for start in range(0, len(items), BATCH):
            case_submit_many(items=items[start : start + BATCH], actor=None)

    wall, cpu = _timed(submit_batches)
    figures["batch"] = {"batch_size": BATCH, **_rates(count, wall, cpu)}
    figures["queries_per_case"] = _queries_per_path(world, tag)
    figures["load_average_at_end"] = round(os.getloadavg()[0], 1)
    return figures


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    parser = argparse.ArgumentParser(description="Measure case intake.")
    parser.add_argument("--cases", type=int)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of intake")
    parser.add_argument(
        "--threads", type=int, default=THREADS, help="threads of the extra row (1: none)"
    )
    arguments = parser.parse_args()
    result = run(cases=arguments.cases, profile=arguments.profile, threads=arguments.threads)
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
