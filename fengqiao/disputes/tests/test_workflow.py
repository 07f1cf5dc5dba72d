"""The register's moves through the services: from a grid visit through mediation to a signed
agreement, a performance visit and judicial confirmation; and every refusal."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from fengqiao.cases.models import Notification
from fengqiao.conftest import World
from fengqiao.disputes import services
from fengqiao.disputes.choices import (
    AgreementForm,
    ConfirmationStatus,
    DisputeStatus,
    EventKind,
    IdType,
    Outcome,
    PerformanceResult,
    ReferralRoute,
    RiskLevel,
    Source,
)
from fengqiao.disputes.models import (
    Dispute,
    DisputeEvent,
    DisputeParty,
    DisputeSupervision,
    MediationAgreement,
)
from fengqiao.disputes.tests.conftest import (
    APPLICANT_ID,
    OCCURRED,
    Mediation,
    agreement_input,
    dispute_input,
    parties,
    register,
    to_agreement,
    to_mediation,
)

pytestmark = pytest.mark.usefixtures("clock", "english")


def kinds(dispute: Dispute) -> list[str]:
    return list(dispute.events.order_by("id").values_list("kind", flat=True))


def test_a_dispute_found_on_a_grid_visit_goes_to_judicial_confirmation(
    world: World, mediation: Mediation
) -> None:
    grid = world.a.users["grid_worker"]
    dispute = register(world)
    assert dispute.number == "D520524-2026-00001"
    assert (dispute.status, dispute.holder_code, dispute.level) == (
        DisputeStatus.REGISTERED,
        world.a.grid.code,
        "grid",
    )
    assert dispute.screened_on == datetime.date(2026, 6, 8)
    # One month: 2026-07-08 is a Wednesday, a working day.
    assert dispute.due_at is not None and dispute.due_at.date() == datetime.date(2026, 7, 8)
    applicant, _respondent = dispute.parties.order_by("id")
    assert applicant.id_number == APPLICANT_ID
    assert str(applicant.id_number) == APPLICANT_ID[:4] + "*" * 10 + APPLICANT_ID[-4:]
    assert applicant.sex and applicant.birth_date == datetime.date(1975, 3, 4)
    assert str(applicant.phone) == "138****1111"

    dispute = to_mediation(world, mediation, dispute)
    assert (dispute.status, dispute.holder_code) == (
        DisputeStatus.MEDIATING,
        world.a.village.territory_code,
    )
    assert dispute.lead_mediator == mediation.mediator

    actor = mediation.mediator_user
    session = services.session_record(
        dispute=dispute,
        actor=actor,
        held_on=datetime.date(2026, 6, 5),
        place="",
        remote=True,
        participants="张某甲、李某乙（视频）",
        record="双方同意拆墙并赔偿800元。",
    )
    assert not session.parties_confirmed
    services.session_confirm(session=session, actor=actor)
    session.refresh_from_db()
    assert session.parties_confirmed and session.confirmed_at is not None

    dispute = services.dispute_record_outcome(
        dispute=dispute,
        actor=actor,
        outcome=Outcome.AGREEMENT,
        agreement_form=AgreementForm.WRITTEN,
    )
    assert dispute.status == DisputeStatus.AGREED
    agreement = services.agreement_create(
        dispute=dispute, actor=actor, data=agreement_input(mediation)
    )
    assert agreement.number == "双一调〔2026〕1号"
    assert dispute.agreement == agreement

    scan = SimpleUploadedFile("signed.pdf", b"%PDF-1.4\n%signed\n", content_type="application/pdf")
    copy = services.agreement_upload_signed_copy(
        agreement=agreement, uploaded_file=scan, actor=actor, party=applicant
    )
    assert copy.content_type == "application/pdf" and copy.party == applicant

    visit = services.follow_up_record(
        dispute=dispute,
        actor=grid,
        visited_on=datetime.date(2026, 6, 8),
        result=PerformanceResult.PERFORMED,
    )
    dispute.refresh_from_db()
    assert visit.result == PerformanceResult.PERFORMED
    assert dispute.status == DisputeStatus.RESOLVED
    assert dispute.performed_on == datetime.date(2026, 6, 8)
    assert dispute.resolved_at is not None

    confirmation = services.confirmation_apply(
        dispute=dispute, actor=actor, applied_on=datetime.date(2026, 6, 8), court="织金县人民法院"
    )
    assert confirmation.status == ConfirmationStatus.APPLIED
    confirmation = services.confirmation_decide(
        confirmation=confirmation,
        actor=actor,
        confirmed=True,
        decided_on=datetime.date(2026, 6, 8),
        ruling_number="（2026）黔0524民特12号",
    )
    dispute.refresh_from_db()
    assert confirmation.status == ConfirmationStatus.CONFIRMED
    assert dispute.confirmed_on == datetime.date(2026, 6, 8)
    assert kinds(dispute) == [
        EventKind.REGISTER,
        EventKind.ESCALATE,
        EventKind.ASSIGN,
        EventKind.SESSION,
        EventKind.SESSION_CONFIRM,
        EventKind.OUTCOME,
        EventKind.AGREEMENT,
        EventKind.SIGNED_COPY,
        EventKind.FOLLOW_UP,
        EventKind.CONFIRMATION,
        EventKind.CONFIRMATION,
    ]
    resolved = DisputeEvent.objects.get(dispute=dispute, kind=EventKind.FOLLOW_UP)
    assert (resolved.from_status, resolved.to_status) == (
        DisputeStatus.AGREED,
        DisputeStatus.RESOLVED,
    )


def test_judicial_confirmation_alone_resolves(world: World, mediation: Mediation) -> None:
    dispute, _agreement = to_agreement(world, mediation)
    actor = mediation.mediator_user
    confirmation = services.confirmation_apply(
        dispute=dispute, actor=actor, applied_on=datetime.date(2026, 6, 6), court="织金县人民法院"
    )
    services.confirmation_decide(
        confirmation=confirmation,
        actor=actor,
        confirmed=True,
        decided_on=datetime.date(2026, 6, 8),
        ruling_number="（2026）黔0524民特13号",
    )
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED and dispute.performed_on is None


def test_a_partly_performed_agreement_is_not_resolved(world: World, mediation: Mediation) -> None:
    dispute, _agreement = to_agreement(world, mediation)
    services.follow_up_record(
        dispute=dispute,
        actor=world.a.users["grid_worker"],
        visited_on=datetime.date(2026, 6, 8),
        result=PerformanceResult.PARTLY,
        note="围墙已拆，赔偿款未付",
    )
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.AGREED and dispute.resolved_at is None


def test_an_oral_agreement_records_its_content(world: World, mediation: Mediation) -> None:
    dispute = to_mediation(world, mediation)
    actor = mediation.mediator_user
    services.session_record(
        dispute=dispute,
        actor=actor,
        held_on=datetime.date(2026, 6, 8),
        place="田间",
        participants="双方",
        record="当场调解",
    )
    with pytest.raises(ValidationError, match="content of the oral agreement"):
        services.dispute_record_outcome(
            dispute=dispute, actor=actor, outcome=Outcome.AGREEMENT, agreement_form="oral"
        )
    dispute = services.dispute_record_outcome(
        dispute=dispute,
        actor=actor,
        outcome=Outcome.AGREEMENT,
        agreement_form=AgreementForm.ORAL,
        oral_agreement="乙方当天归还借用的农具。",
    )
    assert dispute.oral_agreement == "乙方当天归还借用的农具。"
    with pytest.raises(ValidationError, match="oral agreement"):
        services.agreement_create(dispute=dispute, actor=actor, data=agreement_input(mediation))


def test_no_agreement_is_referred(world: World, mediation: Mediation) -> None:
    dispute = to_mediation(world, mediation)
    actor = mediation.mediator_user
    with pytest.raises(ValidationError, match="litigation, arbitration"):
        services.dispute_record_outcome(
            dispute=dispute, actor=actor, outcome=Outcome.NO_AGREEMENT, note="分歧太大"
        )
    dispute = services.dispute_record_outcome(
        dispute=dispute,
        actor=actor,
        outcome=Outcome.NO_AGREEMENT,
        referral_route=ReferralRoute.LITIGATION,
        note="分歧太大，引导诉讼",
    )
    assert dispute.status == DisputeStatus.REFERRED


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("52052419800101001", "18 characters"),
        ("520524198002300011", "birth date"),
        (APPLICANT_ID[:17] + ("0" if APPLICANT_ID[17] != "0" else "1"), "last character"),
    ],
)
def test_a_party_with_an_invalid_id_number_is_refused(
    world: World, number: str, message: str
) -> None:
    bad = services.PartyInput(name="王某", id_number=number, address="一村")
    with pytest.raises(ValidationError, match=message) as caught:
        register(world, parties=(parties()[0], bad))
    assert "王某" in caught.value.messages[0]
    assert not Dispute.objects.exists()


def test_a_party_added_later_is_checked_too(world: World) -> None:
    dispute = register(world)
    with pytest.raises(ValidationError, match="18 characters"):
        services.dispute_add_party(
            dispute=dispute,
            party=services.PartyInput(name="赵某", id_number="12345"),
            actor=world.a.users["grid_worker"],
        )
    party = services.dispute_add_party(
        dispute=dispute,
        party=services.PartyInput(
            name="某公司", id_type=IdType.USCC, id_number="91520524MA6DXXXX1X"
        ),
        actor=world.a.users["grid_worker"],
    )
    assert party.id_type == IdType.USCC
    with pytest.raises(ValidationError, match="document number"):
        services.dispute_add_party(
            dispute=dispute,
            party=services.PartyInput(name="某人", id_type=IdType.PASSPORT),
            actor=world.a.users["grid_worker"],
        )


def test_a_dispute_cannot_be_screened_before_it_occurred(world: World) -> None:
    with pytest.raises(ValidationError, match="before it occurred"):
        register(world, screened_on=OCCURRED - datetime.timedelta(days=1))
    with pytest.raises(ValidationError, match="in the future"):
        register(world, occurred_on=datetime.date(2026, 6, 9))


@pytest.mark.parametrize(
    "missing",
    [
        "facts",
        "matters",
        "responsibilities",
        "rights_obligations",
        "performance_method",
        "performance_place",
        "performance_deadline",
        "signed_on",
        "mediator",
    ],
)
def test_an_agreement_missing_a_required_field_is_refused(
    world: World, mediation: Mediation, missing: str
) -> None:
    dispute = to_mediation(world, mediation)
    actor = mediation.mediator_user
    services.session_record(
        dispute=dispute,
        actor=actor,
        held_on=OCCURRED,
        place="调解室",
        participants="双方",
        record="达成协议",
    )
    services.dispute_record_outcome(
        dispute=dispute,
        actor=actor,
        outcome=Outcome.AGREEMENT,
        agreement_form=AgreementForm.WRITTEN,
    )
    blank: Any = None if missing in ("performance_deadline", "signed_on", "mediator") else "  "
    with pytest.raises(ValidationError, match="The agreement is missing") as caught:
        services.agreement_create(
            dispute=dispute, actor=actor, data=agreement_input(mediation, **{missing: blank})
        )
    label = {
        "facts": "main facts",
        "matters": "matters in dispute",
        "responsibilities": "responsibility",
        "rights_obligations": "rights and obligations",
        "performance_method": "how it is performed",
        "performance_place": "where it is performed",
        "performance_deadline": "performed by",
        "signed_on": "date of the agreement",
        "mediator": "mediator",
    }[missing]
    assert label in caught.value.messages[0]
    assert not MediationAgreement.objects.exists()


def test_an_agreement_needs_two_parties_with_addresses(world: World, mediation: Mediation) -> None:
    only = services.PartyInput(name="张某甲", id_number=APPLICANT_ID)
    dispute = to_mediation(world, mediation, register(world, parties=(only,)))
    actor = mediation.mediator_user
    services.session_record(
        dispute=dispute,
        actor=actor,
        held_on=OCCURRED,
        place="调解室",
        participants="双方",
        record="达成协议",
    )
    services.dispute_record_outcome(
        dispute=dispute,
        actor=actor,
        outcome=Outcome.AGREEMENT,
        agreement_form=AgreementForm.WRITTEN,
    )
    with pytest.raises(ValidationError, match="at least two parties"):
        services.agreement_create(dispute=dispute, actor=actor, data=agreement_input(mediation))
    # Adding parties is closed once the outcome is in: the record had to be complete first.
    with pytest.raises(ValidationError, match="Cannot add a party"):
        services.dispute_add_party(
            dispute=dispute, party=services.PartyInput(name="李某乙"), actor=actor
        )


def test_a_party_without_an_address_blocks_the_agreement(
    world: World, mediation: Mediation
) -> None:
    first, second = parties()
    homeless = services.PartyInput(name=second.name, id_number=second.id_number)
    dispute = to_mediation(world, mediation, register(world, parties=(first, homeless)))
    actor = mediation.mediator_user
    services.session_record(
        dispute=dispute,
        actor=actor,
        held_on=OCCURRED,
        place="调解室",
        participants="双方",
        record="达成协议",
    )
    services.dispute_record_outcome(
        dispute=dispute,
        actor=actor,
        outcome=Outcome.AGREEMENT,
        agreement_form=AgreementForm.WRITTEN,
    )
    with pytest.raises(ValidationError, match=r"李某乙.*no address"):
        services.agreement_create(dispute=dispute, actor=actor, data=agreement_input(mediation))


def test_agreement_dates_are_checked(world: World, mediation: Mediation) -> None:
    dispute = to_mediation(world, mediation)
    actor = mediation.mediator_user
    services.session_record(
        dispute=dispute,
        actor=actor,
        held_on=datetime.date(2026, 6, 5),
        place="调解室",
        participants="双方",
        record="达成协议",
    )
    services.dispute_record_outcome(
        dispute=dispute,
        actor=actor,
        outcome=Outcome.AGREEMENT,
        agreement_form=AgreementForm.WRITTEN,
    )
    with pytest.raises(ValidationError, match="first mediation session"):
        services.agreement_create(
            dispute=dispute,
            actor=actor,
            data=agreement_input(mediation, signed_on=datetime.date(2026, 6, 4)),
        )
    with pytest.raises(ValidationError, match="performance deadline"):
        services.agreement_create(
            dispute=dispute,
            actor=actor,
            data=agreement_input(mediation, performance_deadline=datetime.date(2026, 6, 1)),
        )


def test_a_session_dated_before_the_dispute_is_refused(world: World, mediation: Mediation) -> None:
    dispute = to_mediation(world, mediation)
    with pytest.raises(ValidationError, match="before the dispute occurred") as caught:
        services.session_record(
            dispute=dispute,
            actor=mediation.mediator_user,
            held_on=OCCURRED - datetime.timedelta(days=3),
            place="调解室",
            participants="双方",
            record="调解",
        )
    assert "correct the session date" in caught.value.messages[0]
    with pytest.raises(ValidationError, match="in the future"):
        services.session_record(
            dispute=dispute,
            actor=mediation.mediator_user,
            held_on=datetime.date(2026, 6, 9),
            place="调解室",
            participants="双方",
            record="调解",
        )
    with pytest.raises(ValidationError, match="held remotely"):
        services.session_record(
            dispute=dispute,
            actor=mediation.mediator_user,
            held_on=OCCURRED,
            place=" ",
            participants="双方",
            record="调解",
        )
    assert not dispute.sessions.exists()


def test_outcomes_on_a_withdrawn_dispute_are_refused(world: World, mediation: Mediation) -> None:
    dispute = to_mediation(world, mediation)
    actor = mediation.mediator_user
    with pytest.raises(ValidationError, match="why the parties withdrew"):
        services.dispute_record_outcome(dispute=dispute, actor=actor, outcome=Outcome.WITHDRAWN)
    dispute = services.dispute_record_outcome(
        dispute=dispute, actor=actor, outcome=Outcome.WITHDRAWN, note="双方自行和解，申请撤回"
    )
    assert dispute.status == DisputeStatus.WITHDRAWN
    for outcome in (Outcome.AGREEMENT, Outcome.NO_AGREEMENT, Outcome.WITHDRAWN):
        with pytest.raises(ValidationError, match="withdrawn by the parties") as caught:
            services.dispute_record_outcome(
                dispute=dispute,
                actor=actor,
                outcome=outcome,
                agreement_form=AgreementForm.WRITTEN,
                referral_route=ReferralRoute.LITIGATION,
                note="x",
            )
        assert "Register it again" in caught.value.messages[0]
    with pytest.raises(ValidationError, match="withdrawn by the parties"):
        services.session_record(
            dispute=dispute, actor=actor, held_on=OCCURRED, place="x", participants="x", record="x"
        )
    with pytest.raises(ValidationError, match="withdrawn by the parties"):
        services.follow_up_record(
            dispute=dispute,
            actor=actor,
            visited_on=datetime.date(2026, 6, 8),
            result=PerformanceResult.PERFORMED,
        )


def test_an_agreement_needs_a_session_first(world: World, mediation: Mediation) -> None:
    dispute = to_mediation(world, mediation)
    with pytest.raises(ValidationError, match="session"):
        services.dispute_record_outcome(
            dispute=dispute,
            actor=mediation.mediator_user,
            outcome=Outcome.AGREEMENT,
            agreement_form=AgreementForm.WRITTEN,
        )


def test_judicial_confirmation_must_be_applied_for_within_30_days(
    world: World, mediation: Mediation, clock: Any
) -> None:
    dispute, _agreement = to_agreement(world, mediation)
    clock.move_to(datetime.datetime(2026, 7, 20, 9, 0, tzinfo=datetime.UTC))
    with pytest.raises(ValidationError, match="within 30 days"):
        services.confirmation_apply(
            dispute=dispute,
            actor=mediation.mediator_user,
            applied_on=datetime.date(2026, 7, 6),
            court="织金县人民法院",
        )
    confirmation = services.confirmation_apply(
        dispute=dispute,
        actor=mediation.mediator_user,
        applied_on=datetime.date(2026, 7, 5),
        court="织金县人民法院",
    )
    with pytest.raises(ValidationError, match="already recorded"):
        services.confirmation_apply(
            dispute=dispute,
            actor=mediation.mediator_user,
            applied_on=datetime.date(2026, 7, 5),
            court="织金县人民法院",
        )
    with pytest.raises(ValidationError, match="reason for rejecting"):
        services.confirmation_decide(
            confirmation=confirmation,
            actor=mediation.mediator_user,
            confirmed=False,
            decided_on=datetime.date(2026, 7, 10),
        )
    services.confirmation_decide(
        confirmation=confirmation,
        actor=mediation.mediator_user,
        confirmed=False,
        decided_on=datetime.date(2026, 7, 10),
        note="协议内容违反法律强制性规定",
    )
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.AGREED and dispute.confirmed_on is None


def test_a_follow_up_before_the_agreement_is_refused(world: World, mediation: Mediation) -> None:
    dispute, _agreement = to_agreement(world, mediation)
    with pytest.raises(ValidationError, match="between the agreement"):
        services.follow_up_record(
            dispute=dispute,
            actor=mediation.mediator_user,
            visited_on=datetime.date(2026, 6, 4),
            result=PerformanceResult.PERFORMED,
        )
    with pytest.raises(ValidationError, match="not been performed"):
        services.follow_up_record(
            dispute=dispute,
            actor=mediation.mediator_user,
            visited_on=datetime.date(2026, 6, 8),
            result=PerformanceResult.NOT_PERFORMED,
        )


def test_a_signed_copy_must_be_a_scan_or_photo(world: World, mediation: Mediation) -> None:
    _dispute, agreement = to_agreement(world, mediation)
    exe = SimpleUploadedFile("signed.jpg", b"MZ\x90\x00not an image", content_type="image/jpeg")
    with pytest.raises(ValidationError, match="not a file type"):
        services.agreement_upload_signed_copy(
            agreement=agreement, uploaded_file=exe, actor=mediation.mediator_user
        )
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(buffer, "JPEG")
    photo = SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")
    copy = services.agreement_upload_signed_copy(
        agreement=agreement, uploaded_file=photo, actor=mediation.mediator_user
    )
    assert copy.party is None and copy.content_type == "image/jpeg"
    other = register(world, name="另一纠纷")
    stranger = DisputeParty.objects.filter(dispute=other).first()
    with pytest.raises(ValidationError, match="not a party"):
        services.agreement_upload_signed_copy(
            agreement=agreement, uploaded_file=photo, actor=mediation.mediator_user, party=stranger
        )


# --- Numbers ----------------------------------------------------------------------------------


def test_agreement_numbers_run_per_committee_and_year(world: World, mediation: Mediation) -> None:
    _d1, first = to_agreement(world, mediation)
    _d2, second = to_agreement(world, mediation)
    assert (first.number, second.number) == ("双一调〔2026〕1号", "双一调〔2026〕2号")
    assert [first.sequence, second.sequence] == [1, 2]


def test_register_numbers_run_per_county_and_year(world: World) -> None:
    numbers = [register(world).number for _ in range(3)]
    assert numbers == ["D520524-2026-00001", "D520524-2026-00002", "D520524-2026-00003"]


# --- Escalation -------------------------------------------------------------------------------


def test_escalation_goes_up_level_by_level_with_reasons(world: World, mediation: Mediation) -> None:
    dispute = to_mediation(world, mediation)
    with pytest.raises(ValidationError, match="reason"):
        services.dispute_escalate(
            dispute=dispute, actor=world.a.users["village_operator"], reason=" "
        )
    dispute = services.dispute_escalate(
        dispute=dispute, actor=world.a.users["village_operator"], reason="村调委会调解不成"
    )
    assert (dispute.holder_code, dispute.level, dispute.status, dispute.committee) == (
        world.a.area.territory_code,
        "township",
        DisputeStatus.REGISTERED,
        None,
    )
    assert Notification.objects.filter(
        user=world.a.users["township_operator"], message__contains=dispute.number
    ).exists()
    # The grid worker no longer handles it.
    with pytest.raises(PermissionDenied):
        services.dispute_escalate(dispute=dispute, actor=world.a.users["grid_worker"], reason="x")
    dispute = services.dispute_escalate(
        dispute=dispute, actor=world.a.users["township_operator"], reason="涉及多部门"
    )
    assert dispute.holder_code == "520524" and dispute.level == "county"
    with pytest.raises(ValidationError, match="top level"):
        services.dispute_escalate(dispute=dispute, actor=world.county_operator, reason="x")
    escalations = dispute.events.filter(kind=EventKind.ESCALATE).order_by("id")
    assert [e.note for e in escalations] == ["需要村调委会调解", "村调委会调解不成", "涉及多部门"]


def test_a_grid_worker_cannot_assign_and_committees_must_serve_the_place(
    world: World, mediation: Mediation
) -> None:
    dispute = register(world)
    with pytest.raises(PermissionDenied):
        services.dispute_assign(
            dispute=dispute,
            actor=world.a.users["grid_worker"],
            committee=mediation.village_committee,
            mediator=mediation.mediator,
        )
    dispute = services.dispute_escalate(
        dispute=dispute, actor=world.a.users["grid_worker"], reason="上报"
    )
    with pytest.raises(ValidationError, match="does not mediate"):
        services.dispute_assign(
            dispute=dispute,
            actor=world.a.users["village_operator"],
            committee=mediation.other_committee,
            mediator=mediation.other_mediator,
        )
    with pytest.raises(ValidationError, match="not an active mediator"):
        services.dispute_assign(
            dispute=dispute,
            actor=world.a.users["village_operator"],
            committee=mediation.village_committee,
            mediator=mediation.township_mediator,
        )


# --- Risk and alerts --------------------------------------------------------------------------


def _alerted(dispute: Dispute) -> set[tuple[str, str]]:
    return set(
        DisputeSupervision.objects.filter(dispute=dispute).values_list("center_code", "reason")
    )


def test_raising_to_high_risk_alerts_township_and_county_at_once(world: World) -> None:
    dispute = register(world)
    assert not _alerted(dispute)
    dispute = services.dispute_assess_risk(
        dispute=dispute,
        actor=world.a.users["grid_worker"],
        risk_level=RiskLevel.MEDIUM,
        violent_risk=False,
        note="双方情绪激动",
    )
    assert not _alerted(dispute)
    dispute = services.dispute_assess_risk(
        dispute=dispute,
        actor=world.a.users["grid_worker"],
        risk_level=RiskLevel.HIGH,
        violent_risk=False,
        note="乙方扬言要动手",
    )
    assert _alerted(dispute) == {
        (world.a.area.territory_code, "high_risk"),
        ("520524", "high_risk"),
    }
    for user in (world.a.users["township_operator"], world.county_operator):
        assert Notification.objects.filter(user=user, message__contains=dispute.number).exists()
    assert not Notification.objects.filter(user=world.b.users["township_operator"]).exists()
    # Staying high does not alert again.
    services.dispute_assess_risk(
        dispute=dispute,
        actor=world.a.users["grid_worker"],
        risk_level=RiskLevel.HIGH,
        violent_risk=False,
        note="仍然紧张",
    )
    assert DisputeSupervision.objects.filter(dispute=dispute).count() == 2


def test_the_violent_flag_alerts_too_even_at_registration(world: World) -> None:
    dispute = register(world, violent_risk=True, risk_level=RiskLevel.MEDIUM)
    assert _alerted(dispute) == {
        (world.a.area.territory_code, "violent"),
        ("520524", "violent"),
    }
    both = register(world, violent_risk=True, risk_level=RiskLevel.HIGH)
    assert {reason for _c, reason in _alerted(both)} == {"violent", "high_risk"}


def test_risk_needs_a_reason_and_staff_of_the_place(world: World) -> None:
    dispute = register(world)
    with pytest.raises(ValidationError, match="reason for the assessment"):
        services.dispute_assess_risk(
            dispute=dispute,
            actor=world.a.users["grid_worker"],
            risk_level=RiskLevel.HIGH,
            violent_risk=False,
            note="",
        )
    with pytest.raises(PermissionDenied):
        services.dispute_assess_risk(
            dispute=dispute,
            actor=world.b.users["grid_worker"],
            risk_level=RiskLevel.HIGH,
            violent_risk=False,
            note="x",
        )


# --- Who may register -------------------------------------------------------------------------


def test_registering_outside_one_s_territory_is_refused(world: World) -> None:
    with pytest.raises(PermissionDenied):
        services.dispute_register(
            data=dispute_input(world, territory_code=world.b.grid.code),
            actor=world.a.users["grid_worker"],
        )


def test_a_department_refers_in_its_own_name(world: World, department: Any) -> None:
    handler = world.a.users["dept_handler"]
    with pytest.raises(PermissionDenied):
        services.dispute_register(data=dispute_input(world), actor=handler)
    dispute = services.dispute_register(
        data=dispute_input(world, source=Source.REFERRAL, referring_department=department),
        actor=handler,
    )
    # A referral goes to the township center.
    assert dispute.holder_code == world.a.area.territory_code
    assert Dispute.objects.visible_to(handler).filter(pk=dispute.pk).exists()
    assert not Dispute.objects.visible_to(world.b.users["dept_handler"]).exists()


# --- Concurrency ------------------------------------------------------------------------------


def test_a_stale_page_is_refused(world: World, mediation: Mediation) -> None:
    dispute = register(world)
    shown = dispute.version
    services.dispute_assess_risk(
        dispute=dispute,
        actor=world.a.users["grid_worker"],
        risk_level=RiskLevel.MEDIUM,
        violent_risk=False,
        note="情绪激动",
        version=shown,
    )
    with pytest.raises(services.StaleDisputeError, match="Reload the page"):
        services.dispute_escalate(
            dispute=dispute, actor=world.a.users["grid_worker"], reason="上报", version=shown
        )
    dispute.refresh_from_db()
    assert dispute.holder_code == world.a.grid.code


def test_the_second_of_two_outcomes_is_refused_by_state(world: World, mediation: Mediation) -> None:
    dispute = to_mediation(world, mediation)
    stale_copy = Dispute.objects.get(pk=dispute.pk)
    services.dispute_record_outcome(
        dispute=dispute,
        actor=mediation.mediator_user,
        outcome=Outcome.NO_AGREEMENT,
        referral_route=ReferralRoute.ARBITRATION,
        note="引导仲裁",
    )
    with pytest.raises(services.TransitionError, match="No agreement, referred"):
        services.dispute_record_outcome(
            dispute=stale_copy,
            actor=mediation.mediator_user,
            outcome=Outcome.NO_AGREEMENT,
            referral_route=ReferralRoute.LITIGATION,
            note="x",
        )


# --- Supervision and evaluation ---------------------------------------------------------------


def test_supervision_and_evaluation(world: World, mediation: Mediation) -> None:
    dispute = to_mediation(world, mediation)
    with pytest.raises(PermissionDenied):
        services.dispute_supervise(
            dispute=dispute, actor=world.b.users["township_operator"], message="x"
        )
    notice = services.dispute_supervise(
        dispute=dispute, actor=world.a.users["township_operator"], message="请一周内调结"
    )
    assert notice.reason == "manual"
    assert Notification.objects.filter(
        user=mediation.mediator_user, message__contains="请一周内调结"
    ).exists()
    with pytest.raises(ValidationError, match="Cannot evaluate"):
        services.dispute_evaluate(
            dispute=dispute,
            actor=world.a.users["township_operator"],
            evaluated_on=datetime.date(2026, 6, 8),
            evaluation="好",
        )
    dispute = services.dispute_record_outcome(
        dispute=dispute, actor=mediation.mediator_user, outcome=Outcome.WITHDRAWN, note="撤回"
    )
    dispute = services.dispute_evaluate(
        dispute=dispute,
        actor=world.a.users["township_operator"],
        evaluated_on=datetime.date(2026, 6, 8),
        evaluation="处置及时",
    )
    assert dispute.evaluation == "处置及时"
