"""Benchmark stage: migrate an empty database and load the county demo profile (织金县).

    FENGQIAO_DATABASE_URL=… python -m bench.seed_county

``bench.run`` runs it in a subprocess whose settings name the benchmark database. The seeder
refuses a database that already has areas, so this never adds to real data.
"""

from __future__ import annotations

import json
import os
import sys
import time
from io import StringIO
from pathlib import Path
from typing import Any


def run(database: str = "") -> dict[str, Any]:
    """``migrate``, then ``seed_demo --profile county``: wall-clock seconds and sizes."""
    from django.core.management import call_command
    from django.db import connection

    from fengqiao.territory.models import Grid, GridPartyGroup, Household, HouseholdUnit, Person

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrate_seconds = time.perf_counter() - started

    log = _Tee()
    started = time.perf_counter()
    call_command("seed_demo", profile="county", stdout=log)
    seed_seconds = time.perf_counter() - started
    return {
        "database": database or connection.vendor,
        "migrate_seconds": round(migrate_seconds, 1),
        "seed_seconds": round(seed_seconds, 1),
        "households": Household.objects.count(),
        "persons": Person.objects.count(),
        "grids": Grid.objects.count(),
        "units": HouseholdUnit.objects.count(),
        "party_groups": GridPartyGroup.objects.count(),
        "database_mb": _database_mb(),
        "seed_log": log.getvalue().strip().splitlines(),
    }


class _Tee(StringIO):
    """Keeps the seeder's progress lines for the results and shows them as they come."""

    def write(self, text: str) -> int:
        sys.stdout.write(text)
        sys.stdout.flush()
        return super().write(text)


def _database_mb() -> float | None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return round(cursor.fetchone()[0] / 2**20, 1)
        if connection.vendor == "sqlite":
            # Fold the write-ahead log into the file so that its size is the data's.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            name = Path(str(connection.settings_dict["NAME"]))
            return round(name.stat().st_size / 2**20, 1)
    return None


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    print(json.dumps(run(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
