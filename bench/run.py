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
   not grow with the file), when ``bench/roster_import.py`` is there;
4. the case loop (``--stages cases`` runs only these: after seeding the county, or with
   ``--reuse`` on the county already there):
   ``workdays_add`` (adding working days: at least 200,000 calls/s), ``cases_seed`` (the case
   world and 10,000 generated cases), ``cases_worklists`` (a center's and a department's
   worklists at 10,000 cases, then at 1,000,000 on PostgreSQL or 200,000 on SQLite: constant
   queries, median under 100 ms, at most twice the time at 10,000), ``cases_sweep`` (the
   deadline sweep on that table: newly overdue found in under 2 s, milliseconds when nothing
   is due) and ``cases_intake`` (intake through the services: at least 1,000 cases/s on one
   core).

The figures are printed as a Markdown table and written to ``var/bench/results-<db>.json``.
``--name NAME`` gives a run a database (``var/bench/NAME.sqlite3`` or ``NAME``) and a results
file (``results-NAME-<db>.json``) of its own, so that runs side by side do not drop each
other's database.
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
CASE_STAGES = ("workdays_add", "cases_seed", "cases_worklists", "cases_sweep", "cases_intake")
STAGES = (
    "seed_county",
    "household_list",
    "roster_import",
    *CASE_STAGES,
    "doorplates_print",
    "disputes",
    "open311_requests",
    "stats_dashboard",
    "ledgers_export",
    "webhooks",
    "api_post",
)
# Names for several stages at once.
GROUPS = {"cases": CASE_STAGES}
RESULT_MARKER = "BENCH-RESULT "

