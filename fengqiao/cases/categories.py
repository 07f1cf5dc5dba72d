"""Writers of the category tree and of the routing rules hung on it.

A category stores ``path``, the "/"-joined codes from the root down to it, so that routing
finds a category's ancestors without recursive queries. The path is derived data: only these
services write it, and moving a category rewrites its whole subtree in the same transaction.

The routing table (``routing.py``) caches the paths and the rules per process; every change
here reloads it once the transaction has committed (a rolled-back change must not be seen).

Invariant kept here: an active category has only active ancestors, so a resident's form
never offers a category whose parent was retired.
"""

from __future__ import annotations

import enum
from typing import Any, Final, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max, QuerySet, Value
from django.db.models.functions import Collate, Concat, Length, Substr
from django.utils.translation import gettext as _

from fengqiao.cases.models import Category, RoutingRule
from fengqiao.cases.routing import invalidate_routing
from fengqiao.cases.services import is_administrator
from fengqiao.org.models import Matter

SEPARATOR: Final = "/"


class _Unset(enum.Enum):
    """Marks an argument that was not given (``None`` is a meaningful parent: the root)."""

    UNSET = enum.auto()


UNSET: Final = _Unset.UNSET


def tree_order() -> list[Any]:
    """Ordering by path that keeps every subtree together under its parent whatever the
    database's collation: a locale collation (en_US, zh_CN) skips "/" and "_" when comparing,
    which would slip "a_b" between "a" and "a/z". Byte order is SQLite's default."""
    if connection.vendor == "postgresql":
        return [Collate("path", "C")]
    return ["path"]


def categories_in_tree_order() -> QuerySet[Category]:
    return Category.objects.order_by(*tree_order())


def _require_administrator(actor: Any) -> None:
    # ``actor`` None: a script or a migration, which answers to whoever runs it.
    if actor is not None and not is_administrator(actor):
        raise PermissionDenied(_("Only administrators can change categories and routing."))


def is_in_subtree(path: str, root_path: str) -> bool:
    """Whether the category at ``path`` is ``root_path`` itself or lies below it."""
    return path == root_path or path.startswith(root_path + SEPARATOR)


def check_placement(*, category: Category | None, parent: Category | None, is_active: bool) -> None:
    """Refuse a parent that would make a cycle, or an active category under a retired one.

    ``category`` is None for a new category. Shared with the admin form, which shows the
    message on the field instead of failing at save time.
    """
    if parent is None:
        return
    if category is not None and category.pk is not None:
        stored_path = Category.objects.filter(pk=category.pk).values_list("path", flat=True)
        own_path = stored_path.first() or category.path
        if parent.pk == category.pk or is_in_subtree(parent.path, own_path):
            raise ValidationError(
                {
                    "parent": _(
                        "“%(category)s” cannot be moved under “%(parent)s”: that is the "
                        "category itself or one of its subcategories."
                    )
                    % {"category": category.name, "parent": parent.name}
                }
            )
    if is_active and not parent.is_active:
        raise ValidationError(
            {
                "parent": _(
                    "“%(parent)s” is no longer in use: an active category cannot be put under it."
                )
                % {"parent": parent.name}
            }
        )


def _path_for(code: str, parent: Category | None) -> str:
    return f"{parent.path}{SEPARATOR}{code}" if parent is not None else code


@transaction.atomic
def category_create(
    *,
    code: str,
    name: str,
    parent: Category | None = None,
    matter: Matter | None = None,
    sort_order: int = 0,
    is_active: bool = True,
    actor: Any = None,
) -> Category:
    """Add a category under ``parent`` (or at the root)."""
    _require_administrator(actor)
    if parent is not None:
        parent = Category.objects.select_for_update().get(pk=parent.pk)
    check_placement(category=None, parent=parent, is_active=is_active)
    category = Category(
        code=code.strip(),
        name=name.strip(),
        parent=parent,
        matter=matter,
        sort_order=sort_order,
        is_active=is_active,
    )
    category.path = _path_for(category.code, parent)
    category.full_clean()
    category.save()
    transaction.on_commit(invalidate_routing)
    return category


