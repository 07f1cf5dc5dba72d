"""Benchmark stage: the dispute register at county scale (织金县, ten years of disputes).

    FENGQIAO_DATABASE_URL=… FENGQIAO_DEBUG=0 python -m bench.disputes

Needs a database seeded with ``seed_demo --profile county`` (``bench.run`` does that first).
Adds, with bulk_create, 3,000 disputes a year for the ten years 2017-2026 (30,000 disputes,
one main party each: 30,000 parties), spread over the county's villages, in the states the
services leave them in (about 92.5 % resolved in past years; this year's recent ones still
open), with a mediation committee and mediator per township. A second run (``--reuse``)
finds them and adds nothing.

Then, for a center operator of the county (scope 520524):

- the register page (``disputes:list``) filtered by 双堰街道 over the ten years, first page
  and last page, requested through Django's test client: median / p90 server time of
  ``REQUESTS`` requests after ``WARM_UP``, and queries per page (constant);
- the register page as it opens (this year, the whole county);
- 化解率 by township for this year (``metrics.resolution_by_territory``) and the county's
  figure (``metrics.resolution_figures``): median time and queries;
- one mediation agreement rendered as a PDF (the archive copy; all copies): median time;
- the Excel export of this year's register (3,000 rows) and of all ten years (30,000 rows).
"""

from __future__ import annotations

import datetime
import io
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

COUNTY_CODE = "520524"
TOWNSHIP_CODE = "520524001"  # 双堰街道
OPERATOR = "bench-disputes-county"
PASSWORD = "Mediate-Ten-Years-3000"
YEARS = range(2017, 2027)
PER_YEAR = 3000
THIS_YEAR = 2026
TODAY = datetime.date(2026, 11, 28)
NUMBER_PREFIX = "B"  # B520524-2026-00001: apart from the services' D… numbers
REQUESTS = 30
WARM_UP = 5
SEED = 20261128


def _timed(call: Callable[[], Any], *, runs: int, warm_up: int = 2) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm_up):
        call()
    with CaptureQueriesContext(connection) as queries:
        call()
    query_count = len(queries)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    figures = {
        "queries": query_count,
        "median_ms": round(statistics.median(timings), 1),
        "runs": runs,
    }
    if runs >= 10:
        figures["p90_ms"] = round(statistics.quantiles(timings, n=10)[8], 1)
    return figures


