"""What the backstage tests post more than once."""

from __future__ import annotations

from typing import Any


def offer_form_data(**overrides: Any) -> dict[str, Any]:
    """The offer form's fields for a digital album at 8,50 with no options, and
    ``overrides`` (a physical offer using items adds the ``items-`` management fields)."""
    data: dict[str, Any] = {
        "kind": "digital",
        "title": "Digital album",
        "includes": "FLAC\nMP3",
        "pricing": "fixed",
        "price": "8,50",
        "minimum": "",
        "suggested": "",
        "stock": "",
        "active": "on",
        "track": "",
        "options-TOTAL_FORMS": "0",
        "options-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def items_form_data(*uses: tuple[Any, str]) -> dict[str, Any]:
    """The ``items-`` formset of the offer form: (item id, units) a unit sold takes."""
    data: dict[str, Any] = {"items-TOTAL_FORMS": str(len(uses)), "items-INITIAL_FORMS": "0"}
    for n, (item_id, quantity) in enumerate(uses):
        data |= {f"items-{n}-item": item_id, f"items-{n}-quantity": quantity}
        data[f"items-{n}-option"] = ""
    return data
