"""The residents' writes: a report from a doorplate, a rating, the guide, the reminders.

A report enters the case loop through ``case_submit`` like every other channel (channel
``QR doorplate``, the household and its grid attached, routed by the routing rules), and
the rating through ``case_rate`` (不满意 reopens the case as the loop defines). What this
module adds is only what the doorplate brings: the plate the report came from, the phone
verified by a one-time code, the photos, and the messages to the resident.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from fengqiao.cases.attachments import attachments_add_many
from fengqiao.cases.choices import CaseType, Channel, Rating, ReporterKind
from fengqiao.cases.models import Case, CaseReporter, Category
from fengqiao.cases.services import ReporterInput, case_rate, case_submit, is_administrator
from fengqiao.core.links import public_base_url
from fengqiao.core.privacy import lookup_digest
from fengqiao.doorplates.models import Doorplate
from fengqiao.residents.models import RatingReminder, ResidentReport, ServiceGuideEntry
from fengqiao.residents.selectors import REMINDER_ATTEMPTS, expected_reply_by
from fengqiao.residents.sms import SmsError, sms_send

logger = logging.getLogger(__name__)

TITLE_LENGTH = 40


def _title(category: Category, description: str) -> str:
    """Residents do not write a title: the category and the start of what they wrote."""
    first_line = " ".join(description.split())
    if len(first_line) > TITLE_LENGTH:
        first_line = first_line[: TITLE_LENGTH - 1] + "…"
    return f"{category.name}：{first_line}"[:100]


def public_link(path: str) -> str:
    """An absolute address for a message that leaves the site (an SMS)."""
    return f"{public_base_url()}{path}"


def tracking_path(reporter: CaseReporter) -> str:
    return reverse("residents:track", args=[reporter.tracking_token])


@transaction.atomic
def resident_report_submit(
    *,
    doorplate: Doorplate,
    case_type: CaseType,
    category: Category,
    description: str,
    phone: str,
    photos: Sequence[File[Any]] = (),
    idempotency_key: str,
) -> tuple[Case, CaseReporter, bool]:
    """Receive a resident's report from a working doorplate, with a phone already verified.
    Returns (case, the reporter whose link the resident follows, created). Sending the same
    form twice gives back the first case."""
    if not doorplate.is_active:
        raise PermissionDenied(_("This doorplate is no longer in use."))
    household = doorplate.household
    case, created = case_submit(
        case_type=case_type,
        category=category,
        channel=Channel.QR_DOORPLATE,
        title=_title(category, description),
        description=description,
        territory_code=household.territory_code,
        household_id=household.pk,
        address=household.doorplate[:200],
        reporter=ReporterInput(kind=ReporterKind.HOUSEHOLD, phone=phone, household_id=household.pk),
        idempotency_key=f"qr:{doorplate.pk}:{idempotency_key}",
    )
    digest = lookup_digest(phone, "phone")
    reporter = case.reporters.filter(phone_digest=digest).order_by("id").first()
    if reporter is None:
        # The key was used before with another phone: not this resident's case.
        raise ValidationError(_("This form was already sent. Open the page again to report."))
    if not created:
        return case, reporter, False
    ResidentReport.objects.create(
        reporter=reporter, doorplate=doorplate, phone_verified_at=timezone.now()
    )
    if photos:
        attachments_add_many(
            case=case,
            uploaded_files=list(photos),
            actor=None,
            event=case.events.order_by("id").first(),
        )
    from fengqiao.residents.tasks import send_case_receipt

    reporter_id = reporter.pk
    # robust: a message that cannot be queued must not turn a received case into an error.
    transaction.on_commit(lambda: send_case_receipt.delay(reporter_id), robust=True)
    return case, reporter, True


@transaction.atomic
def resident_rate(*, reporter: CaseReporter, rating: Rating, comment: str = "") -> Case:
    """评单 by the resident through their link. 不满意 needs a word on what is wrong, so the
    department knows what to do again; the case loop then reopens the case."""
    comment = comment.strip()
    if rating == Rating.UNSATISFIED and not comment:
        raise ValidationError(_("Please say what you are not satisfied with."))
    return case_rate(case=reporter.case, rating=rating, comment=comment, actor=None)


def _format_due(due: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(due), "Y-m-d H:i")


def case_receipt_send(*, reporter_id: int) -> bool:
    """SMS the resident the case number, the answer deadline and the tracking link."""
    reporter = (
        CaseReporter.objects.select_related("case")
        .filter(pk=reporter_id, resident_report__isnull=False)
        .first()
    )
    if reporter is None or not reporter.phone:
        return False
    case = reporter.case
    try:
        sms_send(
            phone=reporter.phone.reveal(),
            template="case_received",
            number=case.number,
            due=_format_due(expected_reply_by(case)),
            link=public_link(tracking_path(reporter)),
        )
    except SmsError as error:
        # The page already showed the number and the link; the receipt is a convenience.
        logger.warning("Case receipt for reporter %s not sent: %s", reporter_id, error)
        return False
    return True


def rating_reminder_send(*, reporter: CaseReporter, round_: int) -> bool:
    """Remind the reporter to rate, once for this reply round: the reminder row is claimed
    first (a unique constraint), so concurrent runs send one message. A failed send is kept
    with its error and tried again by the next run, up to ``REMINDER_ATTEMPTS`` times in all."""
    try:
        with transaction.atomic():
            reminder, made = RatingReminder.objects.get_or_create(reporter=reporter, round=round_)
    except IntegrityError:
        return False
    if not made and (reminder.sent_at is not None or reminder.attempts >= REMINDER_ATTEMPTS):
        return False
    claimed = RatingReminder.objects.filter(
        pk=reminder.pk, sent_at__isnull=True, attempts=reminder.attempts
    ).update(attempts=reminder.attempts + 1)
    if not claimed:
        return False
    try:
        sms_send(
            phone=reporter.phone.reveal(),
            template="rating_reminder",
            number=reporter.case.number,
            link=public_link(tracking_path(reporter)),
        )
    except SmsError as error:
        RatingReminder.objects.filter(pk=reminder.pk).update(error=str(error)[:200])
        return False
    RatingReminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now(), error="")
    return True


# ---------------------------------------------------------------------------------------
# The service guide (admin-edited reference data)


def _require_guide_editor(actor: Any, territory_code: str) -> None:
    """Administrators edit the guide of their own territory (one with a blank scope: all)."""
    if actor is None:
        return  # a script or the demo loader
    if not (
        getattr(actor, "is_authenticated", False)
        and is_administrator(actor)
        and actor.covers(territory_code or "")
        and (territory_code or not actor.scope_code)
    ):
        raise PermissionDenied(_("You cannot edit the service guide of this area."))


@transaction.atomic
def guide_entry_save(*, entry: ServiceGuideEntry, actor: Any) -> ServiceGuideEntry:
    """Create or change a guide entry within the actor's territory."""
    entry.territory_code = entry.territory_code.strip()
    _require_guide_editor(actor, entry.territory_code)
    if entry.pk is not None:
        stored = ServiceGuideEntry.objects.filter(pk=entry.pk).values_list(
            "territory_code", flat=True
        )
        _require_guide_editor(actor, stored.first() or "")
    if entry.case_type == "" and entry.category is not None:
        entry.case_type = CaseType.CONSULTATION
    entry.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def guide_entry_delete(*, entry: ServiceGuideEntry, actor: Any) -> None:
    _require_guide_editor(actor, entry.territory_code)
    entry.delete()
