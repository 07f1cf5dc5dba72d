"""Benchmark stage: adding working days (``fengqiao.workdays.schedule.add_working_days``).

    FENGQIAO_DATABASE_URL=… python -m bench.workdays_add

Every deadline is a call (sign-for, reply, hard matters, rating wait; the case generator makes
several per case), so it must be cheap. After one call has built the calendar (holidays and
the overrides from the database), ``CALLS`` calls with start days spread over the known years
and 0–30 working days, timed as a whole, ``ROUNDS`` times; the best and the median round.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import statistics
import time
from typing import Any

CALLS = 200_000
ROUNDS = 5


def run(database: str = "") -> dict[str, Any]:
    from django.db import connection

    from fengqiao.workdays.schedule import add_working_days, calendar

    years = sorted(calendar().years)
    # Start days from the first known year up to two months before the end of the last, so
    # that 30 working days never run past what is known.
    first = datetime.date(years[0], 1, 1).toordinal()
    last = datetime.date(years[-1], 10, 31).toordinal()
    rng = random.Random(2026)
    calls = [
        (datetime.date.fromordinal(rng.randint(first, last)), rng.randint(0, 30))
        for _ in range(CALLS)
    ]
    add_working_days(*calls[0])  # builds the calendar
    rates = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for start, days in calls:
            add_working_days(start, days)
        rates.append(CALLS / (time.perf_counter() - started))
    return {
        "database": database or connection.vendor,
        "calls_per_round": CALLS,
        "rounds": ROUNDS,
        "calls_per_second_best": round(max(rates)),
        "calls_per_second_median": round(statistics.median(rates)),
        "microseconds_per_call_median": round(1e6 / statistics.median(rates), 2),
        "known_years": f"{years[0]}–{years[-1]}",
        "load_average": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    print(json.dumps(run(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
