"""Open311 GeoReport v2: the documents every resource answers with, in XML and in JSON, and
the checking of what clients send (the filters of ``GET requests``, a ``POST requests``).

Each resource is built once as plain data (dicts, lists, strings, booleans) and rendered in
the format the client asked for, so the two formats cannot drift apart. XML follows the
specification's examples element by element: a list becomes a plural element with one
singular child per item (``<services><service>…``), booleans are ``true``/``false``.
"""

from __future__ import annotations

import datetime
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.http import HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fengqiao.api import selectors
from fengqiao.api.selectors import PublishedRequest, PublishedUpdate, RequestQuery, UpdateQuery
from fengqiao.api.services import Open311Submission
from fengqiao.cases.choices import CaseStatus, EventKind, Rating
from fengqiao.cases.models import Category
from fengqiao.core.privacy import normalize

Format = Literal["xml", "json"]
FORMATS: Final = ("xml", "json")
XML_CONTENT_TYPE: Final = "text/xml; charset=utf-8"
JSON_CONTENT_TYPE: Final = "application/json; charset=utf-8"
SPECIFICATION: Final = "http://wiki.open311.org/GeoReport_v2"
# When the resources served here last changed (shown in discovery).
CHANGESET: Final = "2026-11-28T00:00:00+08:00"
SERVICE_TYPE: Final = "realtime"

# The child element of each list, by the list's element name.
_ITEM_TAGS: Final = {
    "services": "service",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "service_requests": "request",
    "service_requests_updates": "request_update",
}


# Characters XML 1.0 cannot carry (control characters other than tab and line breaks):
# a stored text holding one must not make the whole list unreadable.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item_tag = _ITEM_TAGS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, item_tag), item)
    else:
        element.text = _text(value)


def to_xml(root_tag: str, document: Any) -> bytes:
    """``document`` under ``<root_tag>``, as a UTF-8 XML document with its declaration."""
    root = ET.Element(root_tag)
    _fill(root, document)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def render(fmt: Format, root_tag: str, document: Any, *, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(
            to_xml(root_tag, document), content_type=XML_CONTENT_TYPE, status=status
        )
    body = json.dumps(document, ensure_ascii=False)
    return HttpResponse(body.encode(), content_type=JSON_CONTENT_TYPE, status=status)


def error_response(fmt: Format, status: int, description: str) -> HttpResponse:
    """The specification's error document: ``<errors><error>`` or a bare JSON array."""
    return errors_response(fmt, status, [description])


def errors_response(fmt: Format, status: int, descriptions: list[str]) -> HttpResponse:
    """Several errors at once (everything wrong with a request, so it is fixed in one go)."""
    errors = [{"code": status, "description": text} for text in descriptions]
    return render(fmt, "errors", errors, status=status)


def category_attributes(category: Category) -> list[dict[str, Any]]:
    """The extra questions a request of this category asks (Open311 attributes).

    Categories carry no attributes in the case model yet, so every service has none; once
    they do, this is the one place that maps them, and ``metadata`` follows from it.
    """
    return []


def service_document(category: Category, lineage: list[str]) -> dict[str, Any]:
    """One entry of ``services``; ``lineage`` holds the names from the root to the category."""
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": " › ".join(lineage),
        "metadata": bool(category_attributes(category)),
        "type": SERVICE_TYPE,
        "keywords": ", ".join(lineage),
        "group": lineage[-2] if len(lineage) > 1 else "",
    }


def service_definition_document(category: Category) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": category_attributes(category)}


