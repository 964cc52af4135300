"""Reading stock: balances per (item, place), the ledger, the web shop's place."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet

from disquaire.stock.models import Balance, Item, Movement, Place


def balance(*, item: Item, place: Place) -> int:
    """Units of ``item`` at ``place`` (0 when none ever came)."""
    row = Balance.objects.filter(item=item, place=place).values_list("quantity", flat=True)
    found = list(row[:1])
    return int(found[0]) if found else 0


def balances(*, artist: Any) -> dict[tuple[int, int], int]:
    """Every balance of the artist's items: {(item id, place id): units}."""
    rows = Balance.objects.filter(item__artist=artist).values_list(
        "item_id", "place_id", "quantity"
    )
    return {(item_id, place_id): quantity for item_id, place_id, quantity in rows}


def ledger(
    *,
    artist: Any,
    item: Item | None = None,
    place: Place | None = None,
    reason: str | None = None,
) -> QuerySet[Movement]:
    """The artist's movements, newest first; ``place`` matches either end."""
    rows = Movement.objects.filter(artist=artist).select_related(
        "item", "from_place", "to_place", "actor"
    )
    if item is not None:
        rows = rows.filter(item=item)
    if place is not None:
        rows = rows.filter(from_place=place) | rows.filter(to_place=place)
    if reason:
        rows = rows.filter(reason=reason)
    return rows.order_by("-created_at", "-pk")


def items_of(*, artist: Any) -> QuerySet[Item]:
    return Item.objects.filter(artist=artist).order_by("name", "pk")


def places_of(*, artist: Any) -> QuerySet[Place]:
    return Place.objects.filter(artist=artist).order_by("kind", "name", "pk")


# Where the web shop ships from, as one statement: a shipping place before a home, the
# default one first, then the oldest. ``artist_id = %s`` may be replaced by a column to
# use it as a sub-query (the checkout's items); its parameters follow the artist's.
PLACE_SHIPPING_SQL = (
    f"SELECT id FROM {Place._meta.db_table} WHERE artist_id = %s "  # noqa: S608
    "AND kind IN (%s, %s) "
    "ORDER BY CASE WHEN kind = %s THEN 0 ELSE 1 END, "
    "CASE WHEN is_default THEN 0 ELSE 1 END, id LIMIT 1"
)
PLACE_SHIPPING_PARAMS = [
    Place.Kind.SHIPPING.value,
    Place.Kind.HOME.value,
    Place.Kind.SHIPPING.value,
]


def place_shipping_id(*, artist_id: int) -> int | None:
    """The id of the place the web shop ships from (``PLACE_SHIPPING_SQL``), or None."""
    with connection.cursor() as cursor:
        cursor.execute(PLACE_SHIPPING_SQL, [artist_id, *PLACE_SHIPPING_PARAMS])
        row = cursor.fetchone()
    return int(row[0]) if row else None


def place_shipping(*, artist: Any) -> Place | None:
    """Where the web shop ships from: the default shipping place, else the first one,
    else the default home, else the first home; None when the artist has no place yet."""
    place_id = place_shipping_id(artist_id=artist.pk)
    return None if place_id is None else Place.objects.filter(pk=place_id).first()


def ledger_sums(*, artist: Any = None) -> dict[tuple[int, int], int]:
    """Every (item id, place id) balance recomputed from the ledger alone."""
    from django.db.models import Sum

    rows = Movement.objects.all()
    if artist is not None:
        rows = rows.filter(artist=artist)
    sums: dict[tuple[int, int], int] = {}
    incoming = (
        rows.filter(to_place__isnull=False)
        .values_list("item_id", "to_place_id")
        .annotate(n=Sum("quantity"))
        .order_by()
    )
    for item_id, place_id, n in incoming:
        sums[(item_id, place_id)] = sums.get((item_id, place_id), 0) + int(n)
    outgoing = (
        rows.filter(from_place__isnull=False)
        .values_list("item_id", "from_place_id")
        .annotate(n=Sum("quantity"))
        .order_by()
    )
    for item_id, place_id, n in outgoing:
        sums[(item_id, place_id)] = sums.get((item_id, place_id), 0) - int(n)
    return sums


def balance_drift(*, artist: Any = None) -> list[tuple[int, int, int, int]]:
    """(item id, place id, balance kept, sum of the ledger) wherever the two differ."""
    kept_rows = Balance.objects.all()
    if artist is not None:
        kept_rows = kept_rows.filter(item__artist=artist)
    kept = {(i, p): q for i, p, q in kept_rows.values_list("item_id", "place_id", "quantity")}
    sums = ledger_sums(artist=artist)
    return [
        (item_id, place_id, kept.get((item_id, place_id), 0), sums.get((item_id, place_id), 0))
        for item_id, place_id in sorted(set(kept) | set(sums))
        if kept.get((item_id, place_id), 0) != sums.get((item_id, place_id), 0)
    ]


def stock_grid(*, artist: Any) -> dict[str, Any]:
    """The items × places table of the stock page: each cell's units and whether it is
    below the item's warning level, each item's total."""
    items = list(items_of(artist=artist))
    places = list(places_of(artist=artist))
    kept = balances(artist=artist)
    rows = []
    for item in items:
        cells: list[dict[str, Any]] = []
        for place in places:
            units = kept.get((item.pk, place.pk), 0)
            low = (
                bool(item.low_stock_at)
                and units < item.low_stock_at
                and (
                    place.kind in (Place.Kind.HOME, Place.Kind.SHIPPING)
                    or (item.pk, place.pk) in kept
                )
            )
            cells.append({"place": place, "units": units, "low": low})
        total = sum(int(c["units"]) for c in cells)
        rows.append(
            {
                "item": item,
                "cells": cells,
                "total": total,
                "low": any(bool(c["low"]) for c in cells),
            }
        )
    return {"items": items, "places": places, "rows": rows}
