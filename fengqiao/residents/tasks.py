"""Messages to residents, sent after commit from the worker: the receipt of a report and
the periodic rating reminder (beat: ``residents.remind_unrated``)."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from fengqiao.residents.selectors import cases_waiting_for_rating
from fengqiao.residents.services import case_receipt_send, rating_reminder_send

DEFAULT_REMINDER_HOURS = 24


@shared_task(name="residents.send_case_receipt")
def send_case_receipt(reporter_id: int) -> bool:
    """Takes an id, never the phone or the link: the queue must not hold either."""
    return case_receipt_send(reporter_id=reporter_id)


@shared_task(name="residents.remind_unrated")
def remind_unrated() -> int:
    """One SMS per reporter (with a verified phone) of each case whose reply was released
    ``RESIDENTS_RATING_REMINDER_HOURS`` ago and is still not rated; how many were sent.
    Idempotent: a reminder row per reply round."""
    hours = int(getattr(settings, "RESIDENTS_RATING_REMINDER_HOURS", DEFAULT_REMINDER_HOURS))
    before = timezone.now() - datetime.timedelta(hours=hours)
    return sum(
        rating_reminder_send(reporter=reporter, round_=round_)
        for reporter, round_ in cases_waiting_for_rating(released_before=before)
    )
