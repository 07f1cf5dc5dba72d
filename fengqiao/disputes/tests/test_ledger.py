"""The register exported to Excel (fengqiao.disputes.ledger, through fengqiao.ledgers' jobs)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.models import AuditEntry
from fengqiao.conftest import World, make_id_number
from fengqiao.disputes import services
from fengqiao.disputes.choices import (
    CommitteeKind,
    DisputeStatus,
    DisputeType,
    Education,
    IdType,
    Method,
    PartyRole,
    PersonCategory,
    Scale,
    Sex,
    Source,
)
from fengqiao.disputes.forms import RegisterFilterForm
from fengqiao.disputes.ledger import REGISTER_SHEET, SUMMARY_SHEET
from fengqiao.disputes.models import Dispute, MediationCommittee, Mediator
from fengqiao.disputes.tests.test_metrics import bulk_register
from fengqiao.ledgers.models import ExportJob
from fengqiao.org.models import User

# The data elements in their order (DOMAIN.md), between the number and the screening date.
EXPECTED_HEADERS = [
    "登记编号",
    "名称",
    "发生日期",
    "发生地点",
    "规模",
    "类别",
    "涉及人数",
    "简述",
    "涉及单位",
    "证件类型",
    "证件号码",
    "姓名",
    "性别",
    "民族",
    "学历",
    "人员类别",
    "住址",
    "化解时限",
    "化解方式",
    "化解组织",
    "化解责任人",
    "化解责任人联系电话",
    "化解是否成功",
    "化解情况",
    "考评日期",
    "考评意见",
    "经度",
    "纬度",
    "排查日期",
    "状态",
]
COLUMN = {header: index for index, header in enumerate(EXPECTED_HEADERS)}
APPLICANT_ID = make_id_number(birth="19680521", seq=81)
RESPONDENT_ID = make_id_number(birth="19910203", seq=82)


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    """Background exports' files stay out of var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def register(world: World) -> Dispute:
    """The page's year: 2,914 screened, 2,695 resolved. One of them is registered through the
    services with its parties and a mediator; the rest are made in bulk. Last year's
    disputes are there too, and must stay out of a 2026 export."""
    a = world.a
    operator = a.users["township_operator"]
    committee = MediationCommittee.objects.create(
        name="双堰街道人民调解委员会",
        kind=CommitteeKind.TOWNSHIP,
        territory_code=a.area.territory_code,
        number_prefix="织双调",
    )
    mediator = Mediator(committee=committee, name="赵调解")
    mediator.phone = "13912345678"  # type: ignore[assignment]
    mediator.save()
    dispute = services.dispute_register(
        data=services.DisputeInput(
            name="王刘两家土地边界纠纷",
            occurred_on=datetime.date(2026, 5, 2),
            screened_on=datetime.date(2026, 5, 6),
            place="双堰街道一村后山",
            territory_code=a.village.territory_code,
            dispute_type=DisputeType.LAND_FOREST,
            summary="承包地边界不清，双方各执一词。",
            units_involved="双堰街道一村村民委员会",
            people_involved=5,
            source=Source.GRID_VISIT,
            latitude=Decimal("26.663000"),
            longitude=Decimal("105.768000"),
            parties=(
                services.PartyInput(
                    name="王大山",
                    role=PartyRole.APPLICANT,
                    id_number=APPLICANT_ID,
                    ethnicity="汉族",
                    education="junior",
                    category="farmer",
                    address="双堰街道一村3组",
                ),
                services.PartyInput(
                    name="刘小梅",
                    role=PartyRole.RESPONDENT,
                    id_number=RESPONDENT_ID,
                    ethnicity="彝族",
                    address="双堰街道一村4组",
                ),
            ),
        ),
        actor=operator,
    )
    dispute = services.dispute_assign(
        dispute=dispute, actor=operator, committee=committee, mediator=mediator
    )
    codes = [a.village.territory_code, a.grid.code, world.b.village.territory_code]
    bulk_register(year=2026, screened=2913, resolved=2695, territory_codes=codes)
    bulk_register(year=2025, screened=50, resolved=5, territory_codes=codes)
    return dispute


def _export(client: Any, user: User, query: str = "", *, unmask: bool = False) -> Any:
    client.force_login(user)
    response = client.post(reverse("disputes:export") + query, {"unmask": "1"} if unmask else {})
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(body), read_only=True)


def _rows(workbook: Any) -> list[tuple[Any, ...]]:
    return list(workbook[REGISTER_SHEET].iter_rows(values_only=True))


