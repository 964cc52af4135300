from __future__ import annotations

from typing import Any

from django import template

from disquaire.core.money import MoneyError, money_format
from disquaire.table import epc

register = template.Library()


@register.filter
def table_money(value: Any, currency: str) -> str:
    """``{{ minor|table_money:currency }}`` in the reader's language; "" when unset."""
    try:
        return money_format(int(value), currency)
    except (MoneyError, TypeError, ValueError):
        return ""


@register.filter
def signed(value: Any) -> str:
    """A difference with its sign: +2, −1, 0."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return ""
    return f"+{number}" if number > 0 else (f"−{-number}" if number < 0 else "0")


@register.filter
def sale_reference(value: Any) -> str:
    """A sale's short reference, as the fan's bank transfer carries it: MT-1A2B3C4D."""
    try:
        return epc.sale_reference(value)
    except (TypeError, ValueError):
        return ""
