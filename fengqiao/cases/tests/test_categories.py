"""The category tree's services keep every path right, refuse cycles, and reload routing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fengqiao.cases.categories import (
    category_create,
    category_update,
    routing_rule_delete,
    routing_rule_save,
)
from fengqiao.cases.models import Category, RoutingRule
from fengqiao.cases.routing import route
from fengqiao.conftest import World
from fengqiao.org.models import Department, Matter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    # Messages are asserted in English, whatever the catalogue of the default language says.
    settings.LANGUAGE_CODE = "en"


def paths(*codes: str) -> dict[str, str]:
    return dict(Category.objects.filter(code__in=codes).values_list("code", "path"))


def test_create_builds_the_path_from_the_root() -> None:
    roads = category_create(code="roads", name="道路")
    potholes = category_create(code="potholes", name="坑洼", parent=roads, sort_order=3)
    deep = category_create(code="deep_potholes", name="深坑", parent=potholes)
    assert (roads.path, potholes.path, deep.path) == (
        "roads",
        "roads/potholes",
        "roads/potholes/deep_potholes",
    )
    assert deep.depth == 3 and potholes.sort_order == 3


def test_create_validates_the_row() -> None:
    with pytest.raises(ValidationError) as caught:
        category_create(code="noise", name="重复")  # the seed has it
    assert "code" in caught.value.message_dict
    with pytest.raises(ValidationError):
        category_create(code="not a slug/", name="坏代码")


def test_moving_rewrites_the_whole_subtree_and_nothing_else() -> None:
    a = category_create(code="x_y", name="A")
    b = category_create(code="b", name="B", parent=a)
    category_create(code="c", name="C", parent=b)
    # "xzy" would match the pattern "x_y/%" if "_" were left a LIKE wildcard.
    lookalike = category_create(code="xzy", name="Lookalike")
    category_create(code="xzy_child", name="Lookalike child", parent=lookalike)
    target = Category.objects.get(code="hazard")

    moved = category_update(category=a, parent=target)

    assert moved.path == "hazard/x_y"
    assert paths("x_y", "b", "c", "xzy", "xzy_child") == {
        "x_y": "hazard/x_y",
        "b": "hazard/x_y/b",
        "c": "hazard/x_y/b/c",
        "xzy": "xzy",
        "xzy_child": "xzy/xzy_child",
    }
    # Back to the root.
    category_update(category=Category.objects.get(code="b"), parent=None)
    assert paths("b", "c", "x_y") == {"b": "b", "c": "b/c", "x_y": "hazard/x_y"}


def test_a_category_cannot_move_under_itself_or_its_descendants() -> None:
    parent = Category.objects.get(code="public_security")
    child = Category.objects.get(code="noise")
    with pytest.raises(ValidationError, match="cannot be moved under") as caught:
        category_update(category=parent, parent=child)
    assert "parent" in caught.value.message_dict
    with pytest.raises(ValidationError, match="cannot be moved under"):
        category_update(category=parent, parent=parent)
    assert paths("public_security", "noise") == {
        "public_security": "public_security",
        "noise": "public_security/noise",
    }


def test_a_subtree_too_deep_for_the_column_is_refused() -> None:
    parent: Category | None = None
    for depth in range(9):  # 9 levels of 40-character codes: 368 characters of path
        parent = category_create(code=f"{depth}".ljust(40, "x"), name=f"L{depth}", parent=parent)
    top = Category.objects.get(code="0".ljust(40, "x"))
    holder = category_create(code="h" * 40, name="深处")
    with pytest.raises(ValidationError, match="too deep"):
        category_update(category=top, parent=holder)
    assert Category.objects.get(pk=top.pk).path == top.path


def test_retiring_retires_the_subtree_and_reactivating_needs_an_active_parent() -> None:
    parent = Category.objects.get(code="dispute")
    category_update(category=parent, is_active=False)
    assert not Category.objects.filter(path__startswith="dispute", is_active=True).exists()
    with pytest.raises(ValidationError, match="no longer in use"):
        category_update(category=Category.objects.get(code="dispute_family"), is_active=True)
    with pytest.raises(ValidationError, match="no longer in use"):
        category_create(code="new_dispute", name="新纠纷", parent=parent)
    category_update(category=parent, is_active=True)
    category_update(category=Category.objects.get(code="dispute_family"), is_active=True)
    assert Category.objects.get(code="dispute_family").is_active
    assert not Category.objects.get(code="dispute_labour").is_active  # one at a time


def test_rename_and_matter_change_only_what_is_given() -> None:
    noise = Category.objects.get(code="noise")
    matter = Matter.objects.order_by("code").first()
    updated = category_update(category=noise, name="  夜间噪音  ", matter=matter)
    noise.refresh_from_db()
    assert (noise.name, noise.matter, noise.path) == ("夜间噪音", matter, updated.path)
    assert noise.parent == Category.objects.get(code="public_security")


def test_only_administrators_change_the_tree(world: World) -> None:
    operator = world.a.users["township_operator"]
    with pytest.raises(PermissionDenied):
        category_create(code="sneaky", name="不该有", actor=operator)
    with pytest.raises(PermissionDenied):
        category_update(category=Category.objects.get(code="noise"), name="改名", actor=operator)
    category_create(code="allowed", name="可以", actor=world.admin)


def test_routing_reloads_after_a_move_commits(
    world: World, department: Department, django_capture_on_commit_callbacks: Any
) -> None:
    hazard = Category.objects.get(code="hazard")
    noise = Category.objects.get(code="noise")
    RoutingRule.objects.create(category=hazard, territory_code="", department=department)
    assert route(category_id=noise.pk, territory_code=world.a.area.territory_code) is None

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        category_update(category=noise, parent=hazard)
    assert callbacks, "the routing table is reloaded on commit"

    routed = route(category_id=noise.pk, territory_code=world.a.area.territory_code)
    assert routed is not None and routed.department_id == department.pk


def test_routing_rule_services_reload_routing(
    world: World, department: Department, django_capture_on_commit_callbacks: Any
) -> None:
    noise = Category.objects.get(code="noise")
    code = world.a.area.territory_code
    assert route(category_id=noise.pk, territory_code=code) is None
    rule = RoutingRule(category=noise, territory_code=code, department=department)
    with django_capture_on_commit_callbacks(execute=True):
        routing_rule_save(rule=rule, actor=world.admin)
    assert route(category_id=noise.pk, territory_code=code) is not None
    with django_capture_on_commit_callbacks(execute=True):
        routing_rule_delete(rule=rule, actor=world.admin)
    assert route(category_id=noise.pk, territory_code=code) is None
    with pytest.raises(PermissionDenied):
        routing_rule_save(rule=rule, actor=world.a.users["dept_leader"])
