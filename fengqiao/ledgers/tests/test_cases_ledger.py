"""The case ledger: the case list's rows under its filters, in a spreadsheet."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from fengqiao.audit.choices import AuditAction
from fengqiao.audit.models import AuditEntry
from fengqiao.cases.choices import CaseType
from fengqiao.cases.forms import CaseFilterForm
from fengqiao.cases.models import Case
from fengqiao.cases.selectors import search_cases
from fengqiao.conftest import World
from fengqiao.ledgers.cases import HEADERS, SHEET, CaseLedger
from fengqiao.ledgers.models import ExportJob
from fengqiao.ledgers.tests.conftest import (
    REPORTER_PHONE,
    make_cases,
    sheet_rows,
    workbook_of,
)
from fengqiao.ledgers.workbook import INFO_SHEET
from fengqiao.org.models import User

COLUMN = {header: index for index, header in enumerate(HEADERS)}


@pytest.fixture
def cases(world: World) -> list[Case]:
    return make_cases(world, 12, township="a") + make_cases(world, 7, township="b")


def export(client: Any, user: User, query: str = "", *, unmask: bool = False) -> Any:
    """The ledger as the list's export form sends it (the box for full values ticked or not)."""
    client.force_login(user)
    response = client.post("/ledgers/export/cases/" + query, {"unmask": "1"} if unmask else {})
    assert response.status_code == 200, response.content[:400]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    return workbook_of(b"".join(response.streaming_content))


def listed(user: User, query: dict[str, str]) -> list[str]:
    """The numbers the case list shows for ``query``, in its order."""
    form = CaseFilterForm(query, user=user)
    lookups, where, text, queue = form.search_arguments(timezone.now())
    found = search_cases(user, text=text, where=where, queue=queue, **lookups)
    return list(found.values_list("number", flat=True))


def test_the_ledger_holds_the_list_s_rows_with_chinese_headers(
    client: Any, world: World, cases: list[Case]
) -> None:
    operator = world.a.users["township_operator"]
    workbook = export(client, operator)
    assert workbook.sheetnames == [SHEET, INFO_SHEET]
    rows = sheet_rows(workbook, SHEET)
    assert rows[0] == HEADERS
    assert rows[0][:4] == ("受理编号", "标题", "类型", "分类")
    # Township A's operator sees A's cases only, newest first, as the list shows them.
    assert [row[0] for row in rows[1:]] == listed(operator, {})
    assert len(rows) - 1 == 12
    case = Case.objects.select_related("category").get(number=rows[1][0])
    row = dict(zip(HEADERS, rows[1], strict=True))
    assert row["标题"] == case.title
    assert row["诉求内容"] == case.description
    assert row["类型"] in ("投诉", "求助", "咨询")
    assert case.category.name in row["分类"]
    assert row["状态"] == "待受理"
    assert row["受理时间"] == timezone.localtime(case.created_at).replace(
        tzinfo=None, microsecond=0
    )
    assert world.a.area.name in row["所在地"]


def test_the_list_s_filters_apply_exactly(client: Any, world: World, cases: list[Case]) -> None:
    county = world.county_operator
    for query in (
        {"case_type": CaseType.HELP},
        {"territory": world.b.area.territory_code},
        {"q": "第1"},
        {"case_type": CaseType.COMPLAINT, "territory": world.a.area.territory_code},
        {"date_from": timezone.localdate().isoformat()},
        {"status": "closed"},
    ):
        string = "?" + "&".join(f"{key}={value}" for key, value in query.items())
        numbers = [row[0] for row in sheet_rows(export(client, county, string), SHEET)[1:]]
        assert numbers == listed(county, query), query
    assert len(listed(county, {"case_type": CaseType.HELP})) == 4 + 2
    # The filters are written into the file.
    workbook = export(client, county, f"?case_type=help&territory={world.b.area.territory_code}")
    info = {row[0]: row[1] for row in sheet_rows(workbook, INFO_SHEET) if row and row[0]}
    assert "求助" in info["筛选条件"] and world.b.area.territory_code in info["筛选条件"]
    assert info["行数"] == 2