def _generate() -> dict[str, Any]:
    """The ten years of disputes (skipped when they are there already)."""
    from django.db import transaction
    from django.utils import timezone

    from fengqiao.core.idnumbers import check_character
    from fengqiao.core.privacy import lookup_digest
    from fengqiao.disputes.choices import (
        AgreementForm,
        CommitteeKind,
        DisputeStatus,
        DisputeType,
        Method,
        Outcome,
        PartyRole,
        ReferralRoute,
        Scale,
        Source,
    )
    from fengqiao.disputes.models import Dispute, DisputeParty, MediationCommittee, Mediator
    from fengqiao.territory.choices import AreaLevel
    from fengqiao.territory.models import Area

    existing = Dispute.objects.filter(number__startswith=f"{NUMBER_PREFIX}{COUNTY_CODE}-").count()
    if existing:
        return {"generated": 0, "already_there": existing}
    started = time.perf_counter()
    rng = random.Random(SEED)
    villages = list(
        Area.objects.filter(level=AreaLevel.VILLAGE, valid_to=None)
        .within(COUNTY_CODE)
        .order_by("territory_code")
        .values_list("territory_code", "name")
    )
    townships = dict(
        Area.objects.filter(level=AreaLevel.TOWNSHIP, valid_to=None)
        .within(COUNTY_CODE)
        .values_list("territory_code", "name")
    )
    committees = {}
    mediators = {}
    for code, name in sorted(townships.items()):
        committee, _created = MediationCommittee.objects.get_or_create(
            territory_code=code,
            name=f"{name}人民调解委员会",
            defaults={
                "kind": CommitteeKind.TOWNSHIP,
                "number_prefix": f"织{name[:1]}调",
                "address": f"{name}综治中心",
            },
        )
        committees[code] = committee
        mediator = Mediator(committee=committee, name=f"{name[:2]}调解员", title="专职调解员")
        mediator.save()
        mediators[code] = mediator
    types = [choice for choice, _label in DisputeType.choices]
    tz = timezone.get_current_timezone()
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    disputes: list[Dispute] = []
    serial = 0
    for year in YEARS:
        last_day = TODAY if year == THIS_YEAR else datetime.date(year, 12, 31)
        span = (last_day - datetime.date(year, 1, 1)).days + 1
        for number in range(1, PER_YEAR + 1):
            serial += 1
            village, village_name = villages[serial % len(villages)]
            township = village[:9]
            screened_on = datetime.date(year, 1, 1) + datetime.timedelta(
                days=(number * span) // (PER_YEAR + 1)
            )
            occurred_on = screened_on - datetime.timedelta(days=rng.randint(0, 10))
            due_at = datetime.datetime.combine(
                screened_on + datetime.timedelta(days=30), datetime.time(17, 30), tzinfo=tz
            )
            age = (TODAY - screened_on).days
            draw = rng.random()
            fields: dict[str, Any] = {}
            settled = min(screened_on + datetime.timedelta(days=rng.randint(3, 28)), TODAY)
            assigned = {
                "committee": committees[township],
                "lead_mediator": mediators[township],
                "assigned_at": datetime.datetime.combine(screened_on, datetime.time(9), tzinfo=tz),
            }
            if age < 20:
                fields = {"status": rng.choice([DisputeStatus.REGISTERED, DisputeStatus.MEDIATING])}
                if fields["status"] == DisputeStatus.MEDIATING:
                    fields.update(assigned)
            elif draw < 0.925:
                confirmed = draw < 0.05
                fields = {
                    **assigned,
                    "status": DisputeStatus.RESOLVED,
                    "outcome": Outcome.AGREEMENT,
                    "agreement_form": AgreementForm.ORAL if draw > 0.5 else AgreementForm.WRITTEN,
                    "oral_agreement": "双方同意互谅互让，按约定处理。" if draw > 0.5 else "",
                    "outcome_note": "经调解达成协议，已履行完毕。",
                    "outcome_at": datetime.datetime.combine(settled, datetime.time(16), tzinfo=tz),
                    "resolved_at": datetime.datetime.combine(
                        settled, datetime.time(16, 30), tzinfo=tz
                    ),
                    "evaluated_on": settled + datetime.timedelta(days=7),
                    "evaluation": "化解及时，群众满意。",
                }
                fields["confirmed_on" if confirmed else "performed_on"] = settled
            elif draw < 0.94:
                fields = {
                    **assigned,
                    "status": DisputeStatus.AGREED,
                    "outcome": Outcome.AGREEMENT,
                    "agreement_form": AgreementForm.WRITTEN,
                    "outcome_at": datetime.datetime.combine(settled, datetime.time(16), tzinfo=tz),
                }
            elif draw < 0.98:
                fields = {
                    **assigned,
                    "status": DisputeStatus.REFERRED,
                    "outcome": Outcome.NO_AGREEMENT,
                    "referral_route": ReferralRoute.LITIGATION,
                    "outcome_note": "调解不成，引导诉讼。",
                    "outcome_at": datetime.datetime.combine(settled, datetime.time(16), tzinfo=tz),
                }
            else:
                fields = {
                    "status": DisputeStatus.WITHDRAWN,
                    "outcome": Outcome.WITHDRAWN,
                    "outcome_at": datetime.datetime.combine(settled, datetime.time(16), tzinfo=tz),
                }
            disputes.append(
                Dispute(
                    number=f"{NUMBER_PREFIX}{COUNTY_CODE}-{year}-{number:05d}",
                    name=f"{village_name}{rng.choice(surnames)}{rng.choice(surnames)}两户纠纷",
                    occurred_on=occurred_on,
                    screened_on=screened_on,
                    place=f"{village_name}{rng.randint(1, 12)}组",
                    territory_code=village,
                    dispute_type=rng.choice(types),
                    scale=Scale.INDIVIDUAL,
                    people_involved=rng.randint(2, 6),
                    summary="因琐事引发争执，经网格员排查登记。",
                    source=Source.GRID_VISIT,
                    holder_code=village,
                    level="village",
                    method=Method.PEOPLES_MEDIATION,
                    due_at=due_at,
                    warn_at=due_at - datetime.timedelta(days=5),
                    **fields,
                )
            )
    with transaction.atomic():
        made = Dispute.objects.bulk_create(disputes, batch_size=1000)
        parties = []
        for index, dispute in enumerate(made):
            birth = f"{1950 + index % 50}{1 + index % 12:02d}{1 + index % 28:02d}"
            first17 = f"{COUNTY_CODE}{birth}{index % 1000:03d}"
            id_number = first17 + check_character(first17)
            party = DisputeParty(
                dispute_id=dispute.pk,
                role=PartyRole.APPLICANT,
                name=f"{surnames[index % len(surnames)]}某{index % 97}",
                sex="M" if int(first17[16]) % 2 else "F",
                ethnicity="汉族",
                address=dispute.place,
                id_number_digest=lookup_digest(id_number, "id_number"),
            )
            party.id_number = id_number
            parties.append(party)
        DisputeParty.objects.bulk_create(parties, batch_size=1000)
    return {
        "generated": len(made),
        "parties": len(parties),
        "committees": len(committees),
        "generate_seconds": round(time.perf_counter() - started, 1),
    }


