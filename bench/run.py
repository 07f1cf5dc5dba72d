"""Run the benchmarks on a database of their own and print the figures for BENCHMARKS.md.

    python -m bench.run --database sqlite        # var/bench/bench.sqlite3, recreated
    python -m bench.run --database postgresql    # database fengqiao_bench, dropped and created
                                                 # on the server FENGQIAO_DATABASE_URL names

Never the development or production database: SQLite gets a fresh file under var/bench/,
PostgreSQL a database called ``fengqiao_bench`` on the server of ``FENGQIAO_DATABASE_URL``
(default ``postgres://postgres@127.0.0.1:5432/postgres``).

Django reads its settings once, at start-up, so each stage runs in a subprocess whose
environment names the benchmark database (``python -m bench.run --stage NAME …``, which calls
``bench.NAME.run(database)``):

1. ``seed_county``: ``migrate``, then ``seed_demo --profile county`` (target: under 5 minutes);
2. ``household_list``: a township's household list at that scale (target: the same number of
   queries on every page, median under 100 ms);
3. ``roster_import``: a 100,000-person roster import (target: under 60 s, memory that does
   not grow with the file), when ``bench/roster_import.py`` is there.

The figures are printed as a Markdown table and written to ``var/bench/results-<db>.json``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.util
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench"
SQLITE_FILE = BENCH_DIR / "bench.sqlite3"
PG_DATABASE = "fengqiao_bench"
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/postgres"
STAGES = ("seed_county", "household_list", "roster_import")
RESULT_MARKER = "BENCH-RESULT "

TARGETS = {
    "seed": "< 300 s (5 min)",
    "list": "same queries on every page; median < 100 ms",
    "roster": "< 60 s; memory constant (growth at 100k ≈ growth at 10k)",
}


# --- Child: one stage inside a configured Django -------------------------------------------


def run_stage(stage: str, database: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    module = importlib.import_module(f"bench.{stage}")
    result = module.run(database)
    print(RESULT_MARKER + json.dumps(result, ensure_ascii=False, default=str), flush=True)


# --- Parent: the benchmark database and the stages -----------------------------------------


def bench_database_url(database: str) -> str:
    if database == "sqlite":
        return f"sqlite:///{SQLITE_FILE}"
    server = urlsplit(os.environ.get("FENGQIAO_DATABASE_URL") or DEFAULT_PG_URL)
    return urlunsplit(server._replace(path=f"/{PG_DATABASE}"))


def recreate_database(database: str) -> None:
    """An empty benchmark database (the seeder refuses one with areas)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_FILE}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    server = urlsplit(os.environ.get("FENGQIAO_DATABASE_URL") or DEFAULT_PG_URL)
    # Connect to the server's maintenance database, never to the one being dropped.
    maintenance = urlunsplit(server._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')


def stage_environment(database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "fengqiao.settings",
            "FENGQIAO_DATABASE_URL": bench_database_url(database),
            # Measure what production runs: no debug toolbar-ish overhead, no query log.
            "FENGQIAO_DEBUG": "0",
            "FENGQIAO_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def run_in_subprocess(stage: str, database: str) -> dict[str, Any]:
    if importlib.util.find_spec(f"bench.{stage}") is None:
        print(f"-- {stage}: bench/{stage}.py is not there: skipped", flush=True)
        return {"skipped": f"bench/{stage}.py is not there"}
    print(f"-- {stage} ({database})", flush=True)
    command = [sys.executable, "-m", "bench.run", "--stage", stage, "--database", database]
    started = time.perf_counter()
    result: dict[str, Any] = {}
    with subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=stage_environment(database),
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith(RESULT_MARKER):
                result = json.loads(line.removeprefix(RESULT_MARKER))
            else:
                print(f"   {line}", end="", flush=True)
    if child.returncode != 0:
        result = {**result, "failed": f"exit status {child.returncode}"}
    result["stage_wall_seconds"] = round(time.perf_counter() - started, 1)
    if "skipped" in result:
        print(f"   skipped: {result['skipped']}", flush=True)
    return result


def machine(database: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "command": f"python -m bench.run --database {database}",
        "nproc": os.cpu_count(),
        "cpu": _proc_value("/proc/cpuinfo", "model name"),
        "memory_gb": _memory_gb(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        # Other work on the machine slows every figure: the 1-minute load when it started.
        "load_average": round(os.getloadavg()[0], 1),
    }
    try:
        import django

        info["django"] = django.get_version()
    except ImportError:  # pragma: no cover - the venv always has it
        pass
    if database == "postgresql":
        import psycopg

        with psycopg.connect(bench_database_url(database)) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            info["postgresql"] = row[0] if row else "?"
    return info


def _proc_value(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def _memory_gb() -> float | None:
    value = _proc_value("/proc/meminfo", "MemTotal")
    return round(int(value.split()[0]) / 2**20, 1) if value != "?" else None


# --- Report --------------------------------------------------------------------------------


def markdown(database: str, info: dict[str, Any], results: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"### {database} — {info['date']}",
        "",
        f"`{info['command']}` · {info['nproc']} CPUs ({info['cpu']}), "
        f"{info['memory_gb']} GB · Python {info['python']} · Django {info.get('django', '?')} · "
        f"SQLite {info['sqlite']}"
        + (f" · PostgreSQL {info['postgresql']}" if "postgresql" in info else "")
        + f" · load average at start {info['load_average']}",
        "",
        "| measure | figure | target |",
        "|---|---|---|",
    ]
    seed = results.get("seed_county", {})
    if "seed_seconds" in seed:
        lines += [
            f"| seed_demo --profile county | **{seed['seed_seconds']} s** | {TARGETS['seed']} |",
            f"| migrate (empty database) | {seed['migrate_seconds']} s | |",
            f"| data | {seed['households']:,} households, {seed['persons']:,} persons, "
            f"{seed['grids']:,} grids, {seed['units']:,} units, "
            f"{seed['party_groups']:,} party groups; {seed['database_mb']} MB | |",
        ]
    else:
        lines.append(f"| seed_demo --profile county | {_not_run(seed)} | {TARGETS['seed']} |")
    listing = results.get("household_list", {})
    if "page_1" in listing:
        pages = [listing[k] for k in ("page_1", "page_100", "last_page")]
        lines += [
            f"| household list, {listing['township']} ({listing['households_in_township']:,} "
            f"households, {listing['pages']} pages): median / p90 | "
            + " · ".join(
                f"page {p['page']}: **{p['median_ms']}** / {p['p90_ms']} ms" for p in pages
            )
            + f" | {TARGETS['list']} |",
            "| household list: queries per page | "
            + " · ".join(f"page {p['page']}: {p['queries']}" for p in pages)
            + (" (constant)" if listing["constant_queries"] else " (NOT constant)")
            + " | equal |",
        ]
    else:
        lines.append(f"| household list | {_not_run(listing)} | {TARGETS['list']} |")
    roster = results.get("roster_import", {})
    if "seconds" in roster:
        growth = [
            f"{value} MB at {key.split('_')[-2]} rows"
            for key, value in roster.items()
            if key.startswith("rss_growth_mb_at_")
        ]
        growth.append(f"{roster['rss_growth_mb']} MB at {roster['rows']}")
        lines.append(
            f"| roster import, {roster['rows']:,} persons ({roster['households']:,} households) "
            f"| **{roster['seconds']} s** ({roster['rows_per_second']:,} rows/s); "
            f"memory growth {', '.join(growth)} | {TARGETS['roster']} |"
        )
    else:
        lines.append(f"| roster import | {_not_run(roster)} | {TARGETS['roster']} |")
    return "\n".join(lines)


def _not_run(result: dict[str, Any]) -> str:
    return str(result.get("skipped") or result.get("failed") or "not run")


# --- Entry ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument(
        "--stages",
        nargs="+",
        choices=STAGES,
        default=list(STAGES),
        help="which stages to run (default: all, in order)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the benchmark database from an earlier run (for re-running later stages)",
    )
    parser.add_argument("--stage", choices=STAGES, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.stage:
        run_stage(arguments.stage, arguments.database)
        return 0

    database: str = arguments.database
    load = round(os.getloadavg()[0], 1)
    if not arguments.reuse:
        recreate_database(database)
    results = {stage: run_in_subprocess(stage, database) for stage in arguments.stages}
    info = machine(database)
    info["load_average"] = load
    report = markdown(database, info, results)
    print()
    print(report)
    output = BENCH_DIR / f"results-{database}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps({"machine": info, "results": results}, ensure_ascii=False, indent=2) + "\n"
    )
    print(f"\n(figures written to {output.relative_to(BASE_DIR)})")
    failed = [stage for stage, result in results.items() if "failed" in result]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