def _summary(workbook: Any) -> dict[str, Any]:
    sheet = workbook[SUMMARY_SHEET]
    return {row[0].value: row[1:] for row in sheet.iter_rows() if row and row[0].value}


def test_the_county_s_year_gives_92_48_percent(
    client: Any, world: World, register: Dispute
) -> None:
    workbook = _export(client, world.county_operator, "?year=2026")
    assert workbook.sheetnames == [REGISTER_SHEET, SUMMARY_SHEET]
    rows = _rows(workbook)
    assert list(rows[0]) == EXPECTED_HEADERS
    assert len(rows) - 1 == 2914
    assert {row[COLUMN["排查日期"]].year for row in rows[1:]} == {2026}
    # Newest screened first, as the register lists them.
    days = [row[COLUMN["排查日期"]] for row in rows[1:]]
    assert days == sorted(days, reverse=True)
    assert sum(1 for row in rows[1:] if row[COLUMN["化解是否成功"]] == "是") == 2695

    summary = _summary(workbook)
    assert summary["排查数（件）"][0].value == 2914
    assert summary["化解数（件）"][0].value == 2695
    rate = summary["化解率"][0]
    assert Decimal(str(rate.value)) == Decimal("0.9248")
    assert rate.number_format == "0.00%"  # Excel shows 92.48%
    assert "年度" in summary["筛选条件"][0].value or "2026" in summary["筛选条件"][0].value
    townships = {name: cells for name, cells in summary.items() if name in ("双堰街道", "文腾街道")}
    assert set(townships) == {"双堰街道", "文腾街道"}
    assert sum(cells[0].value for cells in townships.values()) == 2914
    assert sum(cells[1].value for cells in townships.values()) == 2695
    assert summary["合计"][0].value == 2914


def test_a_row_holds_every_element_with_identities_masked(
    client: Any, world: World, register: Dispute
) -> None:
    workbook = _export(client, world.a.users["township_operator"], "?year=2026")
    (row,) = [row for row in _rows(workbook)[1:] if row[0] == register.number]
    value = dict(zip(EXPECTED_HEADERS, row, strict=True))
    assert value["名称"] == "王刘两家土地边界纠纷"
    assert value["发生日期"].date() == datetime.date(2026, 5, 2)
    assert value["发生地点"] == "双堰街道一村后山"
    assert value["涉及人数"] == 5
    assert value["简述"] == "承包地边界不清，双方各执一词。"
    assert value["涉及单位"] == "双堰街道一村村民委员会"
    assert value["姓名"] == "王大山；刘小梅"
    assert (
        value["证件号码"]
        == f"5205**********{APPLICANT_ID[-4:]}；5205**********{RESPONDENT_ID[-4:]}"
    )
    assert value["性别"].count("；") == 1 and value["民族"] == "汉族；彝族"
    assert value["住址"] == "双堰街道一村3组；双堰街道一村4组"
    assert value["证件类型"].count("；") == 1
    assert value["化解组织"] == "双堰街道人民调解委员会"
    assert value["化解责任人"] == "赵调解"
    assert value["化解责任人联系电话"] == "139****5678"
    assert isinstance(value["化解时限"], datetime.datetime)
    local_due = timezone.localtime(Dispute.objects.get(pk=register.pk).due_at)
    assert value["化解时限"] == local_due.replace(tzinfo=None, microsecond=0)
    assert value["化解是否成功"] in ("", None)
    assert Decimal(str(value["经度"])) == Decimal("105.768") and Decimal(
        str(value["纬度"])
    ) == Decimal("26.663")
    # The choices' Chinese labels, whatever the language of the request.
    with translation.override("zh-hans"):
        labels = {
            "规模": str(Scale.INDIVIDUAL.label),
            "类别": str(DisputeType.LAND_FOREST.label),
            "化解方式": str(Method.PEOPLES_MEDIATION.label),
            "状态": str(DisputeStatus.MEDIATING.label),
            "学历": f"{Education.JUNIOR.label}；{Education.UNKNOWN.label}",
            "人员类别": f"{PersonCategory.FARMER.label}；{PersonCategory.OTHER.label}",
            "证件类型": f"{IdType.RESIDENT_ID.label}；{IdType.RESIDENT_ID.label}",
            "性别": f"{Sex.MALE.label}；{Sex.FEMALE.label}",
        }
    for header, label in labels.items():
        assert value[header] == label, header
        assert all(char >= "\u2e80" or char == "；" for char in label if not char.isspace()), (
            f"{header}: {label!r} is not Chinese"
        )
    assert APPLICANT_ID not in str(row)

    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == world.a.users["township_operator"]
    assert entry.detail["kind"] == "dispute_register" and entry.detail["unmasked"] is False
    assert entry.detail["rows"] == len(range(0, 2913, 3)) + len(range(1, 2913, 3)) + 1
    assert entry.detail["filters"] == {"year": "2026"}
    assert not AuditEntry.objects.filter(action=AuditAction.UNMASK).exists()


