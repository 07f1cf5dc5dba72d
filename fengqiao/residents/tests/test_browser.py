"""码上办 in a real browser, on a phone: scan the plate (open its address), report with a
photo, verify the SMS code shown by the demo channel, see the case number; the police
station replies and the center releases it in a browser of their own; back on the phone the
resident rates it unsatisfied and sees it reopened."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from PIL import Image

from fengqiao.cases.choices import CaseStatus, Channel, EventKind, Rating
from fengqiao.cases.models import Case, CaseAttachment, Category, RoutingRule
from fengqiao.cases.routing import invalidate_routing
from fengqiao.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, World
from fengqiao.org.models import Department
from fengqiao.residents.tests.conftest import Plate

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium is not installed"),
]


@pytest.fixture
def police_directly(world: World) -> Iterator[Department]:
    """Noise is the police station's own remit in township A: it takes such cases at once."""
    police = Department.objects.get(name="双堰街道派出所")
    RoutingRule.objects.create(
        category=Category.objects.get(code="public_security"),
        territory_code=world.a.area.territory_code,
        department=police,
        handle_directly=True,
    )
    invalidate_routing()
    yield police
    invalidate_routing()


@pytest.fixture
def phone_photo(tmp_path: Path) -> Path:
    """A phone-sized photo with a GPS position in its EXIF."""
    path = tmp_path / "IMG_20260608_0901.jpg"
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (26.0, 40.0, 0.0), 3: "E", 4: (105.0, 46.0, 0.0)}
    image = Image.effect_noise((2400, 1800), 60).convert("RGB")
    image.save(path, "JPEG", quality=95, exif=exif)
    return path


def test_scan_report_verify_reply_and_rate_unsatisfied(
    world: World,
    plate: Plate,
    live_server: Any,
    orm_beside_playwright: None,
    flushable_audit_log: None,
    police_directly: Department,
    phone_photo: Path,
    settings: Any,
) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    # The demo channel: the page shows the code it "sent".
    settings.RESIDENTS_SMS_BACKEND = "fengqiao.residents.sms.ConsoleSmsBackend"
    base = live_server.url

    def send(page: Page, selector: str) -> None:
        with page.expect_navigation():
            page.click(selector)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # The resident scans the plate: the phone opens its address.
            resident = browser.new_context(
                viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True
            ).new_page()
            resident.set_default_timeout(10_000)
            resident.goto(f"{base}/d/{plate.token}/")
            expect(resident.locator("h1.address")).to_have_text(world.a.household.doorplate)
            assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            send(resident, "a.button.primary")

            # Report: type, category, what happened, a photo.
            resident.select_option("select[name=case_type]", "complaint")
            resident.select_option(
                "select[name=category]", str(Category.objects.get(code="noise").pk)
            )
            resident.fill("textarea[name=description]", "楼下烧烤店每晚十一点后噪音很大。")
            resident.set_input_files("input[name=photos]", str(phone_photo))
            # The photo is made smaller on the phone before it is sent.
            expect(resident.locator("#photo-status")).to_contain_text("KB ✓")
            shrunk = resident.evaluate("document.querySelector('input[name=photos]').files[0].size")
            assert shrunk < phone_photo.stat().st_size

            # The phone number, verified by the code the demo channel shows.
            resident.fill("input[name=phone]", "13912345678")
            resident.click("#send-code")
            demo = resident.locator("#code-status .demo")
            expect(demo).to_contain_text("演示短信通道")
            code = resident.locator("#code-status .demo-code").inner_text().strip()
            assert re.fullmatch(r"\d{6}", code)
            resident.fill("input[name=code]", code)
            send(resident, "#report-form button.primary")

            # The confirmation: the case number and the answer deadline.
            case = Case.objects.get()
            expect(resident.locator("#case-number")).to_have_text(case.number)
            expect(resident.locator("#reply-by")).to_have_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
            assert case.channel == Channel.QR_DOORPLATE and case.household == world.a.household
            assert case.lead_department == police_directly
            assert CaseAttachment.objects.filter(case=case).count() == 1
            send(resident, "a.button.primary")
            tracking_url = resident.url
            expect(resident.locator("#case-status")).to_be_visible()

            # The police station, in a browser of its own: sign for it and reply.
            staff = browser.new_context(viewport=DESKTOP, locale="zh-CN")
            handler = staff.new_page()
            handler.set_default_timeout(10_000)
            handler.goto(f"{base}/login/")
            handler.fill("input[name=username]", "handler1")
            handler.fill("input[name=password]", PASSWORD)
            handler.click("main button[type=submit]")
            handler.wait_for_url(f"{base}/")
            handler.goto(f"{base}/cases/")
            with handler.expect_navigation():
                handler.locator("#q-to_sign tr", has_text=case.number).locator(
                    "button[type=submit]"
                ).click()
            handler.goto(f"{base}/cases/{case.number}/")
            form = handler.locator("form[action$='/reply/']").first
            fold = handler.locator("details:has(form[action$='/reply/']) > summary")
            if fold.count() and not form.is_visible():
                fold.first.click()
            form.locator("[name=text]").fill("已约谈店主，晚十点后停止户外经营。")
            with handler.expect_navigation():
                form.locator("button[type=submit]").first.click()
            assert Case.objects.get().status == CaseStatus.REPLIED

            # The township center releases the reply (another person, another browser).
            center = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
            center.set_default_timeout(10_000)
            center.goto(f"{base}/login/")
            center.fill("input[name=username]", "township1")
            center.fill("input[name=password]", PASSWORD)
            center.click("main button[type=submit]")
            center.wait_for_url(f"{base}/")
            center.goto(f"{base}/cases/")
            with center.expect_navigation():
                center.locator("#q-to_review tr", has_text=case.number).locator(
                    "button[type=submit]"
                ).click()
            assert Case.objects.get().reply_approved

            # Back on the phone: the answer is there; the resident is not satisfied.
            resident.goto(tracking_url)
            expect(resident.locator("#reply")).to_contain_text("已约谈店主")
            expect(resident.locator("ol.timeline")).not_to_contain_text("双堰街道民警")
            resident.fill("textarea[name=comment]", "晚上十一点以后还是很吵。")
            send(resident, "button[name=rating][value=unsatisfied]")
            expect(resident.locator("p.note")).to_contain_text("感谢您的评价")
            expect(resident.locator("#case-status")).to_have_text("已交办部门")
            expect(resident.locator("ol.timeline")).to_contain_text("已重新交办")
            expect(resident.locator("#rate")).to_have_count(0)
            assert resident.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        finally:
            browser.close()
            # ORM calls made while Playwright's loop runs get their own connection (Django's
            # connections are per context): close it, or PostgreSQL cannot drop the test
            # database at the end of the run.
            connections.close_all()

    case = Case.objects.get()
    assert case.status == CaseStatus.DISPATCHED and case.reopen_count == 1
    assert case.rating == Rating.UNSATISFIED
    kinds = list(case.events.order_by("id").values_list("kind", flat=True))
    assert kinds[-2:] == [EventKind.RATE, EventKind.REOPEN]
    with CaseAttachment.objects.get().file.open("rb") as stored, Image.open(stored) as image:
        assert 0x8825 not in image.getexif()
