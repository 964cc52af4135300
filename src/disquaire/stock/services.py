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

from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from disquaire.core.audit import audited
from disquaire.core.queries import insert_row, insert_rows
from disquaire.stock.errors import StockError
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


_T_BALANCE = Balance._meta.db_table


def _balances_select(
    item_ids: list[int], place_ids: list[int], *, lock: bool
) -> dict[tuple[int, int], Balance]:
    # Written out: it runs at every checkout and payment of a physical offer.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, item_id, place_id, quantity FROM {_T_BALANCE} "  # noqa: S608
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


def _balance_add(row: Balance, delta: int) -> None:
    row.quantity += delta
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_T_BALANCE} SET quantity = %s WHERE id = %s",  # noqa: S608
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


def _check_quantity(quantity: Any) -> int:
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
    quantity = _check_quantity(quantity)
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
        _balance_add(locked[(item.pk, from_place.pk)], -quantity)
    if to_place is not None:
        _balance_add(locked[(item.pk, to_place.pk)], quantity)
    return movement


def web_shop_record(
    *,
    artist_id: int,
    place_id: int,
    quantities: dict[int, int],
    reason: str,
    reference_type: str,
    reference_id: str,
    note: str = "",
) -> None:
    """The web shop's movements of one order at once — ``sold_online`` from its place,
    or ``restocked`` to it — for {item id: units}: the balance rows locked in one
    statement (primary-key order), one INSERT of the rows, one UPDATE a balance.

    The units sold are held by the order's checkout, so only the balance itself must
    cover them; refused with ``StockError`` (nothing written) otherwise. A sale takes
    no lock beforehand (a relative update); a restock locks the rows as any movement. Call it inside
    the transaction of the order's change (no savepoint of its own: it is on the
    payment's hot path).
    """
    if reason not in (Reason.SOLD_ONLINE, Reason.RESTOCKED):
        raise StockError(_("Unknown reason for a stock movement."))
    for quantity in quantities.values():
        _check_quantity(quantity)
    if not quantities:
        return
    with transaction.atomic(savepoint=False):
        _web_shop_write(
            artist_id=artist_id,
            place_id=place_id,
            quantities=quantities,
            reason=reason,
            reference_type=reference_type,
            reference_id=reference_id,
            note=note,
        )


def _web_shop_write(
    *,
    artist_id: int,
    place_id: int,
    quantities: dict[int, int],
    reason: str,
    reference_type: str,
    reference_id: str,
    note: str,
) -> None:
    if reason == Reason.SOLD_ONLINE:
        for item_id, quantity in sorted(quantities.items()):
            _web_sale_write(
                artist_id=artist_id,
                item_id=item_id,
                place_id=place_id,
                quantity=quantity,
                reference_type=reference_type[:40],
                reference_id=str(reference_id)[:64],
                note=note[:500],
            )
        return
    locked = balances_lock(pairs=[(item_id, place_id) for item_id in quantities])
    insert_rows(
        [
            Movement(
                artist_id=artist_id,
                item_id=item_id,
                quantity=quantity,
                to_place_id=place_id,
                reason=reason,
                reference_type=reference_type[:40],
                reference_id=str(reference_id)[:64],
                note=note[:500],
            )
            for item_id, quantity in sorted(quantities.items())
        ]
    )
    for item_id, quantity in sorted(quantities.items()):
        _balance_add(locked[(item_id, place_id)], quantity)


_T_MOVEMENT = Movement._meta.db_table