def _agreement() -> Any:
    """A written agreement on one of 双堰街道's resolved disputes (made once, in bulk style)."""
    from fengqiao.disputes.choices import DisputeStatus, PartyRole
    from fengqiao.disputes.models import Dispute, DisputeParty, MediationAgreement

    found = MediationAgreement.objects.filter(number__startswith="BENCH").first()
    if found is not None:
        return found
    dispute = (
        Dispute.objects.within(TOWNSHIP_CODE)
        .filter(status=DisputeStatus.RESOLVED, screened_on__year=THIS_YEAR, committee__isnull=False)
        .order_by("screened_on")
        .first()
    )
    assert dispute is not None and dispute.committee is not None
    assert dispute.lead_mediator is not None
    first = dispute.parties.first()
    assert first is not None
    second = DisputeParty(
        dispute=dispute,
        role=PartyRole.RESPONDENT,
        name="李某某",
        sex="F",
        ethnicity="苗族",
        address=first.address + "附近",
    )
    second.save()
    return MediationAgreement.objects.create(
        dispute=dispute,
        committee=dispute.committee,
        year=THIS_YEAR,
        sequence=1,
        number=f"BENCH{dispute.committee.number_prefix}〔{THIS_YEAR}〕1号",
        facts="2026年初，乙方在两户之间的通道上堆放柴草和建筑材料，致使甲方车辆无法通行，"
        "双方多次发生口角。网格员排查发现后登记上报，村调解委员会受理调解。" * 2,
        matters="通道是否为两户共用；堆放物何时清理；往来损失如何承担。",
        responsibilities="乙方未经协商占用共用通道，负主要责任；甲方处理方式欠妥，负次要责任。",
        rights_obligations="一、乙方于十日内清理通道上的全部堆放物；\n"
        "二、乙方补偿甲方误工费人民币500元；\n三、双方今后共同维护通道畅通，和睦相处。",
        performance_method="乙方自行清理；补偿款现金当面交付，甲方出具收条",
        performance_place="双堰街道人民调解委员会调解室",
        performance_deadline=dispute.screened_on + datetime.timedelta(days=20),
        mediator=dispute.lead_mediator,
        signed_on=dispute.screened_on + datetime.timedelta(days=5),
    )


