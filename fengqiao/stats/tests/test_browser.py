"""The dashboards in Chromium: real ECharts instances whose series are the figures the
functions compute, a drill-down into a township by clicking its bar, the big screen."""

from __future__ import annotations

import os
from typing import Any

import pytest
import time_machine

from fengqiao.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, World
from fengqiao.stats.metrics import Filters, case_breakdown, department_ranking
from fengqiao.stats.tests.conftest import JUNE, at, build_dataset

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium is not installed"),
]
DESKTOP = {"width": 1366, "height": 900}
QUERY = "kind=month&day=2026-06-01"
DRAWN = (
    "() => window.echarts && echarts.getInstanceByDom(document.getElementById('chart-territory'))"
)
OPTION = """id => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  if (!chart) return null;
  const option = chart.getOption();
  return {
    categories: option.xAxis ? option.xAxis[0].data : option.series[0].data.map(d => d.name),
    series: option.series.map(s => s.data.map(d => (typeof d === "object" ? d.value : d))),
  };
}"""


def test_dashboard_drill_down_and_big_screen(
    world: World, live_server: Any, orm_beside_playwright: None, flushable_audit_log: None
) -> None:
    from playwright.sync_api import expect, sync_playwright

    with time_machine.travel(at(1, 9), tick=False) as clock:
        build_dataset(world, clock)
    county = world.county_operator
    territories = case_breakdown(county, JUNE, by="territory")
    villages = case_breakdown(county, JUNE, Filters(territory="520524001"), by="territory")
    ranking = department_ranking(county, JUNE)
    channels = case_breakdown(county, JUNE, by="channel")
    base = live_server.url

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", "county")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/stats/?{QUERY}")
        page.wait_for_function(DRAWN)
        expect(page.locator("#chart-territory canvas")).to_have_count(1)

        drawn = page.evaluate(OPTION, "chart-territory")
        assert drawn["categories"] == [r.label for r in territories] == ["双堰街道", "文腾街道"]
        assert drawn["series"] == [
            [r.figures.received for r in territories],
            [r.figures.closed for r in territories],
        ]
        drawn = page.evaluate(OPTION, "chart-ranking")
        assert drawn["categories"] == [r.label for r in ranking]
        assert drawn["series"] == [[float(r.figures.closure_rate * 100) for r in ranking]]
        drawn = page.evaluate(OPTION, "chart-channel")
        assert drawn["series"] == [[r.figures.received for r in channels]]
        assert sum(page.evaluate(OPTION, "chart-trend")["series"][0]) == 7
        expect(page.locator("[data-figure=closure_rate] .value")).to_have_text("28.57%")

        # Drill down: click 双堰街道's bar (the chart's own click handler, as a mouse click on
        # the bar fires it); htmx swaps the board for the township's.
        page.evaluate(
            """() => echarts.getInstanceByDom(document.getElementById('chart-territory'))
                 .trigger('click', {dataIndex: 0, componentType: 'series'})"""
        )
        page.wait_for_url("**territory=520524001**")
        expect(page.locator(".stats-board")).to_have_attribute("data-territory", "520524001")
        page.wait_for_function(
            "() => echarts.getInstanceByDom(document.getElementById('chart-territory'))"
        )
        drawn = page.evaluate(OPTION, "chart-territory")
        assert drawn["categories"] == [r.label for r in villages]
        assert drawn["series"][0] == [r.figures.received for r in villages] == [5]
        expect(page.locator("[data-figure=closure_rate] .value")).to_have_text("40.00%")

        # The filter form keeps the drill-down: phone cases of 双堰街道 (none; the county
        # has one, in 文腾街道).
        page.select_option("select[name=channel]", "phone")
        page.click("#stats-filters button[type=submit]")
        page.wait_for_url("**channel=phone**")
        expect(page.locator(".stats-board")).to_have_attribute("data-territory", "520524001")
        expect(page.locator("[data-figure=received] .value")).to_have_text("0")
        page.select_option("select[name=channel]", "")
        page.click("#stats-filters button[type=submit]")
        expect(page.locator("[data-figure=received] .value")).to_have_text("5")

        # Every chart has its table: the territory table, opened, lists the same rows.
        page.locator("#territory-table summary").click()
        expect(page.locator("#territory-table tbody tr").first).to_contain_text("双堰街道一村")

        # The big screen: dark, with the same figures.
        page.goto(f"{base}/stats/screen/?{QUERY}")
        page.wait_for_function(DRAWN)
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(11, 26, 46)"
        drawn = page.evaluate(OPTION, "chart-territory")
        assert drawn["series"][0] == [r.figures.received for r in territories]
        browser.close()
