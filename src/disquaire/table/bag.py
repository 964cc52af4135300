"""A show's merch bag: the units a table sale takes out of it, through the stock ledger."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.db import transaction

from disquaire.stock.models import Item, Place, Reason
from disquaire.stock.services import movement_record

REFERENCE_TYPE = "table_sale"


def units_take(
    units: list[tuple[Item, int]],
    *,
    place: Place,
    actor: Any,
    reference_id: str,
    reference_type: str = REFERENCE_TYPE,
) -> None:
    """Take a table sale's ``units`` out of ``place``, all or none: StockError (nothing
    taken) when it does not hold them. The movements name the sale (a ``table_sale``
    reference, the default) or, for a sale paid on the fan's phone, its order."""
    # movement_record checks before it writes and rolls itself back; a sale of
    # several items needs them all or none.
    with transaction.atomic() if len(units) > 1 else nullcontext():
        for item, quantity in units:
            movement_record(
                item=item,
                quantity=quantity,
                reason=Reason.SOLD_TABLE,
                from_place=place,
                actor=actor,
                reference_type=reference_type,
                reference_id=reference_id,
            )