def discovery_document(*, url: str, contact: str, key_service: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


# ---------------------------------------------------------------------------------------
# Reading what clients send

# The specification's default window for GET requests and its largest; its default count.
WINDOW: Final = datetime.timedelta(days=90)
PAGE_SIZE: Final = 1000
MAX_IDS: Final = 200
MAX_DESCRIPTION: Final = 4000
MAX_CLIENT_KEY: Final = 64
_ATTRIBUTE: Final = re.compile(r"^attribute\[(?P<code>[^\[\]]+)\]$")
# "2026-11-28T09:00:00+08:00" sent unencoded in a query string arrives with a space for "+".
_SPACE_FOR_PLUS: Final = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


class BadRequest(Exception):
    """What is wrong with a request, one message per problem (answered as 400)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _value(data: Mapping[str, Any], name: str) -> str:
    """An argument, stripped; an empty optional argument counts as absent."""
    value = data.get(name)
    return value.strip() if isinstance(value, str) else ""


def parse_moment(name: str, value: str) -> datetime.datetime:
    """An ISO 8601 date-time (a date alone is its local midnight); without an offset it is
    read as local time. Raises ``BadRequest`` naming the argument."""
    value = _SPACE_FOR_PLUS.sub(r"\1+\2", value)
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is not None:
                moment = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        moment = None
    if moment is None:
        raise BadRequest(
            [
                _(
                    "%(name)s must be an ISO 8601 date and time such as "
                    "2026-11-28T09:00:00+08:00, not “%(value)s”."
                )
                % {"name": name, "value": value[:40]}
            ]
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _window(data: Mapping[str, Any], problems: list[str]) -> tuple[datetime.datetime, ...]:
    """start_date and end_date with the specification's default: the last 90 days, at most
    90 days between them."""
    moments: dict[str, datetime.datetime] = {}
    for name in ("start_date", "end_date"):
        if raw := _value(data, name):
            try:
                moments[name] = parse_moment(name, raw)
            except BadRequest as error:
                problems.extend(error.problems)
    start, end = moments.get("start_date"), moments.get("end_date")
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None
        start = end - WINDOW
    if end is None:
        end = start + WINDOW
    if end < start:
        problems.append(_("end_date must not be before start_date."))
    elif end - start > WINDOW:
        problems.append(_("start_date and end_date may be at most 90 days apart."))
    return start, end


MAX_OFFSET: Final = 10_000


def _page(data: Mapping[str, Any], problems: list[str]) -> tuple[int, int]:
    """(offset, limit) from ``page`` (from 1) and ``page_size`` (1 to 1000), the common
    extension; the default is the specification's first 1000."""
    numbers = {"page": 1, "page_size": PAGE_SIZE}
    for name in numbers:
        if raw := _value(data, name):
            if not raw.isdigit() or int(raw) < 1:
                problems.append(
                    _("%(name)s must be a whole number from 1, not “%(value)s”.")
                    % {"name": name, "value": raw[:20]}
                )
            else:
                numbers[name] = int(raw)
    if numbers["page_size"] > PAGE_SIZE:
        problems.append(_("page_size may be at most %(max)d.") % {"max": PAGE_SIZE})
    size = min(numbers["page_size"], PAGE_SIZE)
    # A deep page costs a read of every row before it: past this many rows, narrow the dates.
    if (numbers["page"] - 1) * size > MAX_OFFSET:
        problems.append(
            _("Pages reach at most %(max)d results deep; narrow start_date and end_date.")
            % {"max": MAX_OFFSET}
        )
        return 0, size
    return (numbers["page"] - 1) * size, size


def _numbers(data: Mapping[str, Any], problems: list[str]) -> list[str]:
    numbers = [n.strip() for n in _value(data, "service_request_id").split(",") if n.strip()]
    if len(numbers) > MAX_IDS:
        problems.append(_("At most %(max)d service_request_id values at once.") % {"max": MAX_IDS})
    return numbers


def parse_request_query(data: Mapping[str, Any], *, county: str) -> RequestQuery:
    """The filters of ``GET requests``. Raises ``BadRequest`` with every problem found."""
    problems: list[str] = []
    numbers = _numbers(data, problems)
    start, end = _window(data, problems)
    offset, limit = _page(data, problems)
    closed: bool | None = None
    if raw := _value(data, "status"):
        wanted = {part.strip() for part in raw.lower().split(",") if part.strip()}
        if not wanted <= {"open", "closed"}:
            problems.append(
                _("status must be open, closed or both (comma-separated), not “%(value)s”.")
                % {"value": raw[:40]}
            )
        elif len(wanted) == 1:
            closed = wanted == {"closed"}
    codes = [c.strip() for c in _value(data, "service_code").split(",") if c.strip()]
    if problems:
        raise BadRequest(problems)
    return RequestQuery(
        numbers=numbers,
        category_ids=selectors.category_ids_for(codes) if codes else None,
        start=start,
        end=end,
        closed=closed,
        county=county,
        offset=offset,
        limit=limit,
    )


def parse_update_query(data: Mapping[str, Any], *, county: str) -> UpdateQuery:
    """The filters of ``GET servicerequestupdates``: the same window, ids and pages."""
    problems: list[str] = []
    numbers = _numbers(data, problems)
    start, end = _window(data, problems)
    offset, limit = _page(data, problems)
    if problems:
        raise BadRequest(problems)
    return UpdateQuery(
        numbers=numbers, start=start, end=end, county=county, offset=offset, limit=limit
    )


@dataclass
class _Location:
    territory_code: str = ""
    address: str = ""
    address_id: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    problems: list[str] = field(default_factory=list)


def _coordinate(name: str, raw: str, bound: int, problems: list[str]) -> Decimal | None:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not -bound <= value <= bound:
        problems.append(
            _("%(name)s must be a decimal number of degrees from -%(bound)d to %(bound)d (WGS-84).")
            % {"name": name, "bound": bound}
        )
        return None
    return value.quantize(Decimal("0.000001"))


def _location(data: Mapping[str, Any], county: str) -> _Location:
    """Where the matter is. One of lat and long, address_string or address_id is required:

    - ``address_id`` is a territory code we serve (county, township, village, grid or
      ten-household unit) and places the case there;
    - otherwise ``lat``/``long`` place it in the grid of the nearest mapped household
      within about 500 m, and a point with no household that near is refused;
    - otherwise ``address_string`` alone places it in the county (``jurisdiction_id``, or
      the only county served), whose center finds the place.
    """
    found = _Location(address=_value(data, "address_string"))
    problems = found.problems
    lat, long = _value(data, "lat"), _value(data, "long")
    address_id = _value(data, "address_id")
    if not (lat or long or found.address or address_id):
        problems.append(_("Say where: give lat and long, address_string or address_id."))
        return found
    if len(found.address) > 200:
        problems.append(_("address_string may be at most 200 characters."))
    if lat or long:
        if not (lat and long):
            problems.append(_("lat and long must be given together."))
        else:
            found.latitude = _coordinate("lat", lat, 90, problems)
            found.longitude = _coordinate("long", long, 180, problems)
    if address_id:
        if not address_id.isdigit() or not selectors.territory_exists(address_id):
            problems.append(
                _(
                    "address_id “%(value)s” is not a territory code we serve (a county, "
                    "township, village, grid or ten-household unit)."
                )
                % {"value": address_id[:40]}
            )
        else:
            found.address_id = found.territory_code = address_id
    elif found.latitude is not None and found.longitude is not None:
        near = selectors.territory_near(found.latitude, found.longitude)
        if near is None:
            problems.append(
                _(
                    "lat %(lat)s, long %(long)s is not within a place we serve: give an "
                    "address_id, or check the coordinates (WGS-84, decimal degrees)."
                )
                % {"lat": found.latitude, "long": found.longitude}
            )
        else:
            found.territory_code = near
    elif found.address and not (lat or long):
        chosen = county or selectors.only_county()
        if chosen is None:
            problems.append(
                _("With address_string alone, give jurisdiction_id: the county's 6-digit code.")
            )
        else:
            found.territory_code = chosen
    if county and found.territory_code and not found.territory_code.startswith(county):
        problems.append(
            _("The place given is not in jurisdiction_id %(county)s.") % {"county": county}
        )
    return found


def _attributes(data: Mapping[str, Any], category: Category | None) -> list[str]:
    """``attribute[code]=value`` pairs must name the service's attributes (none yet)."""
    problems = []
    known = {a["code"] for a in category_attributes(category)} if category else set()
    for name in data:
        if not name.startswith("attribute"):
            continue
        match = _ATTRIBUTE.match(name)
        if match is None:
            problems.append(
                _("“%(name)s” is not an attribute: write attribute[code]=value.")
                % {"name": name[:60]}
            )
        elif category is not None and match["code"] not in known:
            problems.append(
                _("The service %(service)s has no attribute “%(code)s”.")
                % {"service": category.code, "code": match["code"][:60]}
            )
    return problems


def _contact(data: Mapping[str, Any], problems: list[str]) -> dict[str, str]:
    first, last = _value(data, "first_name"), _value(data, "last_name")
    # Chinese names are written family name first; other scripts as given.
    if first.isascii() and last.isascii():
        name = " ".join(part for part in (first, last) if part)
    else:
        name = f"{last}{first}"
    if len(name) > 50:
        problems.append(_("first_name and last_name may be at most 50 characters together."))
    phone = _value(data, "phone")
    if phone and not 5 <= len(normalize(phone, "phone")) <= 20:
        problems.append(_("phone must be a telephone number (5 to 20 digits)."))
    email = _value(data, "email")
    if email:
        try:
            EmailValidator()(email)
        except ValidationError:
            problems.append(_("email must be an e-mail address."))
    media_url = _value(data, "media_url")
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            problems.append(_("media_url must be an http or https address."))
        if len(media_url) > 500:
            problems.append(_("media_url may be at most 500 characters."))
    contact = {"name": name, "phone": phone, "email": email, "media_url": media_url}
    for identifier in ("device_id", "account_id"):
        contact[identifier] = _value(data, identifier)
        if len(contact[identifier]) > 100:
            problems.append(_("%(name)s may be at most 100 characters.") % {"name": identifier})
    return contact


def parse_submission(
    data: Mapping[str, Any], *, county: str, client_key: str = ""
) -> Open311Submission:
    """A ``POST requests`` checked field by field. Raises ``BadRequest`` with every problem
    found, so that the client can fix them all at once."""
    problems: list[str] = []
    code = _value(data, "service_code")
    category = None
    if not code:
        problems.append(_("service_code is required: choose one from services.xml."))
    else:
        category = selectors.service_category(code)
        if category is None:
            problems.append(
                _("service_code %(code)s is not one of our services (see services.xml).")
                % {"code": code[:60]}
            )
    description = _value(data, "description")
    if not description:
        problems.append(_("description is required: say what the matter is."))
    elif len(description) > MAX_DESCRIPTION:
        problems.append(
            _("description may be at most %(max)d characters; it has %(length)d.")
            % {"max": MAX_DESCRIPTION, "length": len(description)}
        )
    if _NOT_XML.search(description):
        problems.append(_("description contains control characters; remove them."))
    location = _location(data, county)
    problems += location.problems
    problems += _attributes(data, category)
    contact = _contact(data, problems)
    client_key = client_key.strip() or _value(data, "idempotency_key")
    if len(client_key) > MAX_CLIENT_KEY or not client_key.isprintable():
        problems.append(
            _("The idempotency key may be at most %(max)d printable characters.")
            % {"max": MAX_CLIENT_KEY}
        )
    if problems:
        raise BadRequest(problems)
    assert category is not None
    return Open311Submission(
        category=category,
        territory_code=location.territory_code,
        description=description,
        address=location.address,
        address_id=location.address_id,
        latitude=location.latitude,
        longitude=location.longitude,
        reporter_name=contact["name"],
        phone=contact["phone"],
        email=contact["email"],
        device_id=contact["device_id"],
        account_id=contact["account_id"],
        media_url=contact["media_url"],
        client_key=client_key,
    )


# ---------------------------------------------------------------------------------------
# Service requests and their updates


def moment(value: datetime.datetime | None, zone: datetime.tzinfo | None = None) -> str | None:
    """ISO 8601 with the offset, in the platform's time zone (``+08:00``). Lists pass the
    zone, read once: looking it up costs more than the conversion, three times a row."""
    if value is None:
        return None
    return value.astimezone(zone or timezone.get_current_timezone()).isoformat(timespec="seconds")


def _status(is_open: bool) -> str:
    return "open" if is_open else "closed"


def _status_notes(request: PublishedRequest, labels: Mapping[str, str] | None) -> str:
    """The released reply or the reason for not accepting (Open311 cases only), otherwise
    the state in the loop's words; never a person's name or contact."""
    if request.reply:
        return request.reply
    if request.rejection:
        return request.rejection
    if labels is not None:
        return labels[request.status]
    return str(CaseStatus(request.status).label)


def request_documents(requests: list[PublishedRequest]) -> list[dict[str, Any]]:
    # Read once for the list: each lookup of the zone or a translation costs more than the
    # row's own work.
    zone = timezone.get_current_timezone()
    labels = {status.value: str(status.label) for status in CaseStatus}
    return [request_document(request, zone, labels) for request in requests]


def request_document(
    request: PublishedRequest,
    zone: datetime.tzinfo | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One ``<request>`` of ``GET requests``, in the specification's order of fields."""
    return {
        "service_request_id": request.number,
        "status": _status(request.is_open),
        "status_notes": _status_notes(request, labels),
        "service_name": request.category_name,
        "service_code": request.category_code,
        "description": request.description,
        "agency_responsible": request.lead_department,
        "service_notice": "",
        "requested_datetime": moment(request.created_at, zone),
        "updated_datetime": moment(request.updated_at, zone),
        "expected_datetime": moment(request.reply_due_at, zone),
        "address": request.address or request.place,
        "address_id": request.address_id,
        "zipcode": "",
        "lat": float(request.latitude) if request.latitude is not None else None,
        "long": float(request.longitude) if request.longitude is not None else None,
        "media_url": request.media_url,
    }


def submitted_document(number: str, token: str, account_id: str) -> dict[str, Any]:
    """The answer to ``POST requests``: received at once, so the id, and a token as well."""
    return {
        "service_request_id": number,
        "token": token,
        "service_notice": "",
        "account_id": account_id,
    }


def _update_text(update: PublishedUpdate) -> str:
    """A public step in plain words: the acting body is a department or a center, never a
    person; free text only for a case received through Open311."""
    kind, body = update.kind, update.body or _("The governance center")
    department = update.department or body
    if kind == EventKind.SUBMIT:
        text = _("Received.")
    elif kind == EventKind.ACCEPT:
        text = _("%(body)s accepted it.") % {"body": body}
    elif kind == EventKind.REJECT:
        text = _("%(body)s did not accept it.") % {"body": body}
    elif kind == EventKind.RESOLVE_ON_SPOT:
        text = _("The grid worker settled it on the spot.")
    elif kind == EventKind.ESCALATE:
        text = _("Passed up to the governance center above.")
    elif kind == EventKind.DISPATCH:
        text = _("Sent to %(department)s to handle.") % {"department": department}
    elif kind == EventKind.SIGN:
        text = _("%(department)s took it on.") % {"department": department}
    elif kind in (EventKind.HARD_DECISION, EventKind.EXTENSION_DECISION):
        text = _("The time to answer was extended with approval.")
    elif kind == EventKind.SUPERVISE:
        text = _("The governance center is supervising the handling.")
    elif kind == EventKind.REVIEW_APPROVE:
        text = _("The department answered.")
    elif kind in (EventKind.RATE, EventKind.RETURN_VISIT):
        rating = Rating(update.data.get("rating", Rating.SATISFIED)).label
        text = _("Rated: %(rating)s.") % {"rating": rating}
    elif kind == EventKind.REOPEN:
        text = _("Reopened: it is being handled again.")
    elif kind == EventKind.MERGED_INTO:
        text = _("Handled together with the same matter reported by others.")
    else:
        text = pgettext("open311 update", "Completed.")
    return f"{text} {update.text}" if update.text else text


def update_documents(updates: list[PublishedUpdate]) -> list[dict[str, Any]]:
    zone = timezone.get_current_timezone()
    return [update_document(update, zone) for update in updates]


def update_document(update: PublishedUpdate, zone: datetime.tzinfo | None = None) -> dict[str, Any]:
    """One ``<request_update>`` of the servicerequestupdates extension."""
    return {
        "update_id": str(update.update_id),
        "service_request_id": update.number,
        "status": _status(update.is_open),
        "updated_datetime": moment(update.created_at, zone),
        "description": _update_text(update),
        "media_url": "",
    }
