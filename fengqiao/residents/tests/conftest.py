"""Fixtures of the residents' tests: a household with a working doorplate, the test SMS
channel, an empty cache (rate limits and codes live there), and a frozen clock."""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from fengqiao.cases.models import Case, Category
from fengqiao.cases.routing import invalidate_routing
from fengqiao.conftest import World
from fengqiao.doorplates.models import Doorplate
from fengqiao.doorplates.services import doorplate_issue
from fengqiao.residents import sms

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY_0900 = datetime.datetime(2026, 6, 8, 9, 0, tzinfo=SHANGHAI)
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _residents_settings(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"  # uploads stay out of var/
    settings.RESIDENTS_SMS_BACKEND = "fengqiao.residents.sms.LocmemSmsBackend"
    settings.PUBLIC_URL = "https://fq.example.cn"
    sms.outbox.clear()
    cache.clear()
    invalidate_routing()
    yield
    sms.outbox.clear()
    cache.clear()
    invalidate_routing()


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(MONDAY_0900, tick=False) as traveller:
        yield traveller


@dataclass
class Plate:
    doorplate: Doorplate
    token: str

    @property
    def url(self) -> str:
        return f"/d/{self.token}/"


def issue(world: World, household: Any) -> Plate:
    # A township of the household issues it (the other township's operator cannot).
    township = (
        world.a if household.territory_code.startswith(world.a.area.territory_code) else world.b
    )
    plate = doorplate_issue(household=household, actor=township.users["township_operator"])
    return Plate(plate, plate.token())


@pytest.fixture
def plate(world: World) -> Plate:
    return issue(world, world.a.household)


@pytest.fixture
def other_plate(world: World) -> Plate:
    return issue(world, world.b.household)


def jpeg(
    name: str = "photo.jpg", *, gps: bool = True, size: tuple[int, int] = (64, 48)
) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, "green")
    if gps:
        exif = Image.Exif()
        exif[0x8825] = {1: "N", 2: (26.0, 40.0, 0.0), 3: "E", 4: (105.0, 46.0, 0.0)}
        image.save(buffer, "JPEG", exif=exif)
    else:
        image.save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def last_code() -> str:
    """The code in the latest message of the test SMS channel."""
    message = sms.outbox[-1]
    assert message.template == "verification_code"
    return message.params["code"]


def ask_code(client: Client, url: str, phone: str = PHONE, **extra: Any) -> Any:
    return client.post(url, {"send_code": "1", "phone": phone, **extra})


def report_data(**extra: Any) -> dict[str, Any]:
    import uuid

    return {
        "idempotency_key": str(uuid.uuid4()),
        "case_type": "complaint",
        "category": Category.objects.get(code="noise").pk,
        "description": "楼下烧烤店每晚十一点后噪音很大。",
        "phone": PHONE,
        **extra,
    }


def submit_report(client: Client, plate: Plate, **extra: Any) -> Any:
    """Ask for a code, then send the report with it; the response of the send."""
    url = f"{plate.url}report/"
    ask_code(client, url, phone=extra.get("phone", PHONE))
    return client.post(url, report_data(code=last_code(), **extra))


def tracking_url(response: Any) -> str:
    location = response["Location"]
    match = re.match(r"^/d/t/([0-9a-f-]{36})/received/$", location)
    assert match, location
    return f"/d/t/{match.group(1)}/"


def only_case() -> Case:
    return Case.objects.get()
