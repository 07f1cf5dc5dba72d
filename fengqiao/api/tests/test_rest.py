"""The REST API through HTTP: keys act as their account, scoping answers 404, every move goes
through the services (same guards, same timeline), errors are problem documents."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from fengqiao.api.models import ApiKey
from fengqiao.api.rest import lookups
from fengqiao.api.services import api_key_create
from fengqiao.audit.choices import AuditAction
from fengqiao.audit.models import AuditEntry
from fengqiao.cases.choices import CaseStatus, EventKind
from fengqiao.cases.models import Case
from fengqiao.conftest import World
from fengqiao.org.models import Department, User

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_lookups() -> Any:
    """The intake's per-process caches outlive a test's rolled-back rows: start clean."""
    lookups.invalidate()
    yield
    lookups.invalidate()


def key_for(user: User | None, name: str = "province") -> str:
    api_key, plaintext = api_key_create(name=name)
    if user is not None:
        ApiKey.objects.filter(pk=api_key.pk).update(user=user)
    return plaintext


def client_for(user: User | None, *, header: str = "token", name: str = "province") -> Client:
    plaintext = key_for(user, name)
    if header == "token":
        return Client(HTTP_AUTHORIZATION=f"Token {plaintext}", HTTP_ACCEPT_LANGUAGE="en")
    return Client(HTTP_X_API_KEY=plaintext, HTTP_ACCEPT_LANGUAGE="en")


def new_case(client: Client, **overrides: Any) -> Any:
    body = {
        "case_type": "complaint",
        "category": "noise",
        "title": "Noise at night",
        "description": "The karaoke bar downstairs plays until 2 am.",
        "territory_code": "520524001201",
        **overrides,
    }
    return client.post("/api/v1/cases/", body, content_type="application/json")


def test_without_credentials_401_problem(world: World) -> None:
    response = Client().get("/api/v1/cases/")
    assert response.status_code in (401, 403)
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == response.status_code and body["type"].startswith("urn:fengqiao:")


def test_unknown_key_is_401_and_says_what_to_do(world: World) -> None:
    response = Client(HTTP_AUTHORIZATION="Token fq_nonsense", HTTP_ACCEPT_LANGUAGE="en").get(
        "/api/v1/cases/"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "administrators" in response.json()["detail"]


def test_key_without_account_reaches_only_public_resources(world: World) -> None:
    client = client_for(None)
    assert client.get("/api/v1/categories/").status_code == 200
    response = client.get("/api/v1/cases/")
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    # The roster lists say the same first: no account, not a missing permission.
    for resource in ("persons", "households"):
        response = client.get(f"/api/v1/{resource}/")
        assert response.status_code == 403 and "needs a staff account" in response.json()["detail"]


def test_revoked_key_stops_at_once(world: World) -> None:
    from fengqiao.api.services import api_key_revoke

    client = client_for(world.a.users["township_operator"])
    assert client.get("/api/v1/cases/").status_code == 200
    api_key_revoke(name="province")
    assert client.get("/api/v1/cases/").status_code == 401


def test_push_is_idempotent_on_the_external_id(world: World) -> None:
    client = client_for(world.county_operator)
    first = new_case(client, external_id="GZ-2026-0001", channel="provincial")
    assert first.status_code == 201, first.json()
    again = new_case(client, external_id="GZ-2026-0001", channel="provincial")
    assert again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert first["Location"] == f"/api/v1/cases/{first.json()['number']}/"
    case = Case.objects.get(number=first.json()["number"])
    assert case.channel == "provincial" and case.holder_code == "520524"
    assert Case.objects.count() == 1
    # Another system with the same id of its own gets a case of its own.
    other = client_for(world.county_operator, header="x-api-key", name="city")
    assert new_case(other, external_id="GZ-2026-0001").status_code == 201
    assert Case.objects.count() == 2
    # The caller finds its case by its own id.
    listed = client.get("/api/v1/cases/", {"external_id": "GZ-2026-0001"}).json()
    assert [c["number"] for c in listed["results"]] == [case.number]


def test_bad_input_is_400_with_errors_per_field_and_nothing_written(world: World) -> None:
    client = client_for(world.county_operator)
    response = new_case(
        client, category="no-such", territory_code="12", reporter={"phone": "call me"}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    errors = response.json()["errors"]
    assert set(errors) == {"territory_code", "reporter.phone"}
    assert "6, 9, 12, 15 or 18 digits" in errors["territory_code"][0]
    unknown = new_case(client, category="no-such")
    assert unknown.status_code == 400 and "category" in unknown.json()["errors"]
    assert Case.objects.count() == 0


def test_intake_only_in_the_callers_territory(world: World) -> None:
    client = client_for(world.a.users["township_operator"])
    response = new_case(client, territory_code="520524002201")
    assert response.status_code == 400
    assert "your territory" in response.json()["errors"]["territory_code"][0]
    handler = client_for(world.a.users["dept_handler"], name="dept")
    assert new_case(handler).status_code == 403
    assert Case.objects.count() == 0


def test_out_of_scope_is_404_like_missing(world: World) -> None:
    number = new_case(client_for(world.county_operator)).json()["number"]
    other = client_for(world.b.users["township_operator"], name="b")
    response = other.get(f"/api/v1/cases/{number}/")
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM
    assert other.get("/api/v1/cases/0000/").json()["detail"] == response.json()["detail"]
    moved = other.post(f"/api/v1/cases/{number}/accept/", {"version": 1}, "application/json")
    assert moved.status_code == 404
    assert other.get("/api/v1/cases/").json()["results"] == []


def test_the_loop_through_the_api_writes_the_same_timeline(
    world: World, department: Department
) -> None:
    center = client_for(world.a.users["township_operator"])
    created = new_case(center, channel="phone", household=world.a.household.pk).json()
    number, version = created["number"], created["version"]
    assert created["status"] == CaseStatus.SUBMITTED
    detail = center.get(f"/api/v1/cases/{number}/").json()
    assert {"accept", "reject", "dispatch"} <= set(detail["actions"])
    dispatched = center.post(
        f"/api/v1/cases/{number}/dispatch/",
        {"version": version, "department": department.pk, "note": "please"},
        "application/json",
    )
    assert dispatched.status_code == 200, dispatched.json()
    body = dispatched.json()
    assert body["status"] == CaseStatus.DISPATCHED
    assert [e["kind"] for e in body["timeline"]] == [
        EventKind.SUBMIT,
        EventKind.ACCEPT,
        EventKind.DISPATCH,
    ]
    police = client_for(world.a.users["dept_handler"], name="police")
    signed = police.post(
        f"/api/v1/cases/{number}/sign/", {"version": body["version"]}, "application/json"
    )
    assert signed.status_code == 200
    version = signed.json()["version"]
    # Stale: the version read before signing.
    stale = police.post(
        f"/api/v1/cases/{number}/reply/",
        {"version": body["version"], "text": "done"},
        "application/json",
    )
    assert stale.status_code == 409 and stale["Content-Type"] == PROBLEM
    assert stale.json()["type"] == "urn:fengqiao:problem:stale-version"
    empty = police.post(
        f"/api/v1/cases/{number}/reply/", {"version": version, "text": " "}, "application/json"
    )
    assert empty.status_code == 400 and "text" in empty.json()["errors"]
    # A rule of the service (the extension cap) is 422, in the service's words.
    too_long = police.post(
        f"/api/v1/cases/{number}/extension/",
        {"version": version, "days": 300, "reason": "busy"},
        "application/json",
    )
    assert too_long.status_code == 422 and "capped at 30 days" in too_long.json()["detail"]
    replied = police.post(
        f"/api/v1/cases/{number}/reply/", {"version": version, "text": "Fixed."}, "application/json"
    )
    assert replied.status_code == 200 and replied.json()["status"] == CaseStatus.REPLIED, (
        replied.json()
    )
    # Only the center reviews: the department may not (403), and the wrong state is 409.
    forbidden = police.post(
        f"/api/v1/cases/{number}/review/",
        {"version": replied.json()["version"], "decision": "approve"},
        "application/json",
    )
    assert forbidden.status_code == 403 and forbidden["Content-Type"] == PROBLEM
    wrong_state = center.post(
        f"/api/v1/cases/{number}/accept/",
        {"version": replied.json()["version"]},
        "application/json",
    )
    assert wrong_state.status_code == 409
    assert wrong_state.json()["type"] == "urn:fengqiao:problem:invalid-transition"
    case = Case.objects.get(number=number)
    assert case.status == CaseStatus.REPLIED
    assert case.events.count() == 5


def test_list_filters_and_cursor_pages(world: World) -> None:
    client = client_for(world.county_operator)
    for n in range(5):
        new_case(client, title=f"Case {n}", urgency="urgent" if n % 2 else "normal")
    page = client.get("/api/v1/cases/", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    second = client.get(page["next"]).json()
    assert len(second["results"]) == 2
    assert not {c["number"] for c in page["results"]} & {c["number"] for c in second["results"]}
    found = client.get("/api/v1/cases/", {"q": "Case 3"}).json()["results"]
    assert [c["title"] for c in found] == ["Case 3"]
    assert (
        len(
            client.get("/api/v1/cases/", {"status": "submitted", "territory": "520524001"}).json()[
                "results"
            ]
        )
        == 5
    )
    bad = client.get("/api/v1/cases/", {"status": "nonsense"})
    assert bad.status_code == 400 and "status" in bad.json()["errors"]


def may_export_roster(user: User) -> User:
    user.user_permissions.add(Permission.objects.get(codename="export_roster"))
    return User.objects.get(pk=user.pk)  # permissions are cached on the instance


def test_persons_are_masked_and_scoped(world: World) -> None:
    client = client_for(may_export_roster(world.a.users["township_operator"]))
    persons = client.get("/api/v1/persons/").json()["results"]
    assert {p["name"] for p in persons} == {"张双堰街道", "李双堰街道"}
    for person in persons:
        assert "*" in person["id_number"]
    phones = [p["phone"] for p in persons if p["phone"]]
    assert phones == ["138****0001"]
    households = client.get("/api/v1/households/").json()["results"]
    assert {h["id"] for h in households} == {world.a.household.pk, world.a.other_grid_household.pk}
    assert client.get(f"/api/v1/households/{world.b.household.pk}/").status_code == 404


def test_listing_the_roster_is_an_audited_export(world: World) -> None:
    operator = world.a.users["township_operator"]
    client = client_for(operator)
    # Without the roster-export permission: one household or person, never the list.
    for resource in ("persons", "households"):
        refused = client.get(f"/api/v1/{resource}/")
        assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM
        assert "export household rosters" in refused.json()["detail"]
    assert client.get(f"/api/v1/households/{world.a.household.pk}/").status_code == 200
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()

    client = client_for(may_export_roster(operator), name="roster sync")
    page = client.get("/api/v1/persons/", {"household": world.a.household.pk}).json()
    client.get("/api/v1/households/")
    entries = AuditEntry.objects.filter(action=AuditAction.EXPORT, actor=operator).order_by("id")
    assert [e.detail for e in entries] == [
        {
            "kind": "api_roster",
            "resource": "persons",
            "rows": len(page["results"]),
            "filters": {"household": str(world.a.household.pk)},
        },
        {"kind": "api_roster", "resource": "households", "rows": 2, "filters": {}},
    ]


def test_session_login_works_for_the_web(world: World) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.a.users["township_operator"])
    assert client.get("/api/v1/departments/").status_code == 200


def test_schema_and_unknown_addresses(world: World) -> None:
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/cases/{number}/accept/" in schema.json()["paths"]
    missing = Client().get("/api/v1/nothing-here/")
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM


def test_the_intake_answer_is_the_list_serializer_written_out(world: World) -> None:
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from fengqiao.api.rest.serializers import CaseSerializer, case_summary

    client = client_for(world.county_operator)
    answered = new_case(client, external_id="A-1").json()
    case = Case.objects.get(number=answered["number"])
    request = Request(APIRequestFactory().get("/"))
    expected = CaseSerializer(case, context={"request": request}).data
    assert case_summary(case, expected["url"]) == expected
    assert answered == {**expected, "url": answered["url"]}


def test_a_category_taken_out_of_use_is_refused_at_once(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    from fengqiao.cases.models import Category

    client = client_for(world.county_operator)
    assert new_case(client).status_code == 201
    category = Category.objects.get(code="noise")
    category.is_active = False
    with django_capture_on_commit_callbacks(execute=True):
        category.save()
    refused = new_case(client)
    assert refused.status_code == 400 and "noise" in refused.json()["errors"]["category"][0]


def test_statistics_use_the_same_figures_in_the_callers_scope(world: World) -> None:
    county = client_for(world.county_operator)
    new_case(county)
    new_case(county, territory_code="520524002201")
    a = client_for(world.a.users["township_operator"], name="a")
    mine = a.get("/api/v1/statistics/", {"period": "year", "by": "channel"})
    assert mine.status_code == 200, mine.json()
    assert mine.json()["figures"]["received"] == 1, mine.json()
    everything = county.get("/api/v1/statistics/", {"period": "year", "by": "territory"}).json()
    assert everything["figures"]["received"] == 2
    assert sum(row["figures"]["received"] for row in everything["breakdown"]) == 2
    bad = county.get("/api/v1/statistics/", {"period": "custom", "date_from": "2026-02-01"})
    assert bad.status_code == 400 and "date_from" in bad.json()["errors"]


def test_documentation_pages_load_their_scripts_from_us(world: World) -> None:
    for address in ("/api/schema/swagger/", "/api/schema/redoc/"):
        page = Client().get(address)
        assert page.status_code == 200
        html = page.content.decode()
        assert "/static/drf_spectacular_sidecar/" in html
        assert "cdn." not in html and "unpkg" not in html
    browsable = client_for(world.county_operator).get("/api/v1/cases/", HTTP_ACCEPT="text/html")
    assert browsable.status_code == 200 and b"<html" in browsable.content[:500].lower()


def test_lists_take_the_same_queries_whatever_their_length(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(may_export_roster(world.county_operator))

    def queries(address: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200
        return len(captured.captured_queries)

    new_case(client)
    one = {a: queries(a) for a in ("/api/v1/cases/", "/api/v1/persons/", "/api/v1/disputes/")}
    for n in range(4):
        new_case(client, title=f"More {n}")
    assert queries("/api/v1/cases/") == one["/api/v1/cases/"] <= 3
    # The roster list also reads the caller's permissions and writes its audit entry.
    assert queries("/api/v1/persons/") == one["/api/v1/persons/"] <= 3 + 2 + 1


def test_queue_filter_reads_the_callers_workbench(world: World) -> None:
    township = client_for(world.a.users["township_operator"])
    held = new_case(township, channel="phone").json()["number"]
    new_case(township, channel="provincial")  # lands at the county center, not the township's
    queue = township.get("/api/v1/cases/", {"queue": "to_accept"}).json()["results"]
    assert [c["number"] for c in queue] == [held]
    # A queue of another workbench is simply empty for this caller.
    assert township.get("/api/v1/cases/", {"queue": "to_sign"}).json()["results"] == []


def test_a_key_acting_as_a_disabled_account_is_refused(world: World) -> None:
    user = world.a.users["township_operator"]
    client = client_for(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get("/api/v1/cases/")
    assert response.status_code == 401 and "disabled" in response.json()["detail"]


def test_intake_takes_the_same_few_queries_each_time(world: World) -> None:
    """After the first call (per-process caches warm), a push needs the key lookup and the
    intake's own statements: the same number every time, no category or place lookups."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.county_operator)
    assert new_case(client, external_id="Q-0").status_code == 201

    def statements(external_id: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert new_case(client, external_id=external_id).status_code == 201
        return [query["sql"] for query in captured.captured_queries]

    first, second = statements("Q-1"), statements("Q-2")
    assert len(first) == len(second)
    assert sum('FROM "api_apikey"' in sql for sql in first) == 1
    assert not any('"cases_category"' in sql or 'FROM "territory_area"' in sql for sql in first)
    if connection.vendor == "postgresql":
        # The key, the idempotency probe, the one intake statement.
        assert len(first) == 3, first


def test_the_key_lookup_reads_the_key_and_its_account_in_one_query(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fengqiao.api.rest.authentication import api_key_with_account
    from fengqiao.api.services import api_key_revoke

    user = world.county_operator
    plaintext = key_for(user)
    expected = ApiKey.objects.select_related("user").get(name="province")
    with CaptureQueriesContext(connection) as captured:
        found = api_key_with_account(plaintext)
        assert found is not None and found.user is not None
        account = found.user
    assert len(captured.captured_queries) == 1
    assert (found.pk, found.name, found.prefix, found.created_at, found.revoked_at) == (
        expected.pk,
        expected.name,
        expected.prefix,
        expected.created_at,
        expected.revoked_at,
    )
    assert found.created_at.tzinfo is not None and not found._state.adding
    assert account == user and account.get_username() == user.get_username()
    assert account.role == user.role and account.scope_code == user.scope_code
    # A key acting as no account: no user, and no second query to find that out.
    public = key_for(None, name="public")
    with CaptureQueriesContext(connection) as captured:
        found = api_key_with_account(public)
        assert found is not None and found.user is None
    assert len(captured.captured_queries) == 1
    assert api_key_with_account("fq_unknown") is None
    api_key_revoke(name="province")
    assert api_key_with_account(plaintext) is None


def test_intake_input_serializers_share_their_fields_not_their_data() -> None:
    from fengqiao.api.rest.serializers import CaseCreateSerializer

    good = {
        "case_type": "complaint",
        "category": "noise",
        "title": "Noise",
        "description": "Loud.",
        "territory_code": "520524001201",
        "reporter": {"kind": "anonymous", "phone": "138 0000 0000"},
    }
    bad = {**good, "case_type": "nonsense", "reporter": {"phone": "call me"}}
    first, second = CaseCreateSerializer(data=bad), CaseCreateSerializer(data=good)
    assert first.fields is second.fields
    assert not first.is_valid()
    assert second.is_valid(), second.errors
    assert set(first.errors) == {"case_type", "reporter"}
    assert second.validated_data["reporter"]["phone"] == "138 0000 0000"
    assert second.validated_data["channel"] == "api" and "case_type" not in first.validated_data
    with translation.override("zh-hans"):
        refused = CaseCreateSerializer(data={**good, "title": "x" * 101})
        assert not refused.is_valid()
        chinese = str(refused.errors["title"][0])
    assert chinese != "Ensure this field has no more than 100 characters."


def test_the_openapi_schema_validates_without_warnings(tmp_path: Any) -> None:
    """The schema against the OpenAPI 3 meta-schema (drf-spectacular's bundled copy), and no
    view left for the generator to guess at: a warning fails the command."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/cases/" in out.read_text(encoding="utf-8")