def _web_sale_write(
    *,
    artist_id: int,
    item_id: int,
    place_id: int,
    quantity: int,
    reference_type: str,
    reference_id: str,
    note: str,
) -> None:
    """Units sold online leave the place: the balance goes down by ``quantity`` only if it
    has them, and the ledger row is written by the same statement (or neither is).

    A relative update, so it needs no lock taken beforehand: the row stays locked only
    for the rest of the payment's transaction, and checkouts (which count under the
    item's lock, reading balance and holds in one snapshot) never wait for it.
    """
    if connection.vendor != "postgresql":  # no UPDATE inside WITH: two statements
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_T_BALANCE} SET quantity = quantity - %s "  # noqa: S608
                "WHERE item_id = %s AND place_id = %s AND quantity >= %s",
                [quantity, item_id, place_id, quantity],
            )
            if cursor.rowcount != 1:
                raise StockError(_("The units sold are no longer at the web shop's place."))
        insert_row(
            Movement(
                artist_id=artist_id,
                item_id=item_id,
                quantity=quantity,
                from_place_id=place_id,
                reason=Reason.SOLD_ONLINE,
                reference_type=reference_type,
                reference_id=reference_id,
                note=note,
            )
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH b AS (UPDATE {_T_BALANCE} SET quantity = quantity - %s "  # noqa: S608
            "WHERE item_id = %s AND place_id = %s AND quantity >= %s RETURNING item_id) "
            f"INSERT INTO {_T_MOVEMENT} (artist_id, item_id, quantity, from_place_id, "
            "to_place_id, reason, actor_id, created_at, reference_type, reference_id, note) "
            "SELECT %s, item_id, %s, %s, NULL, %s, NULL, %s, %s, %s, %s FROM b RETURNING id",
            [
                quantity,
                item_id,
                place_id,
                quantity,
                artist_id,
                quantity,
                place_id,
                Reason.SOLD_ONLINE.value,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                reference_type,
                reference_id,
                note,
            ],
        )
        written = cursor.fetchall()
    if not written:
        raise StockError(_("The units sold are no longer at the web shop's place."))


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


def place_default(*, artist: Any) -> Place:
    """The artist's default home (where new stock arrives), created when missing."""
    place = Place.objects.filter(artist=artist, kind=Place.Kind.HOME, is_default=True).first()
    if place is not None:
        return place
    try:
        with transaction.atomic():
            return Place.objects.create(
                artist=artist, kind=Place.Kind.HOME, is_default=True, name=_("Home")
            )
    except IntegrityError:  # created meanwhile by a rival
        return Place.objects.get(artist=artist, kind=Place.Kind.HOME, is_default=True)


# --- items and places ------------------------------------------------------------------


def _release_check(artist_id: int, release: Any) -> None:
    if release is not None and release.artist_id != artist_id:
        raise StockError(_("That release is another artist's."))


@audited("stock.item_create")
def item_create(
    *,
    artist: Any,
    name: str,
    numbered: bool = False,
    low_stock_at: int = 0,
    release: Any = None,
) -> Item:
    """A new item of the artist's (a copy of ``release``, or merch when None); it has no
    units until some are received."""
    name = name.strip()
    if not name:
        raise StockError(_("An item needs a name."))
    _release_check(artist.pk, release)
    return Item.objects.create(
        artist=artist,
        name=name,
        numbered=numbered,
        low_stock_at=max(0, low_stock_at),
        release=release,
    )


_KEEP: Any = object()


@audited("stock.item_update", subject="item")
def item_update(
    *, item: Item, name: str, numbered: bool, low_stock_at: int, release: Any = _KEEP
) -> Item:
    """Rename, renumber, change the warning or the release (kept when not given)."""
    name = name.strip()
    if not name:
        raise StockError(_("An item needs a name."))
    if release is _KEEP:
        release = item.release
    _release_check(item.artist_id, release)
    if numbered != item.numbered and item.movements.filter(reason=Reason.SOLD_ONLINE).exists():
        raise StockError(_("Units of this item were sold: whether it is numbered stays as it is."))
    item.name, item.numbered, item.low_stock_at = name, numbered, max(0, low_stock_at)
    item.release = release
    item.save(update_fields=["name", "numbered", "low_stock_at", "release"])
    return item


@audited("stock.item_delete", subject="item")
def item_delete(*, item: Item) -> None:
    """Delete an item no offer uses and no movement ever concerned; refused otherwise."""
    if item.movements.exists():
        raise StockError(
            _(
                "%(item)s has movements in the ledger, which is never rewritten: "
                "count it to 0 instead."
            )
            % {"item": item.name}
        )
    try:
        item.delete()
    except ProtectedError as exc:
        users = sorted({str(obj) for obj in exc.protected_objects})
        raise StockError(
            _("%(item)s is still used by an offer (%(offers)s): take it off the offer first.")
            % {"item": item.name, "offers": ", ".join(users)}
        ) from exc


@audited("stock.place_save", subject="place")
def place_save(
    *,
    artist: Any,
    place: Place | None = None,
    name: str,
    kind: str,
    is_default: bool = False,
) -> Place:
    """Create or change a place; making it the default of its kind unsets the former one."""
    name = name.strip()
    if not name:
        raise StockError(_("A place needs a name."))
    if kind not in Place.Kind.values:
        raise StockError(_("Unknown kind of place."))
    if place is not None and place.kind != kind and place.balances.exclude(quantity=0).exists():
        raise StockError(_("Units are stored there: move them before changing its kind."))
    if is_default:
        others = Place.objects.filter(artist=artist, kind=kind, is_default=True)
        if place is not None:
            others = others.exclude(pk=place.pk)
        others.update(is_default=False)
    if place is None:
        return Place.objects.create(artist=artist, name=name, kind=kind, is_default=is_default)
    place.name, place.kind, place.is_default = name, kind, is_default
    place.save(update_fields=["name", "kind", "is_default"])
    return place
