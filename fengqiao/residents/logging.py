"""Keep doorplate tokens and tracking links out of the logs.

Whoever holds a doorplate token may report for its household, and whoever holds a tracking
link reads that case's timeline: both are secrets that travel in URL paths (``/d/<token>/``,
``/d/t/<uuid>/``). Access logs and Django's request logging print paths, so:

- ``RedactTokensFilter`` is a logging filter for Django's handlers (settings.LOGGING): it
  rewrites every record's message and arguments (django.request's "Not Found: <path>",
  django.server's request line, a CSRF failure's path).
- ``RedactingGunicornLogger`` is a gunicorn logger class (``--logger-class``) that redacts
  every field of the access-log line (request line, path, query, referer, headers).

The residents' pages also send ``Referrer-Policy: strict-origin``: a Referer carries the
origin only, never the path, so the token does not reach even our own stylesheet request's
Referer header. (``no-referrer`` would make browsers send ``Origin: null`` with the forms,
which Django's CSRF check rightly refuses.)
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn import glogging  # type: ignore[import-untyped]

# /d/<token>… and /d/t/<tracking uuid>…: the secret is the segment after /d/ (or /d/t/).
# Fixed page names under /d/ (find/, …) are shorter than any token and stay readable.
_SECRET_PATH = re.compile(r"(/d/(?:t/)?)[A-Za-z0-9_\-]{16,}")
REDACTED = r"\1[redacted]"


def redact(text: str) -> str:
    """The text with every doorplate token and tracking link in a /d/ path replaced."""
    if "/d/" not in text:
        return text
    return _SECRET_PATH.sub(REDACTED, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bytes):
        return redact(value.decode("utf-8", "replace"))
    if isinstance(value, tuple):
        return tuple(_redact_value(item) for item in value)
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    text = str(value) if value is not None and not isinstance(value, int | float) else None
    if text is not None and "/d/" in text:
        # An object whose text form carries a path (a request, a URL): log its redacted text.
        return redact(text)
    return value


class RedactTokensFilter(logging.Filter):
    """Rewrites the record in place; never drops it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            record.args = _redact_value(record.args)
        # ``record.request`` (django.request) is left as it is: other handlers use the object,
        # and no formatter of ours prints it.
        return True


class RedactingGunicornLogger(glogging.Logger):
    """gunicorn's logger with every access-log field redacted (bin/serve:
    ``--logger-class fengqiao.residents.logging.RedactingGunicornLogger``)."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: _redact_value(value) for key, value in atoms.items()}

    def error(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        super().error(redact(str(msg)), *_redact_value(args), **kwargs)