def run(database: str = "") -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from fengqiao.disputes.agreements import agreement_pdf_bytes
    from fengqiao.disputes.ledger import register_workbook_write
    from fengqiao.disputes.metrics import (
        resolution_by_territory,
        resolution_figures,
        screened_in_year,
    )
    from fengqiao.disputes.models import Dispute, DisputeParty
    from fengqiao.org.choices import Role
    from fengqiao.org.models import User
    from fengqiao.org.services import staff_create
    from fengqiao.territory.models import Area

    township = Area.objects.filter(territory_code=TOWNSHIP_CODE, valid_to=None).first()
    if township is None:
        return {"skipped": f"no township {TOWNSHIP_CODE}: seed the county profile first"}
    figures: dict[str, Any] = {"database": database or connection.vendor}
    print("generating ten years of disputes …", flush=True)
    figures["generate"] = _generate()
    figures["disputes"] = Dispute.objects.count()
    figures["parties"] = DisputeParty.objects.count()
    figures["disputes_in_township"] = Dispute.objects.within(TOWNSHIP_CODE).count()
    figures["township"] = f"{township.name} {TOWNSHIP_CODE}"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE disputes_dispute; ANALYZE disputes_disputeparty")

    if not Path(settings.STATIC_ROOT, "staticfiles.json").exists():
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    user = User.objects.filter(username=OPERATOR).first() or staff_create(
        username=OPERATOR,
        password=PASSWORD,
        full_name="织金县综治中心(基准)",
        role=Role.CENTER_OPERATOR,
        scope_code=COUNTY_CODE,
    )
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")

    # The register page, filtered by the township over the ten years: first and last page.
    base = reverse("disputes:list")
    query = f"territory={TOWNSHIP_CODE}&date_from={YEARS[0]}-01-01"
    in_filter = Dispute.objects.within(TOWNSHIP_CODE).filter(
        screened_on__gte=datetime.date(YEARS[0], 1, 1)
    )
    last_page = max(1, -(-in_filter.count() // 50))
    pages = {"first_page": 1, "last_page": last_page, "county_this_year": None}
    figures["list_url"] = base
    for label, number in pages.items():
        # Without a page: the register as it opens (this year, the whole county in scope).
        path = base if number is None else f"{base}?{query}&page={number}"
        for _ in range(WARM_UP):
            _get(client, path)
        with CaptureQueriesContext(connection) as queries:
            _get(client, path)
        query_count = len(queries)
        timings = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            _get(client, path)
            timings.append((time.perf_counter() - started) * 1000)
        figures[label] = {
            "page": number,
            "queries": query_count,
            "median_ms": round(statistics.median(timings), 1),
            "p90_ms": round(statistics.quantiles(timings, n=10)[8], 1),
        }
    figures["list_pages"] = last_page
    figures["constant_queries"] = (
        figures["first_page"]["queries"] == figures["last_page"]["queries"]
    )

    # 化解率: by township for this year, and the county's figure.
    this_year = screened_in_year(Dispute.objects.visible_to(user), THIS_YEAR)
    rows: list[Any] = []

    def by_township() -> None:
        rows[:] = resolution_by_territory(this_year, level="township")

    figures["rate_by_township"] = _timed(by_township, runs=REQUESTS)
    figures["rate_by_township"]["townships"] = len(rows)
    county = resolution_figures(this_year)
    figures["rate_county"] = _timed(lambda: resolution_figures(this_year), runs=REQUESTS)
    figures["rate_county"].update(
        screened=county.screened, resolved=county.resolved, rate=county.rate_display
    )
    all_years = Dispute.objects.visible_to(user)
    figures["rate_by_township_ten_years"] = _timed(
        lambda: resolution_by_territory(all_years, level="township"), runs=REQUESTS
    )

    # One agreement as a PDF.
    agreement = _agreement()
    figures["agreement_pdf"] = _timed(
        lambda: agreement_pdf_bytes(agreement=agreement, copy="archive"), runs=10, warm_up=1
    )
    figures["agreement_pdf"]["bytes"] = len(
        agreement_pdf_bytes(agreement=agreement, copy="archive")
    )
    figures["agreement_pdf_all_copies"] = _timed(
        lambda: agreement_pdf_bytes(agreement=agreement, copy="all"), runs=5, warm_up=1
    )

    # The Excel export: this year (the county), then all ten years.
    for label, params in (
        ("export_this_year", {"year": str(THIS_YEAR)}),
        ("export_ten_years", {"date_from": f"{YEARS[0]}-01-01"}),
    ):
        out = io.BytesIO()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            count = register_workbook_write(actor=user, params=params, destination=out)
        figures[label] = {
            "rows": count,
            "seconds": round(time.perf_counter() - started, 2),
            "queries": len(queries),
            "mb": round(len(out.getvalue()) / 2**20, 1),
        }
    return figures


def _get(client: Any, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}")


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    import django

    django.setup()
    print(json.dumps(run(), ensure_ascii=False, indent=2, default=str))


if __name__ == "__main__":
    main()
