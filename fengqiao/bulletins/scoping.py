"""Who reads and who publishes bulletins, and the one scoping method for reading them.

Readers are the territory staff: a bulletin is visible to a user when its target lies in the
user's territory (what they may manage, if they publish) or above it (what reaches the
households they look after, read-only). A bulletin aimed at a sibling township is absent, so
its page answers 404 like a missing one.

Publishers (宣传信息 goes out from a center, under its name):

- center operators whose scope is a county (6 digits) or a township (9 digits);
- leaders of a county's or township's comprehensive governance center (综治中心), i.e.
  department leaders of an active department of that kind serving a 6- or 9-digit code:
  a center's leader signs off what the center sends;
- administrators, within their scope (a blank scope is the whole system).

Village operators, grid workers, ten-household unit heads and the staff of other departments
(and a center's handlers) may not publish: a warning to residents speaks for the township or
county, and a village or grid that needs one asks its township center. Village operators and
grid workers still read the bulletins that reach their territory.

A publisher may publish to, edit and withdraw any bulletin whose target lies in their own
publishing scope, whoever published it: a township center answers for what its households
see, including a county bulletin aimed at that township alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from fengqiao.core.codes import ancestors, is_within, within
from fengqiao.core.scoping import TerritoryScopedQuerySet
from fengqiao.org.choices import DepartmentKind, Role

if TYPE_CHECKING:
    from fengqiao.bulletins.models import Bulletin  # noqa: F401  (named in the base class)

# County and township centers publish; see the module docstring.
PUBLISHER_CODE_LENGTHS = (6, 9)


def _is_active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _is_administrator(user: Any) -> bool:
    return bool(user.is_superuser or user.role == Role.ADMINISTRATOR)


def _center_leader_code(user: Any) -> str | None:
    """The code a governance center's leader speaks for, if the user is one (else None)."""
    if user.role != Role.DEPARTMENT_LEADER or user.department_id is None:
        return None
    department = user.department
    if (
        department.kind == DepartmentKind.GOVERNANCE_CENTER
        and department.is_active
        and len(department.territory_code) in PUBLISHER_CODE_LENGTHS
    ):
        return str(department.territory_code)
    return None


def reader_prefix(user: Any) -> str | None:
    """The territory a user reads bulletins around: '' for everything, None for nothing."""
    if not _is_active(user):
        return None
    leader_code = _center_leader_code(user)
    if leader_code is not None:
        return leader_code
    prefix = user.territory_prefix()
    return None if prefix is None else str(prefix)


def publisher_prefix(user: Any) -> str | None:
    """The territory under which a user may publish, edit and withdraw: '' for everywhere
    (an administrator without a scope), None when the user may not publish at all."""
    if not _is_active(user):
        return None
    if _is_administrator(user):
        return str(user.scope_code or "")
    if user.role == Role.CENTER_OPERATOR and len(user.scope_code) in PUBLISHER_CODE_LENGTHS:
        return str(user.scope_code)
    return _center_leader_code(user)


def can_publish(user: Any) -> bool:
    return publisher_prefix(user) is not None


def can_manage(user: Any, territory_code: str) -> bool:
    """Whether the user may publish to, edit or withdraw a bulletin aimed at this code."""
    prefix = publisher_prefix(user)
    return prefix is not None and is_within(territory_code, prefix)


class BulletinQuerySet(TerritoryScopedQuerySet["Bulletin"]):
    def visible_to(self, user: Any) -> BulletinQuerySet:
        """Bulletins aimed at the user's territory, below it or above it (see the module
        docstring). Both halves are index lookups on ``territory_code``: a range and an IN."""
        prefix = reader_prefix(user)
        if prefix is None:
            return self.none()
        if not prefix:
            return self.all()
        return self.filter(
            within(self.scope_field, prefix) | Q(territory_code__in=ancestors(prefix))
        )
