"""`webhooks replay`, `webhooks dispatch`, `webhooks status`: the delivery pipeline from the shell.

``replay`` puts dead letters back in line (all, one subscription's, or given delivery ids)
and sends them; ``dispatch`` runs one dispatch pass at once (what beat runs periodically).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count

from fengqiao.webhooks.models import Delivery, Subscription
from fengqiao.webhooks.services import deliveries_replay
from fengqiao.webhooks.tasks import dispatch, enqueue


class Command(BaseCommand):
    help = "Replay dead webhook deliveries, run a dispatch pass, or show delivery counts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        replay = sub.add_parser("replay", help="send dead letters again")
        replay.add_argument("--subscription", default="", help="only this subscription (name)")
        replay.add_argument("ids", nargs="*", type=int, help="only these delivery ids")
        sub.add_parser("dispatch", help="read new case events into deliveries and send them")
        sub.add_parser("status", help="deliveries per subscription and status")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "dispatch":
            self.stdout.write(str(dispatch()))
        elif action == "status":
            rows = (
                Delivery.objects.values("subscription__name", "status")
                .annotate(count=Count("id"))
                .order_by("subscription__name", "status")
            )
            for row in rows:
                self.stdout.write(f"{row['subscription__name']}\t{row['status']}\t{row['count']}")
        else:
            self._replay(options["subscription"], options["ids"])

    def _replay(self, name: str, ids: list[int]) -> None:
        subscription = None
        if name:
            try:
                subscription = Subscription.objects.get(name=name)
            except Subscription.DoesNotExist as error:
                raise CommandError(f"no webhook subscription named “{name}”") from error
        with transaction.atomic():
            replayed = deliveries_replay(subscription=subscription, deliveries=ids or None)
            enqueue(replayed)
        self.stdout.write(f"{len(replayed)} dead letters are being sent again.")
