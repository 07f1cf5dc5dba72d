from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from fengqiao.cases.choices import CaseType, Channel, ReporterKind, Urgency
from fengqiao.cases.models import Case, Category
from fengqiao.cases.services import CaseInput, ReporterInput, case_submit_many
from fengqiao.conftest import World


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> None:
    """Export files stay out of var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


def workbook_of(body: bytes) -> Any:
    return load_workbook(io.BytesIO(body), read_only=True)


def sheet_rows(workbook: Any, title: str) -> list[tuple[Any, ...]]:
    """The sheet's rows, each as wide as the header (a read-only sheet drops trailing empty
    cells)."""
    rows = list(workbook[title].iter_rows(values_only=True))
    width = max((len(row) for row in rows), default=0)
    return [tuple(row) + (None,) * (width - len(row)) for row in rows]


REPORTER_PHONE = "13800001111"


def make_cases(world: World, count: int, *, township: str = "a") -> list[Case]:
    """``count`` cases in a township through intake, with a variety of types, channels and
    categories; every third one reported by a named resident with a phone."""
    place = world.a if township == "a" else world.b
    categories = list(Category.objects.filter(children__isnull=True, is_active=True)[:3])
    types = [CaseType.COMPLAINT, CaseType.HELP, CaseType.CONSULTATION]
    channels = [Channel.QR_DOORPLATE, Channel.PHONE, Channel.WINDOW]
    items = [
        CaseInput(
            case_type=types[n % 3],
            category=categories[n % len(categories)],
            channel=channels[n % 3],
            title=f"{place.area.name}第{n}件",
            description=f"情况说明{n}",
            territory_code=place.household.territory_code,
            urgency=Urgency.URGENT if n % 5 == 0 else Urgency.NORMAL,
            reporter=ReporterInput(
                kind=ReporterKind.HOUSEHOLD, name=f"居民{n}", phone=REPORTER_PHONE
            )
            if n % 3 == 0
            else None,
        )
        for n in range(count)
    ]
    return [case for case, _created in case_submit_many(items=items)]
