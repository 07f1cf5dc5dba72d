"""A grid worker's report carries photos, stripped of location, visible only in scope."""

from __future__ import annotations

import io
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from fengqiao.cases.models import Case, CaseAttachment, Category
from fengqiao.conftest import World

pytestmark = pytest.mark.django_db


def jpeg_with_gps(name: str = "scene.jpg") -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (26.0, 40.0, 0.0), 3: "E", 4: (105.0, 46.0, 0.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, "JPEG", exif=exif)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def report(client: Client, world: World, **extra: Any) -> Any:
    client.force_login(world.a.users["grid_worker"])
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "case_type": "hazard",
        "category": Category.objects.get(code="fire").pk,
        "urgency": "normal",
        "title": "楼道堆放杂物",
        "description": "三单元楼道堆放纸箱，堵塞消防通道。",
        "address": "",
        **extra,
    }
    return client.post(reverse("cases:report"), data)


def test_photos_go_with_the_report_without_their_location(
    world: World, client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    response = report(client, world, photos=[jpeg_with_gps(), jpeg_with_gps("b.jpg")])
    assert response.status_code == 302
    case = Case.objects.get()
    stored = list(CaseAttachment.objects.filter(case=case))
    assert len(stored) == 2 and stored[0].event is not None
    with Image.open(stored[0].file.path) as image:
        assert not image.getexif().get_ifd(0x8825)

    page = client.get(reverse("cases:detail", args=[case.number]))
    url = reverse("cases:attachment", args=[case.number, stored[0].pk])
    assert url in page.content.decode()
    served = client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert served["Cache-Control"] == "private, no-store"

    client.force_login(world.b.users["township_operator"])
    assert client.get(url).status_code == 404


def test_a_refused_file_leaves_no_case_and_keeps_the_form(
    world: World, client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("virus.jpg", b"MZ\x90\x00not an image", content_type="image/jpeg")
    response = report(client, world, photos=[jpeg_with_gps(), fake])
    assert response.status_code == 200
    assert not Case.objects.exists() and not CaseAttachment.objects.exists()
    page = response.content.decode()
    assert "virus.jpg" in page and "三单元楼道堆放纸箱" in page
