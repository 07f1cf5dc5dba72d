"""Open311 GeoReport v2: discovery, services, service definitions, service requests (list,
one, and POST), tokens, and the servicerequestupdates extension.

Anyone may read (the specification asks no api_key for reads; what is published is decided in
``selectors``); posting a request takes an ``api_key``. Every error, including an unknown
service or jurisdiction, answers in the specification's error format and in the format the
client asked for. Views are thin: check the arguments (``open311``), call one selector or
service, render.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, Final

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from fengqiao.api import open311, selectors
from fengqiao.api.open311 import Format
from fengqiao.api.services import open311_request_submit

COUNTY_CODE: Final = re.compile(r"^[0-9]{6}$")

View = Callable[..., HttpResponse]
READ: Final = ("GET", "HEAD")


def _county(request: HttpRequest, fmt: Format) -> str | HttpResponse:
    """The ``jurisdiction_id`` of the request (query string or form), '' when absent, or the
    error to answer: it must be the code of a current county."""
    data = request.POST if request.method == "POST" else request.GET
    # An empty optional argument counts as absent.
    jurisdiction = data.get("jurisdiction_id", "").strip()
    if not jurisdiction:
        return ""
    if not COUNTY_CODE.match(jurisdiction):
        return open311.error_response(
            fmt,
            400,
            _("jurisdiction_id must be the 6-digit code of a county, not “%(value)s”.")
            % {"value": jurisdiction[:40]},
        )
    if not selectors.county_exists(jurisdiction):
        return open311.error_response(
            fmt,
            404,
            _("jurisdiction_id %(value)s was not found.") % {"value": jurisdiction},
        )
    return jurisdiction


def open311_resource(*methods: str) -> Callable[[View], View]:
    """A resource answering these methods (405 otherwise) whose ``jurisdiction_id``, when
    given, names a county we serve; the view receives it as ``county`` ('' when absent)."""
    allowed = methods or READ

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: Format, **kwargs: Any) -> HttpResponse:
            if request.method not in allowed:
                response = open311.error_response(
                    fmt,
                    405,
                    _("Only %(methods)s is supported on this resource.")
                    % {"methods": " and ".join(m for m in allowed if m != "HEAD")},
                )
                response["Allow"] = ", ".join(allowed)
                return response
            county = _county(request, fmt)
            if isinstance(county, HttpResponse):
                return county
            return view(request, *args, fmt=fmt, county=county, **kwargs)

        return wrapper

    return decorate


open311_get = open311_resource(*READ)


@open311_get
def discovery(request: HttpRequest, *, fmt: Format, county: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt}))
    url = base.rsplit("/", 1)[0]
    contact = getattr(settings, "OPEN311_CONTACT", "") or _(
        "Ask the county's comprehensive governance center for assistance."
    )
    key_service = getattr(settings, "OPEN311_KEY_SERVICE", "") or _(
        "API keys are issued by the platform's administrators."
    )
    document = open311.discovery_document(url=url, contact=contact, key_service=key_service)
    return open311.render(fmt, "discovery", document)


@open311_get
def services(request: HttpRequest, *, fmt: Format, county: str) -> HttpResponse:
    categories = selectors.service_categories()
    # Every ancestor of an active category is active and thus in the list: names by code.
    names = {category.code: category.name for category in categories}
    documents = [
        open311.service_document(
            category, [names[code] for code in category.path.split("/") if code in names]
        )
        for category in categories
    ]
    return open311.render(fmt, "services", documents)


@open311_get
def service_definition(
    request: HttpRequest, *, service_code: str, fmt: Format, county: str
) -> HttpResponse:
    category = selectors.service_category(service_code)
    if category is None:
        return open311.error_response(
            fmt,
            404,
            _("service_code %(code)s was not found.") % {"code": service_code[:60]},
        )
    return open311.render(fmt, "service_definition", open311.service_definition_document(category))


@csrf_exempt
@open311_resource("GET", "HEAD", "POST")
def service_requests(request: HttpRequest, *, fmt: Format, county: str) -> HttpResponse:
    if request.method == "POST":
        return _submit(request, fmt=fmt, county=county)
    try:
        query = open311.parse_request_query(request.GET, county=county)
    except open311.BadRequest as error:
        return open311.errors_response(fmt, 400, error.problems)
    documents = open311.request_documents(selectors.published_requests(query))
    return open311.render(fmt, "service_requests", documents)


def _submit(request: HttpRequest, *, fmt: Format, county: str) -> HttpResponse:
    """POST requests: the key first (403), then every problem with the fields at once (400);
    nothing is written unless all is well."""
    api_key = selectors.api_key_for(request.POST.get("api_key", "").strip() or None)
    if api_key is None:
        return open311.error_response(fmt, 403, _("A valid api_key is required to post a request."))
    try:
        submission = open311.parse_submission(
            request.POST, county=county, client_key=request.headers.get("Idempotency-Key", "")
        )
        submitted, created = open311_request_submit(api_key=api_key, submission=submission)
    except open311.BadRequest as error:
        return open311.errors_response(fmt, 400, error.problems)
    except PermissionDenied as error:
        return open311.error_response(fmt, 403, str(error))
    except ValidationError as error:
        return open311.errors_response(fmt, 400, error.messages)
    document = open311.submitted_document(
        submitted.case.number, str(submitted.token), submitted.account_id
    )
    return open311.render(fmt, "service_requests", [document], status=201 if created else 200)


@open311_get
def service_request(
    request: HttpRequest, *, service_request_id: str, fmt: Format, county: str
) -> HttpResponse:
    found = selectors.published_request(service_request_id)
    if found is None or (county and not found.territory_code.startswith(county)):
        return open311.error_response(
            fmt,
            404,
            _("service_request_id %(id)s was not found.") % {"id": service_request_id[:60]},
        )
    return open311.render(fmt, "service_requests", open311.request_documents([found]))


@open311_get
def token(request: HttpRequest, *, token: str, fmt: Format, county: str) -> HttpResponse:
    found = selectors.open311_request_for_token(token)
    if found is None:
        return open311.error_response(
            fmt, 404, _("token %(token)s was not found.") % {"token": token[:60]}
        )
    document = {"service_request_id": found.case.number, "token": str(found.token)}
    return open311.render(fmt, "service_requests", [document])


@open311_get
def service_request_updates(request: HttpRequest, *, fmt: Format, county: str) -> HttpResponse:
    try:
        query = open311.parse_update_query(request.GET, county=county)
    except open311.BadRequest as error:
        return open311.errors_response(fmt, 400, error.problems)
    documents = open311.update_documents(selectors.published_updates(query))
    return open311.render(fmt, "service_requests_updates", documents)
