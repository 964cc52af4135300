"""``{% table_came_online show %}``: the show report's part on buyers who came online
(kept apart from the report's own figures)."""

from __future__ import annotations

from typing import Any

from django import template

from disquaire.table.fan_selectors import show_came_online
from disquaire.table.models import Show

register = template.Library()


@register.inclusion_tag("table/_came_online.html")
def table_came_online(show: Show) -> dict[str, Any]:
    return {"online": show_came_online(show=show)}
