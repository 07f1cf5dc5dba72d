"""The SMS backends, the rating reminder task, the log redaction, the deploy check and the
demo guide."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest
from django.test import Client

from fengqiao.cases.choices import Rating
from fengqiao.cases.services import case_rate
from fengqiao.conftest import World
from fengqiao.residents import sms
from fengqiao.residents.checks import check_sms_backend
from fengqiao.residents.logging import RedactTokensFilter, redact
from fengqiao.residents.models import RatingReminder, ServiceGuideEntry
from fengqiao.residents.tasks import remind_unrated
from fengqiao.residents.tests.conftest import PHONE, Plate, only_case, submit_report, tracking_url
from fengqiao.residents.tests.test_tracking import handle_and_reply

pytestmark = pytest.mark.django_db

TOKEN = "Z_ulSQ6esBiiVdg9Za0vzQ"
TRACKING = "b3e1cd53-d55c-4e7d-bb27-1308f5147d0b"


# --- SMS backends ----------------------------------------------------------------------


def test_the_console_backend_logs_with_the_phone_masked(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.RESIDENTS_SMS_BACKEND = "fengqiao.residents.sms.ConsoleSmsBackend"
    with caplog.at_level(logging.WARNING, logger="fengqiao.residents.sms"):
        sms.sms_send(
            phone="+86 139 1234 5678", template="verification_code", code="123456", minutes="5"
        )
    assert "139****5678" in caplog.text and "123456" in caplog.text
    assert PHONE not in caplog.text
    assert sms.sms_backend().shows_code_on_page


def test_the_locmem_backend_keeps_messages_and_can_fail(settings: Any) -> None:
    sms.sms_send(phone=PHONE, template="rating_reminder", number="1", link="https://x/d/t/y/")
    assert sms.outbox[0].text == "【枫桥】您反映的事项1已答复，请评价办理结果：https://x/d/t/y/"
    assert not sms.sms_backend().shows_code_on_page
    settings.RESIDENTS_SMS_OPTIONS = {"fail": True}
    with pytest.raises(sms.SmsError):
        sms.sms_send(phone=PHONE, template="rating_reminder", number="1", link="x")


def test_a_backend_must_be_an_sms_backend(settings: Any) -> None:
    settings.RESIDENTS_SMS_BACKEND = "fengqiao.residents.sms.SmsMessage"
    with pytest.raises(TypeError):
        sms.sms_backend()


def test_the_deploy_check_tells_about_the_demo_channel(settings: Any) -> None:
    settings.RESIDENTS_SMS_BACKEND = "fengqiao.residents.sms.ConsoleSmsBackend"
    assert [m.id for m in check_sms_backend()] == ["residents.I001"]
    settings.RESIDENTS_SMS_BACKEND = "fengqiao.residents.sms.LocmemSmsBackend"
    assert check_sms_backend() == []
    settings.RESIDENTS_SMS_BACKEND = "nowhere.Backend"
    assert [m.id for m in check_sms_backend()] == ["residents.W002"]


def test_a_failed_code_message_is_said_and_no_code_kept(
    client: Client, plate: Plate, settings: Any
) -> None:
    settings.RESIDENTS_SMS_OPTIONS = {"fail": True}
    page = client.post(
        f"{plate.url}report/",
        {"send_code": "1", "phone": PHONE},
        headers={"X-Requested-With": "fetch"},
    )
    assert page.status_code == 503 and page.json()["ok"] is False


# --- The rating reminder -----------------------------------------------------------------


def test_one_reminder_per_unrated_released_reply(
    client: Client, world: World, plate: Plate, clock: Any, settings: Any
) -> None:
    settings.RESIDENTS_RATING_REMINDER_HOURS = 24
    link = tracking_url(submit_report(client, plate))
    case = handle_and_reply(world, only_case())
    sms.outbox.clear()
    clock.shift(datetime.timedelta(hours=23))
    assert remind_unrated() == 0  # not yet
    clock.shift(datetime.timedelta(hours=2))
    assert remind_unrated() == 1
    assert remind_unrated() == 0  # idempotent
    (message,) = sms.outbox
    assert message.template == "rating_reminder" and message.phone == PHONE
    assert message.params == {"number": case.number, "link": f"https://fq.example.cn{link}"}
    assert RatingReminder.objects.get().sent_at is not None


def test_no_reminder_once_rated_nor_without_a_verified_phone(
    client: Client, world: World, plate: Plate, clock: Any
) -> None:
    from fengqiao.cases.choices import CaseType, Channel, ReporterKind
    from fengqiao.cases.models import Case, Category
    from fengqiao.cases.services import ReporterInput, case_submit

    submit_report(client, plate)
    rated = handle_and_reply(world, only_case())
    case_rate(case=rated, rating=Rating.SATISFIED)
    # A case entered at the window with a phone nobody verified.
    window, _ = case_submit(
        case_type=CaseType.HELP,
        category=Category.objects.get(code="noise"),
        channel=Channel.WINDOW,
        title="窗口登记",
        description="窗口登记的事项",
        territory_code=world.a.household.territory_code,
        reporter=ReporterInput(kind=ReporterKind.PERSON, phone="13600000000"),
        actor=world.a.users["township_operator"],
    )
    handle_and_reply(world, Case.objects.get(pk=window.pk))
    sms.outbox.clear()
    clock.shift(datetime.timedelta(days=3))
    assert remind_unrated() == 0 and sms.outbox == []


def test_a_reopened_case_replied_again_gets_a_new_reminder(
    client: Client, world: World, plate: Plate, clock: Any
) -> None:
    from fengqiao.cases.services import case_reply, case_review_reply, case_sign

    link = tracking_url(submit_report(client, plate))
    handle_and_reply(world, only_case())
    clock.shift(datetime.timedelta(days=2))
    assert remind_unrated() == 1
    client.post(link, {"rating": Rating.UNSATISFIED, "comment": "还是很吵"})
    case = case_sign(case=only_case(), actor=world.a.users["dept_handler"])
    case = case_reply(case=case, actor=world.a.users["dept_handler"], text="再次处理")
    case_review_reply(case=case, actor=world.a.users["township_operator"], approve=True)
    assert remind_unrated() == 0
    clock.shift(datetime.timedelta(days=2))
    assert remind_unrated() == 1
    assert sorted(RatingReminder.objects.values_list("round", flat=True)) == [0, 1]


def test_a_failed_reminder_is_tried_again(
    client: Client, world: World, plate: Plate, clock: Any, settings: Any
) -> None:
    submit_report(client, plate)
    handle_and_reply(world, only_case())
    clock.shift(datetime.timedelta(days=2))
    settings.RESIDENTS_SMS_OPTIONS = {"fail": True}
    assert remind_unrated() == 0
    assert RatingReminder.objects.get().error
    settings.RESIDENTS_SMS_OPTIONS = {}
    assert remind_unrated() == 1
    assert RatingReminder.objects.get().attempts == 2


# --- Tokens stay out of the logs ----------------------------------------------------------


def test_redact_hides_doorplate_tokens_and_tracking_links() -> None:
    assert redact(f"GET /d/{TOKEN}/report/ HTTP/1.1") == "GET /d/[redacted]/report/ HTTP/1.1"
    assert (
        redact(f"https://fq.example.cn/d/t/{TRACKING}/") == "https://fq.example.cn/d/t/[redacted]/"
    )
    assert redact("/d/find/") == "/d/find/" and redact("/cases/d/x") == "/cases/d/x"


def test_the_filter_redacts_django_request_records() -> None:
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (f"/d/{TOKEN}/",), None
    )
    assert RedactTokensFilter().filter(record)
    assert record.getMessage() == "Not Found: /d/[redacted]/"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, f"seen /d/t/{TRACKING}/", None, None)
    RedactTokensFilter().filter(record)
    assert TRACKING not in record.getMessage()


def test_the_gunicorn_logger_redacts_every_field() -> None:
    from types import SimpleNamespace

    from gunicorn.config import Config

    from fengqiao.residents.logging import RedactingGunicornLogger

    logger = RedactingGunicornLogger(Config())
    request = SimpleNamespace(
        headers=[("REFERER", f"https://fq.example.cn/d/{TOKEN}/"), ("USER-AGENT", "phone")],
        method="GET",
        path=f"/d/{TOKEN}/report/",
        query="",
        version=(1, 1),
        uri=f"/d/{TOKEN}/report/",
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/d/{TOKEN}/report/",
        "PATH_INFO": f"/d/{TOKEN}/report/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_REFERER": f"https://fq.example.cn/d/{TOKEN}/",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[], response_length=10)
    atoms = logger.atoms(response, request, environ, datetime.timedelta(seconds=0.1))
    assert TOKEN not in repr(atoms)
    assert "/d/[redacted]/report/" in atoms["r"]


def test_refusals_are_logged_without_the_token(
    client: Client, plate: Plate, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        client.post(f"{plate.url}report/", {"description": "x"})
        client.get(f"/d/{TOKEN}/")
    assert plate.token not in caplog.text and TOKEN not in caplog.text
    assert "/d/[redacted]/report/" in caplog.text


# --- The demo guide and its editing ----------------------------------------------------------


def test_the_demo_guide_loads_once(world: World) -> None:
    from fengqiao.residents.demo import ENTRIES, load_demo

    code = world.a.area.territory_code
    assert load_demo(township_code=code, actor=world.admin) == len(ENTRIES)
    assert load_demo(township_code=code, actor=world.admin) == 0
    entry = ServiceGuideEntry.objects.get(territory_code=code, title="身份证办理与补领")
    assert entry.online and entry.category is not None and "户口簿" in entry.what_to_bring


def test_only_an_administrator_of_the_area_edits_the_guide(world: World) -> None:
    from django.core.exceptions import PermissionDenied

    from fengqiao.residents.services import guide_entry_save

    entry = ServiceGuideEntry(
        territory_code=world.a.area.territory_code, title="新事项", where="镇政府"
    )
    with pytest.raises(PermissionDenied):
        guide_entry_save(entry=entry, actor=world.a.users["township_operator"])
    guide_entry_save(entry=entry, actor=world.admin)
    assert entry.pk is not None and entry.updated_by == world.admin
