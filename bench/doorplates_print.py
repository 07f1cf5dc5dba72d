"""Benchmark stage: printing a township's doorplates (target: 5,096 plates in under 60 s).

    FENGQIAO_DATABASE_URL=… FENGQIAO_DEBUG=0 python -m bench.doorplates_print

Needs a seeded county (``bench.run`` seeds it first). Takes the current township whose
household count is closest to Liutang's 5,096, issues the missing plates (as the print job
does), then writes its A4 PDF sheet to a temporary file through the same function the
background task calls, and reports wall-clock seconds, plates per second and memory. A
village is printed first, so that the peak memory after it and after the whole township
show whether memory grows with the number of plates.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_HOUSEHOLDS = 5096
ACTOR = "bench-doorplates"
PASSWORD = "Plate-Print-5096"
BASE_URL = "https://fq.example.gov.cn"


def _memory_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def run(database: str = "") -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count
    from django.db.models.functions import Substr

    from fengqiao.doorplates.printing import PLATES_PER_PAGE, plate_sheet_write
    from fengqiao.doorplates.services import doorplate_issue_missing_under
    from fengqiao.org.choices import Role
    from fengqiao.org.models import User
    from fengqiao.org.services import staff_create
    from fengqiao.territory.choices import AreaLevel
    from fengqiao.territory.models import Area, Household

    counts = dict(
        Household.objects.annotate(township=Substr("territory_code", 1, 9))
        .values("township")
        .annotate(n=Count("id"))
        .values_list("township", "n")
    )
    if not counts:
        return {"skipped": "no households: seed the county profile first"}
    code = min(counts, key=lambda key: abs(counts[key] - TARGET_HOUSEHOLDS))
    township = Area.objects.get(territory_code=code, valid_to=None)
    village = (
        Area.objects.filter(level=AreaLevel.VILLAGE, valid_to=None)
        .within(code)
        .order_by("territory_code")
        .first()
    )
    actor = User.objects.filter(username=ACTOR).first() or staff_create(
        username=ACTOR, password=PASSWORD, full_name="基准管理员", role=Role.ADMINISTRATOR
    )
    rss_start = _memory_mb("VmRSS")

    started = time.perf_counter()
    issued = doorplate_issue_missing_under(territory_code=code, actor=actor)
    issue_seconds = time.perf_counter() - started

    figures: dict[str, Any] = {
        "database": database or connection.vendor,
        "township": f"{township.name} {code}",
        "households": counts[code],
        "plates_issued": issued,
        "issue_seconds": round(issue_seconds, 2),
        "rss_start_mb": rss_start,
    }
    with tempfile.TemporaryDirectory() as folder:
        if village is not None:
            path = Path(folder, "village.pdf")
            started = time.perf_counter()
            with path.open("wb") as out:
                small = plate_sheet_write(
                    territory_code=village.territory_code,
                    title=village.name,
                    base_url=BASE_URL,
                    out=out,
                )
            figures["village"] = {
                "name": village.name,
                "plates": small,
                "seconds": round(time.perf_counter() - started, 2),
                "peak_rss_mb": _memory_mb("VmHWM"),
            }
        path = Path(folder, "township.pdf")
        updates = 0

        def progress(done: int, total: int) -> None:
            nonlocal updates
            updates += 1

        started = time.perf_counter()
        cpu_started = time.process_time()
        with path.open("wb") as out:
            printed = plate_sheet_write(
                territory_code=code,
                title=township.name,
                base_url=BASE_URL,
                out=out,
                progress=progress,
            )
        seconds = time.perf_counter() - started
        figures.update(
            plates=printed,
            pages=-(-printed // PLATES_PER_PAGE),
            print_seconds=round(seconds, 1),
            process_cpu_seconds=round(time.process_time() - cpu_started, 1),
            plates_per_second=round(printed / seconds, 1),
            total_seconds=round(seconds + issue_seconds, 1),
            progress_calls=updates,
            pdf_mb=round(path.stat().st_size / 2**20, 1),
            peak_rss_mb=_memory_mb("VmHWM"),
        )
    return figures


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    print(json.dumps(run(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
