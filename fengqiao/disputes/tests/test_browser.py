"""The register in a real browser: a grid worker registers a dispute found on a visit (on a
phone) and sends it up to the village; the village center assigns it to its mediation
committee; the mediator records a session, the agreement reached and the written agreement,
prints the agreement PDF; the grid worker records the performance visit and the mediator the
judicial confirmation. Each person logs in through the login page in a browser of their own."""

from __future__ import annotations

import datetime
import os
import re
from typing import Any

import pytest

from fengqiao.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, World
from fengqiao.disputes.choices import DisputeStatus, EventKind
from fengqiao.disputes.models import Dispute, MediationAgreement
from fengqiao.disputes.tests.conftest import APPLICANT_ID, RESPONDENT_ID, Mediation

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium is not installed"),
]


def test_a_dispute_from_a_grid_visit_to_judicial_confirmation(
    world: World,
    mediation: Mediation,
    live_server: Any,
    orm_beside_playwright: None,
    flushable_audit_log: None,
) -> None:
    from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

    base = live_server.url
    today = datetime.date.today()
    occurred = (today - datetime.timedelta(days=5)).isoformat()

    def log_in(browser: Browser, username: str, viewport: dict[str, int]) -> Page:
        page = browser.new_context(viewport=viewport, locale="zh-CN").new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{base}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{base}/")
        return page

    def send(page: Page, button: Locator) -> None:
        with page.expect_navigation():
            button.click()

    def move(page: Page, name: str, **fields: str) -> None:
        """Open the move's fold if it is closed, fill it in and send it."""
        form = page.locator(f"form[action$='/{name}/']").first
        fold = page.locator(f"details:has(form[action$='/{name}/']) > summary")
        if fold.count() and not form.is_visible():
            fold.first.click()
        for field, value in fields.items():
            control = form.locator(f"[name={field}]")
            tag = control.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
            if tag.startswith("select"):
                control.select_option(value)
            elif tag == "input:checkbox":
                control.check()
            else:
                control.fill(value)
        send(page, form.locator("button[type=submit]").first)

    def dispute_now() -> Dispute:
        return Dispute.objects.get()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # The grid worker, on a phone, registers what the visit found.
            grid = log_in(browser, "grid1", PHONE)
            grid.goto(f"{base}/disputes/")
            expect(grid.locator("strong.rate")).to_have_text("—")
            send(grid, grid.locator("a.register-dispute"))
            grid.fill("input[name=name]", "宅基地排水沟纠纷")
            grid.select_option("select[name=dispute_type]", "housing_homestead")
            grid.fill("input[name=occurred_on]", occurred)
            grid.fill("input[name=place]", "双堰街道一村三组")
            grid.fill("textarea[name=summary]", "乙方修建围墙占用公共排水沟，积水倒灌甲方厨房。")
            grid.select_option("select[name=risk_level]", "medium")
            grid.fill("input[name=party-0-name]", "张某甲")
            grid.fill("input[name=party-0-id_number]", APPLICANT_ID)
            grid.fill("input[name=party-0-address]", "双堰街道一村三组12号")
            grid.fill("input[name=party-1-name]", "李某乙")
            grid.fill("input[name=party-1-id_number]", RESPONDENT_ID)
            grid.fill("input[name=party-1-address]", "双堰街道一村三组14号")
            send(grid, grid.locator("form.dispute-register button[type=submit]"))
            assert re.search(r"/disputes/D520524-\d{4}-\d{5}/$", grid.url)
            dispute = dispute_now()
            assert (dispute.holder_code, dispute.parties.count()) == (world.a.grid.code, 2)
            # Identities are masked on the page; nothing is wider than the phone.
            expect(grid.locator("table.parties")).not_to_contain_text(APPLICANT_ID)
            expect(grid.locator("table.parties")).to_contain_text(APPLICANT_ID[-4:])
            assert grid.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            move(grid, "escalate", reason="需要村调委会调解")
            expect(grid.locator("ol.timeline")).to_contain_text("需要村调委会调解")
            assert dispute_now().holder_code == world.a.village.territory_code

            # The village center assigns it to its committee and mediator.
            village = log_in(browser, "village1", DESKTOP)
            village.goto(f"{base}/disputes/")
            send(village, village.locator(f"a[href='/disputes/{dispute.number}/']"))
            move(village, "assign", mediator=str(mediation.mediator.pk))
            assert dispute_now().status == DisputeStatus.MEDIATING

            # The mediator: a session, the agreement reached, the written agreement.
            mediator = log_in(browser, "mediator1", DESKTOP)
            mediator.goto(f"{base}/disputes/{dispute.number}/")
            move(
                mediator,
                "session",
                place="一村调解室",
                participants="张某甲、李某乙、王调解",
                record="双方同意乙方拆除占用排水沟部分的围墙并赔偿800元。",
                parties_confirmed="on",
            )
            expect(mediator.locator("#sessions")).to_contain_text("拆除占用排水沟")
            move(mediator, "outcome", outcome="agreement", agreement_form="written")
            assert dispute_now().status == DisputeStatus.AGREED
            # Leaving out a required element is refused with what to fix.
            move(mediator, "agreement", responsibilities="乙方负主要责任。")
            expect(mediator.locator("p.message.error")).to_be_visible()
            assert not MediationAgreement.objects.exists()
            due = (today + datetime.timedelta(days=20)).isoformat()
            move(
                mediator,
                "agreement",
                responsibilities="乙方负主要责任，甲方负次要责任。",
                rights_obligations="乙方于期限内拆除围墙并赔偿甲方800元。",
                performance_method="乙方自行拆除；赔偿款当面交付",
                performance_deadline=due,
            )
            agreement = MediationAgreement.objects.get()
            expect(mediator.locator(".agreement-number")).to_have_text(agreement.number)
            links = mediator.locator("a.agreement-pdf")
            expect(links).to_have_count(3)  # one per party and the archive copy
            href = links.last.get_attribute("href")
            assert href == f"/disputes/agreements/{agreement.pk}/pdf/archive/"
            pdf = mediator.request.get(f"{base}{href}")
            if pdf.status != 404:  # the ledger developer's view, once it is there
                assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

            # The grid worker visits: the agreement has been performed.
            grid.goto(f"{base}/disputes/{dispute.number}/")
            move(grid, "follow_up", result="performed", note="围墙已拆，赔偿款已付")
            assert dispute_now().status == DisputeStatus.RESOLVED

            # The mediator records the judicial confirmation: application, then the ruling.
            mediator.goto(f"{base}/disputes/{dispute.number}/")
            move(mediator, "confirmation_apply", court="织金县人民法院")
            move(
                mediator,
                "confirmation_decide",
                decision="confirmed",
                ruling_number="（2026）黔0524民特12号",
            )
            expect(mediator.locator("#confirmations")).to_contain_text("（2026）黔0524民特12号")
            dispute = dispute_now()
            assert dispute.confirmed_on == today and dispute.performed_on == today
            kinds = list(dispute.events.values_list("kind", flat=True))
            assert kinds.count(EventKind.CONFIRMATION) == 2
            assert EventKind.FOLLOW_UP in kinds and EventKind.AGREEMENT in kinds

            # The register now counts it resolved.
            village.goto(f"{base}/disputes/")
            expect(village.locator("strong.rate")).to_have_text("100.00%")
        finally:
            browser.close()
