"""In a real browser: a township center filters the case list with htmx, exports what it
shows (a small ledger: a download at once), then a bigger one that goes to the background
and is fetched from its progress page."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from fengqiao.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, World
from fengqiao.ledgers.cases import SHEET
from fengqiao.ledgers.models import ExportJob
from fengqiao.ledgers.tests.conftest import make_cases, sheet_rows, workbook_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium is not installed"),
]


def test_export_what_the_list_shows_then_a_big_one_in_the_background(
    world: World,
    live_server: Any,
    orm_beside_playwright: None,
    flushable_audit_log: None,
    settings: Any,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    make_cases(world, 9)  # 3 of each type
    base = live_server.url
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(locale="zh-CN", accept_downloads=True).new_page()
            page.set_default_timeout(10_000)
            page.goto(f"{base}/login/")
            page.fill("input[name=username]", "township1")
            page.fill("input[name=password]", PASSWORD)
            page.click("main button[type=submit]")
            page.wait_for_url(f"{base}/")
            page.goto(f"{base}/cases/all/")
            # The filter swaps the results with htmx and puts itself in the address bar.
            page.select_option("select[name=case_type]", "help")
            page.wait_for_url("**case_type=help**")
            expect(page.locator("#case-results")).to_contain_text("3")
            with page.expect_download() as download:
                page.click("button.export-link")
            saved = tmp_path / "small.xlsx"
            download.value.save_as(saved)
            rows = sheet_rows(workbook_of(saved.read_bytes()), SHEET)
            assert len(rows) - 1 == 3 and {row[2] for row in rows[1:]} == {"求助"}

            # A bigger ledger than the limit: the progress page, then its file.
            settings.LEDGERS_SYNC_MAX_ROWS = 2
            page.click("button.export-link")
            page.wait_for_url("**/ledgers/jobs/*/")
            link = page.locator("#job-progress a.download-link")
            expect(link).to_be_visible()
            with page.expect_download() as download:
                link.click()
            saved = tmp_path / "big.xlsx"
            download.value.save_as(saved)
            rows = sheet_rows(workbook_of(saved.read_bytes()), SHEET)
            assert len(rows) - 1 == 3
            assert ExportJob.objects.filter(background=True).count() == 1

            page.click("nav a[href='/ledgers/']")
            expect(page.locator("table.exports tbody tr")).to_have_count(2)
        finally:
            browser.close()
