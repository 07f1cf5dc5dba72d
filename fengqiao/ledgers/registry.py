"""Which module writes which ledger. Imports are lazy: the ledgers import their apps'
forms and selectors (and the disputes ledger imports ours), so the table holds paths."""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Mapping
from typing import Any

from fengqiao.ledgers.choices import LedgerKind
from fengqiao.ledgers.workbook import LedgerSource

# kind → (module, class taking params, actor, now and unmask; the file's name without the date)
LEDGERS: dict[str, tuple[str, str, str]] = {
    LedgerKind.CASES: ("fengqiao.ledgers.cases", "CaseLedger", "案件台账"),
    LedgerKind.DISPUTES: ("fengqiao.disputes.ledger", "DisputeLedger", "矛盾纠纷排查化解台账"),
    LedgerKind.PERFORMANCE: (
        "fengqiao.ledgers.performance",
        "PerformanceLedger",
        "部门考核排名台账",
    ),
}


def ledger_open(
    kind: str,
    *,
    params: Mapping[str, Any],
    actor: Any,
    now: datetime.datetime,
    unmask: bool = False,
) -> LedgerSource:
    """The ledger ``kind`` under ``actor``'s scope and the filters ``params``, with full
    personal values only if ``unmask`` was asked for and ``actor`` may unmask; raises
    ``ValidationError`` (what to fix) when a filter cannot be read, ``LookupError`` for an
    unknown kind."""
    module, name, _filename = LEDGERS[kind]
    source: LedgerSource = getattr(importlib.import_module(module), name)(
        params=params, actor=actor, now=now, unmask=unmask
    )
    return source


def ledger_filename(kind: str) -> str:
    return LEDGERS[kind][2]
