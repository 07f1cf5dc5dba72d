"""The dashboards over HTTP: what the page is given equals the figure functions; drill-down,
scope, roles and bad input."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from fengqiao.stats.metrics import case_breakdown, case_figures, department_ranking
from fengqiao.stats.tests.conftest import JUNE, Dataset

pytestmark = pytest.mark.django_db
URL = "/stats/"
JUNE_QUERY = {"kind": "month", "day": "2026-06-01"}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _charts(html: str) -> dict[str, Any]:
    match = re.search(r'<script id="stats-charts" type="application/json">(.*?)</script>', html)
    assert match, "the page carries its chart data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_the_county_dashboard_shows_the_figures(dataset: Dataset) -> None:
    county = dataset.world.county_operator
    response = _client(county).get(URL, JUNE_QUERY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "28.57%" in html and "66.66%" in html
    charts = _charts(html)
    territories = case_breakdown(county, JUNE, by="territory")
    assert charts["territory"]["categories"] == ["双堰街道", "文腾街道"]
    assert charts["territory"]["series"][0]["data"] == [r.figures.received for r in territories]
    trend = case_breakdown(county, JUNE, by="day")
    assert sum(charts["trend"]["series"][0]["data"]) == case_figures(county, JUNE).received
    assert len(charts["trend"]["categories"]) == len(trend) == 30
    ranking = department_ranking(county, JUNE)
    assert charts["ranking"]["series"][0]["data"] == [66.66, 0.0]
    assert [row.label for row in ranking] == charts["ranking"]["categories"]


def test_drill_down_into_a_township_with_htmx(dataset: Dataset) -> None:
    client = _client(dataset.world.county_operator)
    response = client.get(URL, {**JUNE_QUERY, "territory": "520524001"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # only the board
    charts = _charts(html)
    assert charts["territory"]["categories"] == ["双堰街道一村"]
    assert charts["territory"]["series"][0]["data"] == [5]
    assert "40.00%" in html  # 2 of A's 5 closed


def test_a_township_leader_sees_only_the_township(dataset: Dataset) -> None:
    client = _client(dataset.world.a.users["township_operator"])
    html = client.get(URL, JUNE_QUERY).content.decode()
    assert _charts(html)["territory"]["series"][0]["data"] == [5]
    assert client.get(URL, {**JUNE_QUERY, "territory": "520524002"}).status_code == 404
    # Asking for the county gives the township: the reader's scope is the limit.
    wider = client.get(URL, {**JUNE_QUERY, "territory": "520524"}).content.decode()
    assert _charts(wider)["territory"]["series"][0]["data"] == [5]


def test_only_centers_and_leaders_read_dashboards(dataset: Dataset) -> None:
    for role in ("grid_worker", "dept_handler", "unit_head"):
        assert _client(dataset.world.a.users[role]).get(URL).status_code == 403
    assert _client(dataset.world.a.users["dept_leader"]).get(URL, JUNE_QUERY).status_code == 200
    assert Client().get(URL).status_code == 302  # to the login page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"kind": "fortnight"}, "day, week, month, year, custom"),
        ({"kind": "month", "day": "2026-13-01"}, "2026-06-30"),
        ({"kind": "custom", "first": "2026-06-10", "last": "2026-06-01"}, "swap"),
        ({"kind": "custom", "first": "2026-06-10"}, "first and a last"),
        ({"channel": "fax"}, "fax"),
        ({"department": "x"}, "number"),
    ],
)
def test_bad_parameters_say_what_to_fix(
    dataset: Dataset, query: dict[str, str], message: str
) -> None:
    client = _client(dataset.world.county_operator)
    client.cookies["django_language"] = "en"
    response = client.get(URL, query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_big_screen_and_map_render(dataset: Dataset) -> None:
    client = _client(dataset.world.county_operator)
    screen = client.get("/stats/screen/", JUNE_QUERY)
    assert screen.status_code == 200
    html = screen.content.decode()
    assert 'http-equiv="refresh"' in html and "big-screen" in html
    assert _charts(html)["territory"]["series"][0]["data"] == [5, 2]
    page = client.get("/stats/map/", {"by": "overdue"})
    assert page.status_code == 200
    match = re.search(
        r'<script id="map-data" type="application/json">(.*?)</script>', page.content.decode()
    )
    assert match
    places = {p["code"]: p for p in json.loads(match.group(1))["places"]}
    assert (places["520524001"]["open_cases"], places["520524001"]["overdue"]) == (2, 2)
    assert (places["520524002"]["open_cases"], places["520524002"]["overdue"]) == (2, 1)


def _tile(html: str, name: str) -> str:
    match = re.search(
        rf'data-figure="{name}"><header>[^<]*</header><strong class="value">([^<]*)</strong>', html
    )
    assert match, f"the headline has the {name} figure"
    return match.group(1)


def test_the_seed_s_register_shows_92_48_percent_on_the_dashboard(world: Any) -> None:
    from fengqiao.disputes.tests.test_metrics import bulk_register

    # The page's register: 2,914 screened this year, 2,695 resolved (化解率 92.48%), over
    # both townships; last year's disputes are the previous period's.
    codes = [world.a.village.territory_code, world.b.village.territory_code]
    bulk_register(year=2026, screened=2914, resolved=2695, territory_codes=codes)
    bulk_register(year=2025, screened=100, resolved=90, territory_codes=codes)
    county = _client(world.county_operator)
    year = {"kind": "year", "day": "2026-06-01"}

    html = county.get(URL, year).content.decode()
    assert _tile(html, "resolution_rate") == "92.48%"
    assert "+2.48" in html  # against last year's 90.00%, in percentage points

    township = county.get(URL, {**year, "territory": world.a.area.territory_code})
    assert _tile(township.content.decode(), "resolution_rate") == "92.51%"  # 1,348 of 1,457
    by_category = county.get(URL, {**year, "type": "complaint"}).content.decode()
    assert 'data-figure="resolution_rate"' not in by_category  # disputes have no case type
