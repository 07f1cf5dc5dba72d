"""The case loop's admin: administrators tune categories, routing and deadlines (each change
reloads what it feeds); cases are only read; the routing preview shows the winning rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from fengqiao.cases.choices import CaseType, Channel, Level
from fengqiao.cases.deadlines import invalidate_policies, policy_for
from fengqiao.cases.models import Case, Category, DeadlinePolicy, RoutingRule
from fengqiao.cases.services import case_accept, case_submit
from fengqiao.conftest import PASSWORD, World
from fengqiao.org.choices import DepartmentKind, Role
from fengqiao.org.models import Department, User
from fengqiao.org.services import department_create, staff_create

pytestmark = pytest.mark.django_db
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    # Messages are asserted in English, whatever the catalogue of the default language says.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _fresh_policies() -> Iterator[None]:
    # Policies are cached per process: an edit rolled back with the test's transaction would
    # otherwise stay in the cache for the next test.
    invalidate_policies()
    yield
    invalidate_policies()


@pytest.fixture
def admin_client(world: World, client: Client) -> Client:
    client.force_login(world.admin, backend=MODEL_BACKEND)
    return client


@pytest.fixture
def township_admin(world: World) -> User:
    """An administrator whose scope is township A only."""
    return staff_create(
        username="admin_a",
        password=PASSWORD,
        full_name="双堰街道管理员",
        role=Role.ADMINISTRATOR,
        scope_code=world.a.area.territory_code,
    )


@pytest.fixture
def county_police(world: World) -> Department:
    return department_create(
        name="县公安局", kind=DepartmentKind.POLICE_STATION, territory_code="520524"
    )


def submit(world: World, code: str, territory_code: str | None = None) -> Case:
    case, _ = case_submit(
        case_type=CaseType.COMPLAINT,
        category=Category.objects.get(code=code),
        channel=Channel.QR_DOORPLATE,
        title="夜间噪音",
        description="楼下夜里很吵。",
        territory_code=territory_code or world.a.household.territory_code,
    )
    return case


def rule_data(**values: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"territory_code": "", "is_active": "on", "_save": "Save"}
    data.update(values)
    return data


ADMIN_PAGES = [
    "admin:cases_category_changelist",
    "admin:cases_category_add",
    "admin:cases_routingrule_changelist",
    "admin:cases_routingrule_add",
    "admin:cases_routingrule_preview",
    "admin:cases_deadlinepolicy_changelist",
    "admin:cases_case_changelist",
    "admin:cases_supervisionnotice_changelist",
    "admin:cases_caserequest_changelist",
]


def test_the_pages_render_for_an_administrator(
    world: World, admin_client: Client, clock: Any
) -> None:
    case = submit(world, "noise")
    for name in ADMIN_PAGES:
        assert admin_client.get(reverse(name)).status_code == 200, name
    noise = Category.objects.get(code="noise")
    policy = DeadlinePolicy.objects.first()
    assert policy is not None
    for name, pk in [
        ("admin:cases_category_change", noise.pk),
        ("admin:cases_deadlinepolicy_change", policy.pk),
        ("admin:cases_case_change", case.pk),
    ]:
        assert admin_client.get(reverse(name, args=[pk])).status_code == 200, name
    # The tree, in path order, indented under its parent.
    listing = admin_client.get(reverse("admin:cases_category_changelist"))
    listed = list(listing.context["cl"].result_list)
    assert [c.path for c in listed] == sorted(c.path for c in listed)
    position = {c.pk: n for n, c in enumerate(listed)}
    assert all(position[c.parent_id] < position[c.pk] for c in listed if c.parent_id)
    assert "\u3000\u3000└ 噪音扰民" in listing.content.decode()
    # The preview is linked from the rules' list.
    rules = admin_client.get(reverse("admin:cases_routingrule_changelist")).content.decode()
    assert reverse("admin:cases_routingrule_preview") in rules


def test_a_center_operator_cannot_reach_them(world: World, client: Client) -> None:
    operator = world.a.users["township_operator"]
    client.force_login(operator, backend=MODEL_BACKEND)
    for name in ADMIN_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"], name
    # Even flagged as staff by mistake, the pages stay closed.
    User.objects.filter(pk=operator.pk).update(is_staff=True)
    for name in ADMIN_PAGES:
        assert client.get(reverse(name)).status_code == 403, name


# ---------------------------------------------------------------------------------------
# The routing preview


@pytest.fixture
def rules(world: World, county_police: Department, department: Department) -> dict[str, Any]:
    """public_security: county → county police, township A → A's police station;
    noise (a child of public_security): county → county police; one rule switched off."""
    security = Category.objects.get(code="public_security")
    noise = Category.objects.get(code="noise")
    b_police = Department.objects.get(name="文腾街道派出所")
    return {
        "county": RoutingRule.objects.create(
            category=security, territory_code="520524", department=county_police
        ),
        "township": RoutingRule.objects.create(
            category=security, territory_code=world.a.area.territory_code, department=department
        ),
        "noise_county": RoutingRule.objects.create(
            category=noise, territory_code="520524", department=county_police
        ),
        "off": RoutingRule.objects.create(
            category=noise,
            territory_code=world.b.area.territory_code,
            department=b_police,
            is_active=False,
        ),
    }


def preview(client: Client, **params: Any) -> Any:
    response = client.get(reverse("admin:cases_routingrule_preview"), params)
    assert response.status_code == 200
    return response


def test_the_most_specific_territory_wins_over_a_deeper_category(
    world: World, admin_client: Client, rules: dict[str, Any]
) -> None:
    noise = Category.objects.get(code="noise")
    response = preview(
        admin_client, category=noise.pk, territory_code=world.a.household.territory_code
    )
    result = response.context["result"]
    assert result.winner == rules["township"]
    assert [c.rule for c in result.candidates] == [
        rules["township"],
        rules["noise_county"],
        rules["county"],
    ]
    assert [c.wins for c in result.candidates] == [True, False, False]
    page = response.content.decode()
    assert f'class="winner" data-rule="{rules["township"].pk}"' in page
    assert "双堰街道派出所" in page and "Covers a larger territory than the winner." in page


def test_the_deepest_category_wins_between_equal_territories(
    world: World, admin_client: Client, rules: dict[str, Any]
) -> None:
    noise = Category.objects.get(code="noise")
    result = preview(
        admin_client, category=noise.pk, territory_code=world.b.household.territory_code
    ).context["result"]
    assert result.winner == rules["noise_county"]
    why = {c.rule.pk: str(c.why) for c in result.candidates}
    assert why[rules["county"].pk] == "Covers a broader category than the winner."
    assert why[rules["off"].pk] == "Not used: the rule is switched off."
    # What the page says is what intake does.
    assert submit(world, "noise", world.b.household.territory_code).suggested_department_id == (
        rules["noise_county"].department_id
    )


def test_no_rule_means_the_triage_queue(
    world: World, admin_client: Client, rules: dict[str, Any]
) -> None:
    other = Category.objects.get(code="other")
    response = preview(admin_client, category=other.pk, territory_code=world.a.area.territory_code)
    assert response.context["result"].winner is None
    assert "triage queue" in response.content.decode()


def test_the_place_can_be_a_household_by_number_or_doorplate(
    world: World, admin_client: Client, rules: dict[str, Any]
) -> None:
    fraud = Category.objects.get(code="fraud")
    by_number = preview(admin_client, category=fraud.pk, household=str(world.b.household.pk))
    assert by_number.context["result"].territory_code == world.b.household.territory_code
    assert by_number.context["result"].winner == rules["county"]
    by_address = preview(admin_client, category=fraud.pk, household=world.a.household.address)
    assert by_address.context["result"].winner == rules["township"]
    unknown = preview(admin_client, category=fraud.pk, household="不存在的门牌")
    assert unknown.context["result"] is None
    assert "household" in unknown.context["form"].errors


def test_the_preview_stays_in_the_administrators_scope(
    world: World, client: Client, township_admin: User, rules: dict[str, Any]
) -> None:
    client.force_login(township_admin, backend=MODEL_BACKEND)
    noise = Category.objects.get(code="noise")
    outside = preview(client, category=noise.pk, territory_code=world.b.area.territory_code)
    assert outside.context["result"] is None
    assert "outside your scope" in str(outside.context["form"].errors)
    # B's household is not found at all: out of scope looks like missing.
    hidden = preview(client, category=noise.pk, household=str(world.b.household.pk))
    assert "household" in hidden.context["form"].errors
    inside = preview(client, category=noise.pk, territory_code=world.a.area.territory_code)
    assert inside.context["result"].winner == rules["township"]


def test_a_stale_routing_table_is_reloaded_by_the_preview(
    world: World, admin_client: Client, rules: dict[str, Any]
) -> None:
    noise = Category.objects.get(code="noise")
    code = world.b.household.territory_code
    assert preview(admin_client, category=noise.pk, territory_code=code).context["result"].winner
    # Changed behind this process's back (another worker, a script without the services).
    RoutingRule.objects.filter(pk=rules["off"].pk).update(is_active=True)
    result = preview(admin_client, category=noise.pk, territory_code=code).context["result"]
    assert result.reloaded and result.winner == rules["off"]


# ---------------------------------------------------------------------------------------
# Routing rules: validation and the cache


def test_saving_a_rule_reroutes_the_next_case(
    world: World,
    admin_client: Client,
    clock: Any,
    department: Department,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert submit(world, "noise").suggested_department is None  # the table is loaded now
    noise = Category.objects.get(code="noise")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:cases_routingrule_add"),
            rule_data(
                category=noise.pk,
                territory_code=world.a.area.territory_code,
                department=department.pk,
            ),
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert submit(world, "noise").suggested_department == department

    rule = RoutingRule.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:cases_routingrule_delete", args=[rule.pk]), {"post": "yes"}
        )
    assert not RoutingRule.objects.exists()
    assert submit(world, "noise").suggested_department is None


def rule_errors(client: Client, **values: Any) -> dict[str, Any]:
    response = client.post(reverse("admin:cases_routingrule_add"), rule_data(**values))
    assert response.status_code == 200, "the form should have been refused"
    return dict(response.context["adminform"].form.errors)


def test_rule_validation(
    world: World, admin_client: Client, department: Department, county_police: Department
) -> None:
    noise = Category.objects.get(code="noise").pk
    assert "territory_code" in rule_errors(
        admin_client, category=noise, territory_code="520524999", department=department.pk
    )  # no such township
    assert "territory_code" in rule_errors(
        admin_client, category=noise, territory_code="52052400", department=department.pk
    )  # not a territory code at all
    department.is_active = False
    department.save()
    errors = rule_errors(
        admin_client, category=noise, territory_code="520524", department=department.pk
    )
    assert "no longer active" in str(errors["department"])
    b_police = Department.objects.get(name="文腾街道派出所")
    errors = rule_errors(
        admin_client,
        category=noise,
        territory_code=world.a.area.territory_code,
        department=b_police.pk,
    )
    assert "does not cover" in str(errors["department"])
    # A county department for a township's rule, and a grid's rule, are fine.
    for code in (world.a.area.territory_code, world.a.grid.code):
        response = admin_client.post(
            reverse("admin:cases_routingrule_add"),
            rule_data(category=noise, territory_code=code, department=county_police.pk),
        )
        assert response.status_code == 302


def test_a_township_administrator_makes_rules_in_the_township_only(
    world: World, client: Client, township_admin: User, rules: dict[str, Any]
) -> None:
    client.force_login(township_admin, backend=MODEL_BACKEND)
    department = rules["township"].department
    noise = Category.objects.get(code="noise").pk
    for code in ("", "520524", world.b.area.territory_code):
        assert "territory_code" in rule_errors(
            client, category=noise, territory_code=code, department=department.pk
        ), code
    # The list shows the township's rules and those above that apply in it, not B's.
    listing = client.get(reverse("admin:cases_routingrule_changelist")).context["cl"]
    assert set(listing.result_list) == {
        rules["county"],
        rules["township"],
        rules["noise_county"],
    }
    change = reverse("admin:cases_routingrule_change", args=[rules["county"].pk])
    response = client.post(change, rule_data(category=noise, department=department.pk))
    assert response.status_code == 403  # the county's rule is shown, not editable here
    hidden = reverse("admin:cases_routingrule_change", args=[rules["off"].pk])
    assert client.get(hidden).status_code == 404


# ---------------------------------------------------------------------------------------
# Deadline policies


def policy_form(policy: DeadlinePolicy, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "case_type": policy.case_type,
        "level": policy.level,
        "sign_days": policy.sign_days,
        "reply_days": policy.reply_days,
        "hard_reply_days": policy.hard_reply_days,
        "extension_cap_days": policy.extension_cap_days,
        "yellow_hours": policy.yellow_hours,
        "rating_wait_days": policy.rating_wait_days,
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_editing_a_policy_reloads_the_policies(
    world: World, admin_client: Client, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    policy = DeadlinePolicy.objects.get(case_type=CaseType.COMPLAINT, level=Level.TOWNSHIP)
    assert policy_for(CaseType.COMPLAINT, Level.TOWNSHIP).reply_days == 1  # cached now
    url = reverse("admin:cases_deadlinepolicy_change", args=[policy.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, policy_form(policy, reply_days=3))
    assert response.status_code == 302
    assert policy_for(CaseType.COMPLAINT, Level.TOWNSHIP).reply_days == 3
    # The next acceptance counts three working days: Monday → Thursday.
    case = submit(world, "noise")
    case_accept(case=case, actor=world.a.users["township_operator"])
    case.refresh_from_db()
    assert case.reply_due_at is not None
    assert case.reply_due_at.date().isoformat() == "2026-06-11"


def test_the_extension_cap_cannot_exceed_30_days(world: World, admin_client: Client) -> None:
    policy = DeadlinePolicy.objects.get(case_type=CaseType.COMPLAINT, level=Level.TOWNSHIP)
    url = reverse("admin:cases_deadlinepolicy_change", args=[policy.pk])
    response = admin_client.post(url, policy_form(policy, extension_cap_days=31))
    assert response.status_code == 200
    assert "extension_cap_days" in response.context["adminform"].form.errors
    policy.refresh_from_db()
    assert policy.extension_cap_days == 30
    assert (
        admin_client.get(reverse("admin:cases_deadlinepolicy_delete", args=[policy.pk])).status_code
        == 403
    )


# ---------------------------------------------------------------------------------------
# Categories


def test_moving_a_category_in_the_admin_rewrites_its_subtree(
    world: World, admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    security = Category.objects.get(code="public_security")
    hazard = Category.objects.get(code="hazard")
    url = reverse("admin:cases_category_change", args=[security.pk])
    form = {
        "name": security.name,
        "parent": hazard.pk,
        "matter": security.matter_id or "",
        "is_active": "on",
        "sort_order": security.sort_order,
        "_save": "Save",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, form)
    assert response.status_code == 302
    assert dict(
        Category.objects.filter(path__startswith="hazard/public_security").values_list(
            "code", "path"
        )
    ) == {
        "public_security": "hazard/public_security",
        "noise": "hazard/public_security/noise",
        "fraud": "hazard/public_security/fraud",
        "drugs": "hazard/public_security/drugs",
    }
    # Under its own subcategory: refused on the form, with the reason.
    noise = Category.objects.get(code="noise")
    response = admin_client.post(url, {**form, "parent": noise.pk})
    assert response.status_code == 200
    assert "cannot be moved under" in str(response.context["adminform"].form.errors)


def test_adding_a_category_goes_through_the_service(world: World, admin_client: Client) -> None:
    parent = Category.objects.get(code="environment")
    response = admin_client.post(
        reverse("admin:cases_category_add"),
        {
            "code": "littering",
            "name": "乱扔垃圾",
            "parent": parent.pk,
            "matter": "",
            "is_active": "on",
            "sort_order": 0,
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert Category.objects.get(code="littering").path == "environment/littering"
    assert (
        admin_client.get(reverse("admin:cases_category_delete", args=[parent.pk])).status_code
        == 403
    )


# ---------------------------------------------------------------------------------------
# Cases: read-only, scoped


def test_cases_are_read_only_and_searchable_by_number(
    world: World, admin_client: Client, clock: Any
) -> None:
    case = submit(world, "noise")
    other = submit(world, "other", world.b.household.territory_code)
    changelist = reverse("admin:cases_case_changelist")
    found = admin_client.get(changelist, {"q": case.number}).context["cl"].result_list
    assert list(found) == [case]
    by_day = admin_client.get(changelist, {"q": case.number[:15]}).context["cl"].result_list
    assert set(by_day) == {case, other}
    assert admin_client.get(reverse("admin:cases_case_add")).status_code == 403
    change = reverse("admin:cases_case_change", args=[case.pk])
    page = admin_client.get(change)
    assert page.status_code == 200 and "Submitted" in page.content.decode()  # the timeline
    admin_client.post(change, {"title": "改掉", "status": "closed"})
    case.refresh_from_db()
    assert (case.title, case.status) == ("夜间噪音", "submitted")
    assert admin_client.get(reverse("admin:cases_case_delete", args=[case.pk])).status_code == 403


def test_a_township_administrator_sees_the_townships_cases_only(
    world: World, client: Client, township_admin: User, clock: Any
) -> None:
    mine = submit(world, "noise")
    theirs = submit(world, "noise", world.b.household.territory_code)
    client.force_login(township_admin, backend=MODEL_BACKEND)
    listed = client.get(reverse("admin:cases_case_changelist")).context["cl"].result_list
    assert list(listed) == [mine]
    assert client.get(reverse("admin:cases_case_change", args=[theirs.pk])).status_code == 404
