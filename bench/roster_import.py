"""Benchmark (not a test): import a synthetic county-sized roster and measure time and memory.

    python -m bench.roster_import --rows 100000

runs against the database the settings name (FENGQIAO_DATABASE_URL; migrated). It sets up a
county of its own under an unused code (so it can run again on the same database), writes a
roster of ``rows`` persons in households of three or four (about 30,000 households for
100,000 persons) with openpyxl's streaming writer, and imports it as an administrator.

Memory: ``rss_growth_mb`` is the highest resident size sampled after each batch minus the
size before the import. A smaller roster is imported first (``compare_rows``) and its growth
reported too: with a streamed import the two stay close, while memory that held the file
would grow tenfold.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

PASSWORD = "Qz7!lantern-Harbor-58"
HOUSEHOLD_SIZES = (4, 3, 3)  # 3.33 persons a household on average
RELATIONS = ("户主", "配偶", "子", "女")
GRIDS_PER_VILLAGE = 10
VILLAGES = 10


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _territory() -> tuple[Any, str, list[Any]]:
    """A fresh county (province 99 "基准省", an unused county number) with 100 grids."""
    from fengqiao.org.choices import Role
    from fengqiao.org.services import staff_create
    from fengqiao.territory.choices import AreaKind, AreaLevel
    from fengqiao.territory.models import Area
    from fengqiao.territory.services import area_create, grid_create

    valid_from = datetime.date(2024, 1, 1)

    def area(code: str, name: str, level: AreaLevel, kind: AreaKind, parent: Any) -> Any:
        existing = Area.objects.filter(code=code, valid_to__isnull=True).first()
        return existing or area_create(
            code=code, name=name, level=level, kind=kind, parent=parent, valid_from=valid_from
        )

    province = area("990000000000", "基准省", AreaLevel.PROVINCE, AreaKind.PROVINCE, None)
    city = area("990100000000", "基准市", AreaLevel.CITY, AreaKind.CITY, province)
    used = set(Area.objects.filter(parent=city).values_list("code", flat=True))
    number = next(n for n in range(1, 100) if f"9901{n:02d}000000" not in used)
    county = area(
        f"9901{number:02d}000000", f"基准{number}县", AreaLevel.COUNTY, AreaKind.COUNTY, city
    )
    town = area(
        f"{county.territory_code}001000", "基准镇", AreaLevel.TOWNSHIP, AreaKind.TOWN, county
    )
    grids = []
    for v in range(1, VILLAGES + 1):
        village = area(
            f"{town.territory_code}{200 + v:03d}",
            f"基准{v}村",
            AreaLevel.VILLAGE,
            AreaKind.VILLAGE,
            town,
        )
        grids += [
            grid_create(village=village, number=g, name=f"第{g}网格")
            for g in range(1, GRIDS_PER_VILLAGE + 1)
        ]
    actor = staff_create(
        username=f"bench-roster-{county.territory_code}",
        password=PASSWORD,
        full_name="基准管理员",
        role=Role.ADMINISTRATOR,
    )
    return actor, county.territory_code, grids


def write_roster(path: Path, *, rows: int, region: str, grids: list[Any], offset: int) -> int:
    """A synthetic roster of ``rows`` persons; returns the number of households."""
    from openpyxl import Workbook

    from fengqiao.core.idnumbers import check_character
    from fengqiao.territory.roster import HEADERS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(HEADERS)
    born = datetime.date(1930, 1, 1)
    written = households = 0
    while written < rows:
        size = min(HOUSEHOLD_SIZES[households % len(HOUSEHOLD_SIZES)], rows - written)
        # Household numbers continue after an earlier run's (offset >= its households).
        number = offset + households
        grid = grids[number % len(grids)]
        village = grid.village
        address = f"{village.name}{number // len(grids) + 1}号"
        lon = f"{106 + (households % 1000) / 10000:.6f}"
        lat = f"{26 + (households % 997) / 10000:.6f}"
        for member in range(size):
            n = offset + written
            first17 = f"{region}{born + datetime.timedelta(days=n // 1000):%Y%m%d}{n % 1000:03d}"
            sheet.append(
                [
                    village.parent.name,
                    village.name,
                    grid.code,
                    None,
                    address,
                    None,
                    None,
                    None,
                    lon,
                    lat,
                    f"居民{n}",
                    RELATIONS[min(member, len(RELATIONS) - 1)],
                    first17 + check_character(first17),
                    None,
                    None,
                    "汉族",
                    f"139{n % 10**8:08d}",
                    "党员" if n % 10 == 0 else None,
                ]
            )
            written += 1
        households += 1
    book.save(path)
    return households


def _import(rows: int, offset: int, actor: Any, region: str, grids: list[Any]) -> dict[str, Any]:
    from fengqiao.territory.roster import RosterProgress, roster_import

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.xlsx"
        started = time.perf_counter()
        households = write_roster(path, rows=rows, region=region, grids=grids, offset=offset)
        generated = time.perf_counter() - started
        before = _rss_mb()
        highest = before

        def sample(progress: RosterProgress) -> None:
            nonlocal highest
            highest = max(highest, _rss_mb())

        started = time.perf_counter()
        result = roster_import(source=path, actor=actor, progress=sample)
        seconds = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"benchmark roster did not import: {result.errors[:5]}")
    assert result.persons_created == rows and result.households_created == households
    return {
        "rows": rows,
        "households": households,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "generate_seconds": round(generated, 1),
        "rss_growth_mb": round(highest - before, 1),
    }


def run(database: str = "", rows: int = 100_000, compare_rows: int = 10_000) -> dict[str, Any]:
    """Import a synthetic roster of ``rows`` persons; ``database`` only labels the figures
    (the settings decide which database is used)."""
    from django.db import connection

    actor, county, grids = _territory()
    region = county  # six digits: the county's own region code keeps ID numbers unique
    figures: dict[str, Any] = {"database": database or connection.vendor}
    if compare_rows:
        small = _import(compare_rows, 0, actor, region, grids)
        figures[f"rss_growth_mb_at_{compare_rows}_rows"] = small["rss_growth_mb"]
        figures[f"seconds_at_{compare_rows}_rows"] = small["seconds"]
    big = _import(rows, compare_rows, actor, region, grids)
    figures.update(big)
    figures["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--compare-rows", type=int, default=10_000)
    parser.add_argument("--database", default="")
    arguments = parser.parse_args()
    _setup_django()
    figures = run(arguments.database, rows=arguments.rows, compare_rows=arguments.compare_rows)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
