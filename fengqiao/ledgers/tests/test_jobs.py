"""Big exports run in the background: progress, the download link, who may download, the
audit log, and the files' retention."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.models import AuditEntry
from fengqiao.cases.models import Case
from fengqiao.conftest import World
from fengqiao.disputes.ledger import REGISTER_SHEET
from fengqiao.ledgers import tasks
from fengqiao.ledgers.cases import SHEET
from fengqiao.ledgers.choices import JobStatus, LedgerKind
from fengqiao.ledgers.models import ExportJob
from fengqiao.ledgers.services import exports_expire
from fengqiao.ledgers.tests.conftest import REPORTER_PHONE, make_cases, sheet_rows, workbook_of
from fengqiao.org.models import User


@pytest.fixture
def cases(world: World, settings: Any) -> list[Case]:
    settings.LEDGERS_SYNC_MAX_ROWS = 5  # so that a dozen rows go to the background
    return make_cases(world, 12)


def start(
    client: Any, user: User, capture: Any, query: str = "", *, unmask: bool = False
) -> ExportJob:
    """Ask for the case ledger; the task runs (eagerly) when the request's work commits."""
    client.force_login(user)
    with capture(execute=True):
        response = client.post("/ledgers/export/cases/" + query, {"unmask": "1"} if unmask else {})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/ledgers/jobs/{job.pk}/"
    return job


