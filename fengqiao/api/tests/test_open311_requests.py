"""Open311 service requests through the test client: POST requests (every bad input refused
with nothing written), requests/{id}, tokens, GET requests with its filters, what is
published, and the servicerequestupdates extension."""

from __future__ import annotations

import datetime
import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fengqiao.api.models import ApiKey, Open311Request
from fengqiao.api.services import api_key_create, api_key_revoke
from fengqiao.cases.choices import CaseStatus, CaseType, Channel, EventKind, Rating
from fengqiao.cases.models import Case, CaseEvent, CaseReporter, Category, RoutingRule
from fengqiao.cases.routing import invalidate_routing
from fengqiao.cases.services import (
    case_accept,
    case_dispatch,
    case_rate,
    case_reject,
    case_reply,
    case_review_reply,
    case_sign,
    case_submit,
)
from fengqiao.conftest import World
from fengqiao.org.models import Department
from fengqiao.territory.models import Household

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
XML = "text/xml; charset=utf-8"
JSON = "application/json; charset=utf-8"


@pytest.fixture(autouse=True)
def _english(client: Any) -> None:
    """The messages are checked in English; Chinese is the default (tested below)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def key(world: World) -> str:
    return api_key_create(name="county-portal")[1]


@pytest.fixture
def police(world: World) -> Department:
    return Department.objects.get(name="双堰街道派出所")


def _json(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == JSON
    return json.loads(response.content.decode("utf-8"))


def _xml(response: Any, status: int = 200) -> ET.Element:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == XML
    assert response.content.startswith(b"<?xml")
    return ET.fromstring(response.content)


def _errors(response: Any, status: int) -> list[str]:
    body = _json(response, status)
    assert isinstance(body, list) and body
    assert all(error["code"] == status for error in body)
    return [error["description"] for error in body]


def _post(client: Any, key: str | None, fmt: str = "json", **fields: Any) -> Any:
    data = {"service_code": "noise", "description": "楼下KTV每晚闹到两点", **fields}
    if key is not None:
        data["api_key"] = key
    return client.post(f"{BASE}/requests.{fmt}", {k: v for k, v in data.items() if v is not None})


def _grid(world: World) -> str:
    return world.a.grid.code


def _submit_other(
    world: World, case_type: CaseType = CaseType.COMPLAINT, code: str = "noise"
) -> Case:
    """A case that came in some other way (the window), not through Open311."""
    case, _ = case_submit(
        case_type=case_type,
        category=Category.objects.get(code=code),
        channel=Channel.WINDOW,
        title="窗口来件",
        description="张三说邻居家的狗夜里叫，电话13800001111",
        territory_code=world.a.household.territory_code,
        household_id=world.a.household.pk,
        address=world.a.household.address,
        actor=world.a.users["township_operator"],
    )
    return case


# --- POST requests ------------------------------------------------------------------------


def test_post_creates_a_case_through_the_loop(client: Any, key: str, world: World) -> None:
    body = _json(
        _post(
            client,
            key,
            address_id=_grid(world),
            address_string="双堰街道中街12号",
            first_name="三",
            last_name="张",
            phone="13800001234",
            email="zhang@example.cn",
            device_id="device-1",
            account_id="acct-9",
            media_url="https://img.example.cn/1.jpg",
        ),
        201,
    )
    [answer] = body
    case = Case.objects.get(number=answer["service_request_id"])
    assert case.channel == Channel.API
    assert case.case_type == CaseType.HELP
    assert case.territory_code == _grid(world)
    assert case.holder_code == "520524"  # API cases land at the county center
    assert case.status == CaseStatus.SUBMITTED
    assert case.address == "双堰街道中街12号"
    assert case.title.startswith(case.category.name)
    request = Open311Request.objects.get(case=case)
    assert answer["token"] == str(request.token)
    assert answer["account_id"] == "acct-9"
    assert request.api_key.name == "county-portal"
    assert request.media_url == "https://img.example.cn/1.jpg"
    # Contact details are personal information: the phone and e-mail stored encrypted.
    reporter = CaseReporter.objects.get(case=case)
    assert reporter.name == "张三" and reporter.phone.reveal() == "13800001234"
    with connection.cursor() as cursor:
        cursor.execute("SELECT email_encrypted FROM api_open311request WHERE id = %s", [request.pk])
        stored = cursor.fetchone()[0]
    assert stored and "zhang@example.cn" not in stored
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SUBMIT).count() == 1


def test_post_in_xml(client: Any, key: str, world: World) -> None:
    root = _xml(_post(client, key, fmt="xml", address_id=_grid(world)), 201)
    assert root.tag == "service_requests"
    [request] = list(root)
    assert request.tag == "request"
    number = request.findtext("service_request_id")
    assert Case.objects.filter(number=number).exists()
    assert request.findtext("token")


def test_post_is_routed_like_any_other(
    client: Any, key: str, world: World, police: Department
) -> None:
    RoutingRule.objects.create(
        category=Category.objects.get(code="public_security"),
        territory_code=world.a.area.territory_code,
        department=police,
        handle_directly=True,
    )
    invalidate_routing()
    try:
        [answer] = _json(_post(client, key, address_id=_grid(world)), 201)
    finally:
        invalidate_routing()
    case = Case.objects.get(number=answer["service_request_id"])
    assert case.status == CaseStatus.DISPATCHED
    assert case.lead_department == police
    [published] = _json(client.get(f"{BASE}/requests/{case.number}.json"))
    assert published["agency_responsible"] == police.name
    assert published["expected_datetime"] is not None


def test_the_same_idempotency_key_creates_one_case(client: Any, key: str, world: World) -> None:
    headers = {"HTTP_IDEMPOTENCY_KEY": "portal-0001"}
    data = {
        "api_key": key,
        "service_code": "noise",
        "description": "噪音",
        "address_id": _grid(world),
    }
    first = _json(client.post(f"{BASE}/requests.json", data, **headers), 201)
    again = _json(client.post(f"{BASE}/requests.json", data, **headers), 200)
    assert first == again
    assert Case.objects.count() == 1
    # The form field names the same id; another system's identical id is another request.
    by_field = {**data, "idempotency_key": "portal-0001"}
    assert _json(client.post(f"{BASE}/requests.json", by_field), 200) == first
    other = api_key_create(name="hotline")[1]
    _json(client.post(f"{BASE}/requests.json", {**data, "api_key": other}, **headers), 201)
    assert Case.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "status", "phrase"),
    [
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "fq_not-a-key"}, 403, "api_key"),
        ({"service_code": None}, 400, "service_code is required"),
        ({"service_code": "no-such"}, 400, "no-such"),
        ({"description": None}, 400, "description is required"),
        ({"description": "长" * 4001}, 400, "4000"),
        ({"address_id": None}, 400, "Say where"),
        ({"address_id": None, "lat": "26.66"}, 400, "together"),
        ({"address_id": None, "lat": "abc", "long": "105.77"}, 400, "lat must be"),
        ({"address_id": None, "lat": "95", "long": "105.77"}, 400, "lat must be"),
        ({"address_id": None, "lat": "26.66", "long": "nan"}, 400, "long must be"),
        ({"address_id": None, "lat": "39.9", "long": "116.4"}, 400, "not within a place"),
        ({"address_id": "520524999"}, 400, "address_id"),
        ({"address_id": "abc"}, 400, "address_id"),
        ({"attribute[colour]": "red"}, 400, "no attribute"),
        ({"attribute[colour": "red"}, 400, "attribute[code]=value"),
        ({"attributes": "x"}, 400, "attribute[code]=value"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"phone": "12"}, 400, "phone"),
        ({"media_url": "ftp://x.example/1.jpg"}, 400, "media_url"),
        ({"jurisdiction_id": "520526"}, 404, "520526"),
        ({"jurisdiction_id": "52"}, 400, "jurisdiction_id"),
    ],
)
def test_bad_posts_are_refused_and_nothing_is_written(
    client: Any, key: str, world: World, fields: dict[str, Any], status: int, phrase: str
) -> None:
    household = world.a.household
    Household.objects.filter(pk=household.pk).update(
        latitude=Decimal("26.663000"), longitude=Decimal("105.775000")
    )
    base: dict[str, Any] = {"api_key": key, "address_id": _grid(world)}
    data = {**base, **fields}
    if data["api_key"] is None:
        del data["api_key"]
    key_value = data.pop("api_key", None)
    for fmt in ("json", "xml"):
        response = _post(client, key_value, fmt=fmt, **data)
        assert response.status_code == status
        if fmt == "json":
            assert any(phrase in text for text in _errors(response, status)), response.content
        else:
            root = _xml(response, status)
            assert root.tag == "errors"
            assert root.findtext("error/code") == str(status)
    assert Case.objects.count() == 0
    assert Open311Request.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_errors_are_in_chinese_by_default(client: Any, key: str, world: World) -> None:
    del client.defaults["HTTP_ACCEPT_LANGUAGE"]
    [problem] = _errors(_post(client, key, address_id=_grid(world), service_code=None), 400)
    assert problem == "缺少 service_code：请从 services.xml 中选择一项。"
    response = client.get(f"{BASE}/requests.xml", {"status": "pending"})
    assert "status 应为 open、closed" in (_xml(response, 400).findtext("error/description") or "")


def test_every_problem_is_named_at_once(client: Any, key: str) -> None:
    problems = _errors(
        client.post(
            f"{BASE}/requests.json",
            {"api_key": key, "description": "x" * 4001, "attribute[a]": "1"},
        ),
        400,
    )
    assert len(problems) >= 3
    assert Case.objects.count() == 0


def test_a_revoked_key_is_refused(client: Any, key: str, world: World) -> None:
    api_key_revoke(name="county-portal")
    _errors(_post(client, key, address_id=_grid(world)), 403)
    assert Case.objects.count() == 0


def test_a_key_acts_as_its_account(client: Any, world: World) -> None:
    api_key, plaintext = api_key_create(name="hotline")
    ApiKey.objects.filter(pk=api_key.pk).update(user=world.county_operator)
    [answer] = _json(_post(client, plaintext, address_id=_grid(world)), 201)
    assert Case.objects.get(number=answer["service_request_id"]).created_by == world.county_operator
    world.county_operator.is_active = False
    world.county_operator.save(update_fields=["is_active"])
    assert "disabled" in _errors(_post(client, plaintext, address_id=_grid(world)), 403)[0]
    assert Case.objects.count() == 1


def test_a_key_limited_to_a_territory(client: Any, world: World) -> None:
    plaintext = api_key_create(name="township-a", territory_code=world.a.area.territory_code)[1]
    _json(_post(client, plaintext, address_id=_grid(world)), 201)
    problems = _errors(_post(client, plaintext, address_id=world.b.grid.code), 403)
    assert world.a.area.territory_code in problems[0]
    assert Case.objects.count() == 1


def test_coordinates_place_the_case_in_the_nearest_households_grid(
    client: Any, key: str, world: World
) -> None:
    Household.objects.filter(pk=world.b.other_grid_household.pk).update(
        latitude=Decimal("26.700000"), longitude=Decimal("105.800000")
    )
    [answer] = _json(_post(client, key, lat="26.7021", long="105.8013"), 201)
    case = Case.objects.get(number=answer["service_request_id"])
    assert case.territory_code == world.b.other_grid_household.territory_code[:15]
    assert case.latitude == Decimal("26.702100")
    [published] = _json(client.get(f"{BASE}/requests/{case.number}.json"))
    assert published["lat"] == pytest.approx(26.7021)
    assert published["long"] == pytest.approx(105.8013)


def test_an_address_alone_goes_to_the_county(client: Any, key: str, world: World) -> None:
    [answer] = _json(_post(client, key, address_string="县医院门口"), 201)
    assert Case.objects.get(number=answer["service_request_id"]).territory_code == "520524"
    [answer] = _json(_post(client, key, address_string="县医院门口", jurisdiction_id="520524"), 201)
    assert Case.objects.count() == 2


def test_an_address_id_outside_the_jurisdiction(client: Any, key: str, world: World) -> None:
    from fengqiao.conftest import VALID_FROM
    from fengqiao.territory.choices import AreaKind, AreaLevel
    from fengqiao.territory.services import area_create

    area_create(
        code="520526000000",
        name="威宁县",
        level=AreaLevel.COUNTY,
        kind=AreaKind.COUNTY,
        parent=world.county.parent,
        valid_from=VALID_FROM,
    )
    problems = _errors(_post(client, key, address_id=_grid(world), jurisdiction_id="520526"), 400)
    assert "520526" in problems[0]
    # Two counties now: an address alone needs the jurisdiction.
    assert "jurisdiction_id" in _errors(_post(client, key, address_string="某路"), 400)[0]
    assert Case.objects.count() == 0


def test_other_methods_are_refused(client: Any) -> None:
    response = client.put(f"{BASE}/requests.json")
    assert _errors(response, 405)
    assert response["Allow"] == "GET, HEAD, POST"
    assert client.post(f"{BASE}/requests/1.json").status_code == 405


# --- Reading requests ---------------------------------------------------------------------


def test_contact_details_are_never_published(client: Any, key: str, world: World) -> None:
    [answer] = _json(
        _post(
            client,
            key,
            address_id=_grid(world),
            first_name="三",
            last_name="张",
            phone="13800001234",
            email="zhang@example.cn",
            device_id="device-1",
            account_id="acct-9",
        ),
        201,
    )
    number = answer["service_request_id"]
    for url in (
        f"{BASE}/requests/{number}.json",
        f"{BASE}/requests/{number}.xml",
        f"{BASE}/requests.json",
        f"{BASE}/requests.xml",
        f"{BASE}/servicerequestupdates.json",
    ):
        text = client.get(url).content.decode("utf-8")
        for secret in ("13800001234", "zhang@example.cn", "张三", "device-1", "acct-9"):
            assert secret not in text, (url, secret)


def test_one_request_in_both_formats(client: Any, key: str, world: World) -> None:
    [answer] = _json(_post(client, key, address_id=_grid(world), address_string="中街12号"), 201)
    number = answer["service_request_id"]
    [request] = _json(client.get(f"{BASE}/requests/{number}.json"))
    assert request["service_request_id"] == number
    assert request["status"] == "open"
    assert request["service_code"] == "noise"
    assert request["service_name"] == Category.objects.get(code="noise").name
    assert request["description"] == "楼下KTV每晚闹到两点"
    assert request["address"] == "中街12号"
    assert request["address_id"] == _grid(world)
    assert request["agency_responsible"] == ""
    assert request["requested_datetime"].endswith("+08:00")
    assert datetime.datetime.fromisoformat(request["requested_datetime"]) <= timezone.now()
    root = _xml(client.get(f"{BASE}/requests/{number}.xml"))
    assert root.tag == "service_requests"
    node = root.find("request")
    assert node is not None
    assert [child.tag for child in node] == list(request)
    assert node.findtext("status") == "open"
    assert node.findtext("lat") == ""


def test_token_maps_to_the_request(client: Any, key: str, world: World) -> None:
    [answer] = _json(_post(client, key, address_id=_grid(world)), 201)
    [mapped] = _json(client.get(f"{BASE}/tokens/{answer['token']}.json"))
    assert mapped == {"service_request_id": answer["service_request_id"], "token": answer["token"]}
    root = _xml(client.get(f"{BASE}/tokens/{answer['token']}.xml"))
    assert root.findtext("request/service_request_id") == answer["service_request_id"]
    _errors(client.get(f"{BASE}/tokens/not-a-token.json"), 404)
    _errors(client.get(f"{BASE}/tokens/00000000-0000-0000-0000-000000000000.json"), 404)


def test_reports_and_disputes_are_never_published(client: Any, world: World) -> None:
    report = _submit_other(world, CaseType.REPORT, code="fraud")
    dispute = _submit_other(world, CaseType.DISPUTE, code="dispute_neighbour")
    complaint = _submit_other(world, CaseType.COMPLAINT)
    listed = {r["service_request_id"] for r in _json(client.get(f"{BASE}/requests.json"))}
    assert listed == {complaint.number}
    for hidden in (report, dispute):
        _errors(client.get(f"{BASE}/requests/{hidden.number}.json"), 404)
        ids = {"service_request_id": hidden.number}
        assert _json(client.get(f"{BASE}/requests.json", ids)) == []
        assert _json(client.get(f"{BASE}/servicerequestupdates.json", ids)) == []


def test_other_channels_publish_no_texts(client: Any, world: World) -> None:
    case = _submit_other(world)
    [request] = _json(client.get(f"{BASE}/requests/{case.number}.json"))
    assert request["description"] == ""
    assert request["lat"] is None and request["media_url"] == ""
    # The place is the village and grid, not the doorplate.
    assert world.a.village.name in request["address"]
    assert world.a.household.address not in request["address"]
    assert request["status_notes"] == str(CaseStatus.SUBMITTED.label)
    text = client.get(f"{BASE}/requests.json").content.decode("utf-8")
    assert "张三" not in text and "13800001111" not in text


def test_unknown_request_is_404(client: Any, world: World) -> None:
    assert "nope" in _errors(client.get(f"{BASE}/requests/nope.json"), 404)[0]
    root = _xml(client.get(f"{BASE}/requests/nope.xml"), 404)
    assert root.findtext("error/code") == "404"


def test_list_filters(client: Any, key: str, world: World) -> None:
    open_case = _submit_other(world)
    rejected = _submit_other(world, code="hukou")
    case_reject(case=rejected, actor=world.a.users["township_operator"], reason="不属于受理范围")

    def numbers(**params: str) -> set[str]:
        return {r["service_request_id"] for r in _json(client.get(f"{BASE}/requests.json", params))}

    assert numbers() == {open_case.number, rejected.number}
    assert numbers(status="open") == {open_case.number}
    assert numbers(status="closed") == {rejected.number}
    assert numbers(status="open,closed") == {open_case.number, rejected.number}
    assert numbers(service_code="noise") == {open_case.number}
    # A service with sub-categories stands for all of them.
    parent = Category.objects.get(code="noise").parent
    assert parent is not None
    assert open_case.number in numbers(service_code=f"{parent.code},hukou")
    assert numbers(service_code="no-such") == set()
    assert numbers(service_request_id=f"{rejected.number}, nope") == {rejected.number}
    assert numbers(jurisdiction_id="520524") == {open_case.number, rejected.number}
    # The window: nothing received last year.
    a_year_ago = timezone.now() - datetime.timedelta(days=365)
    assert numbers(start_date=a_year_ago.date().isoformat()) == set()
    assert numbers(end_date=(timezone.now() + datetime.timedelta(days=1)).isoformat()) == {
        open_case.number,
        rejected.number,
    }
    # An unencoded "+" of an offset arrives as a space, and is read as meant.
    start = timezone.localtime() - datetime.timedelta(hours=1)
    raw = start.isoformat(timespec="seconds")
    assert f"{BASE}/requests.json?start_date={raw}".count("+") == 1
    response = client.get(f"{BASE}/requests.json?start_date={raw}&status=open")
    assert {r["service_request_id"] for r in _json(response)} == {open_case.number}
    # Pages (the common extension), newest first.
    assert [r["service_request_id"] for r in _json(client.get(f"{BASE}/requests.json"))] == [
        rejected.number,
        open_case.number,
    ]
    assert numbers(page_size="1") == {rejected.number}
    assert numbers(page_size="1", page="2") == {open_case.number}
    assert numbers(page_size="1", page="3") == set()


def test_rejection_reason_is_the_status_note_of_an_open311_request(
    client: Any, key: str, world: World
) -> None:
    [answer] = _json(_post(client, key, address_id=_grid(world)), 201)
    case = Case.objects.get(number=answer["service_request_id"])
    case_reject(case=case, actor=world.county_operator, reason="请拨打110")
    [request] = _json(client.get(f"{BASE}/requests/{case.number}.json"))
    assert request["status"] == "closed"
    assert request["status_notes"] == "请拨打110"


@pytest.mark.parametrize(
    ("params", "phrase"),
    [
        ({"status": "pending"}, "status"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-45"}, "end_date"),
        ({"start_date": "2026-01-01", "end_date": "2026-06-01"}, "90 days"),
        ({"start_date": "2026-06-01", "end_date": "2026-05-01"}, "before"),
        ({"page": "0"}, "page"),
        ({"page_size": "1001"}, "1000"),
        ({"page_size": "ten"}, "page_size"),
        ({"service_request_id": ",".join(str(n) for n in range(201))}, "200"),
    ],
)
def test_bad_filters(client: Any, world: World, params: dict[str, str], phrase: str) -> None:
    assert any(phrase in text for text in _errors(client.get(f"{BASE}/requests.json", params), 400))
    root = _xml(client.get(f"{BASE}/requests.xml", params), 400)
    assert root.findtext("error/code") == "400"


def test_the_list_takes_constant_queries(client: Any, key: str, world: World) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{BASE}/requests.json").status_code == 200
        return len(queries)

    _submit_other(world)
    _json(_post(client, key, address_id=_grid(world)), 201)
    few = count()
    for _ in range(5):
        _submit_other(world)
        [answer] = _json(_post(client, key, address_id=_grid(world)), 201)
        rejected = Case.objects.get(number=answer["service_request_id"])
        case_reject(case=rejected, actor=world.county_operator, reason="重复")
    assert count() == few + 1  # the rejections' reasons, once for the whole page
    # The private categories' ids, the rows (the page is a subquery), two for the place names.
    assert few <= 4


# --- Following a request to closed --------------------------------------------------------


def _close(case: Case, world: World, police: Department) -> None:
    county = world.county_operator
    handler = world.a.users["dept_handler"]
    case = case_accept(case=case, actor=county)
    case = case_dispatch(case=case, actor=county, department=police)
    case = case_sign(case=case, actor=handler)
    case = case_reply(case=case, actor=handler, text="已约谈KTV经营者，晚十点后停止营业。")
    case = case_review_reply(case=case, actor=county, approve=True)
    case_rate(case=case, rating=Rating.SATISFIED)


def test_followed_to_closed_with_updates(
    client: Any, key: str, world: World, police: Department
) -> None:
    [answer] = _json(_post(client, key, address_id=_grid(world)), 201)
    number = answer["service_request_id"]
    case = Case.objects.get(number=number)
    case_accept(case=case, actor=world.county_operator)
    case = case_dispatch(case=case, actor=world.county_operator, department=police)
    case = case_sign(case=case, actor=world.a.users["dept_handler"])
    case_reply(case=case, actor=world.a.users["dept_handler"], text="草稿答复")
    [request] = _json(client.get(f"{BASE}/requests/{number}.json"))
    # A reply under review is not published yet.
    assert request["status"] == "open" and "草稿答复" not in json.dumps(request)
    assert request["agency_responsible"] == police.name
    updates = _json(
        client.get(f"{BASE}/servicerequestupdates.json", {"service_request_id": number})
    )
    assert "草稿答复" not in json.dumps(updates, ensure_ascii=False)

    case = Case.objects.get(pk=case.pk)
    case = case_review_reply(
        case=case, actor=world.county_operator, approve=False, note="请说明整改期限"
    )
    case = case_reply(
        case=Case.objects.get(pk=case.pk),
        actor=world.a.users["dept_handler"],
        text="已约谈KTV经营者，晚十点后停止营业。",
    )
    case = case_review_reply(case=case, actor=world.county_operator, approve=True)
    case_rate(case=case, rating=Rating.SATISFIED, comment="谢谢，李四")

    [request] = _json(client.get(f"{BASE}/requests/{number}.json"))
    assert request["status"] == "closed"
    assert request["status_notes"] == "已约谈KTV经营者，晚十点后停止营业。"
    updates = _json(
        client.get(f"{BASE}/servicerequestupdates.json", {"service_request_id": number})
    )
    assert [u["status"] for u in updates][-1] == "closed"
    assert updates[0]["status"] == "open"
    assert all(u["service_request_id"] == number for u in updates)
    assert len({u["update_id"] for u in updates}) == len(updates)
    text = json.dumps(updates, ensure_ascii=False)
    # Between staff (the sent-back note, the draft) and the resident's comment: not published.
    for private in ("请说明整改期限", "草稿答复", "李四"):
        assert private not in text
    assert "已约谈KTV经营者" in text
    kinds = list(
        CaseEvent.objects.filter(case=case)
        .order_by("created_at", "id")
        .values_list("kind", flat=True)
    )
    assert len(updates) == len(kinds) - 3  # the reply twice and the sending back are internal
    root = _xml(client.get(f"{BASE}/servicerequestupdates.xml", {"service_request_id": number}))
    assert root.tag == "service_requests_updates"
    assert [child.tag for child in root] == ["request_update"] * len(updates)
    assert [child.tag for child in root[0]] == [
        "update_id",
        "service_request_id",
        "status",
        "updated_datetime",
        "description",
        "media_url",
    ]


def test_updates_of_other_channels_carry_no_free_text(
    client: Any, world: World, police: Department
) -> None:
    case = _submit_other(world)
    case_accept(case=case, actor=world.a.users["township_operator"])
    case = case_dispatch(
        case=Case.objects.get(pk=case.pk),
        actor=world.a.users["township_operator"],
        department=police,
    )
    case = case_sign(case=case, actor=world.a.users["dept_handler"])
    case = case_reply(case=case, actor=world.a.users["dept_handler"], text="已联系张三本人处理")
    case = case_review_reply(case=case, actor=world.a.users["township_operator"], approve=True)
    case_rate(case=case, rating=Rating.SATISFIED)
    updates = _json(client.get(f"{BASE}/servicerequestupdates.json"))
    assert updates[-1]["status"] == "closed"
    assert "张三" not in json.dumps(updates, ensure_ascii=False)
    [request] = _json(client.get(f"{BASE}/requests/{case.number}.json"))
    assert request["status"] == "closed" and "张三" not in request["status_notes"]


def test_updates_window_and_pages(client: Any, key: str, world: World) -> None:
    for _ in range(3):
        _json(_post(client, key, address_id=_grid(world)), 201)
    everything = _json(client.get(f"{BASE}/servicerequestupdates.json"))
    assert len(everything) == 3
    first = _json(client.get(f"{BASE}/servicerequestupdates.json", {"page_size": "2"}))
    second = _json(
        client.get(f"{BASE}/servicerequestupdates.json", {"page_size": "2", "page": "2"})
    )
    assert first + second == everything
    later = (timezone.now() + datetime.timedelta(minutes=1)).isoformat()
    assert _json(client.get(f"{BASE}/servicerequestupdates.json", {"start_date": later})) == []
    _errors(client.get(f"{BASE}/servicerequestupdates.json", {"start_date": "soon"}), 400)
    _errors(client.post(f"{BASE}/servicerequestupdates.json"), 405)


def test_api_key_rows_stay_when_cases_refer_to_them(key: str, client: Any, world: World) -> None:
    _json(_post(client, key, address_id=_grid(world)), 201)
    assert ApiKey.objects.get(name="county-portal").requests.count() == 1


def test_pages_merge_every_status_newest_first(
    client: Any, key: str, world: World, police: Department
) -> None:
    operator = world.a.users["township_operator"]
    for number in range(9):
        case = _submit_other(world)
        if number % 3 >= 1:
            case = case_accept(case=case, actor=operator)
        if number % 3 == 2:
            case_dispatch(case=case, actor=operator, department=police)
    for _ in range(2):
        [answer] = _json(_post(client, key, address_id=_grid(world)), 201)
        case_reject(
            case=Case.objects.get(number=answer["service_request_id"]),
            actor=world.county_operator,
            reason="重复",
        )
    expected = list(Case.objects.order_by("-created_at", "-id").values_list("number", flat=True))
    assert len({c.status for c in Case.objects.all()}) == 4

    def page(number: int) -> list[str]:
        params = {"page": str(number), "page_size": "4"}
        return [r["service_request_id"] for r in _json(client.get(f"{BASE}/requests.json", params))]

    assert page(1) + page(2) + page(3) == expected
    assert page(4) == []
    assert [r["service_request_id"] for r in _json(client.get(f"{BASE}/requests.json"))] == (
        expected
    )


def test_control_characters_never_break_the_xml(client: Any, key: str, world: World) -> None:
    problems = _errors(_post(client, key, address_id=_grid(world), description="噪音\x01"), 400)
    assert "control characters" in problems[0]
    [answer] = _json(
        _post(client, key, address_id=_grid(world), address_string="中街\x0b12号"), 201
    )
    root = _xml(client.get(f"{BASE}/requests/{answer['service_request_id']}.xml"))
    assert root.findtext("request/address") == "中街12号"
    assert len(_xml(client.get(f"{BASE}/requests.xml"))) == 1


def test_the_admin_lists_requests_without_contact_details(
    client: Any, key: str, world: World
) -> None:
    [answer] = _json(
        _post(client, key, address_id=_grid(world), email="zhang@example.cn", phone="13800001234"),
        201,
    )
    request = Open311Request.objects.get()
    client.force_login(world.admin, backend="django.contrib.auth.backends.ModelBackend")
    listing = client.get(reverse("admin:api_open311request_changelist"))
    assert listing.status_code == 200
    assert answer["service_request_id"] in listing.content.decode()
    page = client.get(reverse("admin:api_open311request_change", args=[request.pk]))
    assert page.status_code == 200
    for secret in ("zhang@example.cn", "13800001234", request.email_encrypted):
        assert secret not in page.content.decode()
    # Read-only: nothing can be added, changed or deleted there.
    assert client.get(reverse("admin:api_open311request_add")).status_code == 403
    client.force_login(world.county_operator, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("admin:api_open311request_changelist")).status_code in (302, 403)


def test_a_key_receives_only_where_its_account_could(client: Any, world: World) -> None:
    api_key, plaintext = api_key_create(name="grid-app")
    ApiKey.objects.filter(pk=api_key.pk).update(user=world.a.users["grid_worker"])
    problems = _errors(_post(client, plaintext, address_id=world.b.grid.code), 403)
    assert world.b.grid.code in problems[0]
    assert Case.objects.count() == 0


@pytest.mark.parametrize("resource", ["requests", "servicerequestupdates"])
def test_a_page_too_deep_is_refused_in_the_spec_s_format(
    client: Any, world: World, resource: str
) -> None:
    response = client.get(f"{BASE}/{resource}.json", {"page": "99999999999999999999999"})
    assert response.status_code == 400
    assert "narrow start_date" in response.json()[0]["description"]


def test_private_matters_are_never_offered_or_published(
    client: Any, key: str, world: World
) -> None:
    codes = {item["service_code"] for item in _json(client.get(f"{BASE}/services.json"))}
    assert "noise" in codes
    assert not codes & {"drugs", "dispute", "dispute_family", "minors", "social_assistance"}
    _errors(client.get(f"{BASE}/services/drugs.json"), 404)
    _errors(_post(client, key, service_code="drugs", address_id=_grid(world)), 400)
    assert Case.objects.count() == 0
    # However it came in, a family dispute filed as a complaint stays unlisted.
    family = _submit_other(world, code="dispute_family")
    listed = _submit_other(world)
    numbers = {item["service_request_id"] for item in _json(client.get(f"{BASE}/requests.json"))}
    assert numbers == {listed.number}
    _errors(client.get(f"{BASE}/requests/{family.number}.json"), 404)
    updates = _json(client.get(f"{BASE}/servicerequestupdates.json"))
    assert family.number not in {item["service_request_id"] for item in updates}
