"""The case loop in a real browser: a grid worker reports from a phone and sends the case up,
the village sends it to the township, the township center accepts and dispatches it in one
click, the police station signs for it and asks for hard-matter status, its leader
approves, the handler replies, and the center approves the reply. Each person logs in
through the login page in a browser of their own."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from fengqiao.cases.choices import CaseStatus, EventKind
from fengqiao.cases.models import Case, Category, RoutingRule
from fengqiao.cases.routing import invalidate_routing
from fengqiao.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, World
from fengqiao.org.models import Department

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium is not installed"),
]


@pytest.fixture
def police_rule(world: World) -> Iterator[Department]:
    police = Department.objects.get(name="双堰街道派出所")
    RoutingRule.objects.create(
        category=Category.objects.get(code="public_security"),
        territory_code=world.a.area.territory_code,
        department=police,
    )
    invalidate_routing()
    yield police
    invalidate_routing()


def test_a_case_from_the_grid_to_the_reply(
    world: World,
    live_server: Any,
    orm_beside_playwright: None,
    flushable_audit_log: None,
    police_rule: Department,
) -> None:
    from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

    base = live_server.url

    def log_in(browser: Browser, username: str, viewport: dict[str, int]) -> Page:
        # Chinese is the default language: the browser says so, as a county office's would.
        page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/")
        return page

    def send(page: Page, button: Locator) -> None:
        """Click a form's button and wait for the page it leads to (POST, redirect, GET)."""
        with page.expect_navigation():
            button.click()

    def submit_move(page: Page, move: str, **fields: str) -> None:
        """Open the move's fold if it has one, fill it in and send it."""
        form = page.locator(f"form[action$='/{move}/']").first
        fold = page.locator(f"details:has(form[action$='/{move}/']) > summary")
        if fold.count() and not form.is_visible():
            fold.first.click()
        for name, value in fields.items():
            form.locator(f"[name={name}]").fill(value)
        send(page, form.locator("button[type=submit]").first)

    def case_now() -> Case:
        return Case.objects.get()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # The grid worker, on a phone: report, then send it up to the village.
            grid = log_in(browser, "grid1", PHONE)
            grid.goto(f"{base}/cases/")
            grid.click("a.big-button[href='/cases/report/']")
            grid.select_option("select[name=case_type]", "complaint")
            grid.select_option("select[name=category]", str(Category.objects.get(code="noise").pk))
            grid.fill("input[name=title]", "楼下烧烤店夜间噪音")
            grid.fill("textarea[name=description]", "每晚十一点后噪音很大，涉及整栋楼。")
            send(grid, grid.locator("form.intake button[type=submit]"))
            assert re.search(r"/cases/520524-\d{8}-\d{5}/$", grid.url)
            case = case_now()
            assert case.holder_code == world.a.grid.code
            assert grid.viewport_size == PHONE
            # Nothing on the page is wider than the phone.
            assert grid.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            # A pasted link or serial number has no place to break: it must not widen the page.
            serial = "https://example.gov.cn/notice/" + "0123456789" * 8
            submit_move(grid, "escalate", reason=f"涉及多户，需要村里协调 {serial}")
            expect(grid.locator("ol.timeline")).to_contain_text("涉及多户，需要村里协调")
            assert grid.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            assert case_now().holder_code == world.a.village.territory_code

            # The village center sends it on to the township.
            village = log_in(browser, "village1", DESKTOP)
            village.goto(f"{base}/cases/")
            village.click(f"#q-to_accept a[href='/cases/{case.number}/']")
            submit_move(village, "escalate", reason="需要派出所处理")
            assert case_now().holder_code == world.a.area.territory_code

            # The township center: accept and dispatch in one click, to the suggestion.
            township = log_in(browser, "township1", DESKTOP)
            township.goto(f"{base}/cases/")
            row = township.locator("#q-to_accept tr", has_text=case.number)
            expect(row.locator("select[name=department]")).to_have_value(str(police_rule.pk))
            send(township, row.locator("form[action$='/dispatch/'] button[type=submit]"))
            expect(township.locator("#q-to_accept")).not_to_contain_text(case.number)
            case = case_now()
            assert (case.status, case.lead_department) == (CaseStatus.DISPATCHED, police_rule)

            # The police station signs for it and asks for hard-matter status.
            handler = log_in(browser, "handler1", DESKTOP)
            handler.goto(f"{base}/cases/")
            send(
                handler,
                handler.locator("#q-to_sign tr", has_text=case.number).locator(
                    "button[type=submit]"
                ),
            )
            assert case_now().status == CaseStatus.IN_PROGRESS
            handler.goto(f"{base}/cases/{case.number}/")
            submit_move(handler, "hard", reason="涉及多个部门，需要协调")

            # Its leader approves.
            leader = log_in(browser, "leader1", DESKTOP)
            leader.goto(f"{base}/cases/")
            approval = leader.locator("#q-approvals tr", has_text=case.number)
            approval.locator("input[name=note]").fill("同意按疑难件办理")
            send(leader, approval.locator("button[value=approve]"))
            assert case_now().is_hard

            # The handler replies; the center approves the reply.
            handler.goto(f"{base}/cases/{case.number}/")
            submit_move(handler, "reply", text="已约谈店主，晚十点后停止户外经营。")
            township.goto(f"{base}/cases/")
            send(
                township,
                township.locator("#q-to_review tr", has_text=case.number).locator(
                    "button[type=submit]"
                ),
            )
            township.goto(f"{base}/cases/{case.number}/")
            expect(township.locator(".case-head .status")).to_have_class(
                re.compile(r"\bs-replied\b")
            )
            expect(township.locator("ol.timeline")).to_contain_text("已约谈店主")
        finally:
            browser.close()

    case = case_now()
    assert case.status == CaseStatus.REPLIED and case.reply_approved and case.is_hard
    assert list(case.events.order_by("id").values_list("kind", flat=True)) == [
        EventKind.SUBMIT,
        EventKind.ESCALATE,
        EventKind.ESCALATE,
        EventKind.ACCEPT,
        EventKind.DISPATCH,
        EventKind.SIGN,
        EventKind.HARD_REQUEST,
        EventKind.HARD_DECISION,
        EventKind.REPLY,
        EventKind.REVIEW_APPROVE,
    ]
