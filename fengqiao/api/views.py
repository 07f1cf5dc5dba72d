"""Open311 GeoReport v2, the read-only resources: discovery, services, service definitions.

Anyone may read these (the specification asks no api_key for them). Every error, including
an unknown service or jurisdiction, answers in the specification's error format and in the
format the client asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps
from typing import Any, Final

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from fengqiao.api import open311, selectors
from fengqiao.api.open311 import Format

COUNTY_CODE: Final = re.compile(r"^[0-9]{6}$")

View = Callable[..., HttpResponse]


def open311_get(view: View) -> View:
    """Only GET (and HEAD); a jurisdiction_id, when given, must name a county we serve."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, fmt: Format, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = open311.error_response(
                fmt, 405, _("Only GET is supported on this resource.")
            )
            response["Allow"] = "GET, HEAD"
            return response
        # An empty optional argument counts as absent.
        jurisdiction = request.GET.get("jurisdiction_id", "").strip()
        if jurisdiction:
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
        return view(request, *args, fmt=fmt, **kwargs)

    return wrapper


@open311_get
def discovery(request: HttpRequest, *, fmt: Format) -> HttpResponse:
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
def services(request: HttpRequest, *, fmt: Format) -> HttpResponse:
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
def service_definition(request: HttpRequest, *, service_code: str, fmt: Format) -> HttpResponse:
    category = selectors.service_category(service_code)
    if category is None:
        return open311.error_response(
            fmt,
            404,
            _("service_code %(code)s was not found.") % {"code": service_code[:60]},
        )
    return open311.render(fmt, "service_definition", open311.service_definition_document(category))
