"""Open311 GeoReport v2 documents: what the read-only resources say, in XML and in JSON.

Each resource is built once as plain data (dicts, lists, strings, booleans) and rendered in
the format the client asked for, so the two formats cannot drift apart. XML follows the
specification's examples element by element: a list becomes a plural element with one
singular child per item (``<services><service>…``), booleans are ``true``/``false``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any, Final, Literal

from django.http import HttpResponse

from fengqiao.cases.models import Category

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
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


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
    errors = [{"code": status, "description": description}]
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
