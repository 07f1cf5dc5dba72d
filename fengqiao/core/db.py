"""Database helpers below the ORM, for the few hot statements that need them."""

from __future__ import annotations

import functools
import time
from typing import Any

import psycopg
from django.db import connection


def execute_prepared(sql: str, params: list[Any]) -> Any:
    """Run one statement on a cursor with server-side binding (Django's binds on the client),
    so that PostgreSQL parses and plans it once per connection; its first row. Django's
    execute wrappers and query log see it as they see their own statements."""
    connection.ensure_connection()
    raw: Any = connection.connection

    def execute(sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
            cursor.execute(sql, params, prepare=True)
            return cursor.fetchone()

    started = time.monotonic()
    context = {"connection": connection, "cursor": None}
    call = execute
    for wrapper in reversed(connection.execute_wrappers):
        call = functools.partial(wrapper, call)
    row = call(sql, params, False, context)
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": sql, "time": f"{time.monotonic() - started:.3f}", "params": params}
        )
    return row
