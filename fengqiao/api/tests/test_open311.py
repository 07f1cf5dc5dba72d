"""Open311 GeoReport v2, read-only resources, through the test client in both formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from fengqiao.cases.categories import category_update
from fengqiao.cases.models import Category

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
XML = "text/xml; charset=utf-8"
JSON = "application/json; charset=utf-8"


def _xml(response: Any) -> ET.Element:
    assert response["Content-Type"] == XML
    assert response.content.startswith(b"<?xml")
    return ET.fromstring(response.content)


def _json(response: Any) -> Any:
    assert response["Content-Type"] == JSON
    return json.loads(response.content.decode("utf-8"))


def _xml_error(response: Any, status: int) -> str:
    assert response.status_code == status
    root = _xml(response)
    assert root.tag == "errors"
    [error] = list(root)
    assert error.tag == "error"
    assert error.findtext("code") == str(status)
    description = error.findtext("description")
    assert description
    return description


def _json_error(response: Any, status: int) -> str:
    assert response.status_code == status
    body = _json(response)
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["code"] == status
    assert body[0]["description"]
    return str(body[0]["description"])


def test_discovery_in_both_formats(client: Any) -> None:
    root = _xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    assert root.findtext("changeset") and root.findtext("contact")
    endpoint = root.find("endpoints/endpoint")
    assert endpoint is not None
    assert endpoint.findtext("url") == "http://testserver/open311/v2"
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in endpoint.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]
    body = _json(client.get(f"{BASE}/discovery.json"))
    assert body["endpoints"][0]["url"] == "http://testserver/open311/v2"
    assert body["endpoints"][0]["formats"] == ["text/xml", "application/json"]
    assert body["changeset"] == root.findtext("changeset")


def test_services_are_the_active_public_categories(client: Any) -> None:
    # Closed by the migrations, each with what lies below it.
    private = ("drugs", "dispute", "minors", "social_assistance")
    closed = [c.path for c in Category.objects.filter(code__in=private)]
    assert len(closed) == len(private)
    active = [
        c
        for c in Category.objects.filter(is_active=True)
        if not any(c.path == p or c.path.startswith(f"{p}/") for p in closed)
    ]
    assert active, "the migrations seed a category tree"
    noise = Category.objects.select_related("parent").get(code="noise")
    assert noise.parent is not None

    services = _json(client.get(f"{BASE}/services.json"))
    assert isinstance(services, list)
    assert {s["service_code"] for s in services} == {c.code for c in active}
    entry = next(s for s in services if s["service_code"] == "noise")
    assert entry["service_name"] == noise.name
    assert entry["group"] == noise.parent.name
    assert entry["metadata"] is False
    assert entry["type"] == "realtime"
    assert noise.name in entry["keywords"] and noise.parent.name in entry["keywords"]
    assert noise.name in entry["description"]
    root_entry = next(s for s in services if s["service_code"] == noise.parent.code)
    assert root_entry["group"] == ""

    root = _xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    assert {child.tag for child in root} == {"service"}
    by_code = {s.findtext("service_code"): s for s in root}
    assert set(by_code) == {c.code for c in active}
    node = by_code["noise"]
    assert [child.tag for child in node] == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert node.findtext("service_name") == noise.name
    assert node.findtext("metadata") == "false"
    assert node.findtext("type") == "realtime"
    assert node.findtext("group") == noise.parent.name


def test_a_retired_category_is_not_a_service(client: Any) -> None:
    noise = Category.objects.get(code="noise")
    category_update(category=noise, is_active=False)
    codes = {s["service_code"] for s in _json(client.get(f"{BASE}/services.json"))}
    assert "noise" not in codes and codes
    _json_error(client.get(f"{BASE}/services/noise.json"), 404)


def test_service_definition(client: Any) -> None:
    body = _json(client.get(f"{BASE}/services/noise.json"))
    assert body == {"service_code": "noise", "attributes": []}
    root = _xml(client.get(f"{BASE}/services/noise.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "noise"
    attributes = root.find("attributes")
    assert attributes is not None and list(attributes) == []


def test_unknown_service_is_404_in_both_formats(client: Any) -> None:
    assert "no-such" in _xml_error(client.get(f"{BASE}/services/no-such.xml"), 404)
    assert "no-such" in _json_error(client.get(f"{BASE}/services/no-such.json"), 404)


def test_jurisdiction_of_an_existing_county(client: Any, world: Any) -> None:
    county = world.county.territory_code
    assert county == "520524"
    services = _json(client.get(f"{BASE}/services.json", {"jurisdiction_id": county}))
    assert services
    root = _xml(client.get(f"{BASE}/services/noise.xml", {"jurisdiction_id": county}))
    assert root.findtext("service_code") == "noise"
    # An empty optional argument counts as absent.
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": ""}).status_code == 200


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("999999", 404),  # well-formed, no such county
        ("520524001", 400),  # a township, not a county code
        ("520000", 404),  # a province's prefix padded to six digits is no county
        ("abc", 400),
    ],
)
def test_bad_jurisdiction(client: Any, world: Any, value: str, status: int) -> None:
    params = {"jurisdiction_id": value}
    _xml_error(client.get(f"{BASE}/services.xml", params), status)
    _json_error(client.get(f"{BASE}/services.json", params), status)
    _json_error(client.get(f"{BASE}/services/noise.json", params), status)


def test_only_get_is_allowed(client: Any) -> None:
    response = client.post(f"{BASE}/services.json")
    _json_error(response, 405)
    assert response["Allow"] == "GET, HEAD"


def test_services_list_takes_constant_queries(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(2):
        assert client.get(f"{BASE}/services.json").status_code == 200