def test_phones_are_masked_unless_the_user_may_unmask(
    client: Any, world: World, cases: list[Case]
) -> None:
    operator = world.a.users["township_operator"]
    rows = sheet_rows(export(client, operator), SHEET)[1:]
    phones = {row[COLUMN["反映人电话"]] for row in rows} - {None}
    assert phones == {"138****1111"}
    assert {row[COLUMN["反映人"]] for row in rows if row[COLUMN["反映人电话"]]} >= {"居民0"}
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert entry.actor == operator
    assert entry.detail["kind"] == "case_ledger" and entry.detail["rows"] == 12
    assert entry.detail["unmasked"] is False
    assert not AuditEntry.objects.filter(action=AuditAction.UNMASK).exists()

    # Asking for full values without the permission is refused, with no job and no file.
    refused = client.post("/ledgers/export/cases/", {"unmask": "1"})
    assert refused.status_code == 403 and ExportJob.objects.count() == 1

    operator.user_permissions.add(Permission.objects.get(codename="unmask_personal"))
    operator = User.objects.get(pk=operator.pk)
    # Allowed to unmask, but full values only when asked for: by default the file is masked.
    rows = sheet_rows(export(client, operator), SHEET)[1:]
    assert REPORTER_PHONE not in {row[COLUMN["反映人电话"]] for row in rows}
    assert not AuditEntry.objects.filter(action=AuditAction.UNMASK).exists()
    rows = sheet_rows(export(client, operator, unmask=True), SHEET)[1:]
    assert {row[COLUMN["反映人电话"]] for row in rows} - {None} == {REPORTER_PHONE}
    unmask = AuditEntry.objects.get(action=AuditAction.UNMASK)
    assert unmask.actor == operator and unmask.detail["unmasked"] is True


def test_the_list_offers_full_values_only_to_those_who_may_unmask(
    client: Any, world: World, cases: list[Case]
) -> None:
    operator = world.a.users["township_operator"]
    client.force_login(operator)
    page = client.get("/cases/all/?case_type=help").content.decode()
    # A form (POST, with its token) to the list's own filters; no box for full values.
    assert 'method="post" action="/ledgers/export/cases/?case_type=help"' in page
    assert 'name="unmask"' not in page
    operator.user_permissions.add(Permission.objects.get(codename="unmask_personal"))
    page = client.get("/cases/all/?case_type=help").content.decode()
    assert 'type="checkbox" name="unmask" value="1"' in page


def test_a_filter_that_cannot_be_read_is_refused_without_a_job(
    client: Any, world: World, cases: list[Case]
) -> None:
    client.force_login(world.county_operator)
    for query in ("?status=bogus", "?territory=52x", "?date_from=2026-13-40"):
        response = client.post("/ledgers/export/cases/" + query)
        assert response.status_code == 400
        text = response.content.decode()
        assert "筛选条件" in text or "filter" in text.lower()
    assert "状态" in client.post("/ledgers/export/cases/?status=bogus").content.decode()
    # A link cannot start an export: it is a form's POST (with its CSRF token). A GET (a login
    # that expired while the list was open comes back by GET) leads back to the list.
    back = client.get("/ledgers/export/cases/?case_type=help", follow=True)
    assert back.redirect_chain == [("/cases/all/?case_type=help", 302)]
    assert "尚未导出：请点击导出按钮。" in back.content.decode()
    back = client.get("/disputes/export/?year=2026")
    assert back.status_code == 302 and back["Location"] == "/disputes/?year=2026"
    assert not ExportJob.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_an_export_needs_a_login_and_a_known_ledger(client: Any, world: World) -> None:
    assert client.post("/ledgers/export/cases/").status_code == 302
    client.force_login(world.county_operator)
    assert client.post("/ledgers/export/nothing/").status_code == 404


def test_queries_do_not_grow_with_the_rows(
    world: World, django_assert_max_num_queries: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_cases(world, 40)
    monkeypatch.setattr("fengqiao.ledgers.cases.CHUNK", 10)
    ledger = CaseLedger(params={}, actor=world.county_operator, now=timezone.now())
    seen: list[int] = []
    # The ordered ids; per chunk of 10 its columns and its reporters; the category tree, and
    # the places once (every case is in the same household): 1 + 4 × 2 + 1 + 2.
    with django_assert_max_num_queries(12):
        written = ledger.write(io.BytesIO(), progress=seen.append)
    assert written.rows == 40
    assert seen == [10, 20, 30, 40]
