"""The doorplate pages: coverage, printing with progress, download, per-household plates."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from fengqiao.audit.models import AuditEntry
from fengqiao.conftest import World
from fengqiao.doorplates.models import Doorplate, PlateSheet
from fengqiao.doorplates.services import doorplate_for_token, doorplate_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_URL = "https://fq.example.gov.cn"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_printing_a_township_runs_in_the_background_with_progress_and_an_audited_download(
    world: World, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    operator = world.a.users["township_operator"]
    client = signed_in(operator)
    area_url = reverse("doorplates:area", args=[world.a.area.territory_code])
    page = client.get(area_url).content.decode()
    assert (
        "双堰街道一村" in page
        and reverse("doorplates:area_print", args=[world.a.area.territory_code]) in page
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("doorplates:area_print", args=[world.a.area.territory_code]))
    sheet = PlateSheet.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "doorplates:sheet", args=[sheet.pk]
    )
    assert (sheet.status, sheet.plates_done, sheet.plates_total, sheet.plates_issued) == (
        "done",
        2,
        2,
        2,
    )
    assert sheet.base_url == "https://fq.example.gov.cn" and sheet.file.name.endswith(".pdf")

    status = client.get(response["Location"]).content.decode()
    download = reverse("doorplates:sheet_download", args=[sheet.pk])
    assert download in status and "<progress" not in status
    fragment = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "hx-trigger" not in fragment  # finished: polling stops

    assert not AuditEntry.objects.filter(action="export").exists()
    pdf = client.get(download)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor == operator and entry.target_id == str(sheet.pk)
    assert entry.detail["territory_code"] == world.a.area.territory_code

    # Out of scope looks like missing, everywhere; a grid worker may not print.
    outsider = signed_in(world.b.users["township_operator"])
    for url in (response["Location"], download, area_url):
        assert outsider.get(url).status_code == 404
    assert (
        outsider.post(
            reverse("doorplates:area_print", args=[world.a.area.territory_code])
        ).status_code
        == 404
    )
    assert AuditEntry.objects.filter(action="export").count() == 1
    assert signed_in(world.a.users["grid_worker"]).get(area_url).status_code == 404

    # Tokens never reach the logs.
    for plate in Doorplate.objects.all():
        assert plate.token() not in caplog.text


def test_a_running_sheet_is_polled(world: World) -> None:
    operator = world.a.users["village_operator"]
    sheet = PlateSheet.objects.create(
        territory_code=world.a.village.territory_code,
        area_name="一村",
        base_url="https://x",
        created_by=operator,
        status=PlateSheet.Status.RUNNING,
        plates_total=40,
        plates_done=10,
    )
    fragment = (
        signed_in(operator)
        .get(reverse("doorplates:sheet", args=[sheet.pk]), headers={"HX-Request": "true"})
        .content.decode()
    )
    assert 'hx-trigger="every 1s"' in fragment and 'value="10" max="40"' in fragment
    assert (
        signed_in(operator).get(reverse("doorplates:sheet_download", args=[sheet.pk])).status_code
        == 404
    )


def test_a_sheet_fails_clearly_without_the_font(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PDF_FONT_PATH = "/nonexistent/font.ttc"
    client = signed_in(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("doorplates:area_print", args=[world.a.village.territory_code]))
    sheet = PlateSheet.objects.get()
    assert sheet.status == "failed" and "fonts-wqy-microhei" in sheet.error
    assert (
        "fonts-wqy-microhei"
        in client.get(reverse("doorplates:sheet", args=[sheet.pk])).content.decode()
    )


def test_reissue_revoke_and_download_one_plate(world: World, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    operator = world.a.users["village_operator"]
    client = signed_in(operator)
    household = world.a.household
    page_url = reverse("doorplates:household", args=[household.pk])
    assert "household_plate" not in client.get(page_url).content.decode()

    assert (
        client.post(
            reverse("doorplates:household_issue", args=[household.pk]), {"reason": ""}
        ).status_code
        == 302
    )
    first = Doorplate.objects.get(household=household)
    old_token = first.token()
    response = client.post(
        reverse("doorplates:household_issue", args=[household.pk]), {"reason": "门牌丢失"}
    )
    assert response.status_code == 302
    second = Doorplate.objects.get(household=household, revoked_at__isnull=True)
    assert not doorplate_for_token(old_token).is_active  # type: ignore[union-attr]
    assert doorplate_for_token(second.token()).is_active  # type: ignore[union-attr]

    page = client.get(page_url).content.decode()
    assert "门牌丢失" in page and old_token not in page and second.token() not in page

    svg = client.get(reverse("doorplates:household_plate_svg", args=[household.pk]))
    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
    assert "扫码办事" in svg.content.decode()
    png = client.get(reverse("doorplates:household_plate_png", args=[household.pk]))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert AuditEntry.objects.filter(action="export", target_id=str(second.pk)).count() == 2

    assert (
        client.post(
            reverse("doorplates:household_revoke", args=[household.pk]), {"reason": ""}
        ).status_code
        == 200
    )
    assert Doorplate.objects.get(pk=second.pk).is_active  # no reason, no revoking
    client.post(reverse("doorplates:household_revoke", args=[household.pk]), {"reason": "房屋拆除"})
    assert not Doorplate.objects.get(pk=second.pk).is_active
    assert (
        client.get(reverse("doorplates:household_plate_png", args=[household.pk])).status_code
        == 404
    )

    for token in (old_token, second.token()):
        assert token not in caplog.text


def test_household_pages_answer_404_out_of_scope_and_403_to_grid_workers(world: World) -> None:
    doorplate_issue(household=world.a.household, actor=world.admin)
    url = reverse("doorplates:household", args=[world.a.household.pk])
    png = reverse("doorplates:household_plate_png", args=[world.a.household.pk])
    outsider = signed_in(world.b.users["village_operator"])
    assert outsider.get(url).status_code == 404 and outsider.get(png).status_code == 404
    worker = signed_in(world.a.users["grid_worker"])
    assert worker.get(url).status_code == 403 and worker.get(png).status_code == 403
    assert (
        worker.post(reverse("doorplates:household_issue", args=[world.a.household.pk])).status_code
        == 403
    )
    assert signed_in(world.a.users["dept_handler"]).get(url).status_code == 404


def test_the_index_lists_townships_with_coverage(world: World) -> None:
    doorplate_issue(household=world.a.household, actor=world.admin)
    page = signed_in(world.county_operator).get(reverse("doorplates:index")).content.decode()
    assert "双堰街道" in page and "文腾街道" in page and "50%" in page
    township = signed_in(world.a.users["township_operator"]).get(reverse("doorplates:index"))
    assert township.status_code == 302 and township["Location"] == reverse(
        "doorplates:area", args=[world.a.area.territory_code]
    )
    village_page = (
        signed_in(world.a.users["village_operator"])
        .get(reverse("doorplates:area", args=[world.a.village.territory_code]))
        .content.decode()
    )
    assert world.a.household.address in village_page


def test_the_admin_lists_plates_without_their_tokens(world: World) -> None:
    plate = doorplate_issue(household=world.a.household, actor=world.admin)
    client = signed_in(world.admin)
    listing = client.get(reverse("admin:doorplates_doorplate_changelist"))
    detail = client.get(reverse("admin:doorplates_doorplate_change", args=[plate.pk]))
    assert listing.status_code == 200 and detail.status_code == 200
    for page in (listing.content.decode(), detail.content.decode()):
        assert plate.token() not in page and plate.token_digest not in page
    assert world.a.household.address in listing.content.decode()
    operator = signed_in(world.a.users["township_operator"])
    assert operator.get(reverse("admin:doorplates_doorplate_changelist")).status_code == 302