def test_unmasking_shows_full_values_and_is_audited(
    client: Any, world: World, register: Dispute
) -> None:
    operator = world.a.users["township_operator"]
    operator.user_permissions.add(Permission.objects.get(codename="unmask_personal"))
    operator = User.objects.get(pk=operator.pk)
    masked = _rows(_export(client, operator, f"?q={register.number}"))
    shown = dict(zip(EXPECTED_HEADERS, masked[1], strict=True))
    assert APPLICANT_ID not in shown["证件号码"]  # full values only when asked for
    workbook = _export(client, operator, f"?q={register.number}", unmask=True)
    rows = _rows(workbook)
    assert len(rows) == 2
    value = dict(zip(EXPECTED_HEADERS, rows[1], strict=True))
    assert value["证件号码"] == f"{APPLICANT_ID}；{RESPONDENT_ID}"
    assert value["化解责任人联系电话"] == "13912345678"
    unmask = AuditEntry.objects.get(action=AuditAction.UNMASK)
    assert unmask.actor == operator and unmask.detail["rows"] == 1
    exports = AuditEntry.objects.filter(action=AuditAction.EXPORT).order_by("id")
    assert [e.detail["unmasked"] for e in exports] == [False, True]


def test_the_page_s_filters_and_scope_apply(client: Any, world: World, register: Dispute) -> None:
    b_operator = world.b.users["township_operator"]
    rows = _rows(_export(client, b_operator, "?year=2026"))[1:]
    assert len(rows) == len(range(2, 2913, 3))
    # Asking for another township's code through the filter gives nothing more.
    rows = _rows(_export(client, b_operator, f"?territory={world.a.area.territory_code}"))[1:]
    assert rows == []
    county = world.county_operator
    rows = _rows(_export(client, county, f"?territory={world.b.area.territory_code}&year=2025"))[1:]
    assert len(rows) == len(range(2, 50, 3))
    workbook = _export(client, county, "?year=2026&status=resolved")
    assert len(_rows(workbook)) - 1 == 2695
    assert _summary(workbook)["化解率"][0].value == 1
    assert _summary(workbook)["化解率"][0].number_format == "0.00%"


def test_an_empty_export_still_has_its_headers_and_no_rate(client: Any, world: World) -> None:
    workbook = _export(client, world.county_operator, "?year=2030")
    assert _rows(workbook) == [tuple(EXPECTED_HEADERS)]
    summary = _summary(workbook)
    assert summary["排查数（件）"][0].value == 0
    assert summary["化解率"][0].value == "—"


def test_a_filter_that_cannot_be_read_is_refused(client: Any, world: World) -> None:
    client.force_login(world.county_operator)
    response = client.post(reverse("disputes:export") + "?year=twenty&type=nonsense")
    assert response.status_code == 400
    text = response.content.decode()
    with translation.override("zh-hans"):
        assert str(RegisterFilterForm.base_fields["year"].label) in text
    assert "nonsense" in text
    assert not ExportJob.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_a_big_register_goes_to_the_background(
    client: Any,
    world: World,
    register: Dispute,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.LEDGERS_SYNC_MAX_ROWS = 1000
    client.force_login(world.county_operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("disputes:export") + "?year=2026")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/ledgers/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.rows_done == 2914 and job.can_download
    body = b"".join(client.get(f"/ledgers/jobs/{job.pk}/download/").streaming_content)
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    assert len(_rows(workbook)) - 1 == 2914
    assert _summary(workbook)["化解数（件）"][0].value == 2695


def test_the_export_needs_a_login(client: Any, world: World) -> None:
    response = client.post(reverse("disputes:export"))
    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_queries_do_not_grow_with_the_rows(
    world: World, register: Dispute, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from fengqiao.disputes.ledger import register_workbook_write

    # 2,914 rows read in chunks of 1,000: a handful of queries, not one per row.
    with django_assert_max_num_queries(20):
        count = register_workbook_write(
            actor=world.county_operator, params={"year": "2026"}, destination=io.BytesIO()
        )
    assert count == 2914
