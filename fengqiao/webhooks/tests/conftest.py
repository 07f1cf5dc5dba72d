"""A real HTTP receiver on 127.0.0.1 (random port) that checks signatures, can fail on
purpose, and records what it got; plus case moves through the case services."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from fengqiao.cases.choices import CaseType, Channel, ReporterKind
from fengqiao.cases.models import Case, Category
from fengqiao.cases.services import (
    ReporterInput,
    case_accept,
    case_dispatch,
    case_reply,
    case_review_reply,
    case_sign,
    case_submit,
)
from fengqiao.cases.tests.conftest import _fresh_routing_cache, clock, police  # noqa: F401
from fengqiao.conftest import World
from fengqiao.org.models import Department
from fengqiao.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verify


@dataclass
class Received:
    delivery: str
    event: str
    signature: str
    body: bytes
    answered: int
    signed_correctly: bool

    @property
    def data(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the receiving platform saw. ``fail_first`` requests get a 500; then 200."""

    url: str = ""
    secret: str = ""
    fail_first: int = 0
    always_fail: bool = False
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: Any, body: bytes) -> int:
        with self.lock:
            failing = self.always_fail or len(self.requests) < self.fail_first
            status = 500 if failing else 200
            self.requests.append(
                Received(
                    delivery=headers.get(DELIVERY_HEADER, ""),
                    event=headers.get(EVENT_HEADER, ""),
                    signature=headers.get(SIGNATURE_HEADER, ""),
                    body=body,
                    answered=status,
                    signed_correctly=bool(self.secret)
                    and verify(self.secret, headers.get(SIGNATURE_HEADER, ""), body),
                )
            )
            return status

    @property
    def accepted(self) -> list[Received]:
        return [request for request in self.requests if request.answered == 200]


def serve(receiver: Receiver, port: int = 0) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = receiver.answer(self.headers, body)
            payload = b"ok" if status == 200 else b"temporarily broken"
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/fengqiao"
    return server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = serve(receiver)
    yield receiver
    server.shutdown()
    server.server_close()


def submit(world: World, *, territory_code: str = "", key: str | None = None) -> Case:
    case, _ = case_submit(
        case_type=CaseType.HELP,
        category=Category.objects.get(code="noise"),
        channel=Channel.PHONE,
        title="求助",
        description="夜间噪音，联系电话13800001111",
        territory_code=territory_code or world.a.household.territory_code,
        reporter=ReporterInput(kind=ReporterKind.PERSON, name="王某", phone="13800001111"),
        idempotency_key=key,
    )
    return case


def handle_to_reply(world: World, case: Case, department: Department) -> Case:
    """Accept, dispatch, sign, reply, release: five moves after the intake."""
    operator, handler = world.a.users["township_operator"], world.a.users["dept_handler"]
    case_accept(case=case, actor=operator)
    case_dispatch(case=case, actor=operator, department=department)
    case_sign(case=case, actor=handler)
    case_reply(case=case, actor=handler, text="已上门处理，噪音已消除")
    return case_review_reply(case=case, actor=operator, approve=True)
