from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from fengqiao.org.models import Department
from fengqiao.stats.dashboard import drill_url
from fengqiao.stats.metrics import CaseFigures
from fengqiao.territory.models import Area

register = template.Library()


@register.filter
def figure(figures: CaseFigures, name: str) -> str:
    """A figure as shown (``94.60%``, ``—``, a count)."""
    return figures.display(name)


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, "")


@register.filter
def territory_name(code: str) -> str:
    name = (
        Area.objects.filter(territory_code=code, valid_to=None)
        .values_list("name", flat=True)
        .first()
    )
    return name or code


@register.filter
def department_name(department_id: int) -> str:
    return str(
        Department.objects.filter(pk=department_id).values_list("name", flat=True).first() or ""
    )


@register.filter
def breakdown_heading(by: str) -> str:
    return {"channel": _("Channel"), "type": _("Type"), "category": _("Category")}.get(by, by)


@register.simple_tag
def drill_link(board: Any, code: str) -> str:
    """The drill-down into a territory row ("" for the row of the level itself)."""
    if len(code) <= len(board.prefix):
        return ""
    return drill_url(board.period, board.filters, territory=code)


@register.simple_tag
def drill_department(board: Any, key: str) -> str:
    return drill_url(board.period, board.filters, department_id=int(key))