def test_a_big_export_runs_in_the_background_and_offers_its_file(
    client: Any,
    world: World,
    cases: list[Case],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.LEDGERS_SYNC_MAX_ROWS = 3
    monkeypatch.setattr(tasks, "PROGRESS_INTERVAL", 0)  # every chunk's progress is written
    monkeypatch.setattr("fengqiao.ledgers.cases.CHUNK", 5)
    progress: list[int] = []
    update = ExportJob.objects.filter(pk=0).update.__func__  # type: ignore[attr-defined]

    def spy(queryset: Any, **values: Any) -> int:
        if "rows_done" in values and "status" not in values:
            progress.append(values["rows_done"])
        return int(update(queryset, **values))

    monkeypatch.setattr(type(ExportJob.objects.all()), "update", spy)
    operator = world.a.users["township_operator"]
    job = start(client, operator, django_capture_on_commit_callbacks, "?case_type=complaint")
    job.refresh_from_db()
    assert job.background and job.status == JobStatus.DONE
    assert job.kind == LedgerKind.CASES and job.filters == {"case_type": "complaint"}
    assert job.rows_total == job.rows_done == 4
    assert progress == [4]  # one chunk of 5 holds the 4 complaints
    assert job.file.name.startswith("ledgers/") and operator.username not in job.file.name

    page = client.get(f"/ledgers/jobs/{job.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"/ledgers/jobs/{job.pk}/download/" in html
    assert "hx-trigger" not in html  # finished: no more polling

    response = client.get(f"/ledgers/jobs/{job.pk}/download/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    rows = sheet_rows(workbook_of(b"".join(response.streaming_content)), SHEET)
    assert len(rows) - 1 == 4 and all(row[2] == "投诉" for row in rows[1:])
    # One entry when the rows were written, one for the download.
    written, downloaded = AuditEntry.objects.filter(action=AuditAction.EXPORT).order_by("id")
    assert written.actor == operator and written.detail["rows"] == 4
    assert written.detail["background"] is True and written.detail["job"] == job.pk
    assert downloaded.actor == operator and downloaded.detail["download"] is True
    assert downloaded.target_id == str(job.pk)

    listing = client.get("/ledgers/").content.decode()
    assert f"/ledgers/jobs/{job.pk}/download/" in listing


def test_the_progress_bar_polls_until_the_job_is_done(
    client: Any, world: World, cases: list[Case], django_capture_on_commit_callbacks: Any
) -> None:
    operator = world.a.users["township_operator"]
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/ledgers/export/cases/")
    job = ExportJob.objects.get()
    assert response.status_code == 302
    waiting = client.get(f"/ledgers/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in waiting and "<progress" in waiting
    assert "download" not in waiting
    ExportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, rows_done=6)
    running = client.get(f"/ledgers/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'value="6" max="12"' in running
    ExportJob.objects.filter(pk=job.pk).update(status=JobStatus.PENDING, rows_done=0)
    for callback in callbacks:
        callback()
    done = client.get(f"/ledgers/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and f"/ledgers/jobs/{job.pk}/download/" in done


def test_another_user_cannot_see_or_download_the_file(
    client: Any, world: World, cases: list[Case], django_capture_on_commit_callbacks: Any
) -> None:
    job = start(client, world.a.users["township_operator"], django_capture_on_commit_callbacks)
    exports = AuditEntry.objects.filter(action=AuditAction.EXPORT)
    before = exports.count()
    # A scoped administrator (here of the other township) is turned away like anyone else.
    scoped_admin = User.objects.get(pk=world.admin.pk)
    scoped_admin.pk = None
    scoped_admin.username, scoped_admin.scope_code = "admin-b", world.b.area.territory_code
    scoped_admin.is_superuser = False
    scoped_admin.save()
    for other in (world.a.users["village_operator"], world.county_operator, scoped_admin):
        client.force_login(other)
        assert client.get(f"/ledgers/jobs/{job.pk}/download/").status_code == 404
        assert client.get(f"/ledgers/jobs/{job.pk}/").status_code == 404
        assert f"/ledgers/jobs/{job.pk}/" not in client.get("/ledgers/").content.decode()
    assert exports.count() == before
    # An administrator may fetch it (a masked file), and that is audited too.
    client.force_login(world.admin)
    response = client.get(f"/ledgers/jobs/{job.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)  # read to the end: the file is closed
    entry = exports.latest("id")
    assert entry.actor == world.admin and entry.detail["download"] is True


def test_an_unmasked_file_is_only_for_those_who_may_unmask(
    client: Any, world: World, cases: list[Case], django_capture_on_commit_callbacks: Any
) -> None:
    operator = world.a.users["township_operator"]
    operator.user_permissions.add(Permission.objects.get(codename="unmask_personal"))
    operator = User.objects.get(pk=operator.pk)
    job = start(client, operator, django_capture_on_commit_callbacks, unmask=True)
    job.refresh_from_db()
    assert job.unmasked
    response = client.get(f"/ledgers/jobs/{job.pk}/download/")
    rows = sheet_rows(workbook_of(b"".join(response.streaming_content)), SHEET)
    assert REPORTER_PHONE in {row[-1] for row in rows}
    assert AuditEntry.objects.filter(action=AuditAction.UNMASK, actor=operator).count() == 1
    admin = world.admin
    if not admin.has_perm("org.unmask_personal"):
        client.force_login(admin)
        assert client.get(f"/ledgers/jobs/{job.pk}/download/").status_code == 404


def test_old_files_are_deleted_and_no_longer_offered(
    client: Any,
    world: World,
    cases: list[Case],
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.LEDGERS_RETENTION_DAYS = 7
    operator = world.a.users["township_operator"]
    job = start(client, operator, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    path = Path(job.file.path)
    assert path.exists()
    assert exports_expire(now=timezone.now() + datetime.timedelta(days=6)) == 0
    assert exports_expire(now=timezone.now() + datetime.timedelta(days=8)) == 1
    assert not path.exists()
    job.refresh_from_db()
    assert job.file.name == "" and job.expired_at is not None
    assert client.get(f"/ledgers/jobs/{job.pk}/download/").status_code == 404
    assert exports_expire(now=timezone.now() + datetime.timedelta(days=9)) == 0
    assert tasks.expire_exports.delay().get() == 0


def test_a_job_that_lost_its_worker_is_marked_failed(
    client: Any, world: World, cases: list[Case], django_capture_on_commit_callbacks: Any
) -> None:
    operator = world.a.users["township_operator"]
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=False):
        client.post("/ledgers/export/cases/")  # queued, never run
    job = ExportJob.objects.get()
    exports_expire(now=timezone.now() + datetime.timedelta(days=1))
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING
    exports_expire(now=timezone.now() + datetime.timedelta(days=8))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error
    page = client.get(f"/ledgers/jobs/{job.pk}/").content.decode()
    assert job.error in page and "hx-trigger" not in page


def test_the_dispute_register_goes_through_the_same_jobs(
    client: Any, world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from fengqiao.disputes.tests.test_metrics import bulk_register

    settings.LEDGERS_SYNC_MAX_ROWS = 10
    codes = [world.a.village.territory_code, world.b.village.territory_code]
    bulk_register(year=2026, screened=30, resolved=20, territory_codes=codes)
    client.force_login(world.county_operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/disputes/export/?year=2026")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/ledgers/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.kind == LedgerKind.DISPUTES and job.status == JobStatus.DONE
    assert job.rows_done == 30
    body = b"".join(client.get(f"/ledgers/jobs/{job.pk}/download/").streaming_content)
    assert len(sheet_rows(workbook_of(body), REGISTER_SHEET)) - 1 == 30
    written = AuditEntry.objects.filter(action=AuditAction.EXPORT).order_by("id").first()
    assert written is not None and written.detail["kind"] == "dispute_register"
    assert written.detail["screened"] == 30 and written.detail["resolved"] == 20


def test_a_failing_export_says_so(
    client: Any,
    world: World,
    cases: list[Case],
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr("fengqiao.ledgers.cases.CaseLedger.write", broken)
    job = start(client, world.a.users["township_operator"], django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error and not job.file
    assert "disk full" not in job.error  # internals stay in the log
    page = client.get(f"/ledgers/jobs/{job.pk}/").content.decode()
    assert job.error in page
    assert client.get(f"/ledgers/jobs/{job.pk}/download/").status_code == 404


def test_the_admin_lists_jobs_read_only_without_the_file(
    client: Any, world: World, cases: list[Case], django_capture_on_commit_callbacks: Any
) -> None:
    job = start(client, world.a.users["township_operator"], django_capture_on_commit_callbacks)
    client.force_login(world.admin)
    listing = client.get("/admin/ledgers/exportjob/")
    assert listing.status_code == 200 and f"/admin/ledgers/exportjob/{job.pk}/" in (
        listing.content.decode()
    )
    detail = client.get(f"/admin/ledgers/exportjob/{job.pk}/change/").content.decode()
    assert job.file.name not in detail
    client.force_login(world.county_operator)
    assert client.get("/admin/ledgers/exportjob/").status_code in (302, 403)