@transaction.atomic
def category_update(
    *,
    category: Category,
    name: str | Literal[_Unset.UNSET] = UNSET,
    parent: Category | Literal[_Unset.UNSET] | None = UNSET,
    matter: Matter | Literal[_Unset.UNSET] | None = UNSET,
    is_active: bool | Literal[_Unset.UNSET] = UNSET,
    sort_order: int | Literal[_Unset.UNSET] = UNSET,
    actor: Any = None,
) -> Category:
    """Rename, move, retire or reactivate a category; only the arguments given change.

    Moving rewrites the path of every category below it in one UPDATE. Retiring retires the
    whole subtree (its subcategories cannot stay in use under a retired parent); reactivating
    reactivates this category only, and needs an active parent.
    """
    _require_administrator(actor)
    # The stored row, locked: two administrators moving parts of the tree at once must not
    # each rewrite paths computed from what the other is changing.
    current = Category.objects.select_for_update().get(pk=category.pk)
    old_path = current.path
    fields: list[str] = []
    if name is not UNSET:
        current.name = name.strip()
        fields.append("name")
    if matter is not UNSET:
        current.matter = matter
        fields.append("matter")
    if sort_order is not UNSET:
        current.sort_order = sort_order
        fields.append("sort_order")
    if is_active is not UNSET and is_active != current.is_active:
        current.is_active = is_active
        fields.append("is_active")
    new_parent = current.parent
    if parent is not UNSET and (parent.pk if parent else None) != current.parent_id:
        new_parent = Category.objects.select_for_update().get(pk=parent.pk) if parent else None
        current.parent = new_parent
        current.path = _path_for(current.code, new_parent)
        fields += ["parent", "path"]
        _check_subtree_fits(old_path, current.path)
    if "parent" in fields or ("is_active" in fields and current.is_active):
        check_placement(category=current, parent=new_parent, is_active=current.is_active)
    if not fields:
        return current
    current.full_clean()
    current.save(update_fields=fields)
    if current.path != old_path:
        # One statement for the whole subtree: new prefix + what followed the old one.
        Category.objects.filter(path__startswith=old_path + SEPARATOR).update(
            path=Concat(Value(current.path), Substr("path", len(old_path) + 1))
        )
    if "is_active" in fields and not current.is_active:
        Category.objects.filter(path__startswith=current.path + SEPARATOR).update(is_active=False)
    transaction.on_commit(invalidate_routing)
    return current


def _check_subtree_fits(old_path: str, new_path: str) -> None:
    """A deep subtree moved under a deep parent can outgrow the path column: refuse the move
    with a message, before PostgreSQL refuses the UPDATE (or SQLite silently stores it)."""
    limit = Category._meta.get_field("path").max_length or 0
    deepest = Category.objects.filter(path__startswith=old_path + SEPARATOR).aggregate(
        longest=Max(Length("path"))
    )["longest"] or len(old_path)
    if deepest - len(old_path) + len(new_path) > limit:
        raise ValidationError(
            {"parent": _("The category tree would be too deep there: move it higher up.")}
        )


# ---------------------------------------------------------------------------------------
# Routing rules: category × territory → department


@transaction.atomic
def routing_rule_save(*, rule: RoutingRule, actor: Any = None) -> RoutingRule:
    """Create or change a routing rule; cases submitted after the commit route by it."""
    _require_administrator(actor)
    rule.full_clean()
    rule.save()
    transaction.on_commit(invalidate_routing)
    return rule


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule, actor: Any = None) -> None:
    _require_administrator(actor)
    RoutingRule.objects.filter(pk=rule.pk).delete()
    transaction.on_commit(invalidate_routing)
