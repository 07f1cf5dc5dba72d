"""Every error of the REST API as an RFC 9457 problem document (``application/problem+json``):

    {"type": "urn:fengqiao:problem:invalid-input", "title": "…", "status": 400,
     "detail": "what to fix", "instance": "/api/v1/cases/", "errors": {"field": ["…"]}}

The services raise Django's exceptions; they map as the pages treat them: a refused move in
the wrong state or on a stale version is a conflict (409), a rule the input breaks is 422,
a move the account may never make 403, and what is out of scope 404 (as if it did not exist).
Malformed input, refused by the serializers before any service runs, is 400.
"""

from __future__ import annotations

from typing import Any, Final

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from fengqiao.cases.services import StaleCaseError, TransitionError

PROBLEM_CONTENT_TYPE: Final = "application/problem+json"
NON_FIELD: Final = "non_field_errors"


def problem_type(slug: str) -> str:
    return f"urn:fengqiao:problem:{slug}"


def _messages(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in error.message_dict.items()
        }
    return {NON_FIELD: [str(m) for m in error.messages]}


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [f"{key}: {text}" for key, value in detail.items() for text in _flatten(value)]
    if isinstance(detail, list):
        return [text for item in detail for text in _flatten(item)]
    return [str(detail)]


def _field_errors(detail: Any) -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field": ["message", …]}``; nested fields as
    ``reporter.phone``."""
    if not isinstance(detail, dict):
        return {NON_FIELD: _flatten(detail)}
    errors: dict[str, list[str]] = {}
    for key, value in detail.items():
        if isinstance(value, dict):
            for inner, messages in _field_errors(value).items():
                errors[f"{key}.{inner}"] = messages
        else:
            errors[str(key)] = _flatten(value)
    return errors


_TITLES: Final = {
    400: ("invalid-input", gettext_lazy("The request is not valid")),
    401: ("not-authenticated", gettext_lazy("Authentication needed")),
    403: ("forbidden", gettext_lazy("Not allowed")),
    404: ("not-found", gettext_lazy("Not found")),
    405: ("method-not-allowed", gettext_lazy("Method not allowed")),
    406: ("not-acceptable", gettext_lazy("Not acceptable")),
    409: ("conflict", gettext_lazy("Conflict with the current state")),
    415: ("unsupported-media-type", gettext_lazy("Unsupported media type")),
    422: ("rule-violation", gettext_lazy("The request breaks a rule")),
    429: ("throttled", gettext_lazy("Too many requests")),
}


def problem_response(
    *,
    status_code: int,
    detail: str,
    slug: str | None = None,
    title: str | None = None,
    errors: dict[str, list[str]] | None = None,
    instance: str = "",
    headers: dict[str, str] | None = None,
) -> Response:
    default_slug, default_title = _TITLES.get(status_code, ("error", "Error"))
    body: dict[str, Any] = {
        "type": problem_type(slug or default_slug),
        "title": title or str(default_title),
        "status": status_code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, StaleCaseError):
        return problem_response(
            status_code=409,
            slug="stale-version",
            title=_("The case changed since you read it"),
            detail=" ".join(exc.messages),
            instance=instance,
        )
    if isinstance(exc, TransitionError):
        return problem_response(
            status_code=409,
            slug="invalid-transition",
            title=_("The move is not allowed in the case's current state"),
            detail=" ".join(exc.messages),
            instance=instance,
        )
    if isinstance(exc, DjangoValidationError):
        errors = _messages(exc)
        return problem_response(
            status_code=422,
            detail=" ".join(m for messages in errors.values() for m in messages),
            errors=errors,
            instance=instance,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found, or not in your scope."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    headers = {
        name: value
        for name, value in response.items()
        if name in ("WWW-Authenticate", "Allow", "Retry-After")
    }
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        detail = _("Fix the fields listed in “errors”: %(summary)s") % {
            "summary": "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in errors.items()
            )
        }
        return problem_response(
            status_code=response.status_code,
            detail=detail,
            errors=errors,
            instance=instance,
            headers=headers,
        )
    return problem_response(
        status_code=response.status_code,
        detail=" ".join(_flatten(exc.detail)),
        instance=instance,
        headers=headers,
    )
