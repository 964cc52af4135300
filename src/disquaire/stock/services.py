"""Writing stock: every change is one ledger row plus the balances it moves, together.

Lock → check → write: the balance rows a movement touches are locked (``SELECT … FOR
UPDATE``, in primary-key order so that two writers never wait on each other crosswise),
checked (a place never goes below zero, nor below what pending checkouts hold there),
then the ledger row is inserted and the balances written, all in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from disquaire.core.queries import insert_row
from disquaire.stock.errors import StockError
from disquaire.stock.inventory import item_create as item_create  # re-exported: callers
from disquaire.stock.inventory import item_delete as item_delete
from disquaire.stock.inventory import item_update as item_update
from disquaire.stock.inventory import place_default as place_default
from disquaire.stock.inventory import place_save as place_save
from disquaire.stock.models import Balance, Item, Movement, Place, Reason

# Reason → (needs a from-place, needs a to-place); None: either may be given.
_DIRECTIONS: dict[str, tuple[bool | None, bool | None]] = {
    Reason.RECEIVED: (False, True),
    Reason.MOVED: (True, True),
    Reason.SOLD_ONLINE: (True, False),
    Reason.SOLD_TABLE: (True, False),
    Reason.CONSIGNED: (True, True),
    Reason.SOLD_BY_SHOP: (True, False),
    Reason.RETURNED: (None, True),
    Reason.DAMAGED: (True, False),
    Reason.LOST: (True, False),
    Reason.COUNTED: (None, None),
    Reason.RESTOCKED: (False, True),
}

# Units that pending checkouts hold, per item, at a place: rooms above (orders) register
# a counter when they start, so that stock never has to import them. A counter takes
# (item ids, place) and returns {item id: units held}.
HeldCounter = Callable[[list[int], Place], dict[int, int]]
_held_counters: list[HeldCounter] = []


def held_counter_register(counter: HeldCounter) -> None:
    """Count the units ``counter`` says are held when a place's free stock is needed."""
    if counter not in _held_counters:
        _held_counters.append(counter)


def units_held(*, item: Item, place: Place) -> int:
    """Units of ``item`` at ``place`` held by pending checkouts (not sold yet)."""
    return sum(counter([item.pk], place).get(item.pk, 0) for counter in _held_counters)


_T_ITEM = Item._meta.db_table


def items_lock(*, item_ids: Iterable[int]) -> None:
    """Lock the item rows (``FOR NO KEY UPDATE``, primary-key order): whoever counts what
    is free of an item — a checkout, a move, a count — takes this lock first, so that
    two of them never both count the same free units. Call inside a transaction.

    A web payment does not take it: it only turns held units into sold ones, which
    changes nothing that is free (its balance update is relative and atomic). The
    concurrency tests replace this function to show the race without it.
    """
    ids = sorted(set(item_ids))
    if not ids or not connection.features.has_select_for_update:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {_T_ITEM} WHERE id IN ({', '.join(['%s'] * len(ids))}) "  # noqa: S608
            "ORDER BY id FOR NO KEY UPDATE",
            ids,
        )
        cursor.fetchall()


def balances_lock(*, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Balance]:
    """Lock the balance rows of the (item id, place id) ``pairs``, creating the missing
    ones, in primary-key order; returns them by pair. Call inside a transaction.

    The concurrency tests replace it with a plain read to show that lost updates are
    real without it.
    """
    wanted = set(pairs)
    if not wanted:
        return {}
    item_ids = sorted({i for i, _p in wanted})
    place_ids = sorted({p for _i, p in wanted})
    # Usually every row exists (a place's row is made with its first movement): one
    # statement locks them. A missing one is inserted — a rival inserting the same row
    # waits on ON CONFLICT DO NOTHING — and locked after.
    locked = _balances_select(item_ids, place_ids, lock=True)
    missing = wanted - set(locked)
    if missing:
        Balance.objects.bulk_create(
            [Balance(item_id=i, place_id=p, quantity=0) for i, p in sorted(missing)],
            ignore_conflicts=True,
        )
        locked = _balances_select(item_ids, place_ids, lock=True)
    return {pair: row for pair, row in locked.items() if pair in wanted}


T_BALANCE = Balance._meta.db_table


def _balances_select(
    item_ids: list[int], place_ids: list[int], *, lock: bool
) -> dict[tuple[int, int], Balance]:
    # Written out: it runs at every checkout and payment of a physical offer.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, item_id, place_id, quantity FROM {T_BALANCE} "  # noqa: S608
            f"WHERE item_id IN ({', '.join(['%s'] * len(item_ids))}) "
            f"AND place_id IN ({', '.join(['%s'] * len(place_ids))}) ORDER BY id"
            + (" FOR UPDATE" if lock and connection.features.has_select_for_update else ""),
            [*item_ids, *place_ids],
        )
        rows = cursor.fetchall()
    found = {}
    for pk, item_id, place_id, quantity in rows:
        row = Balance(id=pk, item_id=item_id, place_id=place_id, quantity=quantity)
        row._state.adding = False
        found[(item_id, place_id)] = row
    return found


def balance_add(row: Balance, delta: int) -> None:
    row.quantity += delta
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {T_BALANCE} SET quantity = %s WHERE id = %s",  # noqa: S608
            [row.quantity, row.pk],
        )