TARGETS = {
    "seed": "< 300 s (5 min)",
    "list": "same queries on every page; median < 100 ms",
    "roster": "< 60 s; memory constant (growth at 100k ≈ growth at 10k)",
    "workdays": "≥ 200,000 calls/s",
    "worklists": "same queries at every size; median < 100 ms; ≤ 2 × the time at 10,000",
    "sweep": "newly overdue found in < 2 s; nothing due: milliseconds",
    "intake": "≥ 1,000 cases/s on one core (one process)",
    "doorplates": "5,096 plates < 60 s; memory flat",
    "disputes": "register page median < 100 ms, same queries on every page; "
    "化解率 by township < 100 ms; agreement PDF < 1 s",
    "open311": "GET /open311/v2/requests.json with 1,000 results: median < 200 ms",
    "stats": "county dashboard, a year < 300 ms; township drill-down < 150 ms; "
    "≤ 3 × from 100,000 cases to the full size",
    "ledgers": "100,000 rows < 60 s; memory constant (peak at 100k ≈ peak at 10k)",
    "webhooks": "dispatch keeps up with intake (≥ 1,000 events/s); quiet pass milliseconds",
    "api_post": "≥ 300 cases/s, 2 server workers, PostgreSQL; none lost or duplicated",
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


# ``--name`` gives a run a database of its own (several people benchmarking on one machine).
_names = {"sqlite": str(SQLITE_FILE), "postgresql": PG_DATABASE}


def _sqlite_file() -> Path:
    return Path(_names["sqlite"])


def bench_database_url(database: str) -> str:
    if database == "sqlite":
        return f"sqlite:///{_sqlite_file()}"
    server = urlsplit(os.environ.get("FENGQIAO_DATABASE_URL") or DEFAULT_PG_URL)
    return urlunsplit(server._replace(path=f"/{_names['postgresql']}"))


def recreate_database(database: str) -> None:
    """An empty benchmark database (the seeder refuses one with areas)."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if database == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{_sqlite_file()}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    server = urlsplit(os.environ.get("FENGQIAO_DATABASE_URL") or DEFAULT_PG_URL)
    # Connect to the server's maintenance database, never to the one being dropped.
    maintenance = urlunsplit(server._replace(path="/postgres"))
    name = _names["postgresql"]
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


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
        "command": f"python -m bench.run --database {database}"
        + "".join(f" {arg}" for arg in sys.argv[1:] if arg not in ("--database", database)),
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
    lines += _case_lines(results)
    plates = results.get("doorplates_print")
    if plates is not None:
        if "plates" in plates:
            lines.append(
                f"| doorplates: A4 PDF sheet, {plates['township']} ({plates['plates']:,} plates, "
                f"{plates['pages']} pages; {plates['plates_issued']:,} issued first in "
                f"{plates['issue_seconds']} s) | **{plates['print_seconds']} s** "
                f"({plates['plates_per_second']} plates/s); peak RSS {plates['peak_rss_mb']} MB "
                f"(after a village: {plates.get('village', {}).get('peak_rss_mb', '?')} MB) | "
                f"{TARGETS['doorplates']} |"
            )
        else:
            lines.append(f"| doorplates | {_not_run(plates)} | {TARGETS['doorplates']} |")
    lines += _dispute_lines(results.get("disputes"))
    lines += _open311_lines(results.get("open311_requests"))
    lines += _ledger_lines(results.get("ledgers_export"))
    lines += _webhook_lines(results.get("webhooks"))
    lines += _api_post_lines(results.get("api_post"))
    lines += _stats_lines(results.get("stats_dashboard"))
    return "\n".join(lines)


def _stats_lines(result: dict[str, Any] | None) -> list[str]:
    """The dashboards (bench/stats_dashboard.py), when that stage ran."""
    if result is None:
        return []
    if "full" not in result:
        return [f"| stats dashboards | {_not_run(result)} | {TARGETS['stats']} |"]
    cells = []
    for name, label in (
        ("county", "county dashboard, a year"),
        ("township", "township drill-down"),
    ):
        small, full = result["small"][name]["view"], result["full"][name]["view"]
        cells.append(
            f"{label}: {result['small']['cases']:,} cases {small['median_ms']} ms · "
            f"{result['full']['cases']:,} cases **{full['median_ms']} ms** "
            f"(× {result['ratio_full_to_small'][name]})"
        )
    return [f"| stats dashboards, view median | {' · '.join(cells)} | {TARGETS['stats']} |"]


def _ledger_lines(result: dict[str, Any] | None) -> list[str]:
    """The case ledger's export (bench/ledgers_export.py), when that stage ran."""
    if result is None:
        return []
    if "full" not in result:
        return [f"| case ledger export | {_not_run(result)} | {TARGETS['ledgers']} |"]
    return [
        f"| case ledger (案件台账) to Excel, {part['rows']:,} rows ({how}) | "
        f"**{part['seconds']} s** ({part['rows_per_second']:,} rows/s, {part['file_mb']} MB); "
        f"peak RSS {part['peak_rss_mb']} MB (before {part['rss_before_mb']} MB); "
        f"opens in openpyxl: {'yes' if part['opens_in_openpyxl'] else 'NO'} | "
        f"{TARGETS['ledgers']} |"
        for part, how in (
            (result["small"], "in the request"),
            (result["full"], "background job, file stored"),
        )
    ]


def _dispute_lines(result: dict[str, Any] | None) -> list[str]:
    """The dispute register's rows (bench/disputes.py), when that stage ran."""
    if result is None:
        return []
    if "first_page" not in result:
        return [f"| disputes | {_not_run(result)} | {TARGETS['disputes']} |"]
    first, last, opened = result["first_page"], result["last_page"], result["county_this_year"]
    rate, pdf = result["rate_by_township"], result["agreement_pdf"]
    return [
        f"| dispute register, {result['township']} over ten years ({result['list_pages']} pages of "
        f"{result['disputes']:,} disputes, {result['parties']:,} parties), county operator: "
        f"median / p90 | page 1: **{first['median_ms']}** / {first['p90_ms']} ms · page "
        f"{last['page']}: **{last['median_ms']}** / {last['p90_ms']} ms · as it opens (county, "
        f"this year): {opened['median_ms']} / {opened['p90_ms']} ms; queries {first['queries']} / "
        f"{last['queries']} / {opened['queries']} | {TARGETS['disputes']} |",
        f"| 化解率 by township, this year ({rate['townships']} townships; county "
        f"{result['rate_county']['rate']}) | **{rate['median_ms']} ms** ({rate['queries']} "
        f"queries); county figure {result['rate_county']['median_ms']} ms | < 100 ms |",
        f"| mediation agreement PDF (archive copy; all copies) | **{pdf['median_ms']} ms**; "
        f"{result['agreement_pdf_all_copies']['median_ms']} ms | < 1 s |",
    ]


def _api_post_lines(result: dict[str, Any] | None) -> list[str]:
    """POST /api/v1/cases/ under load (bench/api_post.py), when that stage ran."""
    if result is None:
        return []
    if "cases_per_second" not in result:
        return [f"| POST /api/v1/cases/ | {_not_run(result)} | {TARGETS['api_post']} |"]
    count = result["count"]
    lines = []
    for one in result.get("runs", [result]):
        latency = one["latency_ms"]
        lines.append(
            f"| POST /api/v1/cases/ over loopback, gunicorn {one['workers']} workers × "
            f"{one['threads']} threads, {one['concurrency']} keep-alive connections, "
            f"{one['measured_seconds']} s | **{one['cases_per_second']:,} cases/s**; latency "
            f"p50 {latency['p50']} / p95 {latency['p95']} / p99 {latency['p99']} ms; errors "
            f"{one['errors'] or 'none'} | {TARGETS['api_post']} |"
        )
    lines.append(
        f"| POST /api/v1/cases/: the count afterwards | {count['answered_201']:,} answered 201, "
        f"{count['in_database']:,} in the database, lost {count['lost']}, duplicated "
        f"{count['duplicated']} ({'OK' if count['ok'] else 'MISMATCH'}) | none lost or "
        "duplicated |"
    )
    return lines


def _webhook_lines(result: dict[str, Any] | None) -> list[str]:
    """Outbound webhooks (bench/webhooks.py), when that stage ran."""
    if result is None:
        return []
    if "catch_up" not in result:
        return [f"| webhooks | {_not_run(result)} | {TARGETS['webhooks']} |"]
    catch_up, delivery = result["catch_up"], result["delivery"]
    full, empty = result["quiet_full_window"], result["quiet_empty_window"]
    return [
        f"| webhooks dispatch: {result['events']:,} new events × {result['subscriptions']} "
        f"subscriptions → {catch_up['deliveries']:,} deliveries | "
        f"**{catch_up['events_per_second']:,} events/s** ({catch_up['seconds']} s, "
        f"{catch_up['passes']} passes) | {TARGETS['webhooks']} |",
        f"| webhooks quiet dispatch: nothing new (burst inside the look-back window; window "
        f"empty) | **{full['median_ms']} ms** ({full['queries']} queries); "
        f"**{empty['median_ms']} ms** ({empty['queries']} queries) | milliseconds |",
        f"| webhooks delivery to a local receiver, one worker, {delivery['deliveries']:,} "
        f"attempts | **{delivery['per_second']}/s**; p50 {delivery['p50_ms']} ms, p95 "
        f"{delivery['p95_ms']} ms | |",
    ]


def _open311_lines(result: dict[str, Any] | None) -> list[str]:
    """Open311 GET requests (bench/open311_requests.py), when that stage ran."""
    if result is None:
        return []
    if "default" not in result:
        return [f"| Open311 requests | {_not_run(result)} | {TARGETS['open311']} |"]
    cells = " · ".join(
        f"{label}: **{result[label]['median_ms']}** / {result[label]['p90_ms']} ms "
        f"({result[label]['results']:,} results, {result[label]['queries']} queries)"
        for label in ("default", "xml", "filtered", "page_5")
    )
    return [
        f"| Open311 GET requests on {result['cases']:,} cases, median / p90 | {cells} | "
        f"{TARGETS['open311']} |"
    ]


def _case_lines(results: dict[str, dict[str, Any]]) -> list[str]:
    """The case loop's rows (stages that did not run are left out)."""
    lines: list[str] = []
    workdays = results.get("workdays_add")
    if workdays is not None:
        if "calls_per_second_median" in workdays:
            lines.append(
                f"| add_working_days | **{workdays['calls_per_second_median']:,} calls/s** "
                f"(median of {workdays['rounds']} × {workdays['calls_per_round']:,}; best "
                f"{workdays['calls_per_second_best']:,}) | {TARGETS['workdays']} |"
            )
        else:
            lines.append(f"| add_working_days | {_not_run(workdays)} | {TARGETS['workdays']} |")
    seeded = results.get("cases_seed")
    if seeded is not None and "written" in seeded:
        lines.append(
            f"| case generator (bench/cases_seed.py) | {seeded['cases']:,} cases "
            f"({seeded.get('rows_per_second', 0):,} rows/s) | |"
        )
    worklists = results.get("cases_worklists")
    if worklists is not None:
        if "full" in worklists:
            lines += _worklist_lines(worklists)
        else:
            lines.append(f"| worklists | {_not_run(worklists)} | {TARGETS['worklists']} |")
    sweep = results.get("cases_sweep")
    if sweep is not None:
        if "newly_due" in sweep:
            due, quiet = sweep["newly_due"], sweep["nothing_due"]
            lines += [
                f"| sweep, {sweep['cases']:,} cases, {due['made']['overdue']} newly overdue + "
                f"{due['made']['due_soon']} newly due soon | found in **{due['find_ms']} ms**; "
                f"raised {due['raised']['red']} + {due['raised']['yellow']} in "
                f"**{due['sweep_seconds']} s** ({due['queries']:,} queries, "
                f"{due['queries_per_case_raised']} per case) | {TARGETS['sweep']} |",
                f"| sweep, nothing newly due | **{quiet['median_ms']} ms** median "
                f"({quiet['queries']} queries) | milliseconds |",
            ]
        else:
            lines.append(f"| sweep | {_not_run(sweep)} | {TARGETS['sweep']} |")
    intake = results.get("cases_intake")
    if intake is not None:
        if "single" in intake:
            single = intake["single"]
            paths = single["paths"]
            lines.append(
                f"| intake, case_submit × {single['cases']:,} ({paths['triage']:,} triage, "
                f"{paths['direct']:,} handled directly, {paths['repeat']:,} repeated keys) "
                f"on {intake['cases_in_table_before']:,} cases | **{single['cases_per_second']:,}"
                f" cases/s**; process CPU {single['cases_per_cpu_second']:,} cases/s | "
                f"{TARGETS['intake']} |"
            )
            threads = intake.get("single_threads", {})
            if "cases_per_second" in threads:
                lines.append(
                    f"| intake, the same from {threads['threads']} threads of one process | "
                    f"**{threads['cases_per_second']:,} cases/s** on "
                    f"{threads['cores_used']} of a core | {TARGETS['intake']} |"
                )
            batch = intake.get("batch", {})
            if "cases_per_second" in batch:
                lines.append(
                    f"| intake, case_submit_many × {batch['cases']:,} in batches of "
                    f"{batch['batch_size']} | **{batch['cases_per_second']:,} cases/s**; process "
                    f"CPU {batch['cases_per_cpu_second']:,} cases/s | |"
                )
            lines.append(
                "| intake: queries per case | "
                + " · ".join(f"{k}: {v}" for k, v in intake["queries_per_case"].items())
                + " | |"
            )
        else:
            lines.append(f"| intake | {_not_run(intake)} | {TARGETS['intake']} |")
    return lines


def _worklist_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    small, full = result.get("small", {}), result["full"]
    for name, label in (("center", "center (双堰街道)"), ("department", "department (双堰派出所)")):
        at_full = full[name]
        figure = f"{full['cases']:,} cases: **{at_full['median_ms']}** / {at_full['p90_ms']} ms"
        if name in small:
            figure = (
                f"{small['cases']:,} cases: {small[name]['median_ms']} / "
                f"{small[name]['p90_ms']} ms · {figure} "
                f"(× {result['ratio_full_to_small'][name]})"
            )
        queries = f"{at_full['queries']} queries" + (
            f" at both sizes ({'constant' if result.get('constant_queries') else 'NOT constant'})"
            if name in small
            else ""
        )
        lines.append(
            f"| worklists, {label}: every list's first page of 50 + count, median / p90 | "
            f"{figure}; {queries} | {TARGETS['worklists']} |"
        )
    return lines


def _not_run(result: dict[str, Any]) -> str:
    return str(result.get("skipped") or result.get("failed") or "not run")


# --- Entry ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument(
        "--stages",
        nargs="+",
        choices=[*STAGES, *GROUPS],
        default=list(STAGES),
        help="which stages to run (default: all, in order); 'cases' for the case loop's",
    )
    parser.add_argument(
        "--name",
        help="a database of the run's own: var/bench/NAME.sqlite3 or the PostgreSQL database "
        f"NAME (default: {SQLITE_FILE.name}, {PG_DATABASE})",
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
    if arguments.name:
        _names.update(
            sqlite=str(BENCH_DIR / f"{arguments.name}.sqlite3"), postgresql=arguments.name
        )
    stages = [name for stage in arguments.stages for name in GROUPS.get(stage, (stage,))]
    if not arguments.reuse and "seed_county" not in stages:
        stages.insert(0, "seed_county")  # a fresh database: every other stage needs the county
    load = round(os.getloadavg()[0], 1)
    if not arguments.reuse:
        recreate_database(database)
    results = {stage: run_in_subprocess(stage, database) for stage in stages}
    info = machine(database)
    info["load_average"] = load
    report = markdown(database, info, results)
    print()
    print(report)
    # A run with a database of its own keeps its figures apart too.
    output = BENCH_DIR / f"results-{arguments.name + '-' if arguments.name else ''}{database}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(
        json.dumps({"machine": info, "results": results}, ensure_ascii=False, indent=2) + "\n"
    )
    print(f"\n(figures written to {output.relative_to(BASE_DIR)})")
    failed = [stage for stage, result in results.items() if "failed" in result]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
