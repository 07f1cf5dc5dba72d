"""Text messages to residents, through a pluggable backend.

``settings.RESIDENTS_SMS_BACKEND`` names the backend class by dotted path:

- ``fengqiao.residents.sms.ConsoleSmsBackend`` (demo and development): writes the message to
  the log and lets the page show a one-time code, labelled as the demo channel. Never for
  production: ``manage.py check --deploy`` says so (residents.I001).
- ``fengqiao.residents.sms.LocmemSmsBackend`` (tests): keeps messages in ``outbox``.

A real gateway
--------------
Chinese SMS gateways (Aliyun 短信服务, Tencent Cloud SMS, a provincial 政务短信 platform)
send only pre-approved templates with parameters, not free text. So a message here is a
template name plus parameters (see ``TEMPLATES``), and ``text`` is only our own rendering
for the console and tests. To plug in a gateway, write a subclass of ``SmsBackend`` in any
importable module::

    class AliyunSmsBackend(SmsBackend):
        label = "阿里云短信"

        def __init__(self, *, access_key: str, secret: str, sign_name: str,
                     templates: dict[str, str]) -> None:
            ...  # templates: our template name -> the gateway's approved template code

        def send(self, message: SmsMessage) -> None:
            ...  # call the gateway with self.templates[message.template] and
            ...  # message.params; raise SmsError on failure

then set ``RESIDENTS_SMS_BACKEND`` to its dotted path and ``RESIDENTS_SMS_OPTIONS`` to the
keyword arguments of its constructor (read from ``FENGQIAO_SMS_*`` variables in settings).
Messages go out from Celery tasks or the request that asks for a code; a backend must time
out quickly (a few seconds) and raise ``SmsError``, never hang.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from fengqiao.core.privacy import mask, normalize

logger = logging.getLogger("fengqiao.residents.sms")

DEFAULT_BACKEND = "fengqiao.residents.sms.ConsoleSmsBackend"

# Template name -> the text we render (a gateway maps the name to its approved template).
TEMPLATES: dict[str, str] = {
    "verification_code": "【枫桥】您的验证码为{code}，{minutes}分钟内有效。请勿告诉他人。",
    "case_received": "【枫桥】您反映的事项已受理，编号{number}，将于{due}前答复。查看进度：{link}",
    "rating_reminder": "【枫桥】您反映的事项{number}已答复，请评价办理结果：{link}",
}


class SmsError(Exception):
    """The gateway did not take the message."""


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    template: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return TEMPLATES[self.template].format(**self.params)


class SmsBackend:
    """Sends one message; raises ``SmsError`` when it cannot."""

    label: ClassVar[Any] = ""
    # Only the demo backend: the page may show the one-time code it "sent".
    shows_code_on_page: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        self.options = options

    def send(self, message: SmsMessage) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(SmsBackend):
    """The demo channel (演示短信通道): nothing leaves the machine; the message goes to the log
    with the phone masked, and pages show the one-time code."""

    label = _("Demo SMS channel")
    shows_code_on_page = True

    def send(self, message: SmsMessage) -> None:
        logger.warning(
            "SMS (demo channel) to %s: %s",
            mask(normalize(message.phone, "phone"), "phone"),
            message.text,
        )


outbox: list[SmsMessage] = []


class LocmemSmsBackend(SmsBackend):
    """For tests: messages are kept in ``fengqiao.residents.sms.outbox``."""

    label = _("Test SMS channel")

    def send(self, message: SmsMessage) -> None:
        if self.options.get("fail"):
            raise SmsError("refused by the test backend")
        outbox.append(message)


@lru_cache(maxsize=4)
def _backend(path: str, options: tuple[tuple[str, Any], ...]) -> SmsBackend:
    backend_class = import_string(path)
    if not (isinstance(backend_class, type) and issubclass(backend_class, SmsBackend)):
        raise TypeError(f"{path} is not an SmsBackend")
    return backend_class(**dict(options))


def sms_backend() -> SmsBackend:
    """The configured backend (one instance per configuration)."""
    path = getattr(settings, "RESIDENTS_SMS_BACKEND", DEFAULT_BACKEND)
    options = getattr(settings, "RESIDENTS_SMS_OPTIONS", {}) or {}
    return _backend(path, tuple(sorted(options.items())))


def sms_send(*, phone: str, template: str, **params: str) -> None:
    """Send a template message; raises ``SmsError`` if the gateway refuses it."""
    sms_backend().send(
        SmsMessage(phone=normalize(phone, "phone"), template=template, params=params)
    )