def _check_places(
    *, item: Item, reason: str, from_place: Place | None, to_place: Place | None
) -> None:
    if reason not in Reason.values:
        raise StockError(_("Unknown reason for a stock movement."))
    need_from, need_to = _DIRECTIONS[reason]
    label = Reason(reason).label
    if need_from is True and from_place is None:
        raise StockError(_("“%(reason)s” needs the place the units leave.") % {"reason": label})
    if need_from is False and from_place is not None:
        raise StockError(_("“%(reason)s” takes no place to leave.") % {"reason": label})
    if need_to is True and to_place is None:
        raise StockError(_("“%(reason)s” needs the place the units go to.") % {"reason": label})
    if need_to is False and to_place is not None:
        raise StockError(_("“%(reason)s” takes no place to go to.") % {"reason": label})
    if from_place is None and to_place is None:
        raise StockError(_("A movement needs a place."))
    if reason == Reason.COUNTED and from_place is not None and to_place is not None:
        raise StockError(_("A count adjustment concerns one place."))
    if from_place is not None and to_place is not None and from_place.pk == to_place.pk:
        raise StockError(_("The units are already there: choose another place."))
    for place in (from_place, to_place):
        if place is not None and place.artist_id != item.artist_id:
            raise StockError(_("That place belongs to another artist."))
    if reason == Reason.CONSIGNED and to_place is not None and to_place.kind != Place.Kind.SHOP:
        raise StockError(_("Units are consigned to a record shop."))
    if (
        reason == Reason.SOLD_BY_SHOP
        and from_place is not None
        and from_place.kind != Place.Kind.SHOP
    ):
        raise StockError(_("Only a record shop sells units consigned to it."))


def quantity_check(quantity: Any) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise StockError(_("The quantity must be a whole number above zero."))
    return quantity


@transaction.atomic
def movement_record(
    *,
    item: Item,
    quantity: int,
    reason: str,
    from_place: Place | None = None,
    to_place: Place | None = None,
    actor: Any = None,
    reference_type: str = "",
    reference_id: str = "",
    note: str = "",
) -> Movement:
    """Record ``quantity`` units of ``item`` moving (from ``from_place``, to ``to_place``)
    for ``reason``, and move the balances with it, atomically.

    Refuses with ``StockError`` (nothing written) when the quantity is not above zero,
    the places do not fit the reason, or ``from_place`` does not have the units — for
    any reason but a web sale, units held by pending checkouts do not count as there.
    """
    quantity = quantity_check(quantity)
    _check_places(item=item, reason=reason, from_place=from_place, to_place=to_place)
    places = [p for p in (from_place, to_place) if p is not None]
    if from_place is not None and reason != Reason.SOLD_ONLINE:
        items_lock(item_ids=[item.pk])  # what is free there is counted below
    locked = balances_lock(pairs=[(item.pk, p.pk) for p in places])
    if from_place is not None:
        there = locked[(item.pk, from_place.pk)].quantity
        free = there
        if reason != Reason.SOLD_ONLINE:
            free -= units_held(item=item, place=from_place)
        if quantity > free:
            if free < there:
                raise StockError(
                    _(
                        "%(place)s has %(there)d × %(item)s, %(held)d of them held by "
                        "pending orders: %(free)d can leave."
                    )
                    % {
                        "place": from_place.name,
                        "there": there,
                        "item": item.name,
                        "held": there - free,
                        "free": max(free, 0),
                    }
                )
            raise StockError(
                _("%(place)s has only %(there)d × %(item)s.")
                % {"place": from_place.name, "there": there, "item": item.name}
            )
    movement = Movement(
        artist_id=item.artist_id,
        item=item,
        quantity=quantity,
        from_place=from_place,
        to_place=to_place,
        reason=reason,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        reference_type=reference_type[:40],
        reference_id=str(reference_id)[:64],
        note=note[:500],
    )
    insert_row(movement)
    if from_place is not None:
        balance_add(locked[(item.pk, from_place.pk)], -quantity)
    if to_place is not None:
        balance_add(locked[(item.pk, to_place.pk)], quantity)
    return movement


@transaction.atomic
def count_record(
    *, item: Item, place: Place, counted: int, actor: Any = None, note: str = ""
) -> Movement | None:
    """Record what a count of ``item`` at ``place`` found: a ``counted`` row for the
    difference with the balance (None when they agree). History is never rewritten.

    Refused when ``counted`` is negative or below the units pending checkouts hold there.
    """
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise StockError(_("A count is a whole number, zero or more."))
    if place.artist_id != item.artist_id:
        raise StockError(_("That place belongs to another artist."))
    items_lock(item_ids=[item.pk])
    row = balances_lock(pairs=[(item.pk, place.pk)])[(item.pk, place.pk)]
    held = units_held(item=item, place=place)
    if counted < held:
        raise StockError(
            _(
                "Pending orders hold %(held)d × %(item)s at %(place)s: a count cannot be "
                "below that. Wait for them to be paid or to expire."
            )
            % {"held": held, "item": item.name, "place": place.name}
        )
    difference = counted - row.quantity
    if difference == 0:
        return None
    return movement_record(
        item=item,
        quantity=abs(difference),
        reason=Reason.COUNTED,
        from_place=place if difference < 0 else None,
        to_place=place if difference > 0 else None,
        actor=actor,
        reference_type="count",
        reference_id=uuid.uuid4().hex[:16],
        note=note,
    )
