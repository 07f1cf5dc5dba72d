"""What a receiver gets: the event and the case's public state, never personal information.

No reporter name, phone or ID number, no address or description (residents write personal
details into them), no staff names: the acting body is a department or a center, as on the
resident's tracking page. The public text is the reply the center released to the resident.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.utils import timezone

from fengqiao.api.services import external_id_of
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.residents.selectors import released_reply
from fengqiao.webhooks.models import Subscription

PAYLOAD_VERSION = 1


def _when(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def external_id(subscription: Subscription, case: Case) -> str | None:
    """The pushing platform's own id of a case it pushed, for that platform only."""
    if subscription.api_key is None:
        return None
    return external_id_of(subscription.api_key, case.idempotency_key)


def payload(*, delivery_id: str, subscription: Subscription, event: CaseEvent) -> dict[str, Any]:
    case = event.case
    department = case.lead_department
    return {
        "version": PAYLOAD_VERSION,
        "delivery": delivery_id,
        "event": {
            "id": event.pk,
            "type": event.kind,
            "occurred_at": _when(event.created_at),
            "from_status": event.from_status,
            "status": event.to_status,
            "acting_body": event.actor_body,
        },
        "case": {
            "id": str(case.uuid),
            "number": case.number,
            "external_id": external_id(subscription, case),
            "status": case.status,
            "territory_code": case.territory_code,
            "category": {"code": case.category.code, "name": case.category.name},
            "lead_department": department.name if department else None,
            "reply_due_at": _when(case.reply_due_at),
            "public_text": released_reply(case),
        },
    }


def encode(data: dict[str, Any]) -> str:
    """Compact UTF-8 JSON (Chinese text is sent as itself, not as \\u escapes)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
