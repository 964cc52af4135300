"""A show's merch bag: the units a table sale takes out of it (and a voided sale puts
back), through the stock ledger."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from django.db import transaction
from django.db.models import Q

from disquaire.stock.models import Item, Movement, Place, Reason
from disquaire.stock.services import movement_record
from disquaire.table.models import ShowCount

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


def units_return(*, reference_id: str, actor: Any, note: str = "") -> dict[int, int]:
    """Put back the units the table sale ``reference_id`` took (its ``sold_table`` rows):
    one ``restocked`` row per item and place they left, naming the sale. Units of an
    item that a count of that place has reckoned with since (a show's count in or out,
    a count adjustment) are left: the count already set the balance to what was there.
    Returns {item id: units put back}."""
    taken: dict[tuple[int, int], list[Any]] = {}
    for row in Movement.objects.filter(
        reference_type=REFERENCE_TYPE, reference_id=reference_id, reason=Reason.SOLD_TABLE
    ).select_related("item", "from_place"):
        entry = taken.setdefault((row.item_id, row.from_place_id or 0), [row, 0])
        entry[1] += row.quantity
    returned: dict[int, int] = {}
    for (item_id, place_id), (row, quantity) in sorted(taken.items()):
        place = row.from_place
        counted_since = (
            ShowCount.objects.filter(
                show__place_id=place_id, item_id=item_id, counted_at__gt=row.created_at
            ).exists()
            or Movement.objects.filter(
                Q(from_place_id=place_id) | Q(to_place_id=place_id),
                item_id=item_id,
                reason=Reason.COUNTED,
                created_at__gt=row.created_at,
            ).exists()
        )
        if counted_since or place is None:
            continue
        movement_record(
            item=row.item,
            quantity=quantity,
            reason=Reason.RESTOCKED,
            to_place=place,
            actor=actor,
            reference_type=REFERENCE_TYPE,
            reference_id=reference_id,
            note=note,
        )
        returned[item_id] = returned.get(item_id, 0) + quantity
    return returned
