"""Housekeeping of the embedded database."""

from __future__ import annotations

from celery import shared_task
from django.db import connection


@shared_task(name="core.checkpoint_sqlite")
def checkpoint_sqlite() -> tuple[int, int, int] | None:
    """Copy the SQLite write-ahead log back into the database file, in the background worker.

    In WAL mode a commit only appends pages to the log; the copy back (the checkpoint, with
    its flushes to disk) otherwise happens inside whichever request's commit finds the log
    long, making that request wait. The web processes let the log grow further before they
    checkpoint themselves (``wal_autocheckpoint`` in settings), and this task, every few
    seconds, does the work off the request path. PASSIVE: it never waits for a reader or a
    writer, so it never holds up a request. Returns SQLite's (busy, log pages, pages copied).
    """
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        busy, log, copied = cursor.fetchone()
    return int(busy), int(log), int(copied)


@shared_task(name="core.analyze_sqlite")
def analyze_sqlite() -> bool:
    """Refresh SQLite's table statistics (``ANALYZE``, sampled by ``analysis_limit`` so it
    takes a fraction of a second on a county-sized table). Without them SQLite's planner
    passes over the partial indexes that let the deadline sweep read only what is newly due,
    and reads every open case instead. PostgreSQL's autovacuum keeps its own statistics."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=1000")
        cursor.execute("ANALYZE")
    return True
