"""The embedded database's checkpoints run in the background worker, not in requests."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from fengqiao.core.tasks import checkpoint_sqlite

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
def test_web_processes_leave_checkpoints_to_the_worker() -> None:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        assert cursor.fetchone()[0] == 10000
    schedule = settings.CELERY_BEAT_SCHEDULE["checkpoint-sqlite"]
    assert schedule["task"] == checkpoint_sqlite.name


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_checkpoint_task_reports_what_sqlite_did() -> None:
    """Run as the worker runs it: outside any transaction."""
    busy, log, copied = checkpoint_sqlite.delay().get()
    # The test database lives in memory (no log: SQLite answers -1); a file database in WAL
    # mode answers with its log's pages.
    assert busy == 0 and log >= -1 and copied >= -1


@pytest.mark.skipif(connection.vendor == "sqlite", reason="PostgreSQL")
def test_no_checkpoint_task_on_postgresql() -> None:
    assert "checkpoint-sqlite" not in settings.CELERY_BEAT_SCHEDULE
    assert checkpoint_sqlite.delay().get() is None


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite only")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_keeps_sqlites_statistics() -> None:
    """The statistics that let SQLite's planner choose the sweep's partial indexes (measured
    by bench/cases_sweep.py) are refreshed by the worker."""
    from fengqiao.core.tasks import analyze_sqlite

    assert settings.CELERY_BEAT_SCHEDULE["analyze-sqlite"]["task"] == analyze_sqlite.name
    assert analyze_sqlite.delay().get() is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 1
