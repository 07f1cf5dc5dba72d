"""Database helpers below the ORM, for the few hot statements that need them."""

from __future__ import annotations

import functools
import re
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connections

# psycopg's own placeholders: ``%s`` a parameter, ``%%`` a percent sign.
_PLACEHOLDER = re.compile(r"%(.)", re.DOTALL)


@functools.lru_cache(maxsize=64)
def numbered(sql: str) -> str:
    """``sql`` with its ``%s`` placeholders written as PostgreSQL's ``$1, $2, …``, for a raw
    cursor. psycopg converts the placeholders of every statement it is given, and remembers
    the conversion only for statements under 4 KB with at most 50 parameters: the intake's
    one statement has 72 to 91 and was split anew on every call, ≈ 0.2 ms of CPU each time
    (a fifth of the intake's). Converted here once per statement text."""
    position = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal position
        if match.group(1) == "%":
            return "%"
        if match.group(1) != "s":
            raise ValueError(f"unsupported placeholder %{match.group(1)} in {sql[:80]!r}")
        position += 1
        return f"${position}"

    return _PLACEHOLDER.sub(replace, sql)


def _raw_cursor(wrapper: Any) -> Any:
    """The connection's raw cursor, one per connection. A cursor remembers the dumper of each
    Python type it has bound; a new cursor per statement looked up a dozen dumpers again on
    every intake."""
    raw = wrapper.connection
    cursor = wrapper.__dict__.get("_prepared_cursor")
    if cursor is None or cursor.connection is not raw or cursor.closed:
        cursor = wrapper.__dict__["_prepared_cursor"] = psycopg.RawCursor(raw)
    return cursor


def execute_prepared(sql: str, params: list[Any]) -> Any:
    """Run one statement on a cursor with server-side binding (Django's binds on the client),
    so that PostgreSQL parses and plans it once per connection; its first row. Django's
    execute wrappers and query log see it as they see their own statements (with ``%s``)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    wrapper.ensure_connection()

    def execute(sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        # A raw cursor takes the $n statement as it is: nothing is parsed on the client.
        with wrapper.wrap_database_errors:
            cursor = _raw_cursor(wrapper)
            cursor.execute(numbered(sql), params, prepare=True)
            return cursor.fetchone()

    started = time.monotonic()
    wrappers = wrapper.execute_wrappers
    if wrappers:
        call = execute
        for each in reversed(wrappers):
            call = functools.partial(each, call)
        row = call(sql, params, False, {"connection": wrapper, "cursor": None})
    else:
        row = execute(sql, params, False, {})
    if wrapper.queries_logged:
        wrapper.queries_log.append(
            {"sql": sql, "time": f"{time.monotonic() - started:.3f}", "params": params}
        )
    return row


@functools.lru_cache(maxsize=64)
def _qmark(sql: str) -> str:
    """``sql`` in sqlite3's ``?`` style, converted as Django's SQLite cursor converts it."""
    from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


def execute_direct(cursor: Any, sql: str, params: Sequence[Any]) -> Any:
    """``cursor.execute(sql, params)`` on one of Django's cursors; on SQLite, when no execute
    wrapper and no query log are watching, straight on the sqlite3 cursor with the statement
    converted once per process. Django's wrapper converts the placeholders with a regular
    expression and goes through three layers of calls for every statement: on an intake of
    six or seven statements, about a tenth of its CPU time. Errors are Django's, as they
    would be; with a wrapper or a query log (tests counting statements) it is Django's path."""
    db = cursor.db
    if db.vendor != "sqlite" or db.execute_wrappers or db.queries_logged:
        return cursor.execute(sql, params)
    db.validate_no_broken_transaction()
    with db.wrap_database_errors:
        return sqlite3.Cursor.execute(cursor.cursor, _qmark(sql), params)
