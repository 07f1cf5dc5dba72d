"""Reporting from a doorplate: the code, the photos, the case in the loop, the refusals."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from fengqiao.cases.choices import CaseStatus, Channel, ReporterKind
from fengqiao.cases.models import Case, CaseAttachment, Category, RoutingRule
from fengqiao.cases.routing import invalidate_routing
from fengqiao.conftest import World
from fengqiao.core.privacy import lookup_digest
from fengqiao.org.models import Department
from fengqiao.residents import sms
from fengqiao.residents.models import ResidentReport
from fengqiao.residents.tests.conftest import (
    PHONE,
    Plate,
    ask_code,
    jpeg,
    last_code,
    only_case,
    report_data,
    submit_report,
    tracking_url,
)

pytestmark = pytest.mark.django_db


def test_the_report_form_shows_the_privacy_notice_and_the_fields(
    client: Client, plate: Plate
) -> None:
    page = client.get(f"{plate.url}report/")
    assert page.status_code == 200
    html = page.content.decode()
    for name in ("case_type", "category", "description", "photos", "phone", "code", "send_code"):
        assert f'name="{name}"' in html
    assert "加密" in html  # the privacy notice, in plain words
    assert "pico" not in html  # the residents' own light stylesheet
    assert page["Referrer-Policy"] == "strict-origin"
    assert "no-cache" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]


def test_asking_for_a_code_sends_one_and_the_script_gets_json(client: Client, plate: Plate) -> None:
    answer = client.post(
        f"{plate.url}report/",
        {"send_code": "1", "phone": "139 1234 5678"},
        headers={"X-Requested-With": "fetch"},
    )
    assert answer.status_code == 200
    data = answer.json()
    assert data["ok"] is True and data["demo_code"] is None  # the test channel is no demo
    assert [m.template for m in sms.outbox] == ["verification_code"]
    assert sms.outbox[0].phone == PHONE


def test_the_demo_channel_shows_the_code_labelled_as_such(
    client: Client, plate: Plate, settings: Any
) -> None:
    settings.RESIDENTS_SMS_BACKEND = "fengqiao.residents.sms.ConsoleSmsBackend"
    # Without script: the whole form comes back with what was typed, and the code shown.
    page = client.post(
        f"{plate.url}report/",
        {"send_code": "1", "phone": PHONE, "description": "路灯坏了好几天"},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "演示短信通道" in html and 'class="demo-code"' in html
    assert "路灯坏了好几天" in html and PHONE in html
    assert "errorlist" not in html  # the other fields are not yet complained about


def test_a_bad_phone_gets_no_code(client: Client, plate: Plate) -> None:
    page = ask_code(client, f"{plate.url}report/", phone="12345")
    assert page.status_code == 400
    assert "11 位" in page.content.decode()
    assert sms.outbox == []


def test_a_report_enters_the_case_loop_from_the_doorplate(
    client: Client,
    world: World,
    plate: Plate,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = submit_report(client, plate, photos=[jpeg("a.jpg"), jpeg("b.jpg")])
    assert response.status_code == 302
    case = only_case()
    assert case.channel == Channel.QR_DOORPLATE
    assert case.household == world.a.household
    assert case.territory_code == world.a.household.territory_code
    assert case.territory_code.startswith(world.a.grid.code)
    assert case.holder_code == world.a.area.territory_code  # the township center (后台派单)
    assert case.status == CaseStatus.SUBMITTED
    reporter = case.reporters.get()
    assert reporter.kind == ReporterKind.HOUSEHOLD
    assert reporter.phone_digest == lookup_digest(PHONE, "phone")
    assert ResidentReport.objects.get(reporter=reporter).doorplate == plate.doorplate
    # The photos, with their location gone.
    photos = CaseAttachment.objects.filter(case=case)
    assert photos.count() == 2
    for photo in photos:
        with photo.file.open("rb") as stored, Image.open(stored) as image:
            assert 0x8825 not in image.getexif()
    # The confirmation: the number and when the answer comes.
    page = client.get(response["Location"])
    html = page.content.decode()
    assert case.number in html
    assert "2026-06-09 23:59" in html  # one working day (Tuesday's end)
    # The receipt by SMS, with the private link.
    receipt = sms.outbox[-1]
    assert receipt.template == "case_received"
    assert receipt.params["number"] == case.number
    assert receipt.params["link"] == f"https://fq.example.cn{tracking_url(response)}"


def test_a_routing_rule_sends_the_case_on_at_once(
    client: Client, world: World, plate: Plate, clock: Any
) -> None:
    police = Department.objects.get(name="双堰街道派出所")
    RoutingRule.objects.create(
        category=Category.objects.get(code="public_security"),
        territory_code=world.a.area.territory_code,
        department=police,
        handle_directly=True,
    )
    invalidate_routing()
    response = submit_report(client, plate)
    case = only_case()
    assert (case.status, case.lead_department) == (CaseStatus.DISPATCHED, police)
    page = client.get(response["Location"]).content.decode()
    assert case.reply_due_at is not None and "2026-06-09 23:59" in page


def test_a_wrong_code_is_refused_and_the_form_kept(client: Client, plate: Plate) -> None:
    url = f"{plate.url}report/"
    ask_code(client, url)
    right = last_code()
    wrong = "000000" if right != "000000" else "111111"
    page = client.post(url, report_data(code=wrong))
    assert page.status_code == 400
    html = page.content.decode()
    assert "验证码不正确" in html and "楼下烧烤店" in html
    assert not Case.objects.exists()
    # The right code still works after one mistake.
    assert client.post(url, report_data(code=right)).status_code == 302


def test_five_wrong_codes_use_the_code_up(client: Client, plate: Plate) -> None:
    url = f"{plate.url}report/"
    ask_code(client, url)
    right = last_code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        client.post(url, report_data(code=wrong))
    page = client.post(url, report_data(code=right))
    assert page.status_code == 400
    assert "重新获取" in page.content.decode()
    assert not Case.objects.exists()


def test_a_code_for_another_phone_does_not_count(client: Client, plate: Plate) -> None:
    url = f"{plate.url}report/"
    ask_code(client, url, phone="13700000000")
    page = client.post(url, report_data(code=last_code()))
    assert page.status_code == 400
    assert not Case.objects.exists()


def test_a_wrong_type_upload_is_refused_and_the_rest_kept(client: Client, plate: Plate) -> None:
    url = f"{plate.url}report/"
    ask_code(client, url)
    code = last_code()
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    page = client.post(url, report_data(code=code, photos=[jpeg(), fake]))
    assert page.status_code == 400
    html = page.content.decode()
    assert "photo.jpg" in html and "不是" in html  # names the file and says why
    assert "楼下烧烤店" in html and PHONE in html and code in html  # the rest is kept
    assert not Case.objects.exists() and not CaseAttachment.objects.exists()
    # A PDF is a document, not a photo: residents send photos only.
    pdf = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n%...", content_type="application/pdf")
    page = client.post(url, report_data(code=code, photos=[pdf]))
    assert page.status_code == 400 and "scan.pdf" in page.content.decode()
    # The code was not used up by the refused sends.
    assert client.post(url, report_data(code=code, photos=[jpeg()])).status_code == 302


def test_an_oversized_photo_is_refused_and_the_rest_kept(client: Client, plate: Plate) -> None:
    url = f"{plate.url}report/"
    ask_code(client, url)
    # Random pixels do not compress: an 11 MB PNG.
    import os

    side = 1920
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=0)
    assert buffer.tell() > 10 * 1024 * 1024
    big = SimpleUploadedFile("huge.png", buffer.getvalue(), content_type="image/png")
    page = client.post(url, report_data(code=last_code(), photos=[big]))
    assert page.status_code == 400
    html = page.content.decode()
    assert "huge.png" in html and "10 MB" in html
    assert "楼下烧烤店" in html
    assert not Case.objects.exists()


def test_seven_photos_are_too_many(client: Client, plate: Plate) -> None:
    url = f"{plate.url}report/"
    ask_code(client, url)
    page = client.post(
        url, report_data(code=last_code(), photos=[jpeg(f"{i}.jpg") for i in range(7)])
    )
    assert page.status_code == 400
    assert "6" in page.content.decode()
    assert not Case.objects.exists()


def test_sending_the_form_twice_gives_one_case(client: Client, plate: Plate) -> None:
    url = f"{plate.url}report/"
    ask_code(client, url)
    data = report_data(code=last_code())
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1


def test_a_revoked_plate_cannot_report(client: Client, world: World, plate: Plate) -> None:
    from fengqiao.doorplates.services import doorplate_revoke

    url = f"{plate.url}report/"
    ask_code(client, url)
    code = last_code()
    doorplate_revoke(
        doorplate=plate.doorplate, actor=world.a.users["township_operator"], reason="门牌丢失"
    )
    page = client.post(url, report_data(code=code))
    assert page.status_code == 410
    assert not Case.objects.exists()


def test_a_guide_entry_preselects_the_form(client: Client, world: World, plate: Plate) -> None:
    from fengqiao.residents.demo import load_demo

    load_demo(township_code=world.a.area.territory_code, actor=None)
    load_demo(township_code=world.b.area.territory_code, actor=None)
    from fengqiao.residents.models import ServiceGuideEntry

    mine = ServiceGuideEntry.objects.get(
        territory_code=world.a.area.territory_code, title="身份证办理与补领"
    )
    theirs = ServiceGuideEntry.objects.get(
        territory_code=world.b.area.territory_code, title="身份证办理与补领"
    )
    html = client.get(f"{plate.url}report/?guide={mine.pk}").content.decode()
    assert f'<option value="{Category.objects.get(code="id_card").pk}" selected>' in html
    assert "身份证办理与补领" in html
    # Another township's entry is not found through this plate.
    html = client.get(f"{plate.url}report/?guide={theirs.pk}").content.decode()
    assert "身份证办理与补领" not in html
