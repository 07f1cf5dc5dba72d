"""A dispute case becomes a register entry, linked both ways."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fengqiao.cases.choices import CaseType, Channel, ReporterKind
from fengqiao.cases.models import Case, Category
from fengqiao.cases.services import ReporterInput, case_submit
from fengqiao.conftest import World
from fengqiao.disputes import services
from fengqiao.disputes.choices import DisputeType, Source
from fengqiao.disputes.models import Dispute

pytestmark = pytest.mark.usefixtures("clock", "english")


def submit(
    world: World, case_type: CaseType = CaseType.DISPUTE, code: str = "dispute_homestead"
) -> Case:
    case, _created = case_submit(
        case_type=case_type,
        category=Category.objects.get(code=code),
        channel=Channel.GRID_WORKER,
        title="两户争宅基地边界",
        description="张家与李家因宅基地边界发生争执，多次争吵。",
        territory_code=world.a.grid.code,
        address="双堰街道中街1号旁",
        reporter=ReporterInput(kind=ReporterKind.PERSON, name="张某"),
        actor=world.a.users["grid_worker"],
    )
    return case


def test_a_dispute_case_becomes_a_register_entry_linked_both_ways(world: World) -> None:
    case = submit(world)
    dispute = services.dispute_from_case(case=case, actor=world.a.users["township_operator"])
    assert dispute.case == case
    case.refresh_from_db()
    assert case.dispute == dispute
    assert dispute.source == Source.CASE
    assert dispute.dispute_type == DisputeType.HOUSING_HOMESTEAD
    assert (dispute.name, dispute.territory_code) == (case.title, case.territory_code)
    assert [p.name for p in dispute.parties.all()] == ["张某"]
    assert dispute.holder_code == world.a.area.territory_code
    with pytest.raises(ValidationError, match="already on the register"):
        services.dispute_from_case(case=case, actor=world.a.users["township_operator"])


def test_only_dispute_cases_and_only_in_scope(world: World) -> None:
    complaint = submit(world, CaseType.COMPLAINT, "noise")
    with pytest.raises(ValidationError, match="not a dispute"):
        services.dispute_from_case(case=complaint, actor=world.a.users["township_operator"])
    case = submit(world)
    with pytest.raises(PermissionDenied):
        services.dispute_from_case(case=case, actor=world.b.users["township_operator"])


def test_the_page_button_registers_and_leads_to_the_dispute(world: World, client: Any) -> None:
    case = submit(world)
    client.force_login(world.a.users["township_operator"])
    response = client.post(f"/disputes/from-case/{case.number}/")
    dispute = Case.objects.get(pk=case.pk).dispute
    assert response.status_code == 302 and response["Location"] == f"/disputes/{dispute.number}/"
    # Pressing it again leads to the same entry, with the refusal shown.
    again = client.post(f"/disputes/from-case/{case.number}/", follow=True)
    assert again.redirect_chain[-1][0] == f"/disputes/{dispute.number}/"
    client.force_login(world.b.users["township_operator"])
    assert client.post(f"/disputes/from-case/{case.number}/").status_code == 404


def test_a_department_handling_the_case_registers_it_in_its_own_name(
    world: World, department: Any
) -> None:
    case = submit(world)
    case.lead_department = department
    case.save(update_fields=["lead_department"])
    handler = world.a.users["dept_handler"]
    dispute = services.dispute_from_case(case=case, actor=handler)
    assert dispute.referring_department == department
    assert dispute.holder_code == world.a.area.territory_code
    assert Dispute.objects.visible_to(handler).filter(pk=dispute.pk).exists()


def test_the_case_page_snippet(world: World, rf: Any) -> None:
    from django.template.loader import render_to_string

    case = submit(world)
    request = rf.get("/")
    request.user = world.a.users["township_operator"]
    html = render_to_string("disputes/_case_link.html", {"case": case}, request=request)
    assert f"/disputes/from-case/{case.number}/" in html
    dispute = services.dispute_from_case(case=case, actor=world.a.users["township_operator"])
    case = Case.objects.get(pk=case.pk)
    html = render_to_string("disputes/_case_link.html", {"case": case}, request=request)
    assert f"/disputes/{dispute.number}/" in html and "from-case" not in html
    other = submit(world, CaseType.COMPLAINT, "noise")
    assert "dispute" not in render_to_string(
        "disputes/_case_link.html", {"case": other}, request=request
    ).replace("disputes/_case_link", "")
