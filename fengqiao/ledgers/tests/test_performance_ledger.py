"""The department performance ledger (考核排名): the statistics app's ranking, as a file."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.models import AuditEntry
from fengqiao.conftest import World
from fengqiao.ledgers.models import ExportJob
from fengqiao.ledgers.performance import HEADERS, SHEET
from fengqiao.ledgers.tests.conftest import sheet_rows, workbook_of
from fengqiao.ledgers.workbook import INFO_SHEET
from fengqiao.stats.metrics import department_ranking
from fengqiao.stats.tests.conftest import JUNE, Dataset, at, build_dataset

JUNE_QUERY = "?kind=month&day=2026-06-01"


@pytest.fixture
def dataset(world: World) -> Iterator[Dataset]:
    with time_machine.travel(at(1, 9), tick=False) as clock:
        yield build_dataset(world, clock)


def test_the_ranking_as_on_the_dashboard(client: Any, dataset: Dataset) -> None:
    county = dataset.world.county_operator
    client.force_login(county)
    # Sent from the dashboard's own form, so the file holds the period on screen.
    page = client.get("/stats/" + JUNE_QUERY).content.decode()
    form = re.search(r'action="([^"]+)" class="export-form" id="ranking-export"', page)
    assert form is not None
    assert 'name="unmask"' not in page  # figures only: nothing to unmask
    response = client.post(html.unescape(form.group(1)))
    assert response.status_code == 200, response.content[:300]
    workbook = workbook_of(b"".join(response.streaming_content))
    rows = sheet_rows(workbook, SHEET)
    assert rows[0] == HEADERS
    ranking = department_ranking(county, JUNE)
    assert [row[1] for row in rows[1:]] == [r.label for r in ranking]
    assert [row[0] for row in rows[1:]] == list(range(1, len(ranking) + 1))
    first = dict(zip(HEADERS, rows[1], strict=True))
    figures = ranking[0].figures
    assert first["收件数"] == figures.received and first["办结数"] == figures.closed
    assert figures.closure_rate is not None
    assert Decimal(str(first["办结率"])).quantize(Decimal("0.0001")) == figures.closure_rate
    info = {row[0]: row[1] for row in sheet_rows(workbook, INFO_SHEET) if row and row[0]}
    assert info["统计期间"] == "2026-06-01 至 2026-06-30"
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.detail["kind"] == "department_performance"
    assert entry.detail["filters"] == {"kind": "month", "day": "2026-06-01"}


def test_bad_period_is_refused_and_non_readers_are_turned_away(
    client: Any, dataset: Dataset
) -> None:
    client.force_login(dataset.world.county_operator)
    response = client.post("/ledgers/export/performance/?kind=month&day=2026-02-30")
    assert response.status_code == 400
    assert "2026-02-30" in response.content.decode()
    client.force_login(dataset.world.a.users["grid_worker"])
    assert client.post("/ledgers/export/performance/" + JUNE_QUERY).status_code == 403
    assert not ExportJob.objects.exists()
