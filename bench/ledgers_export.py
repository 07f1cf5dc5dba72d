"""Benchmark stage: the case ledger (案件台账) exported to Excel (target: 100,000 rows in under
60 s, at constant memory).

    FENGQIAO_DATABASE_URL=… FENGQIAO_DEBUG=0 python -m bench.ledgers_export

Needs a seeded county (``bench.run`` seeds it first). Grows the case table with
``bench.cases_seed`` to 100,000 cases (whole days, so a few more), gives half of them a
reporter with an encrypted phone (the generator makes none, and the ledger decrypts and
masks every phone), then exports as a county center operator (who sees every case):

1. the newest 10,000 cases, written in the request's way (``CaseLedger.write`` to a temporary
   file): the largest export that does not go to the background;
2. every case, the background way: ``export_start`` (counts, makes the job) and the Celery
   task run in this process (``export_job_run``: writes with progress, stores the file).

Peak memory is measured for each export on its own (the kernel's high-water mark is reset
before each, ``/proc/self/clear_refs``), so "constant memory" reads as: the peak at 100,000
rows is about the peak at 10,000. The workbook is opened again with openpyxl to check its rows.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

FULL = 100_000
SMALL = 10_000
REPORTER_SHARE = 2  # every second case has a reporter with a phone
COUNTY_USER = "bench-ledgers-county"
PASSWORD = "Ledger-Export-100k"


def _memory_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _reset_peak() -> None:
    """Start the peak-RSS (VmHWM) measurement afresh (Linux ≥ 4.0)."""
    # Not Linux: the peak then covers the whole process.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _add_reporters() -> int:
    """A named reporter with a phone for every REPORTER_SHARE-th case that has none."""
    from django.db import transaction

    from fengqiao.cases.choices import ReporterKind
    from fengqiao.cases.models import Case, CaseReporter
    from fengqiao.core.privacy import lookup_digest

    have = set(CaseReporter.objects.values_list("case_id", flat=True).distinct())
    ids = [pk for pk in Case.objects.order_by("id").values_list("id", flat=True) if pk not in have]
    made = 0
    with transaction.atomic():
        batch = []
        for n, pk in enumerate(ids[::REPORTER_SHARE]):
            phone = f"138{n % 100_000_000:08d}"
            batch.append(
                CaseReporter(
                    case_id=pk,
                    kind=ReporterKind.HOUSEHOLD,
                    name=f"居民{n % 1000}",
                    phone=phone,
                    phone_digest=lookup_digest(phone, "phone"),
                )
            )
            if len(batch) >= 5000:
                CaseReporter.objects.bulk_create(batch)
                made += len(batch)
                batch = []
        CaseReporter.objects.bulk_create(batch)
        made += len(batch)
    return made


def _county_user() -> Any:
    from bench.cases_seed import COUNTY
    from fengqiao.org.choices import Role
    from fengqiao.org.models import User
    from fengqiao.org.services import staff_create

    return User.objects.filter(username=COUNTY_USER).first() or staff_create(
        username=COUNTY_USER,
        password=PASSWORD,
        full_name="基准县综治中心",
        role=Role.CENTER_OPERATOR,
        scope_code=COUNTY,
    )


def _check(path: Path, rows: int) -> bool:
    """The file opens in openpyxl with the header and ``rows`` rows below it."""
    from openpyxl import load_workbook

    from fengqiao.ledgers.cases import HEADERS, SHEET

    workbook = load_workbook(path, read_only=True)
    try:
        sheet = workbook[SHEET]
        first = next(sheet.iter_rows(values_only=True))
        count = sum(1 for _row in sheet.iter_rows(min_row=2, values_only=True))
        return tuple(first) == HEADERS and count == rows
    finally:
        workbook.close()


def _small(user: Any) -> dict[str, Any]:
    """The newest 10,000 cases, the way a request writes them."""
    from django.utils import timezone

    from fengqiao.ledgers.cases import CaseLedger

    ledger = CaseLedger(params={}, actor=user, now=timezone.now())
    ledger.cases = ledger.cases[:SMALL]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "small.xlsx")
        rss_before = _memory_mb("VmRSS")
        _reset_peak()
        started = time.perf_counter()
        cpu_started = time.process_time()
        written = ledger.write(path)
        seconds = time.perf_counter() - started
        return {
            "rows": written.rows,
            "seconds": round(seconds, 1),
            "process_cpu_seconds": round(time.process_time() - cpu_started, 1),
            "rows_per_second": round(written.rows / seconds),
            "rss_before_mb": rss_before,
            "peak_rss_mb": _memory_mb("VmHWM"),
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "opens_in_openpyxl": _check(path, written.rows),
        }


def _full(user: Any) -> dict[str, Any]:
    """Every case, the background way (the task run in this process)."""
    from django.test import override_settings

    from fengqiao.celery import app
    from fengqiao.ledgers import tasks
    from fengqiao.ledgers.services import export_start

    app.conf.task_always_eager = True
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        rss_before = _memory_mb("VmRSS")
        _reset_peak()
        started = time.perf_counter()
        cpu_started = time.process_time()
        # Autocommit: the job's on_commit hook runs the (eager) task at once.
        job, _source = export_start(kind="cases", params={}, actor=user)
        seconds = time.perf_counter() - started
        peak = _memory_mb("VmHWM")
        job.refresh_from_db()
        path = Path(job.file.path)
        return {
            "rows": job.rows_done,
            "status": job.status,
            "background": job.background,
            "seconds": round(seconds, 1),
            "process_cpu_seconds": round(time.process_time() - cpu_started, 1),
            "rows_per_second": round(job.rows_done / seconds),
            "progress_interval_s": tasks.PROGRESS_INTERVAL,
            "rss_before_mb": rss_before,
            "peak_rss_mb": peak,
            "file_mb": round(path.stat().st_size / 2**20, 1),
            "opens_in_openpyxl": _check(path, job.rows_done),
        }


def run(database: str = "") -> dict[str, Any]:
    from django.db import connection

    from bench.cases_seed import case_count, grow, prepare_world

    if case_count() == 0 and not _has_county():
        return {"skipped": "no county: seed the county profile first"}
    world = prepare_world()
    grown = grow(FULL, world=world, progress=print)
    started = time.perf_counter()
    reporters = _add_reporters()
    reporter_seconds = time.perf_counter() - started
    user = _county_user()
    figures: dict[str, Any] = {
        "database": database or connection.vendor,
        "cases": case_count(),
        "grown": grown,
        "reporters_added": reporters,
        "reporters_seconds": round(reporter_seconds, 1),
    }
    figures["small"] = _small(user)
    print(f"10,000 rows: {figures['small']}", flush=True)
    figures["full"] = _full(user)
    print(f"all rows: {figures['full']}", flush=True)
    return figures


def _has_county() -> bool:
    from bench.cases_seed import COUNTY
    from fengqiao.territory.models import Area

    return Area.objects.filter(territory_code=COUNTY).exists()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    print(json.dumps(run(), ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
