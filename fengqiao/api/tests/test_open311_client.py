"""An independent Open311 client against a live server: the ``requests`` library following
the GeoReport v2 specification by hand (no code of ours on the client side). It lists the
services, posts a request with its api_key, reads it back, and after the case loop has run
its course sees it closed, with the updates that led there."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests

from fengqiao.api.services import api_key_create
from fengqiao.cases.choices import Rating
from fengqiao.cases.models import Case
from fengqiao.cases.services import (
    case_accept,
    case_dispatch,
    case_rate,
    case_reply,
    case_review_reply,
    case_sign,
)
from fengqiao.conftest import World
from fengqiao.org.models import Department

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_client_follows_its_request_to_closed(
    live_server: Any, flushable_audit_log: None, world: World
) -> None:
    key = api_key_create(name="civic-app")[1]
    base = f"{live_server.url}/open311/v2"
    http = requests.Session()

    discovery = http.get(f"{base}/discovery.json", timeout=10).json()
    endpoint = discovery["endpoints"][0]
    assert endpoint["url"] == base
    assert "application/json" in endpoint["formats"]

    services = http.get(f"{base}/services.xml", timeout=10)
    assert services.headers["Content-Type"] == "text/xml; charset=utf-8"
    codes = [s.findtext("service_code") for s in ET.fromstring(services.content)]
    assert "noise" in codes
    definition = http.get(f"{base}/services/noise.json", timeout=10).json()
    assert definition["attributes"] == []

    posted = http.post(
        f"{base}/requests.json",
        data={
            "api_key": key,
            "jurisdiction_id": "520524",
            "service_code": "noise",
            "address_id": world.a.grid.code,
            "address_string": "双堰街道中街12号",
            "description": "楼下KTV每晚闹到两点",
            "email": "resident@example.cn",
        },
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    [receipt] = posted.json()
    number, token = receipt["service_request_id"], receipt["token"]

    [mapped] = http.get(f"{base}/tokens/{token}.json", timeout=10).json()
    assert mapped["service_request_id"] == number
    [request] = http.get(f"{base}/requests/{number}.json", timeout=10).json()
    assert request["status"] == "open"
    assert request["service_code"] == "noise"
    assert request["description"] == "楼下KTV每晚闹到两点"
    assert "resident@example.cn" not in http.get(f"{base}/requests.json", timeout=10).text

    # The case loop runs its course, through the case services as the staff would.
    police = Department.objects.get(name="双堰街道派出所")
    county, handler = world.county_operator, world.a.users["dept_handler"]
    case = Case.objects.get(number=number)
    case = case_accept(case=case, actor=county)
    case = case_dispatch(case=case, actor=county, department=police)
    case = case_sign(case=case, actor=handler)
    case = case_reply(case=case, actor=handler, text="已责令KTV十点后停止营业。")
    case = case_review_reply(case=case, actor=county, approve=True)
    case_rate(case=case, rating=Rating.SATISFIED)

    closed = http.get(f"{base}/requests/{number}.xml", timeout=10)
    assert closed.status_code == 200
    node = ET.fromstring(closed.content).find("request")
    assert node is not None
    assert node.findtext("status") == "closed"
    assert node.findtext("status_notes") == "已责令KTV十点后停止营业。"
    assert node.findtext("agency_responsible") == police.name
    listed = http.get(f"{base}/requests.json", params={"status": "closed"}, timeout=10).json()
    assert [r["service_request_id"] for r in listed] == [number]

    updates = http.get(
        f"{base}/servicerequestupdates.json", params={"service_request_id": number}, timeout=10
    ).json()
    assert updates[-1]["status"] == "closed"
    assert any("已责令KTV十点后停止营业。" in u["description"] for u in updates)

    # Errors come in the specification's format.
    refused = http.post(f"{base}/requests.json", data={"service_code": "noise"}, timeout=10)
    assert refused.status_code == 403
    assert refused.json()[0]["code"] == 403
