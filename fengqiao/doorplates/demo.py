"""Demo data of the doorplates: every household of a township gets a plate."""

from __future__ import annotations

from typing import Any

from fengqiao.doorplates.services import doorplate_issue_missing_under


def load_demo(*, township_code: str, actor: Any) -> int:
    """Issue a plate to every household of the township that has none; returns how many.

    Idempotent: households that already have a working plate keep it (and its token), so
    running the demo set-up again changes nothing. ``actor`` must be allowed to manage the
    township's plates (an administrator, or a center operator covering it).
    """
    return doorplate_issue_missing_under(territory_code=township_code, actor=actor)
